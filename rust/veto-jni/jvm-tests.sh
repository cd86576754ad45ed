#!/bin/sh
# Builds the host libveto.so with the test-only entry points and runs the JVM round-trip tests
# (android/src/test/kotlin/app/veto/core) under -Xcheck:jni; fails if the JVM reports any JNI
# misuse. Needs cargo, a JDK 17+ and Maven (Maven Central reachable on first run).
#
#   rust/veto-jni/jvm-tests.sh            (from anywhere; uses $CARGO_TARGET_DIR or ./target)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

cargo build --manifest-path "$root/Cargo.toml" -p veto-jni --features test-hooks
cd "$root/android"
status=0
mvn -B test -Dveto.native.dir="$target/debug" -Dtest='app.veto.core.*Test' \
    -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1 || status=$?
cat "$log"
if grep -E 'WARNING in native method|FATAL ERROR in native method|JNI local refs' "$log"; then
    echo "jvm-tests: -Xcheck:jni reported the lines above" >&2
    exit 1
fi
exit "$status"
