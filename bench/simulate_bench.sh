#!/bin/sh
# Simulator benchmark: jreview's engine vs a SimPy model of the same 6-step
# workflow, then the wall time of the four-certificates report.
# Usage: bench/simulate_bench.sh [BUILD_DIR]   (default build-bench)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DJR_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target simulate_bench jreview -j2 >/dev/null
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
/usr/bin/python3 "$root/bench/simulate_simpy.py" --bench "$build/bench/simulate_bench"
# the same with jreview also counting overdue_share (what `jreview simulate` does)
/usr/bin/python3 "$root/bench/simulate_simpy.py" --bench "$build/bench/simulate_bench" --count-overdue
out=$(mktemp -d)
for i in 1 2 3 4 5; do
  /usr/bin/time -f "%e s wall, %M KB" "$build/cli/jreview" simulate "$root/workflows/four-certificates.yaml" \
    --runs 10000 --start 2026-03-02 --html "$out/report.html" >/dev/null
done 2>&1 | sed 's/^/four-certificates --runs 10000 --html: /'
rm -rf "$out"
