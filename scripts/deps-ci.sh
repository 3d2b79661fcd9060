#!/usr/bin/env bash
# What .ci/run needs beyond scripts/deps.sh: clang and its runtime libraries
# (libFuzzer and clang's sanitizers) for the fuzz targets (docs/fuzzing.md).
# g++'s own sanitizer runtimes (libasan, libubsan, libtsan) come with g++.
# Debian 12 packages only; quick when everything is present.
set -euo pipefail
exec "$(dirname "$0")/deps.sh" clang libclang-rt-14-dev
