#!/usr/bin/env bash
# Runs every check and test Veto has, on a fresh Debian/Ubuntu machine with rustup,
# a JDK 17 and Maven. Installs what else it needs (idempotent), fails on the first
# failure. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TERM_COLOR=never
passed=0
step() {
  echo
  echo "== $* ($(date -u +%H:%M:%S))"
}
done_step() { passed=$((passed + 1)); }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo --version
done_step

step "rustfmt"
cargo fmt --all --check
done_step

step "clippy (host, warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings
done_step

step "Rust tests (unit, property, integration, CLI, doc; benches run once in test mode)"
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
done_step

step "libveto.so for the JVM tests (host build, with the test-only panic hook)"
cargo build -p veto-jni --features test-hooks --locked
done_step

step "Kotlin shell: aapt2 for the real resources (Debian package aapt)"
# Robolectric loads the app's real manifest and resources, compiled by aapt2 (android/pom.xml).
if ! command -v aapt2 >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq aapt >/dev/null
fi
aapt2 version
done_step

step "Kotlin shell: compile against android-all, JUnit 5 tests, Robolectric (API 35, 34, 29) with the real libveto.so, JNI under -Xcheck:jni"
log=$(mktemp)
status=0
(cd android && mvn -B -ntp test -Dveto.native.dir="$CARGO_TARGET_DIR/debug") >"$log" 2>&1 || status=$?
grep -vE '^\[INFO\] (Download|Copying|Building jar)' "$log"
# -Xcheck:jni reports misuse as warnings and carries on: treat them as failures.
if grep -E 'WARNING in native method|FATAL ERROR in native method|JNI local refs' "$log"; then
  echo "-Xcheck:jni reported the lines above" >&2
  status=1
fi
rm -f "$log"
[ "$status" -eq 0 ]
done_step

step "Android targets: toolchain setup"
scripts/android/setup.sh
done_step

step "Android targets: clippy, warnings denied"
scripts/android/clippy.sh
done_step

step "libveto.so for aarch64-linux-android: exports, 16 KB alignment, DT_NEEDED, size"
scripts/android/check-libveto.sh
done_step

step "veto provision qr: signature checksum against Debian's apksigner (installs apksigner)"
scripts/check-provision-qr.sh
done_step

step "veto simulate: 1,000 devices x 42 days (the README's figure; prints the time, asserts no time)"
sim_out=$(mktemp)
sim_start=$(date +%s%N)
cargo run -q --locked -p veto-cli -- simulate --devices 1000 --days 42 --seed 1 --format json >"$sim_out"
sim_end=$(date +%s%N)
grep -q '"format": "veto-simulate/1"' "$sim_out"
[ "$(grep -c '"day": ' "$sim_out")" -eq 42 ]
grep -A 3 '"day": 42,' "$sim_out"
echo "1,000 devices x 42 days: $(( (sim_end - sim_start) / 1000000 )) ms"
rm -f "$sim_out"
done_step

step "CI APK: build (Kotlin, aapt2, R8, libveto.so arm64-v8a + x86_64, apksigner) and the test targets"
scripts/build-apk.sh
done_step

step "CI APK: check-apk.sh (manifest, dex after R8, JNI, 16 KiB alignment, signature, size, test path, targets)"
scripts/check-apk.sh
scripts/apk/test-check-apk.sh
done_step

step "Gradle build: lint of the Gradle files, src/androidx against stubs, framework API references"
python3 scripts/apk/lint-gradle.py
scripts/apk/test-lint-gradle.sh
scripts/apk/check-api.sh
done_step

step "device acceptance run: parsers on recorded adb output, the script against a modelled device"
scripts/apk/test-device-acceptance.sh
done_step

step "veto-server on PostgreSQL: the same suite against a real server (Debian's postgresql in a temp folder, loopback; the SQLite run is in the Rust tests above)"
pg_dir=$(mktemp -d /tmp/veto-pg.XXXXXX)
pg_url=$(scripts/server/postgres.sh start "$pg_dir" $((20000 + RANDOM % 20000)))
status=0
VETO_TEST_POSTGRES="$pg_url" cargo test -p veto-server --locked --tests || status=$?
scripts/server/postgres.sh stop "$pg_dir"
[ "$status" -eq 0 ]
done_step

step "veto-server dashboard in headless Chromium (Debian's chromium and chromium-driver)"
if ! command -v chromedriver >/dev/null || [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi
cargo test -p veto-server --locked --test browser -- --ignored
done_step

step "fuzz: every target built in one build (nightly, cargo-fuzz) and run briefly"
# Seconds per target, two targets at a time; docs/reliability.md has the long campaign.
scripts/fuzz.sh --seconds "${VETO_FUZZ_SECONDS:-8}" --jobs 2
done_step

step "the README's main command"
set +e
cargo run -q --locked -p veto-cli -- audit --inventory tests/fixtures/sample-inventory.json
code=$?
set -e
if [ "$code" -ne 1 ]; then
  echo "expected exit 1 (non-compliant sample), got $code" >&2
  exit 1
fi
done_step

echo
echo "steps: $passed passed, 0 failed"
