#include "scheduler.h"

#include <systemc>

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <memory>
#include <optional>

#include "../arch/npu_top.h"
#include "flat_index.h"
#include "run_limits.h"

namespace npu {

namespace {

/// What bound an op: the busiest resource, unless none was busy for half the cycles it added
/// (then fixed latencies -- dispatch, DMA setup, memory round trips, pipeline fill -- dominate).
Bound bound_of(const ChipConfig& chip, const OpRecord& r) {
  const uint64_t mem_cycles = chip.clock.ps_to_cycles_ceil(r.memory_ps);
  const uint64_t top = std::max({r.array_cycles, r.vector_cycles, mem_cycles});
  if (2 * top < r.cycles()) return Bound::kLatency;
  if (top == mem_cycles) return Bound::kMemory;
  if (top == r.array_cycles) return Bound::kCompute;
  return Bound::kVector;
}

/// Drives the chip: for each op, lowers it, starts every core, waits for all, records.
class Driver : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Driver);
  /// `body` runs in the driver's thread and calls run_ops() for the ops, in order.
  Driver(sc_core::sc_module_name name, NpuTop& top, const Lowering& lowering, bool memoize,
         uint64_t dispatch_overhead_ps, const DistinctOps& distinct, RunResult& result,
         std::vector<size_t>* event_starts, std::function<void(Driver&)> body)
      : sc_module(name),
        m_top(top),
        m_lowering(lowering),
        m_memoize(memoize),
        m_dispatch_overhead_ps(dispatch_overhead_ps),
        m_event_starts(event_starts),
        m_distinct(distinct),
        m_memo(distinct.plans.size()),
        m_remaining(distinct.counts),
        m_result(result),
        m_body(std::move(body)) {
    SC_THREAD(run);
  }

  /// Simulates `ops` (op i is distinct op of[i]) after those run before, appending their
  /// records to the result.
  void run_ops(const std::vector<Op>& ops, const std::vector<uint32_t>& of) {
    const ChipConfig& chip = m_top.config();
    const ClockDomain clk = chip.clock;
    Timeline& tl = m_result.timeline;
    const uint32_t ops_track = m_ops_track;
    const uint64_t dispatch_ps = clk.cycles_to_ps(clk.ps_to_cycles_ceil(m_dispatch_overhead_ps));
    uint64_t owed_ps = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      // A schedule that moves ops afterwards needs each op's events apart: where they start, and
      // none merged across ops.
      if (m_event_starts) {
        tl.barrier();
        m_event_starts->push_back(tl.events().size());
      }
      const uint32_t label = tl.intern(op.name);
      // Replays add their time to `owed` instead of each waiting for it: nothing else runs while
      // the chip is idle between ops, so one wait for a run of replays (before the next op
      // simulated, or at the end) gives the same times without a kernel switch per op.
      const uint64_t start_ps = sc_core::sc_time_stamp().value() + owed_ps;
      // Every op starts from an idle chip with fresh arbitration (trial()), so its cost depends
      // only on its signature: a repeat is replayed from the first simulation, exactly.
      const uint32_t d = of[i];
      // The last op of a signature frees its replay (a long decode's attention is new each step).
      // An online run's table grows as it goes (simulate_online): its ops' counts are unknown,
      // so its replays are all kept.
      if (d >= m_memo.size()) m_memo.resize(d + 1);
      const bool last_of_its_kind = d < m_remaining.size() && --m_remaining[d] == 0;
      if (m_memoize && m_memo[d]) {
        const Memo& memo = *m_memo[d];
        for (size_t e = memo.first_event; e < memo.last_event; ++e) {
          const TimelineEvent ev = tl.events()[e];  // a copy: record() may reallocate
          // Blocks label their events with the op (array, vector, DMA) or with what they did
          // (the memory interface's read / write): only the op's label is this op's name.
          tl.record(ev.track, ev.label == memo.label ? label : ev.label,
                    ev.start_ps - memo.start_ps + start_ps, ev.end_ps - memo.start_ps + start_ps);
        }
        owed_ps += memo.duration_ps;
        OpRecord& r = m_result.ops.emplace_back(memo.record);
        r.op = &op;
        r.start_cycle = clk.ps_to_cycles_ceil(start_ps);
        r.end_cycle = clk.ps_to_cycles_ceil(start_ps + memo.duration_ps);
        tl.record(ops_track, label, start_ps, start_ps + memo.duration_ps);
        if (last_of_its_kind) m_memo[d].reset();
        continue;
      }
      pay(owed_ps);
      // The mapping search (compiled, compiler.mapping: search): an op with other candidate
      // tilings (Lowering::alternatives) runs each and keeps the fastest (the planner's choice
      // on a tie, then the earlier); the others' events go.
      m_lowering.lower(op, m_distinct.plans[d], label, m_programs);
      Trial best = trial(op, m_distinct.plans[d], dispatch_ps);
      for (const TilePlan& other : m_distinct.alternatives[d]) {
        // A tiling whose cores cannot finish their compute in fewer cycles than the best took
        // cannot replace it: it is not simulated (the result is the same, sooner).
        m_lowering.lower(op, other, label, m_programs);
        if (clk.ps_to_cycles_ceil(dispatch_ps) +
                compute_floor_cycles(m_top.config().core, m_programs) >=
            best.record.cycles())
          continue;
        Trial alt = trial(op, other, dispatch_ps);
        std::vector<TimelineEvent>& ev = tl.mutable_events();
        if (alt.record.cycles() < best.record.cycles()) {
          ev.erase(ev.begin() + static_cast<std::ptrdiff_t>(best.first_event),
                   ev.begin() + static_cast<std::ptrdiff_t>(best.last_event));
          alt.first_event = best.first_event;
          alt.last_event = ev.size();
          best = alt;
        } else {
          ev.resize(alt.first_event);
        }
        tl.barrier();  // the merge indices pointed at the events just removed
      }
      tl.record(ops_track, label, best.start_ps, best.end_ps);
      m_result.ops.push_back(best.record);
      if (m_memoize && !last_of_its_kind)
        m_memo[d] =
            std::make_unique<Memo>(Memo{best.start_ps, best.end_ps - best.start_ps,
                                        best.first_event, best.last_event, label, best.record});
    }
    pay(owed_ps);
    if (m_event_starts) m_event_starts->push_back(tl.events().size());
  }

 private:
  /// Lets the simulated time replays owe pass.
  static void pay(uint64_t& owed_ps) {
    if (owed_ps > 0) sc_core::wait(sc_core::sc_time::from_value(owed_ps));
    owed_ps = 0;
  }

  using Snapshot = ChipCounters;
  Snapshot snapshot() { return m_top.steady().counters(); }

  void run() {
    m_ops_track = m_result.timeline.add_track("ops");
    m_body(*this);
    m_result.total_cycles =
        m_top.config().clock.ps_to_cycles_ceil(sc_core::sc_time_stamp().value());
    m_result.skipped_steps = m_top.steady().skipped_steps();
  }

  /// One simulation of `op` under `plan`, lowered into m_programs: its record, the timeline
  /// events it added and when it started and ended.
  struct Trial {
    OpRecord record;
    size_t first_event, last_event;
    uint64_t start_ps, end_ps;
  };
  Trial trial(const Op& op, const TilePlan& plan, uint64_t dispatch_ps) {
    const ClockDomain clk = m_top.config().clock;
    Timeline& tl = m_result.timeline;
    const uint64_t start_ps = sc_core::sc_time_stamp().value();
    m_top.memory().reset_arbitration();  // an idle chip: see run()
    // The dispatch overhead: the cores start this long after the op (whole cycles, so they
    // still start on a clock edge); the op's cycles and static energy include it.
    if (dispatch_ps > 0) sc_core::wait(sc_core::sc_time::from_value(dispatch_ps));
    std::vector<CoreProgram>& programs = m_programs;
    const Snapshot before = snapshot();
    const size_t first_event = tl.events().size();
    sc_core::sc_event_and_list all_done;
    m_top.steady().arm(m_memoize);
    for (size_t c = 0; c < m_top.num_cores(); ++c) {
      m_top.core(c).start(&programs[c]);
      all_done &= m_top.core(c).done_event();
    }
    sc_core::wait(all_done);
    // Ops begin and end on an NPU clock edge; the time the skipped periods stand for passes now.
    const uint64_t now = sc_core::sc_time_stamp().value();
    const uint64_t end_ps =
        clk.cycles_to_ps(clk.ps_to_cycles_ceil(now + m_top.steady().skipped_ps()));
    if (end_ps > now) sc_core::wait(sc_core::sc_time::from_value(end_ps - now));
    Trial t{record(op, plan, before, snapshot(), start_ps, end_ps), first_event, tl.events().size(),
            start_ps, end_ps};
    edges(t.record, start_ps + dispatch_ps, end_ps);
    return t;
  }

  /// The op's head (its cores' start to the first of them computing) and tail (the last of them
  /// finishing a DMA transfer to the op's end), from the cores that ran a program.
  void edges(OpRecord& r, uint64_t cores_start_ps, uint64_t end_ps) {
    uint64_t first_compute = end_ps, last_dma = cores_start_ps;
    for (size_t c = 0; c < m_top.num_cores(); ++c) {
      const NpuCore::ProgramTimes& t = m_top.core(c).program_times();
      if (!t.ran) continue;
      first_compute = std::min(first_compute, t.first_compute_ps);
      last_dma = std::max(last_dma, t.last_dma_ps);
      r.head_load_bytes += t.head_load_bytes;
    }
    r.head_ps = first_compute - std::min(first_compute, cores_start_ps);
    r.tail_ps = end_ps - std::min(end_ps, last_dma);
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
    r.dispatch_cycles = chip.clock.ps_to_cycles_ceil(m_dispatch_overhead_ps);
    r.stall_cycles = r.cycles() - std::min(r.cycles(), busiest_compute);
    r.energy = energy_of(chip.energy, r.actions, end_ps - start_ps, chip.cores);

    // Roofline: the op cannot beat its MACs at the chip's peak, nor its DRAM bytes at the
    // reachable bandwidth.
    const double peak = static_cast<double>(chip.cores) *
                        static_cast<double>(chip.core.array.peak_macs_per_cycle(plan.compute));
    // The array's MACs (a GEMM's, a convolution's, attention's QK^T and PV); a depthwise conv's
    // run on the vector unit (in r.macs, not here).
    uint64_t array_macs = 0;
    for (uint64_t m : r.actions.macs_by_format) array_macs += m;
    const uint64_t compute_floor =
        peak > 0 ? static_cast<uint64_t>(std::ceil(static_cast<double>(array_macs) / peak)) : 0;
    const uint64_t memory_floor = chip.clock.ps_to_cycles_ceil(
        transfer_ps(r.actions.dram_bytes, memory_traits(chip.memory).bytes_per_s));
    r.roofline_cycles = std::max(compute_floor, memory_floor);
    r.array_utilization =
        (r.cycles() > 0 && peak > 0) ? static_cast<double>(array_macs) / (peak * r.cycles()) : 0.0;

    r.bound = bound_of(chip, r);
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
  std::vector<CoreProgram> m_programs;  ///< the op being simulated's, one per core
  bool m_memoize;
  uint64_t m_dispatch_overhead_ps;
  std::vector<size_t>* m_event_starts;  ///< compiled schedule: where each op's events start
  const DistinctOps& m_distinct;
  std::vector<std::unique_ptr<Memo>> m_memo;  ///< by distinct op
  std::vector<uint64_t> m_remaining;          ///< by distinct op: its ops not yet run
  RunResult& m_result;
  std::function<void(Driver&)> m_body;
  uint32_t m_ops_track = 0;
};

/// The compiled schedule's timing, from each op's own simulation (dispatch-free, from an idle
/// chip, with the compiler's locations). Op i's cores start when op i-1 ends, less what of its
/// work runs under op i-1, and after the dispatch its graph call (per_graph: compiler.
/// call_overhead_ps, else the chip's dispatch overhead) or kernel (per_op: the chip's dispatch
/// overhead) pays; nothing runs under a dispatch. What may run under op i-1:
/// - prefetch (compiler.prefetch_depth >= 1): op i's first loads, once op i-1's last DMA
///   transfer has finished -- min(head_i, tail_{i-1}) -- unless they read op i-1's result from
///   DRAM;
/// - pipelining: ops of one kernel on different units (array and vector) overlap granule by
///   granule: op i starts after op i-1's first granule and ends no earlier than one of its own
///   granules after op i-1 ends. A granule is one row of the matrix op's output (a token's row,
///   a row of output pixels): the share 1 / rows of each op's cycles (the epilogue takes rows as
///   the array finishes them; a prologue norm hands the GEMM whole rows). It depends on the
///   op's shape only, so no resource coarsens the pipeline (a tile-sized granule would: more
///   SRAM, bigger tiles, a longer drain). Batch-1 decode (one row) does not pipeline.
/// The larger of the two is taken (they share the same window), within op i-1's own work after
/// its predecessor ended (so at most two ops overlap) and within the memory: both ops' memory busy
/// time fits the span they share. Records keep the exposed part: [previous end, end], cycles()
/// adds up.
/// Deeper prefetch (depth D >= 2): a gemm's or conv's weights (B from DRAM, made by no op) may
/// also load under the D - 1 ops before it in its call (none across a dispatch), nearest first,
/// as far as each leaves the memory idle (the cycles it added less its memory busy time, less
/// what of the next op ran under it) and as the SRAM per core free at every op from there to
/// this one holds them (CompiledOp::sram_free_bytes, less what earlier prefetches park there).
/// The op ends sooner by those bytes' memory time at its own rate (memory busy cycles over DRAM
/// bytes), never before its busiest unit's compute; its events keep their times from its start.
class Composer {
 public:
  explicit Composer(const ChipConfig& chip) : m_chip(chip) {}

  /// Composes result.ops (ops `g.ops`, decisions `g.info` with kernel and call numbers of the
  /// whole run) after the ops composed before; `events[i]` is where op i's timeline events start.
  void compose(const CompiledGraph& g, const std::vector<size_t>& events, RunResult& result) {
    const ChipConfig& chip = m_chip;
    const ClockDomain clk = chip.clock;
    const bool per_graph = chip.compiler.dispatch == DispatchModel::kPerGraph;
    const uint64_t dispatch = clk.ps_to_cycles_ceil(
        per_graph ? chip.compiler.call_overhead_ps.value_or(chip.dispatch_overhead_ps)
                  : chip.dispatch_overhead_ps);
    std::vector<TimelineEvent>& ev = result.timeline.mutable_events();
    for (size_t i = 0; i < result.ops.size(); ++i) {
      OpRecord& r = result.ops[i];
      const CompiledOp& c = g.info[i];
      const Op& op = g.ops[i];
      const uint64_t iso_start = r.start_cycle, span = r.cycles();  // dispatch-free
      const bool first = !m_prev;
      const bool new_call = first || c.call != m_prev->call;
      const bool new_kernel = first || c.kernel != m_prev->kernel;
      const uint64_t d = (per_graph ? new_call : new_kernel) ? dispatch : 0;
      const bool on_array = runs_on_array(op);
      uint64_t hidden = 0;
      if (!first && d == 0) {
        const Prev& prev = *m_prev;
        const bool waits_on_prev =
            prev.c_loc == Location::kDram && (op.a_from == 1 || op.b_from == 1);
        uint64_t prefetch = 0, pipeline = 0;
        if (chip.compiler.prefetch_depth > 0 && !waits_on_prev)
          prefetch =
              std::min(clk.ps_to_cycles_floor(r.head_ps), clk.ps_to_cycles_floor(prev.tail_ps));
        if (!new_kernel && on_array != prev.on_array) {
          // The granule is one row of the matrix op's output (a token, a row of output pixels).
          const uint64_t rows = on_array ? matrix_rows(op) : prev.matrix_rows;
          const double f = 1.0 / static_cast<double>(std::max<uint64_t>(rows, 1));
          const auto part = [f](uint64_t cycles) {
            return static_cast<uint64_t>(std::ceil(static_cast<double>(cycles) * f));
          };
          const uint64_t end =
              std::max(m_prev_end + part(span), m_prev_start + part(m_prev_span) + span);
          pipeline = m_prev_end + span - std::min(m_prev_end + span, end);
        }
        // Only with op i-1 (not into its predecessor's or its dispatch), and never more than the
        // memory allows: both ops' memory busy time must fit in the span they share.
        const uint64_t prev_mem = clk.ps_to_cycles_ceil(prev.memory_ps);
        const uint64_t mem = clk.ps_to_cycles_ceil(r.memory_ps);
        const uint64_t memory_room =
            m_prev_span + span - std::min(m_prev_span + span, prev_mem + mem);
        hidden = std::min({std::max(prefetch, pipeline), m_prev_window, span, memory_room});
        r.hidden_by_prefetch = hidden > 0 && prefetch >= pipeline;
        if (r.hidden_by_prefetch && r.head_ps > 0)
          r.prefetched_bytes = static_cast<uint64_t>(
              static_cast<double>(r.head_load_bytes) *
              std::min(1.0, static_cast<double>(clk.cycles_to_ps(hidden)) / r.head_ps));
      }
      // Deep prefetch: within a call and with no dispatch between, part of a matrix op's
      // weights may have loaded under the ops before it; the op ends that much sooner.
      if (first || d > 0 || new_call) m_window.clear();
      if (!m_window.empty())  // what of it ran under op i-1 used op i-1's idle memory first
        m_window.back().idle -= std::min(m_window.back().idle, hidden);
      uint64_t deep_bytes = 0;
      const uint64_t deep = deep_prefetch(op, r, span - hidden, c.sram_free_bytes, deep_bytes);
      if (deep > 0) {
        r.hidden_by_prefetch = true;
        r.prefetched_bytes += deep_bytes;
      }
      // All the op's hidden cycles count where ops.csv's hidden_by puts them (an op deep
      // prefetch reached is prefetch's, what it hid under op i-1 too).
      (r.hidden_by_prefetch ? result.prefetch_hidden_cycles : result.pipeline_hidden_cycles) +=
          hidden + deep;
      const uint64_t cores_start = m_prev_end + d - hidden;
      r.hidden_cycles = hidden + deep;
      r.dispatch_cycles = d;
      r.start_cycle = m_prev_end;
      r.end_cycle = cores_start + span - deep;
      // The exposed cycles decide stalls, static energy and the bound; the work is the same.
      const uint64_t busiest = span - r.stall_cycles;
      r.stall_cycles = r.cycles() - std::min(r.cycles(), busiest);
      r.energy = energy_of(chip.energy, r.actions, clk.cycles_to_ps(r.cycles()), chip.cores);
      r.bound = bound_of(chip, r);
      // The op's events move with it; its slice on the ops track shows what it added.
      const int64_t delta = static_cast<int64_t>(clk.cycles_to_ps(cores_start)) -
                            static_cast<int64_t>(clk.cycles_to_ps(iso_start));
      for (size_t e = events[i]; e < events[i + 1]; ++e) {
        ev[e].start_ps = static_cast<uint64_t>(static_cast<int64_t>(ev[e].start_ps) + delta);
        ev[e].end_ps = static_cast<uint64_t>(static_cast<int64_t>(ev[e].end_ps) + delta);
      }
      if (events[i + 1] > events[i]) {  // the ops track's slice is the op's last event
        TimelineEvent& slice = ev[events[i + 1] - 1];
        slice.start_ps = clk.cycles_to_ps(r.start_cycle);
        slice.end_ps = clk.cycles_to_ps(r.end_cycle);
      }
      m_prev_window = r.end_cycle - std::max(cores_start, m_prev_end);  // after op i-1's end
      m_prev_start = cores_start;
      m_prev_end = r.end_cycle;
      m_prev_span = span - deep;
      if (chip.compiler.prefetch_depth >= 2) {
        // What this op leaves for later ops' weights: the cycles it added with the memory idle
        // (its memory busy time less what deep prefetch spared it), and its free SRAM.
        const uint64_t mem = clk.ps_to_cycles_ceil(r.memory_ps);
        const uint64_t busy = mem - std::min(mem, deep), added = r.cycles() - d;
        m_window.push_back({added - std::min(added, busy), c.sram_free_bytes, 0});
        if (m_window.size() >= chip.compiler.prefetch_depth) m_window.erase(m_window.begin());
      }
      m_prev = Prev{c.call, c.kernel, op.c_loc, on_array, matrix_rows(op), r.tail_ps, r.memory_ps};
    }
    result.total_cycles = m_prev_end;
  }
  /// Where the last op composed ends.
  uint64_t end() const { return m_prev_end; }

 private:
  /// Rows of an op's output as the pipeline's granule counts them (a token's row, a row of
  /// output pixels).
  static uint64_t matrix_rows(const Op& op) {
    return op.batch * (is_spatial_kind(op.kind) ? op.conv.out_h() : op.m);
  }
  /// Deep prefetch (compiler.prefetch_depth D >= 2): the cycles by which op i ends sooner
  /// because part of its weights loaded under the D - 1 ops before it (in m_window), and the
  /// bytes that took (`bytes`). `span` is what of its own time is left to run. See the class
  /// comment; 0 for an op that reads no weights from DRAM.
  uint64_t deep_prefetch(const Op& op, const OpRecord& r, uint64_t span, uint64_t free_here,
                         uint64_t& bytes) {
    bytes = 0;
    const ClockDomain clk = m_chip.clock;
    const bool weights = (op.kind == OpKind::kGemm || op.kind == OpKind::kConv2d) &&
                         op.b_loc == Location::kDram && op.b_from == 0;
    const uint64_t mem = clk.ps_to_cycles_ceil(r.memory_ps);
    const uint64_t dram = r.dram_read_bytes + r.dram_write_bytes;
    if (m_window.empty() || !weights || mem == 0 || dram == 0) return 0;
    // It cannot end before its busiest unit has computed, nor spare more than its weights'
    // memory time (at its own rate: its memory busy cycles over its DRAM bytes).
    const uint64_t compute = std::max(r.array_cycles, r.vector_cycles);
    // Of its weights, those its first loads did not already move under op i-1 (counted as
    // weights: the first loads are at most what is left).
    const uint64_t all_weights = std::min(op.b_bytes(op.b_elems()), r.dram_read_bytes);
    const uint64_t weight_bytes = all_weights - std::min(all_weights, r.prefetched_bytes);
    const double per_byte = static_cast<double>(mem) / static_cast<double>(dram);
    uint64_t want = std::min(span - std::min(span, compute),
                             static_cast<uint64_t>(static_cast<double>(weight_bytes) * per_byte));
    const uint64_t cores = m_chip.cores;
    uint64_t saved = 0;
    // Nearest first: bytes loaded under window op w wait in SRAM through every op after it.
    uint64_t room = free_here;  // per core, at every op from w to this one
    for (size_t w = m_window.size(); w-- > 0 && want > 0;) {
      DeepWindow& win = m_window[w];
      room = std::min(room, win.free - std::min(win.free, win.parked));
      const uint64_t by_room = static_cast<uint64_t>(static_cast<double>(room * cores) * per_byte);
      const uint64_t take = std::min({want, win.idle, by_room});
      if (take == 0) continue;
      const uint64_t b =
          std::min(weight_bytes - bytes,
                   static_cast<uint64_t>(std::ceil(static_cast<double>(take) / per_byte)));
      const uint64_t share = ceil_div(b, cores);
      for (size_t j = w; j < m_window.size(); ++j) m_window[j].parked += share;
      room -= std::min(room, share);
      win.idle -= take;
      want -= take;
      saved += take;
      bytes += b;
    }
    return saved;
  }
  /// An op of the deep-prefetch window: its memory-idle cycles left, its free SRAM per core
  /// and what of it prefetched weights of later ops hold.
  struct DeepWindow {
    uint64_t idle, free, parked;
  };
  /// What composing the next op needs of the previous one.
  struct Prev {
    uint32_t call, kernel;
    Location c_loc;
    bool on_array;
    uint64_t matrix_rows, tail_ps, memory_ps;
  };
  const ChipConfig& m_chip;
  std::optional<Prev> m_prev;
  uint64_t m_prev_end = 0, m_prev_start = 0, m_prev_span = 0, m_prev_window = 0;
  std::vector<DeepWindow> m_window;  ///< the ops before the next, up to prefetch_depth - 1
};

}  // namespace

namespace {

/// The distinct ops of a run as its ops come: each new signature planned once (a plan that
/// cannot be made throws ConfigError, before anything is simulated).
class DistinctIndex {
 public:
  DistinctIndex(const Lowering& lowering, bool search, bool memoize)
      : m_lowering(lowering), m_search(search), m_memoize(memoize) {}

  uint32_t add(const Op& op) {
    const OpSignature sig = op_signature(op);
    const auto [d, fresh] = m_index.emplace(sig);
    if (fresh) {
      m_table.plans.push_back(m_lowering.plan(op, sig));
      m_table.alternatives.push_back(m_search ? m_lowering.alternatives(sig)
                                              : std::vector<TilePlan>());
      m_table.ops.push_back(op);
      m_table.counts.push_back(0);
      // The work of simulating it: its plan, and the mapping search's other candidates.
      double work = 0;
      auto add = [&](const TilePlan& p) {
        const CostBound b = m_lowering.bound(op, p);
        work += b.steps + b.grants;
      };
      add(m_table.plans.back());
      for (const TilePlan& p : m_table.alternatives.back()) add(p);
      m_work_each.push_back(work);
    }
    ++m_table.counts[d];
    ++m_table.total;
    // The run limits' simulation work so far: each op, and the steps and grants of each op
    // simulated (each distinct op once when replays are on).
    m_work += 1.0 + (fresh || !m_memoize ? m_work_each[d] : 0.0);
    return d;
  }
  double work() const { return m_work; }
  /// Marks the table as holding the run's first ops only.
  void mark_incomplete() { m_table.complete = false; }
  /// The distinct op of an op added before.
  uint32_t find(const Op& op) const { return m_index.at(op_signature(op)); }

  const DistinctOps& table() const { return m_table; }
  /// Drops the copies of the first op of each signature (the run limits' only use of them).
  void release_ops() { std::vector<Op>().swap(m_table.ops); }

 private:
  const Lowering& m_lowering;
  bool m_search, m_memoize;
  std::vector<double> m_work_each;  ///< per distinct op: its tile steps and memory grants
  double m_work = 0;
  FlatIndex<OpSignature, OpSignatureHash> m_index;  ///< numbered as m_table's entries
  DistinctOps m_table;
};

/// Elaborates the chip and a driver running `body`, and simulates. An error inside the
/// simulation's thread (a plan that cannot be made, the run's limits, a report that cannot be
/// written) ends the driver's work; the blocks run out of events, and the error is thrown from
/// here, as it was thrown.
void elaborate_and_run(const ChipConfig& chip, const Lowering& lowering, const SimOptions& opts,
                       const DistinctOps& distinct, RunResult& result,
                       std::vector<size_t>* event_starts, std::function<void(Driver&)> body) {
  const bool compiled = opts.schedule == Schedule::kCompiled;
  // The engine counts time in picoseconds: SystemC's default resolution, which nothing changes.
  sc_assert(sc_core::sc_get_time_resolution() == sc_core::sc_time(1, sc_core::SC_PS));
  // Blocks record only at full detail; the driver always records the ops track.
  auto top = std::make_unique<NpuTop>(
      "npu", chip, opts.timeline == TimelineDetail::kBlocks ? &result.timeline : nullptr);
  std::exception_ptr error;
  const auto guarded = [&error, &body](Driver& d) {
    try {
      body(d);
    } catch (const sc_core::sc_unwind_exception&) {
      throw;  // SystemC's own, when a process is killed or reset: it must go on
    } catch (...) {
      error = std::current_exception();
    }
  };
  // Compiled: dispatch is the schedule's (per call or kernel), not each op's.
  auto driver = std::make_unique<Driver>("driver", *top, lowering, opts.memoize,
                                         compiled ? 0 : chip.dispatch_overhead_ps, distinct, result,
                                         event_starts, guarded);
  sc_core::sc_start();
  if (error) std::rethrow_exception(error);
}

RunResult run(const ChipConfig& chip, const std::vector<Op>& ops, const SimOptions& options,
              std::shared_ptr<const CompiledGraph> graph,
              std::shared_ptr<const std::vector<Op>> owned) {
  const bool compiled = options.schedule == Schedule::kCompiled;
  const std::vector<Op>& run_ops = compiled ? graph->ops : ops;
  Lowering lowering(chip, compiled && chip.compiler.mapping_search);
  // Each op's signature is built once and looked up once: the ops with one signature share one
  // plan (and the mapping search's other tiling), one entry of the run limits and one replay.
  DistinctIndex index(lowering, compiled && chip.compiler.mapping_search, options.memoize);
  std::vector<uint32_t> of;
  of.reserve(run_ops.size());
  for (const Op& op : run_ops) of.push_back(index.add(op));
  SimOptions opts = options;
  check_run_limits(lowering, index.table(), opts);
  index.release_ops();

  RunResult result;
  result.graph = std::move(graph);
  result.owned_ops = std::move(owned);
  result.ops.reserve(run_ops.size());
  result.timeline = Timeline(opts.timeline != TimelineDetail::kNone);
  std::vector<size_t> event_starts;
  if (compiled) event_starts.reserve(run_ops.size() + 1);
  elaborate_and_run(chip, lowering, opts, index.table(), result, compiled ? &event_starts : nullptr,
                    [&](Driver& d) { d.run_ops(run_ops, of); });
  if (compiled) Composer(chip).compose(*result.graph, event_starts, result);
  for (const OpRecord& r : result.ops) {
    result.energy += r.energy;
    result.actions += r.actions;
  }
  return result;
}

}  // namespace

RunResult simulate(const ChipConfig& chip, const std::vector<Op>& ops, const SimOptions& options) {
  if (options.schedule != Schedule::kCompiled) return run(chip, ops, options, nullptr, nullptr);
  auto graph = std::make_shared<const CompiledGraph>(compile(chip, ops));
  return run(chip, ops, options, std::move(graph), nullptr);
}

RunResult simulate(const ChipConfig& chip, std::vector<Op>&& ops, const SimOptions& options) {
  if (options.schedule == Schedule::kCompiled) {
    auto graph = std::make_shared<const CompiledGraph>(compile(chip, std::move(ops)));
    return run(chip, graph->ops, options, graph, nullptr);
  }
  auto owned = std::make_shared<const std::vector<Op>>(std::move(ops));
  return run(chip, *owned, options, nullptr, owned);
}

namespace {

/// Makes a run's graph calls one at a time: compiled when the schedule is (kernel and call
/// numbers continuing the run's), else as the source makes them. Holds the last call's ops.
class CallMaker {
 public:
  CallMaker(const ChipConfig& chip, bool compiled) : m_chip(chip), m_compiled(compiled) {}
  /// The ops of call c, which `make` writes into the vector it is given, told whether that holds
  /// the ops of call c - 1 (OpSource's `previous`); call 0 restarts the numbering.
  template <class Make>
  const std::vector<Op>& next(uint64_t c, Make&& make) {
    if (m_compiled) m_buffer = std::move(m_graph.ops);  // the previous call's
    make(m_buffer, c > 0 && c == m_next);
    m_next = c + 1;
    if (c == 0) m_kernels = m_calls = 0;
    if (!m_compiled) return m_buffer;
    m_graph = compile(m_chip, std::move(m_buffer));
    for (CompiledOp& info : m_graph.info) {
      info.kernel += static_cast<uint32_t>(m_kernels);
      info.call += static_cast<uint32_t>(m_calls);
    }
    m_kernels += m_graph.kernels;
    m_calls += m_graph.calls;
    return m_graph.ops;
  }
  /// The last call's compiled graph (null when isolated).
  const CompiledGraph* graph() const { return m_compiled ? &m_graph : nullptr; }

 private:
  const ChipConfig& m_chip;
  bool m_compiled;
  std::vector<Op> m_buffer;
  CompiledGraph m_graph;
  uint64_t m_kernels = 0, m_calls = 0;
  uint64_t m_next = 0;  ///< the call after the last one made
};

/// Simulates one call's ops (op i is distinct op of[i]) after those before, composes them and
/// hands the records to the sink.
void run_call(Driver& d, Composer& composer, const CallMaker& maker, const std::vector<Op>& ops,
              const std::vector<uint32_t>& of, std::vector<size_t>& event_starts, RunResult& result,
              const CallSink& sink) {
  result.ops.clear();
  result.prefetch_hidden_cycles = result.pipeline_hidden_cycles = 0;
  event_starts.clear();
  d.run_ops(ops, of);
  if (maker.graph()) composer.compose(*maker.graph(), event_starts, result);
  sink(result, maker.graph());
}

}  // namespace

uint64_t simulate_stream(const ChipConfig& chip, uint64_t calls, const OpSource& source,
                         const SimOptions& options, const CallSink& sink) {
  if (options.timeline != TimelineDetail::kNone)
    throw std::logic_error("simulate_stream: a streamed run records no timeline");
  const bool compiled = options.schedule == Schedule::kCompiled;
  const bool search = compiled && chip.compiler.mapping_search;
  CallMaker maker(chip, compiled);
  const auto call_ops = [&](uint64_t c) -> const std::vector<Op>& {
    return maker.next(c, [&](std::vector<Op>& out, bool previous) { source(c, out, previous); });
  };

  // First pass: every distinct op planned and the run's limits checked, before any simulation.
  Lowering lowering(chip, search);
  DistinctIndex index(lowering, search, options.memoize);
  for (uint64_t c = 0; c < calls; ++c) {
    for (const Op& op : call_ops(c)) index.add(op);
    if (index.work() > kMaxRunWork && c + 1 < calls) {  // refused below; the rest need not count
      index.mark_incomplete();
      break;
    }
  }
  SimOptions opts = options;
  check_run_limits(lowering, index.table(), opts);
  index.release_ops();

  // Second pass: each call simulated, composed after the calls before, handed to the sink and
  // dropped.
  RunResult result;
  result.timeline = Timeline(false);
  Composer composer(chip);
  std::vector<size_t> event_starts;
  std::vector<uint32_t> of;
  elaborate_and_run(chip, lowering, opts, index.table(), result, compiled ? &event_starts : nullptr,
                    [&](Driver& d) {
                      for (uint64_t c = 0; c < calls; ++c) {
                        const std::vector<Op>& ops = call_ops(c);
                        of.clear();
                        for (const Op& op : ops) of.push_back(index.find(op));
                        run_call(d, composer, maker, ops, of, event_starts, result, sink);
                      }
                    });
  // Compiled: where the composed run ends (the driver's clock counts the ops one after another).
  return compiled ? composer.end() : result.total_cycles;
}

uint64_t simulate_online(const ChipConfig& chip, const OnlineSource& source,
                         const SimOptions& options, const CallSink& sink) {
  if (options.timeline != TimelineDetail::kNone)
    throw std::logic_error("simulate_online: an online run records no timeline");
  const bool compiled = options.schedule == Schedule::kCompiled;
  const bool search = compiled && chip.compiler.mapping_search;
  CallMaker maker(chip, compiled);
  Lowering lowering(chip, search);
  DistinctIndex index(lowering, search, options.memoize);
  SimOptions opts = options;
  RunResult result;
  result.timeline = Timeline(false);
  Composer composer(chip);
  std::vector<size_t> event_starts;
  std::vector<uint32_t> of;
  elaborate_and_run(chip, lowering, opts, index.table(), result, compiled ? &event_starts : nullptr,
                    [&](Driver& d) {
                      for (uint64_t c = 0;; ++c) {
                        bool more = false;
                        const std::vector<Op>& ops = maker.next(
                            c, [&](std::vector<Op>& out, bool) { more = source(c, out); });
                        if (!more) break;
                        of.clear();
                        for (const Op& op : ops) of.push_back(index.add(op));
                        // The limits of the run so far: all of them at the first call, then its
                        // work.
                        if (c == 0 || index.work() > kMaxRunWork)
                          check_run_limits(lowering, index.table(), opts);
                        run_call(d, composer, maker, ops, of, event_starts, result, sink);
                      }
                    });
  return compiled ? composer.end() : result.total_cycles;
}

}  // namespace npu
