#!/usr/bin/env bash
# Prints the path of a throwaway signing key for the CI APKs, making it once (PKCS12, RSA 2048,
# store and key password "veto-throwaway", alias = the name) in target/apk/keys/:
#   ci              the CI APK when VETO_CI_KEYSTORE is not set
#   targets         the code-free test targets (the TikTok family, the harmless app)
#   test-publisher  the renamed clone only: the test policy bars this signer, so it must sign
#                   nothing else
# Throwaway means: never used for anything published; a new CI machine makes new ones.
# Usage: scripts/apk/keys.sh NAME
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
name="${1:?usage: keys.sh ci|targets|test-publisher}"
case "$name" in
    ci) dname="CN=Veto CI throwaway, O=Veto" ;;
    targets) dname="CN=Veto test targets, O=Veto" ;;
    test-publisher) dname="CN=Veto test publisher, O=Veto test publisher" ;;
    *) echo "keys.sh: unknown key '$name' (ci, targets, test-publisher)" >&2; exit 2 ;;
esac
dir="$VETO_APK_DIR/keys"
store="$dir/$name.p12"
if [[ ! -f "$store" ]]; then
    mkdir -p "$dir"
    keytool -genkeypair -storetype PKCS12 -keystore "$store.tmp" -storepass veto-throwaway \
        -keypass veto-throwaway -alias "$name" -keyalg RSA -keysize 2048 -validity 10000 \
        -dname "$dname" >/dev/null 2>&1 || { echo "keys.sh: keytool failed for $name" >&2; exit 1; }
    mv "$store.tmp" "$store"
fi
echo "$store"
