#!/usr/bin/env bash
# Installs what npusim needs to build and test (Debian 12 packages), then configures and builds.
# Safe to re-run: apt installs only what is missing; the build is incremental.
#   scripts/setup.sh [BUILD_DIR]          default BUILD_DIR=build
# Environment: NPUSIM_CMAKE_ARGS (extra cmake arguments), NPUSIM_SKIP_APT=1 (skip the install),
# NPUSIM_BUILD_TARGET (build only this target, e.g. `fuzzers`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$root/build"}

packages=(
  g++ clang libclang-rt-14-dev cmake make pkg-config git
  libsystemc-dev libyaml-cpp-dev libboost-program-options-dev libgtest-dev libgmock-dev
  libbenchmark-dev nlohmann-json3-dev libfmt-dev libmuparser-dev
  libonnx-dev libprotobuf-dev zlib1g-dev
  python3 python3-matplotlib python3-onnx dpkg-dev
)

if [ "${NPUSIM_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${NPUSIM_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)" ${NPUSIM_BUILD_TARGET:+--target "$NPUSIM_BUILD_TARGET"}
