#!/usr/bin/env bash
# Runtime benchmark, run on demand (never in ctest): JointReview's durable
# runtime vs raw SQLite writing the same rows (both in runtime_bench) vs the
# bpmn-engine npm package with its state saved by better-sqlite3.
#
#   bench/run_runtime_bench.sh [--instances N] [--threads T] [--runs R]
#                              [--async W] [--async-instances N]
#                              [--bpmn-instances N] [--no-build] [--no-bpmn]
#
# Two ways of driving the engine: T client threads calling the blocking API,
# and one thread keeping W instances in flight on the asynchronous API
# (raw SQLite is driven the same way in each; --async 0 skips the second).
#
# Builds with -DJR_BUILD_BENCH=ON into build-bench, installs the npm peer in
# bench/bpmn (node_modules is git-ignored) when missing, runs all three and
# prints a summary table of medians and ratios.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

instances=4000
threads=256
runs=5
bpmn_instances=100
async=1000
async_instances=8000
build=1
bpmn=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --instances) instances="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --bpmn-instances) bpmn_instances="$2"; shift 2 ;;
    --async) async="$2"; shift 2 ;;
    --async-instances) async_instances="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-bpmn) bpmn=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run_runtime_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [[ $build -eq 1 ]]; then
  mkdir -p build-bench
  if ! { cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DJR_BUILD_BENCH=ON -DJR_BUILD_TESTS=OFF &&
         cmake --build build-bench --target runtime_bench -j2; } >build-bench/build.log 2>&1; then
    tail -30 build-bench/build.log >&2
    echo "run_runtime_bench.sh: build failed (build-bench/build.log)" >&2
    exit 1
  fi
fi

data="$root/build-bench/bench-data"
mkdir -p "$data"
log_cpp="$data/runtime_bench.log"
log_js="$data/bpmn_bench.log"
log_async="$data/runtime_bench_async.log"

echo "== $(date -u '+%F %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine storage || echo ' (engine/ or storage/ modified in the tree)'), load:$(uptime | sed 's/.*load average://')"
echo "== JointReview engine and raw SQLite ($instances instances, $threads client threads, $runs runs per mode)"
./build-bench/bench/runtime_bench --instances "$instances" --threads "$threads" --runs "$runs" \
  --sync full,normal --dir "$data" --workflow bench/joint_review_bench.yaml | tee "$log_cpp"
if [[ $async -gt 0 ]]; then
  echo "== asynchronous API: $async_instances instances, $async in flight, $runs runs per mode"
  ./build-bench/bench/runtime_bench --instances "$async_instances" --async "$async" --max-batch 8192 \
    --runs "$runs" --sync full,normal --no-state-variant --dir "$data" --workflow bench/joint_review_bench.yaml |
    tee "$log_async"
fi

if [[ $bpmn -eq 1 ]]; then
  if [[ ! -d bench/bpmn/node_modules/bpmn-engine || ! -d bench/bpmn/node_modules/better-sqlite3 ]]; then
    (cd bench/bpmn && npm install --no-audit --no-fund)
  fi
  echo "== bpmn-engine peer ($bpmn_instances instances, $runs runs per mode)"
  node bench/bpmn/bench.js --instances "$bpmn_instances" --runs "$runs" --dir "$data" | tee "$log_js"
fi

# field NAME LINE: the value of NAME=... in a SUMMARY line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
full=$(grep '^SUMMARY sync=full' "$log_cpp")
normal=$(grep '^SUMMARY sync=normal' "$log_cpp")
bpmn_mem="" bpmn_full="" bpmn_normal=""
if [[ $bpmn -eq 1 ]]; then
  bpmn_mem=$(sed -n 's/^BPMN_SUMMARY mode=memory .*median=\([^ ]*\).*/\1/p' "$log_js")
  bpmn_full=$(sed -n 's/^BPMN_SUMMARY mode=full .*median=\([^ ]*\).*/\1/p' "$log_js")
  bpmn_normal=$(sed -n 's/^BPMN_SUMMARY mode=normal .*median=\([^ ]*\).*/\1/p' "$log_js")
fi
ratio() { [[ -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }' || echo "-"; }

echo
echo "== Summary: medians of $runs runs, instances/s (one instance = 13 durable calls, $(field rows_per_instance "$full") event rows)"
printf '%-10s %10s %10s %12s %14s %12s %14s %12s\n' sync engine raw engine/raw raw+state eng/raw+st bpmn+sqlite engine/bpmn
for mode in full normal; do
  line=$([[ $mode == full ]] && echo "$full" || echo "$normal")
  peer=$([[ $mode == full ]] && echo "$bpmn_full" || echo "$bpmn_normal")
  e=$(field engine_median "$line")
  printf '%-10s %10s %10s %12s %14s %12s %14s %12s\n' "$mode" "$e" "$(field raw_median "$line")" \
    "$(field ratio_median "$line")" "$(field rawstate_median "$line")" "$(field ratio_state_median "$line")" \
    "${peer:--}" "$(ratio "$e" "$peer")"
done
if [[ $async -gt 0 ]]; then
  for mode in full normal; do
    line=$(grep "^SUMMARY sync=$mode" "$log_async")
    peer=$([[ $mode == full ]] && echo "$bpmn_full" || echo "$bpmn_normal")
    e=$(field engine_median "$line")
    printf '%-10s %10s %10s %12s %14s %12s %14s %12s\n' "$mode-async" "$e" "$(field raw_median "$line")" \
      "$(field ratio_median "$line")" "-" "-" "${peer:--}" "$(ratio "$e" "$peer")"
  done
fi
[[ -n "$bpmn_mem" ]] && echo "bpmn-engine in memory (no saving): $bpmn_mem instances/s"
echo "(engine/raw is the median of the per-run ratios; raw runs right after the engine in each run)"
