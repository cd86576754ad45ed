#!/usr/bin/env bash
# Runs scripts/device-acceptance.sh end to end against scripts/apk/fake_adb.py (a modelled
# device, see there) with the CI devicetest APK and targets: a well-behaved device must give
# PASS rows only, and each injected fault must turn the matching row into FAIL. Then the parser
# tests on recorded output (test_device_parse.py). Run after scripts/build-apk.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=common.sh
source scripts/apk/common.sh
python3 scripts/apk/test_device_parse.py

t="$(mktemp -d)"
trap 'rm -rf "$t"' EXIT
cat >"$t/adb" <<SH
#!/bin/sh
exec python3 "$PWD/scripts/apk/fake_adb.py" "\$@"
SH
chmod +x "$t/adb"
export ADB="$t/adb" FAKE_ADB_TARGETS="$VETO_APK_DIR/targets"
apk="$VETO_APK_DIR/veto-$(veto_catalog versionName)-ci-devicetest.apk"
# The status activity row depends on the manifest (a launcher activity). The badging is
# captured first: `aapt2 ... | grep -q` under pipefail fails when grep stops reading early.
badging="$(aapt2 dump badging "$apk" 2>/dev/null || true)"
if grep -q '^launchable-activity:' <<<"$badging"; then launcher=PASS; else launcher=FAIL; fi

passed=0
failed=0
run() { # name fault expected-exit expected-lines...
    local name="$1" fault="$2" want="$3"
    shift 3
    local out status=0
    rm -f "$t/state.json"
    out="$(FAKE_ADB_STATE="$t/state.json" FAKE_ADB_FAULT="$fault" scripts/device-acceptance.sh \
        --out "$t/out-$name" --timeout 2 2>&1)" || status=$?
    local ok=1 line
    ((status == want)) || ok=0
    for line in "$@"; do grep -qF -- "$line" <<<"$out" || { ok=0; echo "        missing: $line"; }; done
    if [[ -z "$(find "$t/out-$name" -name '*.tar.gz')" ]]; then ok=0; echo "        no archive"; fi
    if ((ok)); then
        echo "ok    device-acceptance.sh, $name: exit $status, rows as expected"
        passed=$((passed + 1))
    else
        echo "FAIL  device-acceptance.sh, $name: exit $status (want $want); its output:"
        sed 's/^/        /' <<<"$out" | tail -n 40
        failed=$((failed + 1))
    fi
}

good_exit=0
[[ "$launcher" == PASS ]] || good_exit=1
run well-behaved "" "$good_exit" \
    "PASS  barred apps suspended by the admin  (com.zhiliaoapp.musically com.lemon.lvoverseas com.example.vetotest.clone)" \
    "PASS  harmless app untouched  (com.example.vetotest.harmless)" \
    "PASS  employee notified" "PASS  device_policy names Veto profile owner" \
    "PASS  signer rule lifted: clone unsuspended" "PASS  catalog apps still suspended" \
    "PASS  catalog lifted: Veto's suspensions reversed" "PASS  a suspension Veto did not make stays" \
    "$launcher  status activity opened"
run harmless-touched harmless 1 "FAIL  harmless app untouched  (com.example.vetotest.harmless:"
run reverses-too-much overreach 1 "FAIL  a suspension Veto did not make stays"
run nobody-notified stopped 1 "FAIL  employee notified" "FAIL  status activity opened"

echo "test-device-acceptance: $passed passed, $failed failed"
((failed == 0))
