#!/usr/bin/env bash
# Runs one libFuzzer target (docs/fuzzing.md) for a while:
#   scripts/fuzz.sh TARGET [SECONDS]     TARGET: loader, calendar, notice, capi or server
# SECONDS defaults to 3600 (an hour; .ci/run gives each target 60). Builds the
# fuzz build first if it is missing (clang, ASan + UBSan + libFuzzer, in
# $JR_FUZZ_BUILD, default build-fuzz). New inputs go to BUILD/corpus/TARGET
# (kept between runs), each finding to BUILD/artifacts/TARGET/ (crash-*,
# leak-*, timeout-*, oom-*). Exits non-zero on a finding.
# More libFuzzer flags after the seconds: scripts/fuzz.sh loader 600 -jobs=2
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
  echo "usage: scripts/fuzz.sh loader|calendar|notice|capi|server [SECONDS] [libFuzzer flags...]" >&2
  exit 2
fi
target=$1
seconds=${2:-3600}
shift $(( $# >= 2 ? 2 : 1 ))
build=${JR_FUZZ_BUILD:-build-fuzz}

extra=()
case "$target" in
  loader)   seeds=(workflows tests/bad) ;;
  calendar) seeds=(workflows/calendars) ;;
  notice)   seeds=(tests/calendar/notices) ;;
  capi)     seeds=(); extra=(-detect_leaks=0) ;;  # its engine lives across inputs: leaks are checked at exit
  server)   seeds=(); extra=(-detect_leaks=0) ;;  # the same
  *) echo "scripts/fuzz.sh: no target '$target' (loader, calendar, notice, capi, server)" >&2; exit 2 ;;
esac
seeds+=("fuzz/corpus/$target")

exe="$build/fuzz/fuzz_$target"
if [ ! -x "$exe" ] || [ -n "${JR_FUZZ_REBUILD:-}" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DJR_FUZZ=ON -DJR_BUILD_TESTS=OFF -DJR_BUILD_CLI=OFF -DJR_INSTALL=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
  fi
  cmake --build "$build" -j2 --target "fuzz_$target"
fi

work="$build/corpus/$target"
artifacts="$build/artifacts/$target"
mkdir -p "$work" "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "== fuzz_$target for ${seconds}s; corpus $work (seeds: ${seeds[*]}); findings in $artifacts/" >&2
exec "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="fuzz/$target.dict" -artifact_prefix="$artifacts/" "${extra[@]}" "$@" "$work" "${seeds[@]}"
