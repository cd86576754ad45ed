#!/usr/bin/env bash
# Inspects the CI APKs and the test targets with Android's tools (aapt2 dump, dexdump,
# apksigner, zipalign) and llvm-readelf, against the sources as they are now (the manifest,
# VetoNative's `external fun`s, gradle/libs.versions.toml), and names what is wrong:
#
#   manifest   package app.veto, versionName/-Code, minSdk and targetSdk as in the catalog;
#              exactly the manifest's permissions; exactly its activities, services, receivers
#              and providers; the device-admin receiver app.veto.trigger.VetoAdminReceiver;
#              extractNativeLibs=false
#   dex        every component class (and the Application) is in classes.dex after R8; every
#              `external fun` of VetoNative kept as a native method with its JNI signature; the
#              VetoException(String, String) constructor the core throws through
#   test path  the release APK has no trace of app.veto.devicetest (class, component or
#              string); the devicetest APK has it
#   native     libveto.so for arm64-v8a and x86_64, each stored uncompressed with its data 16 KiB
#              aligned, each exporting the JNI function of every `external fun`;
#              resources.arsc stored; zipalign -c -p 4 passes
#   signature  apksigner verifies: v2 and v3, v1 off
#   size       the release APK within the budget (README, "Figures")
#   targets    each test target present, with its package, code-free, signed (v2+v3); the
#              renamed clone alone signed by the test-publisher key
#
# Usage: scripts/check-apk.sh [--apk FILE --kind release|devicetest] [--manifest FILE]
#                             [--targets DIR] [--budget BYTES]
#   With no --apk: the release and devicetest APKs of this version in target/apk/ and the targets.
#   --manifest FILE   the source manifest to compare with (default android/src/main/AndroidManifest.xml)
# Exit status: 0 when every check passes, 1 when any fails, 2 on bad usage.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=apk/common.sh
source scripts/apk/common.sh

# The CI APK holds two stub-linked libveto.so (about 2.1 MiB each, stored uncompressed: mapped
# from the APK, never extracted), the dex (about 0.1 MiB) and resources: 4.47 MiB measured
# (README, "Figures"). The budget is 5 MiB: two libraries at check-libveto.sh's 2.25 MiB budget
# plus half a MiB for dex and resources. The Gradle build's APK also holds armeabi-v7a and the
# two AndroidX/rustls libraries, so it is larger.
budget=5242880
apks=()
kinds=()
manifest=android/src/main/AndroidManifest.xml
targets=""
default=1
while (($#)); do
    case "$1" in
        --apk) apks+=("${2:?--apk needs a file}"); default=0; shift 2 ;;
        --kind) kinds+=("${2:?--kind needs release or devicetest}"); shift 2 ;;
        --manifest) manifest="${2:?--manifest needs a file}"; shift 2 ;;
        --targets) targets="${2:?--targets needs a directory}"; default=0; shift 2 ;;
        --budget) budget="${2:?--budget needs a number of bytes}"; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "check-apk.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "check-apk.sh: --budget must be a number of bytes, got '$budget'" >&2; exit 2; }
if ((default)); then
    version="$(veto_catalog versionName)"
    apks=("$VETO_APK_DIR/veto-$version-ci.apk" "$VETO_APK_DIR/veto-$version-ci-devicetest.apk")
    kinds=(release devicetest)
    targets="$VETO_APK_DIR/targets"
fi
veto_install_apk_tools
command -v llvm-readelf >/dev/null || scripts/android/setup.sh >/dev/null

status=0
common=(--manifest "$manifest" --overlay android/src/devicetest/AndroidManifest.xml
    --native-kotlin android/src/main/kotlin/app/veto/core/VetoNative.kt --catalog "$VETO_CATALOG")
for i in "${!apks[@]}"; do
    kind="${kinds[i]:-release}"
    # Only the release APK is held to the budget; the devicetest one is the same plus one class.
    b=$budget
    [[ "$kind" == devicetest ]] && b=$((budget + 65536))
    python3 scripts/apk/check_apk.py "${common[@]}" --apk "${apks[i]}" --kind "$kind" --budget "$b" || status=1
done
if [[ -n "$targets" ]]; then
    python3 scripts/apk/check_apk.py "${common[@]}" --budget "$budget" --targets "$targets" \
        --keys "$VETO_APK_DIR/keys" || status=1
fi
exit "$status"
