#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds and runs the whole test suite with CTest.
#   scripts/test.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$root/build"}
"$root/scripts/setup.sh" "$build"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
