// Limits on what one run may ask of the simulator, checked after every op is planned and before
// anything is simulated: absurd but well-formed input (a GEMM of 2^60 MACs on a small array, a
// memory of 1 byte/s, a 100,000-token prefill with standard attention) is refused with a message
// in bounded time and memory, instead of simulating for hours, exhausting memory, or overflowing
// the clock. Each is a ConfigError naming the trace file (or `<workload>` for a model run):
//   - simulated time: the ops' upper-bound cycles (Lowering::bound) summed over the run, at most
//     kMaxRunPs picoseconds (SystemC counts time in 64-bit picoseconds: 2^64 ps is 213 days);
//   - simulation work: tile steps and memory grants of the ops that are simulated (each distinct
//     op once when memoized), at most kMaxRunWork (a few minutes on a 2-core machine);
//   - block timeline: events --timeline blocks would record (a few per step and one per grant,
//     for every op, repeats included), at most kMaxBlockEvents (trace.json takes about 100 bytes
//     per event): past it, --timeline auto records only the ops and an explicit `blocks` is
//     refused.
//   - counters: the run's MACs and DRAM bytes (summed over every op, repeats included) below
//     2^63, so no 64-bit total in the reports wraps.
// One op over kMaxPlanSteps tile steps is refused by the lowering itself (sim/lower.h).
#pragma once

#include <vector>

#include "../arch/chip_config.h"
#include "../workloads/op.h"
#include "lower.h"
#include "sim_options.h"

namespace npu {

inline constexpr double kMaxRunPs = 0x1p62;        ///< 53 days of simulated time
inline constexpr double kMaxRunWork = 0x1p26;      ///< steps + grants simulated, ~4 min
inline constexpr double kMaxBlockEvents = 0x1p23;  ///< ~1 GB of trace.json
inline constexpr double kMaxRunCount = 0x1p63;     ///< MACs, DRAM bytes

/// The distinct ops of a run (ops alike in signature: they cost alike), each planned once.
struct DistinctOps {
  std::vector<Op> ops;                              ///< per distinct op: the first op that has it
  std::vector<TilePlan> plans;                      ///< per distinct op
  std::vector<std::vector<TilePlan>> alternatives;  ///< the mapping search's other tilings
  std::vector<uint64_t> counts;                     ///< per distinct op: the ops that have it
  uint64_t total = 0;                               ///< ops in the run
  /// False when only the run's first `total` ops were counted (a streamed run stops counting
  /// once they alone are over the work limit): the figures are then lower bounds.
  bool complete = true;
};

/// Checks the limits above for the run of `distinct`; may change `opts.timeline` from blocks to
/// ops when `opts.auto_timeline`. Throws ConfigError when a limit is exceeded.
void check_run_limits(const Lowering& lowering, const DistinctOps& distinct, SimOptions& opts);

}  // namespace npu
