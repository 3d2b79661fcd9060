#!/usr/bin/env bash
# Installs the Debian packages JointReview needs, only when some are missing.
# Quick when everything is present (no apt-get update then).
set -euo pipefail
PKGS=(cmake g++ make pkg-config libboost-dev libboost-graph-dev libyaml-cpp-dev libsqlite3-dev
      catch2 libcli11-dev nlohmann-json3-dev libfmt-dev libssl-dev python3 python3-lunardate)
PKGS+=("$@")  # more packages a caller needs (scripts/deps-ci.sh)
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
