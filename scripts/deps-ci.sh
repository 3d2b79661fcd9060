#!/usr/bin/env bash
# What .ci/run needs beyond scripts/deps.sh: clang and its runtime libraries
# (libFuzzer and clang's sanitizers) for the fuzz targets (docs/fuzzing.md).
# g++'s own sanitizer runtimes (libasan, libubsan, libtsan) come with g++.
# Debian 12 packages only; quick when everything is present.
set -euo pipefail
PKGS=(clang libclang-rt-14-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
