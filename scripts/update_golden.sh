#!/usr/bin/env bash
# Rewrites the golden reports (tests/golden/CASE/) from the current build: run it only when a
# change of the reports is intended, and commit the new files with the change that made them.
#   scripts/update_golden.sh [BUILD_DIR]        (default build/; builds first)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$root/build"}
NPUSIM_SKIP_APT=1 NPUSIM_BUILD_TARGET=npusim_tests "$root/scripts/setup.sh" "$build"
NPUSIM_UPDATE_GOLDEN=1 SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 \
  "$build/npusim_tests" --gtest_filter='Shipped/Golden.*' --gtest_brief=1
git -C "$root" status --short -- tests/golden
