#!/usr/bin/env bash
# Checks `veto provision qr` against Debian's apksigner: signs a tiny APK with a fresh key
# (v2 + v3, v2 only, v1 only), and compares the payload's signature checksum with the
# certificate digest `apksigner verify --print-certs` prints (hex SHA-256 -> URL-safe
# base64 without padding). Also checks the committed fixtures in tests/fixtures/apk/.
# `--write-fixtures` regenerates those fixtures instead.
# Installs apksigner and openssl when missing (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v apksigner >/dev/null || ! command -v openssl >/dev/null || ! command -v zip >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq apksigner openssl zip >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
veto() { "${CARGO_TARGET_DIR:-$PWD/target}/debug/veto" "$@"; }
cargo build -q --locked -p veto-cli

# hex SHA-256 -> the payload's form
to_b64url() { printf "$(echo "$1" | sed 's/../\\x&/g')" | openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# An unsigned APK: a manifest placeholder and a dex placeholder (apksigner signs any ZIP
# when --min-sdk-version is given).
printf 'veto test manifest' >"$work/AndroidManifest.xml"
printf 'dex\n035\0' >"$work/classes.dex"
(cd "$work" && zip -q -X unsigned.apk AndroidManifest.xml classes.dex)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 3650 -subj "/CN=Veto provisioning test" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$work/key.pem" -outform DER -out "$work/key.pk8"

sign() { # out v1 v2 v3 min-sdk
  apksigner sign --key "$work/key.pk8" --cert "$work/cert.pem" --min-sdk-version "$5" \
    --v1-signing-enabled "$2" --v2-signing-enabled "$3" --v3-signing-enabled "$4" \
    --v4-signing-enabled false --out "$1" "$work/unsigned.apk"
}
sign "$work/v2v3.apk" false true true 24
sign "$work/v2.apk" false true false 24
sign "$work/v1.apk" true false false 21

if [ "${1:-}" = "--write-fixtures" ]; then
  cp "$work/v2v3.apk" tests/fixtures/apk/signed-v2-v3.apk
  cp "$work/v1.apk" tests/fixtures/apk/signed-v1-only.apk
  cp "$work/unsigned.apk" tests/fixtures/apk/unsigned.apk
  echo "fixtures written; update the expected checksum in tests/fixtures/apk/README.md and rust/veto-cli/tests/cli.rs"
fi

fail=0
check() { # apk
  local digest want got
  digest=$(apksigner verify --print-certs --min-sdk-version 24 "$1" |
    sed -n 's/^Signer #1 certificate SHA-256 digest: //p')
  want=$(to_b64url "$digest")
  got=$(veto provision qr --apk "$1" --url https://mdm.example.org/veto.apk |
    sed -n 's/.*"android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM": "\(.*\)".*/\1/p')
  if [ -n "$want" ] && [ "$got" = "$want" ]; then
    echo "ok: $1: $got (apksigner: $digest)"
  else
    echo "FAIL: $1: veto says '$got', apksigner's digest $digest is '$want'" >&2
    fail=1
  fi
}
check "$work/v2v3.apk"
check "$work/v2.apk"
check tests/fixtures/apk/signed-v2-v3.apk

set +e
err=$(veto provision qr --apk "$work/v1.apk" --url https://mdm.example.org/veto.apk 2>&1 >/dev/null)
code=$?
set -e
case "$err" in
  *"signed with v1 (JAR signing) only (META-INF/"*) [ "$code" -eq 2 ] && echo "ok: v1-only APK refused: $err" ;;
  *) echo "FAIL: v1-only APK: exit $code, '$err'" >&2; fail=1 ;;
esac
exit "$fail"
