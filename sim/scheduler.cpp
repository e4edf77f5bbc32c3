#include "scheduler.h"

#include <systemc>

#include <algorithm>
#include <cmath>
#include <memory>
#include <unordered_map>

#include "run_limits.h"

namespace npu {

std::string bound_name(Bound b) {
  switch (b) {
    case Bound::kCompute:
      return "compute";
    case Bound::kMemory:
      return "memory";
    case Bound::kVector:
      return "vector";
    case Bound::kLatency:
      return "latency";
  }
  return "?";
}

namespace {

/// Drives the chip: for each op, lowers it, starts every core, waits for all, records.
class Driver : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Driver);
  Driver(sc_core::sc_module_name name, NpuTop& top, const Lowering& lowering, bool memoize,
         const std::vector<Op>& ops, const std::vector<OpSignature>& sigs,
         const std::vector<TilePlan>& plans, RunResult& result)
      : sc_module(name),
        m_top(top),
        m_lowering(lowering),
        m_memoize(memoize),
        m_ops(ops),
        m_sigs(sigs),
        m_plans(plans),
        m_result(result) {
    SC_THREAD(run);
  }

 private:
  struct Snapshot {
    std::vector<CoreCounters> cores;
    MemoryCounters memory;
  };
  Snapshot snapshot() {
    Snapshot s;
    for (size_t c = 0; c < m_top.num_cores(); ++c) s.cores.push_back(m_top.core(c).counters());
    s.memory = m_top.memory().counters();
    return s;
  }

  void run() {
    const ChipConfig& chip = m_top.config();
    const ClockDomain clk = chip.clock;
    Timeline& tl = m_result.timeline;
    const uint32_t ops_track = tl.add_track("ops");
    const uint64_t dispatch_ps = clk.cycles_to_ps(clk.ps_to_cycles_ceil(chip.dispatch_overhead_ps));
    for (size_t i = 0; i < m_ops.size(); ++i) {
      const Op& op = m_ops[i];
      const uint32_t label = tl.intern(op.name);
      const uint64_t start_ps = sc_core::sc_time_stamp().value();
      // Every op starts from an idle chip with fresh arbitration, so its cost depends only on
      // its signature: a repeat is replayed from the first simulation, exactly.
      m_top.memory().reset_arbitration();
      const OpSignature& sig = m_sigs[i];
      if (auto it = m_memo.find(sig); m_memoize && it != m_memo.end()) {
        const Memo& memo = it->second;
        for (size_t e = memo.first_event; e < memo.last_event; ++e) {
          const TimelineEvent ev = tl.events()[e];  // a copy: record() may reallocate
          // Blocks label their events with the op (array, vector, DMA) or with what they did
          // (the memory interface's read / write): only the op's label is this op's name.
          tl.record(ev.track, ev.label == memo.label ? label : ev.label,
                    ev.start_ps - memo.start_ps + start_ps, ev.end_ps - memo.start_ps + start_ps);
        }
        sc_core::wait(sc_core::sc_time::from_value(memo.duration_ps));
        OpRecord r = memo.record;
        r.op = &op;
        r.start_cycle = clk.ps_to_cycles_ceil(start_ps);
        r.end_cycle = clk.ps_to_cycles_ceil(start_ps + memo.duration_ps);
        tl.record(ops_track, label, start_ps, start_ps + memo.duration_ps);
        m_result.ops.push_back(r);
        continue;
      }
      // The dispatch overhead: the cores start this long after the op (whole cycles, so they
      // still start on a clock edge); the op's cycles and static energy include it.
      if (dispatch_ps > 0) sc_core::wait(sc_core::sc_time::from_value(dispatch_ps));
      const std::vector<CoreProgram> programs = m_lowering.lower(op, m_plans[i], label);
      const Snapshot before = snapshot();
      const size_t first_event = tl.events().size();
      sc_core::sc_event_and_list all_done;
      for (size_t c = 0; c < m_top.num_cores(); ++c) {
        m_top.core(c).start(&programs[c]);
        all_done &= m_top.core(c).done_event();
      }
      sc_core::wait(all_done);
      // Ops begin and end on an NPU clock edge.
      const uint64_t now = sc_core::sc_time_stamp().value();
      const uint64_t end_ps = clk.cycles_to_ps(clk.ps_to_cycles_ceil(now));
      if (end_ps > now) sc_core::wait(sc_core::sc_time::from_value(end_ps - now));
      const size_t last_event = tl.events().size();
      tl.record(ops_track, label, start_ps, end_ps);
      m_result.ops.push_back(record(op, m_plans[i], before, snapshot(), start_ps, end_ps));
      if (m_memoize)
        m_memo.emplace(sig, Memo{start_ps, end_ps - start_ps, first_event, last_event, label,
                                 m_result.ops.back()});
    }
    m_result.total_cycles = clk.ps_to_cycles_ceil(sc_core::sc_time_stamp().value());
  }

  OpRecord record(const Op& op, const TilePlan& plan, const Snapshot& a, const Snapshot& b,
                  uint64_t start_ps, uint64_t end_ps) {
    const ChipConfig& chip = m_top.config();
    OpRecord r;
    r.op = &op;
    r.plan = plan;
    r.start_cycle = chip.clock.ps_to_cycles_ceil(start_ps);
    r.end_cycle = chip.clock.ps_to_cycles_ceil(end_ps);
    // Sums over the cores, and the busiest core's array, vector unit and compute.
    CoreCounters sum;
    uint64_t busiest_compute = 0;
    for (size_t c = 0; c < b.cores.size(); ++c) {
      const CoreCounters d = b.cores[c].since(a.cores[c]);
      r.array_cycles = std::max(r.array_cycles, d.array_busy_cycles);
      r.vector_cycles = std::max(r.vector_cycles, d.vector_busy_cycles);
      busiest_compute = std::max(busiest_compute, d.array_busy_cycles + d.vector_busy_cycles);
      sum += d;
    }
    r.bank_stall_cycles = sum.stall_cycles;
    r.macs = sum.macs;
    std::copy(std::begin(sum.macs_by_format), std::end(sum.macs_by_format),
              r.actions.macs_by_format.begin());
    r.actions.alu_ops = sum.alu_ops;
    r.actions.sfu_ops = sum.sfu_ops;
    r.sram_read_bytes = sum.sram_read_bytes;
    r.sram_write_bytes = sum.sram_write_bytes;
    r.actions.dma_bytes = sum.dma_bytes;
    r.dma_descriptors = sum.dma_descriptors;
    const MemoryCounters mem = b.memory.since(a.memory);
    r.dram_read_bytes = mem.read_bytes;
    r.dram_write_bytes = mem.write_bytes;
    r.memory_ps = mem.busy_ps;
    r.actions.sram_read_bytes = r.sram_read_bytes;
    r.actions.sram_write_bytes = r.sram_write_bytes;
    r.actions.dram_bytes = r.dram_read_bytes + r.dram_write_bytes;
    r.dispatch_cycles = chip.clock.ps_to_cycles_ceil(chip.dispatch_overhead_ps);
    r.stall_cycles = r.cycles() - std::min(r.cycles(), busiest_compute);
    r.energy = energy_of(chip.energy, r.actions, end_ps - start_ps, chip.cores);

    // Roofline: the op cannot beat its MACs at the chip's peak, nor its DRAM bytes at the
    // reachable bandwidth.
    const double peak = static_cast<double>(chip.cores) *
                        static_cast<double>(chip.core.array.peak_macs_per_cycle(plan.compute));
    // The array's MACs: a depthwise conv's run on the vector unit (in r.macs, not here).
    uint64_t array_macs = 0;
    for (uint64_t m : r.actions.macs_by_format) array_macs += m;
    const uint64_t compute_floor =
        ((op.kind == OpKind::kGemm || op.kind == OpKind::kConv2d) && peak > 0)
            ? static_cast<uint64_t>(std::ceil(static_cast<double>(array_macs) / peak))
            : 0;
    const uint64_t memory_floor = chip.clock.ps_to_cycles_ceil(
        transfer_ps(r.actions.dram_bytes, memory_traits(chip.memory).bytes_per_s));
    r.roofline_cycles = std::max(compute_floor, memory_floor);
    r.array_utilization =
        (r.cycles() > 0 && peak > 0) ? static_cast<double>(array_macs) / (peak * r.cycles()) : 0.0;

    // What bound it: the busiest resource, unless none was busy for half the op (then fixed
    // latencies -- dispatch, DMA setup, memory round trips, pipeline fill -- dominate).
    const uint64_t mem_cycles = chip.clock.ps_to_cycles_ceil(r.memory_ps);
    const uint64_t top = std::max({r.array_cycles, r.vector_cycles, mem_cycles});
    if (2 * top < r.cycles())
      r.bound = Bound::kLatency;
    else if (top == mem_cycles)
      r.bound = Bound::kMemory;
    else if (top == r.array_cycles)
      r.bound = Bound::kCompute;
    else
      r.bound = Bound::kVector;
    return r;
  }

  /// The first simulation of a signature: when it started, how long it took, its timeline
  /// events [first_event, last_event), the label they carry for the op, and its record.
  struct Memo {
    uint64_t start_ps, duration_ps;
    size_t first_event, last_event;
    uint32_t label;
    OpRecord record;
  };

  NpuTop& m_top;
  const Lowering& m_lowering;
  bool m_memoize;
  std::unordered_map<OpSignature, Memo, OpSignatureHash> m_memo;
  const std::vector<Op>& m_ops;
  const std::vector<OpSignature>& m_sigs;
  const std::vector<TilePlan>& m_plans;
  RunResult& m_result;
};

}  // namespace

RunResult simulate(const ChipConfig& chip, const std::vector<Op>& ops, const SimOptions& options) {
  Lowering lowering(chip);
  // One signature per op, built once: the plan cache, the run limits and the replay key on it.
  std::vector<OpSignature> sigs;
  std::vector<TilePlan> plans;
  sigs.reserve(ops.size());
  plans.reserve(ops.size());
  for (const Op& op : ops) {
    sigs.push_back(op_signature(op));
    plans.push_back(lowering.plan(op, sigs.back()));  // throws before any simulation
  }
  SimOptions opts = options;
  check_run_limits(lowering, ops, sigs, plans, opts);

  RunResult result;
  result.timeline = Timeline(opts.timeline != TimelineDetail::kNone);
  // The engine counts time in picoseconds: SystemC's default resolution, which nothing changes.
  sc_assert(sc_core::sc_get_time_resolution() == sc_core::sc_time(1, sc_core::SC_PS));
  {
    // Blocks record only at full detail; the driver always records the ops track.
    auto top = std::make_unique<NpuTop>(
        "npu", chip, opts.timeline == TimelineDetail::kBlocks ? &result.timeline : nullptr);
    auto driver =
        std::make_unique<Driver>("driver", *top, lowering, opts.memoize, ops, sigs, plans, result);
    sc_core::sc_start();
  }
  for (const OpRecord& r : result.ops) {
    result.energy += r.energy;
    result.actions += r.actions;
  }
  return result;
}

}  // namespace npu
