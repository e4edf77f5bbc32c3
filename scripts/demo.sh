#!/usr/bin/env bash
# Sets up, builds, and runs a real simulation: Llama-3.2-1B (prefill of 256 tokens, then 32
# decode steps) on the Snapdragon 8 Gen 3-class Hexagon preset.
#   scripts/demo.sh [OUT_DIR]            default OUT_DIR=out/demo
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-"$root/out/demo"}
"$root/scripts/setup.sh"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
"$root/build/npusim" run --arch hexagon-v75 \
  --model llama-3.2-1b --prompt 256 --tokens 32 --out "$out"
