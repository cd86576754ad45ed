#!/usr/bin/env bash
# The on-device acceptance run, for an emulator or a test phone with Android 11 or newer reached
# with adb (docs/admin.md, "The device acceptance run"). It cannot run on CI; everything it reads
# back from the device is parsed by scripts/apk/device_parse.py, tested against recorded output.
#
#   1. creates a managed profile (pm create-user --profileOf 0 --managed), or uses --user N;
#   2. installs the CI devicetest APK into it, makes Veto its profile owner (dpm
#      set-profile-owner), grants POST_NOTIFICATIONS as an EMM would, opens the status activity
#      once (out of the stopped state), installs the test targets (scripts/apk/build-targets.sh);
#   3. suspends com.ss.android.ugc.trill from the shell first: a suspension Veto did not make;
#   4. applies the test policy through the test-only receiver (src/devicetest): bar the
#      test-publisher signer, the built-in catalog on, enforcement "suspend" at once;
#   5. scans, and asserts from dumpsys package / notification / device_policy: the TikTok family
#      and the renamed clone suspended by the admin, a notice posted, the harmless app and Veto's
#      protected packages untouched;
#   6. lifts the signer rule, then the catalog, and asserts that Veto reverses only what it did
#      (the clone, then TikTok and CapCut unsuspended; trill still suspended by the shell);
#   7. prints a PASS/FAIL table, archives every dump it read, removes the profile it created.
#
# Usage: scripts/device-acceptance.sh [--serial SERIAL] [--user N] [--apk FILE] [--targets DIR]
#                                     [--out DIR] [--keep-profile] [--timeout SECONDS]
#   --apk       default target/apk/veto-<version>-ci-devicetest.apk (scripts/build-apk.sh)
#   --targets   default target/apk/targets
#   --out       where the archive goes (default target/device-acceptance)
#   --timeout   how long to wait for each scan's effect (default 60)
# Environment: ADB (default adb). Exit status 0 when every row passes, 1 otherwise, 2 when the
# run could not start (no device, Android older than 11, APK missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=apk/common.sh
source scripts/apk/common.sh
ADB="${ADB:-adb}"
serial=""
user=""
apk=""
targets="$VETO_APK_DIR/targets"
out_root="${CARGO_TARGET_DIR:-$PWD/target}/device-acceptance"
keep=0
timeout=60
while (($#)); do
    case "$1" in
        --serial) serial="${2:?}"; shift 2 ;;
        --user) user="${2:?}"; shift 2 ;;
        --apk) apk="${2:?}"; shift 2 ;;
        --targets) targets="${2:?}"; shift 2 ;;
        --out) out_root="${2:?}"; shift 2 ;;
        --keep-profile) keep=1; shift ;;
        --timeout) timeout="${2:?}"; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "device-acceptance.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ -n "$apk" ]] || apk="$VETO_APK_DIR/veto-$(veto_catalog versionName)-ci-devicetest.apk"
parse() { python3 scripts/apk/device_parse.py "$@"; }
adb_() { if [[ -n "$serial" ]]; then "$ADB" -s "$serial" "$@"; else "$ADB" "$@"; fi; }

start=$SECONDS
run_dir="$out_root/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$run_dir"
# Runs an adb command, keeps its output in the archive as NNN-name.txt, prints the file's path.
# (Numbered from the files already there: record also runs in command substitutions.)
record() {
    local name="$1"
    shift
    local step_no file
    step_no=$(find "$run_dir" -maxdepth 1 -name '*.txt' | wc -l)
    file="$run_dir/$(printf '%03d' "$step_no")-$name.txt"
    { echo "\$ adb $*"; adb_ "$@" 2>&1 || true; } >"$file"
    echo "$file"
}

results=()
failures=0
row() { # PASS|FAIL what detail
    results+=("$(printf '%-4s  %s%s' "$1" "$2" "${3:+  ($3)}")")
    [[ "$1" == PASS ]] || failures=$((failures + 1))
    echo "$1  $2${3:+  ($3)}"
}
fatal() {
    echo "device-acceptance.sh: $*" >&2
    exit 2
}

# --- preflight ------------------------------------------------------------------------------
[[ -f "$apk" ]] || fatal "$apk not found: run scripts/build-apk.sh first"
[[ -f "$targets/targets.tsv" ]] || fatal "$targets/targets.tsv not found: run scripts/build-apk.sh first"
veto_install_apk_tools
command -v "$ADB" >/dev/null 2>&1 || fatal "$ADB not found (apt-get install adb, or set ADB)"
[[ "$(adb_ get-state 2>/dev/null)" == device ]] || fatal "no device: $ADB get-state is not 'device' (serial '${serial:-any}')"
sdk="$(adb_ shell getprop ro.build.version.sdk | tr -d '\r')"
[[ "$sdk" =~ ^[0-9]+$ ]] && ((sdk >= 30)) || fatal "Android 11 (API 30) or newer needed, the device says API '$sdk'"
echo "== device API $sdk; archive in $run_dir"

mapfile -t rows < <(grep -v '^#' "$targets/targets.tsv" | grep -v '^[[:space:]]*$')
clone_file="" barred=() harmless=()
for r in "${rows[@]}"; do
    IFS=$'\t' read -r file pkg _label _key role <<<"$r"
    case "$role" in
        barred-by-catalog) barred+=("$pkg") ;;
        barred-by-signer) barred+=("$pkg"); clone_file="$file"; clone_pkg="$pkg" ;;
        never-touched) harmless+=("$pkg") ;;
    esac
done
[[ -n "$clone_file" ]] || fatal "$targets/targets.tsv has no barred-by-signer target"
apksigner verify --print-certs "$targets/$clone_file" >"$run_dir/00-clone-certs.txt" 2>&1 || true
clone_digest="$(parse cert-digest "$run_dir/00-clone-certs.txt")" || fatal "cannot read the clone's signer from $targets/$clone_file"
aapt2 dump badging "$apk" >"$run_dir/00-veto-badging.txt" 2>&1 || true
launcher="$(parse launchable-activity "$run_dir/00-veto-badging.txt")" || launcher=""
admin=app.veto/app.veto.trigger.VetoAdminReceiver
receiver=app.veto/app.veto.devicetest.TestPolicyReceiver
shell_suspended=com.ss.android.ugc.trill

# --- 1. the profile -------------------------------------------------------------------------
created=0
if [[ -z "$user" ]]; then
    f="$(record create-user shell pm create-user --profileOf 0 --managed VetoAcceptance)"
    if user="$(parse created-user "$f")"; then
        created=1
        row PASS "managed profile created" "user $user"
        record start-user shell am start-user -w "$user" >/dev/null
    else
        row FAIL "managed profile created" "$(tail -n1 "$f")"
        fatal "no profile to test in (see $f); pass --user N to use an existing one"
    fi
fi
cleanup() {
    if ((created && !keep)); then
        record remove-user shell pm remove-user "$user" >/dev/null
    fi
    tar -czf "$run_dir.tar.gz" -C "$(dirname "$run_dir")" "$(basename "$run_dir")"
    echo "archive: $run_dir.tar.gz"
}
trap cleanup EXIT

# --- 2. Veto and the targets ------------------------------------------------------------------
f="$(record install-veto install --user "$user" -r "$apk")"
if parse install "$f" | grep -q '^\[true'; then row PASS "CI APK installed in the profile"; else row FAIL "CI APK installed in the profile" "$(tail -n1 "$f")"; fi
f="$(record set-profile-owner shell dpm set-profile-owner --user "$user" "$admin")"
if parse owner-set "$f" >/dev/null; then row PASS "Veto is profile owner" "dpm"; else row FAIL "Veto is profile owner" "$(tail -n1 "$f")"; fi
record grant-notifications shell pm grant --user "$user" app.veto android.permission.POST_NOTIFICATIONS >/dev/null
if [[ -n "$launcher" ]]; then
    f="$(record open-status shell am start --user "$user" -W -n "app.veto/$launcher")"
    if grep -q "Status: ok" "$f"; then row PASS "status activity opened" "$launcher"; else row FAIL "status activity opened" "$launcher: $(grep -m1 -E 'Error|Status' "$f" || true)"; fi
else
    row FAIL "status activity opened" "the APK has no launcher activity: Veto stays in the stopped state"
fi
for r in "${rows[@]}"; do
    IFS=$'\t' read -r file pkg _ <<<"$r"
    f="$(record "install-$pkg" install --user "$user" -r "$targets/$file")"
    if parse install "$f" | grep -q '^\[true'; then row PASS "target $pkg installed"; else row FAIL "target $pkg installed" "$(tail -n1 "$f")"; fi
done
record shell-suspend shell pm suspend --user "$user" "$shell_suspended" >/dev/null

# --- checks -------------------------------------------------------------------------------------
state() { # pkg -> "present installed hidden suspended suspenders" in user $user (dump archived)
    local f
    f="$(record "dumpsys-package-$1" shell dumpsys package "$1")"
    parse package-state "$f" "$1" "$user"
}
admin_suspended() { # pkg -> 0 when suspended by the admin (suspending package "android")
    local present installed hidden suspended suspenders
    read -r present installed hidden suspended suspenders <<<"$(state "$1")"
    [[ "$suspended" == true && ",$suspenders," == *",android,"* ]]
}
wait_until() { # description command... : polls until the command succeeds or the timeout
    local deadline=$((SECONDS + timeout))
    while ! "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 3
    done
}
all_suspended() { local p; for p in "$@"; do admin_suspended "$p" || return 1; done; }
none_admin_suspended() { local p; for p in "$@"; do ! admin_suspended "$p" || return 1; done; }
untouched() { # pkg -> 0 when installed, not hidden, not suspended by the admin
    local present installed hidden suspended suspenders
    read -r present installed hidden suspended suspenders <<<"$(state "$1")"
    [[ "$installed" == true && "$hidden" == false && ",$suspenders," != *",android,"* ]]
}
set_config() { # json
    local f
    f="$(record set-config shell am broadcast --user "$user" -a app.veto.devicetest.SET_CONFIG -n "$receiver" --es config "'$1'")"
    local res
    res="$(parse broadcast "$f" || true)"
    if [[ "$res" == "[1,"* ]]; then row PASS "test policy applied" "$1"; else row FAIL "test policy applied" "$res; is this the devicetest APK?"; fi
}
scan() {
    local f
    f="$(record scan shell am broadcast --user "$user" -a app.veto.devicetest.SCAN -n "$receiver")"
    [[ "$(parse broadcast "$f" || true)" == "[1,"* ]] || row FAIL "scan requested" "$(tail -n1 "$f")"
}

# --- 3-5. bar, scan, assert -------------------------------------------------------------------
set_config "{\"denied_signers\": \"$clone_digest\", \"use_builtin_catalog\": true, \"enforcement_action\": \"suspend\", \"grace_period_days\": 0}"
scan
# The shell-suspended one may or may not get a second (admin) suspension: only "suspended" is
# asserted for it; every other barred app must carry the admin's suspension.
admin_barred=()
for p in "${barred[@]}"; do [[ "$p" == "$shell_suspended" ]] || admin_barred+=("$p"); done
if wait_until all_suspended "${admin_barred[@]}"; then
    row PASS "barred apps suspended by the admin" "${admin_barred[*]}"
else
    for p in "${admin_barred[@]}"; do
        admin_suspended "$p" || row FAIL "barred app suspended by the admin" "$p: $(state "$p")"
    done
fi
s="$(state "$shell_suspended")"
if [[ "$(cut -d' ' -f4 <<<"$s")" == true ]]; then row PASS "barred app already suspended stays suspended" "$shell_suspended"; else row FAIL "barred app already suspended stays suspended" "$shell_suspended: $s"; fi
for p in "${harmless[@]}"; do
    s="$(state "$p")"
    if [[ "$s" == "true true false false -" ]]; then row PASS "harmless app untouched" "$p"; else row FAIL "harmless app untouched" "$p: present installed hidden suspended suspenders = $s"; fi
done
for p in app.veto com.android.vending com.google.android.gms com.android.settings; do
    s="$(state "$p")"
    if [[ "$(cut -d' ' -f1,2 <<<"$s")" != "true true" ]]; then
        continue  # not in this profile (an emulator without Play): nothing to protect
    fi
    if [[ "$(cut -d' ' -f3,4 <<<"$s")" == "false false" ]]; then row PASS "protected package untouched" "$p"; else row FAIL "protected package untouched" "$p: present installed hidden suspended suspenders = $s"; fi
done
f="$(record dumpsys-notification shell dumpsys notification --noredact)"
n="$(parse notifications "$f" app.veto "$user" || echo '[]')"
count="$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$n")"
if ((count > 0)); then row PASS "employee notified" "$count notice(s) from app.veto in user $user"; else row FAIL "employee notified" "no app.veto notification for user $user"; fi
f="$(record dumpsys-device_policy shell dumpsys device_policy)"
owner="$(parse profile-owner "$f" "$user" || true)"
if [[ "$owner" == "$admin" ]]; then row PASS "device_policy names Veto profile owner" "user $user"; else row FAIL "device_policy names Veto profile owner" "found '$owner'"; fi

# --- 6. lift the rules: Veto reverses only what it did ---------------------------------------------
set_config '{"use_builtin_catalog": true, "enforcement_action": "suspend", "grace_period_days": 0}'
scan
catalog_barred=()
for p in "${admin_barred[@]}"; do [[ "$p" == "$clone_pkg" ]] || catalog_barred+=("$p"); done
if wait_until none_admin_suspended "$clone_pkg"; then row PASS "signer rule lifted: clone unsuspended" "$clone_pkg"; else row FAIL "signer rule lifted: clone unsuspended" "$(state "$clone_pkg")"; fi
if all_suspended "${catalog_barred[@]}"; then row PASS "catalog apps still suspended" "${catalog_barred[*]}"; else row FAIL "catalog apps still suspended"; fi
set_config '{"use_builtin_catalog": false, "enforcement_action": "suspend", "grace_period_days": 0}'
scan
if wait_until none_admin_suspended "${catalog_barred[@]}"; then row PASS "catalog lifted: Veto's suspensions reversed" "${catalog_barred[*]}"; else row FAIL "catalog lifted: Veto's suspensions reversed"; fi
s="$(state "$shell_suspended")"
if [[ "$(cut -d' ' -f4 <<<"$s")" == true && ",$(cut -d' ' -f5 <<<"$s")," == *",com.android.shell,"* ]]; then
    row PASS "a suspension Veto did not make stays" "$shell_suspended, suspended by the shell"
else
    row FAIL "a suspension Veto did not make stays" "$shell_suspended: $s"
fi

# --- 7. the table ----------------------------------------------------------------------------------
echo
echo "== device acceptance: API $sdk, user $user, $((SECONDS - start)) s"
printf '%s\n' "${results[@]}" | tee "$run_dir/results.txt"
echo "$((${#results[@]} - failures)) passed, $failures failed"
((failures == 0))
