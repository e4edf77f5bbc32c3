#!/usr/bin/env bash
# Runs an experiment's sweep on a Slurm cluster: a job array with one task per shard
# (`npusim sweep --shard i/N`), then a job that merges the shards once all of them succeeded.
#
#   scripts/slurm_sweep.sh EXP.yaml OUT_DIR [SHARDS] [-- SBATCH_OPTIONS...]
#   e.g. scripts/slurm_sweep.sh configs/experiments/gpt2-decode-1000.yaml /scratch/me/gpt2 8 -- -p short -t 30
#
# OUT_DIR must be on a file system every node sees. Shard i writes OUT_DIR/shard-i/; the merge
# writes OUT_DIR/merged/results.csv (every point once, in point order, as one unsharded run
# writes it) and OUT_DIR/merged/pareto.csv. Each task runs `sweep --resume`, so a requeued or
# re-submitted task finishes its shard instead of starting over.
# Environment: NPUSIM (the binary; default build/npusim of this checkout, else npusim on PATH), CPUS (workers per
# task, default 1: a point runs in one process on one CPU), extra --set options in NPUSIM_SET
# (e.g. "--set arch=hexagon-v79").
# Before submitting, the CPUs asked per task are checked against the partition's nodes (sinfo):
# a request no node can meet would pend forever (reason PartitionConfig), so it is refused.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
exp=$(realpath "$1")
out=$(realpath -m "$2")
shards=${3:-8}
shift $(($# >= 3 ? 3 : 2))
[ "${1:-}" = "--" ] && shift
# Default: build/npusim of this checkout, else (an installed copy of this script) npusim on PATH.
npusim=${NPUSIM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/npusim}
[ -n "${NPUSIM:-}" ] || [ -x "$npusim" ] || npusim=$(command -v npusim || echo npusim)
cpus=${CPUS:-1}
set_opts=${NPUSIM_SET:-}
case $cpus in
  '' | *[!0-9]* | 0)
    echo "slurm_sweep: CPUS must be a whole number of CPUs per task (at least 1), got '$cpus'" >&2
    exit 2
    ;;
esac

# The partition the jobs go to: the last -p/--partition among the sbatch options, else the
# cluster's default (sinfo marks it with '*').
partition=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    -p | --partition) partition=${args[i + 1]:-} ;;
    -p?*) partition=${args[i]#-p} ;;
    --partition=*) partition=${args[i]#--partition=} ;;
  esac
done
if command -v sinfo >/dev/null 2>&1; then
  if [ -n "$partition" ]; then
    node_cpus=$(sinfo -h -p "$partition" -o '%c' 2>/dev/null | tr -d '+' | sort -n | tail -1)
  else
    partition=$(sinfo -h -o '%P' 2>/dev/null | grep -m1 '\*$' | tr -d '*' || true)
    node_cpus=$(sinfo -h ${partition:+-p "$partition"} -o '%c' 2>/dev/null | tr -d '+' |
      sort -n | tail -1)
  fi
  if [ -z "$node_cpus" ]; then
    echo "slurm_sweep: sinfo lists no nodes for partition '${partition:-default}'; not submitting" >&2
    exit 2
  fi
  if [ "$cpus" -gt "$node_cpus" ]; then
    echo "slurm_sweep: each task asks $cpus CPUs (CPUS), but the largest node of partition" \
      "'${partition:-default}' has $node_cpus: the jobs would pend forever (PartitionConfig)." \
      "Set CPUS=$node_cpus or less, or choose another partition (-- -p NAME)" >&2
    exit 2
  fi
else
  echo "slurm_sweep: warning: sinfo not found; cannot check that a node of the partition has" \
    "$cpus CPUs" >&2
fi
mkdir -p "$out/logs"

# Fail now, not on the cluster, if the experiment is bad input.
"$npusim" sweep "$exp" $set_opts --dry-run >/dev/null

array=$(sbatch --parsable --job-name=npusim-sweep --array="0-$((shards - 1))" \
  --cpus-per-task="$cpus" --output="$out/logs/shard-%a.out" "$@" \
  --wrap "\"$npusim\" sweep \"$exp\" $set_opts --out \"$out/shard-\$SLURM_ARRAY_TASK_ID\" \
--shard \"\$SLURM_ARRAY_TASK_ID/$shards\" --jobs \"\$SLURM_CPUS_PER_TASK\" --resume -q")
merge=$(sbatch --parsable --job-name=npusim-merge --dependency="afterok:$array" \
  --output="$out/logs/merge.out" "$@" \
  --wrap "\"$npusim\" merge \"$out/merged\" \"$out\"/shard-*")
echo "submitted shards as job array $array and the merge as job $merge"
echo "results: $out/merged/results.csv once job $merge is done"
