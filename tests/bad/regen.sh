#!/bin/sh
# Regenerates the golden files of the bad-input corpus: for every
# tests/bad/NAME.yaml, writes what `jreview validate` prints (stdout and
# stderr) to tests/bad/NAME.expected. Review every changed golden with
# `git diff tests/bad` before committing it.
#
# usage: tests/bad/regen.sh [path/to/jreview]   (default: build/cli/jreview)
# The same is done by the test binary with JR_REGEN_GOLDENS=1.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/cli/jreview}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
[ -x "$bin" ] || { echo "regen.sh: no jreview at $bin; build first or pass its path" >&2; exit 2; }
cd "$root"
for f in tests/bad/*.yaml; do
  "$bin" validate "$f" >"${f%.yaml}.expected" 2>&1 || true
done
echo "regenerated $(ls tests/bad/*.yaml | wc -l) goldens"
