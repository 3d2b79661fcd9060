#!/usr/bin/env bash
# 200 SIGKILLs of an engine under load of starts and acts from three
# threads (issue 14, item 6); after each: every acknowledged call present,
# integrity_check ok, the audit chain verified. The bounded version (12
# kills) runs in the test suite.
#   bench/kill_bench.sh [BUILD_DIR] [ROUNDS] [SEED]
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${2:-200}
SEED=${3:-$(date +%s)}
echo "kill_bench: $ROUNDS kills, seed $SEED"
start=$(date +%s.%N)
JR_KILL_ROUNDS=$ROUNDS JR_KILL_SEED=$SEED "$BUILD/tests/jointreview_tests" "[kill]"
end=$(date +%s.%N)
echo "kill_bench: done in $(echo "$end - $start" | bc) s"
