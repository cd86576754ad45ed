#!/usr/bin/env bash
# Proves scripts/check-apk.sh fails, naming the problem, on broken APKs made from the pieces of
# the last scripts/build-apk.sh run (target/apk/work/): a compressed .so, a misaligned .so, a
# missing ABI, a manifest component with no class in the dex, a v1 signature, the test-only
# path in a release APK, an APK over budget, and a test target signed by the wrong key.
# Run after scripts/build-apk.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=common.sh
source scripts/apk/common.sh
version="$(veto_catalog versionName)"
release_apk="$VETO_APK_DIR/veto-$version-ci.apk"
devicetest_apk="$VETO_APK_DIR/veto-$version-ci-devicetest.apk"
w="$VETO_APK_WORK/release"
for f in "$release_apk" "$devicetest_apk" "$w/linked.apk" "$w/dex/classes.dex" \
    "$VETO_APK_WORK/libveto-arm64-v8a.so" "$VETO_APK_WORK/libveto-x86_64.so" "$VETO_APK_DIR/targets/targets.tsv"; do
    [[ -f "$f" ]] || { echo "test-check-apk.sh: $f missing: run scripts/build-apk.sh first" >&2; exit 2; }
done
t="$(mktemp -d)"
trap 'rm -rf "$t"' EXIT
ks="$(scripts/apk/keys.sh ci)"
libs=(--add "lib/arm64-v8a/libveto.so=$VETO_APK_WORK/libveto-arm64-v8a.so"
    --add "lib/x86_64/libveto.so=$VETO_APK_WORK/libveto-x86_64.so")

sign() { # unsigned signed [apksigner options]
    local in="$1" out="$2"
    shift 2
    apksigner sign --ks "$ks" --ks-pass pass:veto-throwaway --ks-key-alias ci --key-pass pass:veto-throwaway \
        --v1-signing-enabled false --v2-signing-enabled true --v3-signing-enabled true \
        --v4-signing-enabled false "$@" --out "$out" "$in"
}
broken() { # name [assemble.py options] -> $t/<name>.apk
    local name="$1"
    shift
    python3 scripts/apk/assemble.py --base "$w/linked.apk" --out "$t/$name.unsigned.apk" \
        --add "classes.dex=$w/dex/classes.dex" "$@"
    sign "$t/$name.unsigned.apk" "$t/$name.apk"
}

python3 scripts/apk/check_r_ids.py --self-test

passed=0
failed=0
expect_failure() { # description expected-text check-apk.sh arguments...
    local what="$1" text="$2"
    shift 2
    local out status=0
    out="$(scripts/check-apk.sh "$@" 2>&1)" || status=$?
    if ((status == 1)) && grep -qF -- "$text" <<<"$out"; then
        echo "ok    $what: check-apk.sh fails with \"$text\""
        passed=$((passed + 1))
    else
        echo "FAIL  $what: expected exit 1 and \"$text\", got exit $status:"
        grep -E '^FAIL|check-apk:' <<<"$out" | sed 's/^/        /'
        failed=$((failed + 1))
    fi
}

# The unbroken reassembly passes: what fails below fails for the one thing broken.
broken intact "${libs[@]}"
if scripts/check-apk.sh --apk "$t/intact.apk" --kind release >/dev/null; then
    echo "ok    an APK reassembled from the same pieces passes"
    passed=$((passed + 1))
else
    echo "FAIL  an APK reassembled from the same pieces fails check-apk.sh"
    failed=$((failed + 1))
fi

broken deflated --deflate-so "${libs[@]}"
expect_failure "compressed .so" "lib/arm64-v8a/libveto.so is compressed" --apk "$t/deflated.apk" --kind release

broken misaligned --misalign-so "${libs[@]}"
expect_failure "misaligned .so" "(not 16 KiB aligned): it must be stored and 16 KiB aligned" --apk "$t/misaligned.apk" --kind release

broken no-x86 --add "lib/arm64-v8a/libveto.so=$VETO_APK_WORK/libveto-arm64-v8a.so"
expect_failure "x86_64 library missing" "native libraries for ['arm64-v8a'], need arm64-v8a, x86_64" --apk "$t/no-x86.apk" --kind release

# A manifest component whose class is not in the dex.
sed 's|</application>|<receiver android:name="app.veto.trigger.MissingReceiver" android:exported="false" /></application>|' \
    android/src/main/AndroidManifest.xml >"$t/manifest-source.xml"
python3 scripts/apk/manifest.py --main "$t/manifest-source.xml" --package app.veto \
    --version-code "$(veto_catalog versionCode)" --version-name "$version" \
    --min-sdk "$(veto_catalog minSdk)" --target-sdk "$(veto_catalog targetSdk)" --out "$t/AndroidManifest.xml"
veto_resolve_java_tools
aapt2 link -o "$t/missing-linked.apk" -I "$VETO_FRAMEWORK_RES_JAR" --manifest "$t/AndroidManifest.xml" \
    --auto-add-overlay "$VETO_APK_WORK/res.zip" 2>/dev/null
python3 scripts/apk/assemble.py --base "$t/missing-linked.apk" --out "$t/missing.unsigned.apk" \
    --add "classes.dex=$w/dex/classes.dex" "${libs[@]}"
sign "$t/missing.unsigned.apk" "$t/missing.apk"
expect_failure "component class missing" "component classes missing from classes.dex after R8: app.veto.trigger.MissingReceiver (receiver)" \
    --apk "$t/missing.apk" --kind release --manifest "$t/manifest-source.xml"
expect_failure "manifest differs from the source" "components differ from the manifest: extra none, missing ['app.veto.trigger.MissingReceiver']" \
    --apk "$release_apk" --kind release --manifest "$t/manifest-source.xml"

sign "$t/intact.unsigned.apk" "$t/v1.apk" --v1-signing-enabled true
expect_failure "v1 signature on" "signature schemes: v1 on (META-INF/CI.SF" --apk "$t/v1.apk" --kind release

expect_failure "test-only path in a release APK" "the test-only path is in a release build" --apk "$devicetest_apk" --kind release
expect_failure "devicetest APK without the test path" "devicetest APK lacks the test-only path" --apk "$release_apk" --kind devicetest
expect_failure "over budget" "is over the budget of 1048576 bytes" --apk "$release_apk" --kind release --budget 1048576

# The renamed clone signed by the targets key instead of the test publisher's.
cp -r "$VETO_APK_DIR/targets" "$t/targets"
targets_ks="$(scripts/apk/keys.sh targets)"
apksigner sign --ks "$targets_ks" --ks-pass pass:veto-throwaway --ks-key-alias targets --key-pass pass:veto-throwaway \
    --v1-signing-enabled false --v4-signing-enabled false --out "$t/targets/renamed-clone.apk" "$VETO_APK_DIR/targets/renamed-clone.apk"
expect_failure "clone signed by the wrong key" "the test-publisher key must sign exactly one target" --targets "$t/targets"

echo "test-check-apk: $passed passed, $failed failed"
((failed == 0))
