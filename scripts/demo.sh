#!/usr/bin/env bash
# Sets up, builds, and runs a real simulation: the example trace on the example chip.
#   scripts/demo.sh [OUT_DIR]            default OUT_DIR=out/demo
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-"$root/out/demo"}
"$root/scripts/setup.sh"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
"$root/build/npusim" run --arch "$root/configs/presets/example-npu.yaml" \
  --trace "$root/configs/traces/example.yaml" --out "$out"
