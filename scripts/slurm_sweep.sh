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
# Environment: NPUSIM (the binary; default build/npusim of this checkout, else PATH), CPUS (workers per
# task, default 4), extra --set options in NPUSIM_SET (e.g. "--set arch=hexagon-v79").
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" >&2
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
cpus=${CPUS:-4}
set_opts=${NPUSIM_SET:-}
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
