#!/usr/bin/env bash
# Fuzzes npusim's readers of user input with libFuzzer (tests/fuzz/; clang, ASan + UBSan).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Runs each target (default: all of chip trace model_yaml model_json lower set experiment) for
# SECONDS (default 600), one after the other, each seeded with the shipped configs (configs/;
# the `set` target: tests/fuzz/seeds/set/, --set options one per line), the kept regression
# inputs (tests/fuzz/regressions/<target>/) and the kept corpus (tests/fuzz/corpus/<target>/),
# and growing its own corpus in the work folder, which later runs resume from. CI runs it for a
# short smoke time (.ci/run). Any crash, hang (-timeout), out-of-memory (-rss_limit_mb) or leak
# is saved under WORK/artifacts/<target>/ and fails the script: reproduce it with
#   BUILD/tests/fuzz/fuzz_<target> ARTIFACT
# fix it, and keep the input as tests/fuzz/regressions/<target>/<name> so the normal test suite
# (tests/test_fuzz_inputs.cpp) runs it from then on. Prints executions per target and in total.
# Environment: NPUSIM_FUZZ_BUILD (build folder, default build-fuzz), NPUSIM_FUZZ_WORK (work
# folder, default BUILD/fuzz-work), NPUSIM_FUZZ_TIMEOUT (seconds one input may take, default 10),
# NPUSIM_FUZZ_RSS_MB (memory limit, default 2048), NPUSIM_FUZZ_RUNS (stop a target after this
# many executions, before SECONDS if it gets there first; for a campaign of a set size),
# NPUSIM_SKIP_APT=1 (see scripts/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(chip trace model_yaml model_json lower set experiment)
build=${NPUSIM_FUZZ_BUILD:-"$root/build-fuzz"}
work=${NPUSIM_FUZZ_WORK:-"$build/fuzz-work"}

NPUSIM_CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPUSIM_FUZZ=ON \
-DNPUSIM_BENCH=OFF ${NPUSIM_CMAKE_ARGS:-}" NPUSIM_BUILD_TARGET=fuzzers "$root/scripts/setup.sh" "$build"

# Seeds that are not plain files of the tree: Hugging Face configs (one config.json per folder)
# and chip + trace pairs for the lowering (joined by the line fuzz_targets.h's kPairSeparator).
seeds="$work/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/model_json" "$seeds/lower"
for f in "$root"/tests/data/hf/*/config.json; do
  cp "$f" "$seeds/model_json/$(basename "$(dirname "$f")").json"
done
for c in "$root"/configs/presets/*.yaml; do
  for t in "$root"/configs/traces/*.yaml "$root"/tests/fuzz/corpus/trace/*.yaml; do
    [ -f "$t" ] || continue
    { cat "$c"; printf '\n#~~ trace ~~\n'; cat "$t"; } >"$seeds/lower/$(basename "$c" .yaml)+$(basename "$t")"
  done
done

seed_dirs() {
  case "$1" in
    chip) echo "$root/configs/presets" ;;
    trace) echo "$root/configs/traces" ;;
    model_yaml) echo "$root/configs/models" ;;
    model_json | lower) echo "$seeds/$1" ;;
    set) echo "$root/tests/fuzz/seeds/set" ;;
    experiment) printf '%s\n' "$root/configs/experiments" "$root/configs/experiments/assumptions" ;;
  esac
  for d in "$root/tests/fuzz/regressions/$1" "$root/tests/fuzz/corpus/$1"; do
    [ -d "$d" ] && echo "$d"
  done
  return 0
}

total=0
failed=()
report=()
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no target $t ($bin)" >&2; exit 2; }
  corpus="$work/corpus/$t"
  artifacts="$work/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  log="$work/$t.log"
  mapfile -t dirs < <(seed_dirs "$t")
  echo "fuzz: $t for ${seconds}s (log $log)"
  set +e
  # SystemC's kernel keeps a few allocations for the life of the process; see tests/lsan.supp.
  LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0" \
    "$bin" -max_total_time="$seconds" -timeout="${NPUSIM_FUZZ_TIMEOUT:-10}" \
    -rss_limit_mb="${NPUSIM_FUZZ_RSS_MB:-2048}" -max_len=65536 -print_final_stats=1 \
    ${NPUSIM_FUZZ_RUNS:+-runs="$NPUSIM_FUZZ_RUNS"} \
    -dict="$root/tests/fuzz/dict/$t.dict" -artifact_prefix="$artifacts/" \
    "$corpus" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-0}
  total=$((total + execs))
  found=$(find "$artifacts" -type f | wc -l)
  report+=("$(printf '%-11s %12s executions  %6s corpus  %s findings' "$t" "$execs" \
    "$(find "$corpus" -type f | wc -l)" "$found")")
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    failed+=("$t")
    tail -n 40 "$log" >&2
  fi
done

echo "fuzz: ${seconds}s per target"
printf '  %s\n' "${report[@]}"
echo "  total       $(printf '%12s' "$total") executions"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}: see $work/artifacts/" >&2
  exit 1
fi
