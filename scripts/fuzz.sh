#!/usr/bin/env bash
# Fuzzes every parser Veto has (fuzz/, cargo-fuzz on nightly): see docs/reliability.md.
#
#   scripts/fuzz.sh --seconds S      every target for S seconds (CI: a short, bounded run)
#   scripts/fuzz.sh --hours H        a long campaign: H hours in all, split over the targets
#   scripts/fuzz.sh --runs N         a long campaign: every target until N executions
#   scripts/fuzz.sh --reproduce TARGET FILE   runs one input (a crash artifact) again
#   options: --jobs N (targets run at once, default 1), --targets "a b" (default: all),
#            --build-only
#
# Installs what it needs (idempotent): the nightly toolchain (minimal profile) and
# cargo-fuzz. All targets are built in one build. Fuzzers run under `nice -n 10`. The
# working corpus (seeded from fuzz/corpus/<target>/, which stays as committed) and any
# crash artifacts are kept under $FUZZ_WORK (default fuzz/target/fuzz-work), so later
# runs continue from what earlier ones found. Prints executions and outcome per target
# and exits non-zero if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=""
hours=""
runs=""
jobs=1
targets=""
build_only=0
reproduce=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --hours) hours=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --reproduce) reproduce=("$2" "$3"); shift 3 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# ---- tools ---------------------------------------------------------------------------
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# ---- build (one build for all targets) -----------------------------------------------
# No sanitizer: the fuzzed code is safe Rust (no `unsafe` in Veto); overflow checks and
# debug assertions are on (fuzz/Cargo.toml), and AddressSanitizer would double the build
# and halve the executions for nothing it could find here.
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
# Its own target dir: nightly with coverage flags shares nothing with the stable build.
target_dir=${FUZZ_TARGET_DIR:-$root/fuzz/target}
export CARGO_TARGET_DIR=$target_dir
bin=$target_dir/$host/release
all_targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^veto-fuzz$')
targets=${targets:-$all_targets}
nice -n 10 cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer none
[ "$build_only" -eq 1 ] && exit 0

if [ ${#reproduce[@]} -eq 2 ]; then
  exec "$bin/${reproduce[0]}" "${reproduce[1]}"
fi

# ---- run -----------------------------------------------------------------------------
count=$(echo "$targets" | wc -w)
if [ -n "$hours" ]; then
  seconds=$(awk -v h="$hours" -v n="$count" -v j="$jobs" 'BEGIN { printf "%d", h * 3600 * j / n }')
fi
if [ -n "$runs" ]; then
  # A number of executions, not a time: libFuzzer stops each target at exactly N.
  limit="-runs=$runs"
  echo "fuzzing $count targets, $runs executions each, $jobs at a time"
elif [ -n "$seconds" ]; then
  limit="-max_total_time=$seconds"
  echo "fuzzing $count targets, $seconds s each, $jobs at a time"
else
  echo "fuzz.sh: give --seconds S, --hours H or --runs N (see --help)" >&2
  exit 2
fi
work=${FUZZ_WORK:-$target_dir/fuzz-work}
mkdir -p "$work"
echo "work dir $work"

run_one() {
  local t=$1
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  # New inputs go to the first directory; the committed seeds are only read.
  local start=$SECONDS
  nice -n 10 "$bin/$t" "$limit" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" \
    "$work/corpus/$t" "fuzz/corpus/$t" >"$work/$t.log" 2>&1 || true
  echo $((SECONDS - start)) >"$work/$t.seconds"
}

# A new target starts as soon as any running one ends (a slow target does not hold the
# other slots); the order given is the order started, so give the slowest first.
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$t" &
done
wait || true

# ---- report --------------------------------------------------------------------------
failed=0
printf '%-28s %14s %9s %8s %8s  %s\n' target executions exec/s seconds corpus outcome
for t in $targets; do
  log=$work/$t.log
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  took=$(cat "$work/$t.seconds" 2>/dev/null || echo "?")
  units=$(find "$work/corpus/$t" -type f | wc -l)
  artifact=$(sed -n 's/.*Test unit written to //p' "$log" | head -1)
  if [ -n "$artifact" ] || grep -qE 'panicked|ERROR: libFuzzer|deadly signal' "$log"; then
    outcome="CRASH ${artifact:-(see $log)}"
    failed=1
  else
    outcome="ok"
  fi
  printf '%-28s %14s %9s %8s %8s  %s\n' "$t" "${executed:-?}" "${rate:-?}" "$took" "$units" "$outcome"
  echo -e "$(date -u +%FT%TZ)\t$t\t${executed:-0}\t$took\t$outcome" >>"$work/history.tsv"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz.sh: a target crashed; its log is in $work/<target>.log." >&2
  echo "reproduce: scripts/fuzz.sh --reproduce <target> <artifact>" >&2
  for t in $targets; do
    grep -m1 -A3 panicked "$work/$t.log" >&2 || true
  done
  exit 1
fi
