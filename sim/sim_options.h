// What a caller asks of a simulation beside the chip and the ops: how much timeline to record and
// whether repeated ops replay. Its own header so that the run limits (sim/run_limits.h), which
// may lower the timeline detail, and the scheduler both use it without including each other.
#pragma once

#include <cstdint>

namespace npu {

enum class TimelineDetail : uint8_t {
  kNone,    ///< no trace.json
  kOps,     ///< one track with the ops
  kBlocks,  ///< and a track per array, vector unit, DMA channel and the memory interface
};

/// How ops run: one at a time from an idle chip, each from DRAM to DRAM (isolated, the engine's
/// default and SCALE-Sim's convention), or as the chip's compiler would run the graph
/// (compiled: sim/compile.h, the CLI's default).
enum class Schedule : uint8_t { kIsolated, kCompiled };
inline constexpr Schedule kAllSchedules[] = {Schedule::kCompiled, Schedule::kIsolated};
inline const char* schedule_name(Schedule s) {
  return s == Schedule::kCompiled ? "compiled" : "isolated";
}

struct SimOptions {
  Schedule schedule = Schedule::kIsolated;
  TimelineDetail timeline = TimelineDetail::kBlocks;
  /// Replay ops whose signature was simulated before (exact: every op starts from an idle chip).
  bool memoize = true;
  /// kBlocks was chosen by --timeline auto: beyond the block-event limit (sim/run_limits.h) the
  /// run records kOps instead of being refused.
  bool auto_timeline = false;
};

}  // namespace npu
