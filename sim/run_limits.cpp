#include "run_limits.h"

#include <fmt/format.h>

#include "config/error.h"

namespace npu {

namespace {

/// Timeline events of one step at --timeline blocks, at most: each command on its unit, each
/// DMA descriptor on its channel (TileStep holds at most 4 commands and 3 + 3 descriptors).
constexpr double kEventsPerStep = 10;

[[noreturn]] void fail(const std::vector<Op>& ops, const std::string& message) {
  const std::string file =
      ops.empty() || ops.front().src_file.empty() ? "<workload>" : ops.front().src_file;
  throw ConfigError(file, 0, 0, "", message);
}

std::string num(double v) {
  return v < 1e6 ? fmt::format("{:.0f}", v) : fmt::format("{:.2g}", v);
}

}  // namespace

void check_run_limits(const Lowering& lowering, const DistinctOps& distinct, SimOptions& opts) {
  const std::vector<Op>& ops = distinct.ops;  // the first op names the file
  double cycles = 0, steps = 0, grants = 0, events = 0, macs = 0, bytes = 0;
  // Ops alike cost alike: each distinct op's bound, times how many ops have it.
  for (size_t d = 0; d < distinct.plans.size(); ++d) {
    const Op& op = ops[d];
    const CostBound b = lowering.bound(op, distinct.plans[d]);
    const double n = static_cast<double>(distinct.counts[d]);
    cycles += n * b.cycles;
    macs += n * static_cast<double>(op.macs());
    bytes += n * b.bytes;
    events += n * (kEventsPerStep * b.steps + b.grants);
    const double simulated = opts.memoize ? 1.0 : n;
    steps += simulated * b.steps;
    grants += simulated * b.grants;
  }
  const ChipConfig& chip = lowering.chip();
  const double ps = cycles * static_cast<double>(chip.clock.period_ps);
  if (ps > kMaxRunPs)
    fail(ops, fmt::format("the run could last up to {} s of simulated time (a bound from its "
                          "tiles at the chip's slowest rates), more than the {} s (53 days) "
                          "npusim's 64-bit picosecond clock is allowed to count: give the chip "
                          "a faster memory or run fewer or smaller ops",
                          num(ps * 1e-12), num(kMaxRunPs * 1e-12)));
  if (macs > kMaxRunCount || bytes > kMaxRunCount)
    fail(ops, fmt::format("the run does {} MACs and moves up to {} DRAM bytes; npusim counts "
                          "each in 64 bits (at most {}): run fewer or smaller ops",
                          num(macs), num(bytes), num(kMaxRunCount)));
  const double work = steps + grants + static_cast<double>(distinct.total);
  // A table of the run's first ops only is one whose count already went over the limit.
  if (work > kMaxRunWork || !distinct.complete)
    fail(ops,
         fmt::format("simulating the run takes {}{} tile steps and {} memory grants over {} "
                     "{}ops, more than npusim's limit of {} (a few minutes of simulation): "
                     "run fewer tokens or a shorter prompt, give the cores more SRAM "
                     "(bigger tiles) or the memory a larger quantum_kib",
                     distinct.complete ? "" : "at least ", num(steps), num(grants), distinct.total,
                     distinct.complete ? "" : "of its first ", num(kMaxRunWork)));
  if (opts.timeline == TimelineDetail::kBlocks && events > kMaxBlockEvents) {
    if (!opts.auto_timeline)
      fail(ops, fmt::format("--timeline blocks would record about {} events, more than the limit "
                            "of {} (trace.json takes about 100 bytes per event): use --timeline "
                            "ops or none",
                            num(events), num(kMaxBlockEvents)));
    opts.timeline = TimelineDetail::kOps;
  }
}

}  // namespace npu
