#!/bin/sh
# Planner benchmarks, all in one script so that the peer runs on the same
# (noisy, shared) machine at the same time:
#   1. jointreview::cpm on a random DAG of 100,000 steps and 300,000
#      dependencies (bench/planner_bench.cpp), against networkx doing the same
#      computation on the same graph (bench/planner_networkx.py); the script
#      fails when the two disagree on the total, the number of critical steps
#      or the critical path;
#   2. `jreview plan FILE --format json` and `jreview validate FILE` end to end
#      on a generated 5,000-step workflow (bench/gen_workflow.py).
#
# Usage: bench/run_planner_bench.sh [BUILD_DIR]     (default build-pbench)
# Environment: REPS (C++ repetitions, 15), PY_REPS (networkx, 5),
#              E2E_RUNS (end-to-end runs, 10), STEPS (workflow size, 5000).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-pbench}
reps=${REPS:-15}
py_reps=${PY_REPS:-5}
e2e_runs=${E2E_RUNS:-10}
steps=${STEPS:-5000}
python=/usr/bin/python3   # Debian's, with python3-networkx

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Compiler output goes to a log, shown only when the build fails.
{ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DJR_BUILD_BENCH=ON &&
  cmake --build "$build" --target planner_bench jreview -j2; } >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; echo "run_planner_bench.sh: build failed" >&2; exit 1; }
jreview=$build/cli/jreview

# value KEY LINE: the value of KEY=... in a key=value line
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }

echo "== machine"
echo "cores: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "networkx: $($python -c 'import networkx; print(networkx.__version__)'), $($python --version 2>&1)"
echo

echo "== 1. critical path method, 100,000 steps / 300,000 dependencies"
"$build/bench/planner_bench" --reps "$reps" --write "$work" >"$work/cpp.txt"
cat "$work/cpp.txt"
for c in permuted ordered; do
  cpp=$(grep "^case=$c " "$work/cpp.txt")
  expect=""
  for k in total critical path_len path_first path_last path_sum; do expect="$expect $k=$(value $k "$cpp")"; done
  # shellcheck disable=SC2086
  $python "$root/bench/planner_networkx.py" "$work/$c.txt" --name "$c" --reps "$py_reps" --expect $expect \
    >"$work/nx_$c.txt"
  cat "$work/nx_$c.txt"
done
echo

echo "== 2. jreview end to end, $steps-step workflow"
$python "$root/bench/gen_workflow.py" --steps "$steps" -o "$work/workflow.yaml"
"$jreview" validate "$work/workflow.yaml" 2>"$work/validate.txt" || { cat "$work/validate.txt"; exit 1; }
if grep -q -E 'warning|error' "$work/validate.txt"; then cat "$work/validate.txt"; exit 1; fi
cat "$work/validate.txt"
"$jreview" plan "$work/workflow.yaml" --format json >"$work/plan.json"
$python -c 'import json, sys; p = json.load(open(sys.argv[1])); print("plan: %d steps, total_days %s, serial_days %s, critical path %d steps" % (len(p["steps"]), p["total_days"], p["serial_days"], len(p["critical_path"])))' "$work/plan.json"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 1 --runs "$e2e_runs" --export-json "$work/e2e.json" \
    -n plan "$jreview plan $work/workflow.yaml --format json" \
    -n validate "$jreview validate $work/workflow.yaml" >/dev/null 2>&1
  $python - "$work/e2e.json" >"$work/e2e.txt" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("e2e=%s runs=%d median_s=%.3f min_s=%.3f max_s=%.3f cpu_mean_s=%.3f"
          % (r["command"], len(r["times"]), r["median"], r["min"], r["max"], r["user"] + r["system"]))
EOF
else
  # No hyperfine: medians of a date loop.
  for name in plan validate; do
    for i in $(seq "$e2e_runs"); do
      t0=$(date +%s.%N)
      if [ "$name" = plan ]; then "$jreview" plan "$work/workflow.yaml" --format json >/dev/null
      else "$jreview" validate "$work/workflow.yaml" 2>/dev/null; fi
      t1=$(date +%s.%N)
      echo "$t0 $t1" | awk '{ printf "%.4f\n", $2 - $1 }'
    done | sort -n | awk -v n="$name" '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2;
      printf "e2e=%s runs=%d median_s=%.3f min_s=%.3f max_s=%.3f cpu_mean_s=n/a\n", n, NR, m, t[1], t[NR] }'
  done >"$work/e2e.txt"
fi
cat "$work/e2e.txt"
echo

echo "== summary (load average at end: $(cut -d' ' -f1-3 /proc/loadavg))"
for c in permuted ordered; do
  cpp=$(grep "^case=$c " "$work/cpp.txt")
  nx=$(cat "$work/nx_$c.txt")
  printf '%-8s total %s, %s critical steps (both agree)\n' "$c" "$(value total "$cpp")" "$(value critical "$cpp")"
  printf '  CPM wall  median: jointreview %s ms, networkx %s ms -> %sx faster\n' \
    "$(value cpm_median_ms "$cpp")" "$(value cpm_median_ms "$nx")" \
    "$(ratio "$(value cpm_median_ms "$nx")" "$(value cpm_median_ms "$cpp")")"
  printf '  CPM CPU   median: jointreview %s ms, networkx %s ms -> %sx faster\n' \
    "$(value cpm_cpu_median_ms "$cpp")" "$(value cpm_cpu_median_ms "$nx")" \
    "$(ratio "$(value cpm_cpu_median_ms "$nx")" "$(value cpm_cpu_median_ms "$cpp")")"
  printf '  graph build wall median: build_csr %s ms, networkx DiGraph %s ms -> %sx faster\n' \
    "$(value csr_median_ms "$cpp")" "$(value build_median_ms "$nx")" \
    "$(ratio "$(value build_median_ms "$nx")" "$(value csr_median_ms "$cpp")")"
done
p=$(grep '^e2e=plan ' "$work/e2e.txt")
v=$(grep '^e2e=validate ' "$work/e2e.txt")
echo "jreview plan --format json, $steps steps: median $(value median_s "$p") s wall (target < 1 s), CPU $(value cpu_mean_s "$p") s"
echo "jreview validate, $steps steps:           median $(value median_s "$v") s wall, CPU $(value cpu_mean_s "$v") s"
echo "targets: CPM >= 30x networkx (permuted, wall): $(ratio "$(value cpm_median_ms "$(cat "$work/nx_permuted.txt")")" \
  "$(value cpm_median_ms "$(grep '^case=permuted ' "$work/cpp.txt")")")x;" \
  "plan < 1 s: $(awk -v t="$(value median_s "$p")" 'BEGIN { print (t < 1) ? "met" : "MISSED" }')"
