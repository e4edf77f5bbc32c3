#!/usr/bin/env bash
# Runs an experiment's sweep as N shards with GNU parallel (Debian package `parallel`), on this
# machine or over ssh hosts, then merges them.
#
#   scripts/parallel_sweep.sh EXP.yaml OUT_DIR [SHARDS] [-- PARALLEL_OPTIONS...]
#   e.g. scripts/parallel_sweep.sh configs/experiments/gpt2-decode-1000.yaml out/gpt2 4
#        scripts/parallel_sweep.sh EXP.yaml /shared/out 16 -- -S 8/node1,8/node2 --sshdelay 0.1
#
# Over hosts, the checkout (binary, configs, EXP.yaml) and OUT_DIR must be at the same paths on
# every host (a shared file system). Shard i writes OUT_DIR/shard-i/ with `--resume`, so running
# the script again finishes whatever an interrupted run left; the merge writes
# OUT_DIR/merged/{results,pareto}.csv. Environment: NPUSIM (the binary), NPUSIM_SET (extra
# --set options).
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
exp=$(realpath "$1")
out=$(realpath -m "$2")
shards=${3:-$(nproc)}
shift $(($# >= 3 ? 3 : 2))
[ "${1:-}" = "--" ] && shift
# Default: build/npusim of this checkout, else (an installed copy of this script) npusim on PATH.
npusim=${NPUSIM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/npusim}
[ -n "${NPUSIM:-}" ] || [ -x "$npusim" ] || npusim=$(command -v npusim || echo npusim)
set_opts=${NPUSIM_SET:-}
"$npusim" sweep "$exp" $set_opts --dry-run >/dev/null
# One worker per shard: parallel runs as many shards at once as each host has slots.
seq 0 $((shards - 1)) | parallel --halt now,fail=1 "$@" \
  "\"$npusim\" sweep \"$exp\" $set_opts --out \"$out/shard-{}\" --shard {}/$shards --jobs 1 --resume -q"
"$npusim" merge "$out/merged" "$out"/shard-*
