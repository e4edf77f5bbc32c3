// The scheduler: plans every op (so bad input fails before anything runs), elaborates the
// SystemC chip, and runs the ops in order, each one split across all cores, recording for each
// the time it took and the activity every block counted.
//
// SystemC elaborates once per process: call simulate() at most once per process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../arch/chip_config.h"
#include "../arch/energy.h"
#include "../arch/timeline.h"
#include "../workloads/op.h"
#include "compile.h"
#include "lower.h"
#include "sim_options.h"

namespace npu {

enum class Bound : uint8_t { kCompute, kMemory, kVector, kLatency };
inline const char* bound_name(Bound b) {
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

struct OpRecord {
  const Op* op = nullptr;  ///< into the ops given to simulate(): they must outlive the result
  TilePlan plan;
  uint64_t start_cycle = 0, end_cycle = 0;  ///< NPU clock cycles; ops start on a clock edge
  uint64_t cycles() const { return end_cycle - start_cycle; }
  uint64_t array_cycles = 0;       ///< busiest core's array busy cycles
  uint64_t vector_cycles = 0;      ///< busiest core's vector busy cycles
  uint64_t memory_ps = 0;          ///< time the memory interface was granting this op's traffic
  uint64_t stall_cycles = 0;       ///< cycles - busiest core's compute (array + vector) cycles
  uint64_t dispatch_cycles = 0;    ///< of the cycles, the chip's dispatch overhead (at the start)
  uint64_t bank_stall_cycles = 0;  ///< of the compute cycles, those waiting on SRAM banks (sum)
  uint64_t macs = 0;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  uint64_t sram_read_bytes = 0, sram_write_bytes = 0;
  uint64_t dma_descriptors = 0;
  ActionCounts actions;
  EnergyBreakdown energy;
  Bound bound = Bound::kLatency;
  uint64_t roofline_cycles = 0;  ///< max(MACs / peak, DRAM bytes / reachable bandwidth), cycles
  double array_utilization = 0;  ///< MACs / (chip peak MACs per cycle x cycles)
  // What its own simulation showed of its edges, for the compiled schedule: picoseconds from its
  // start to its first compute (its first loads: the head), from its last DMA transfer to its
  // end (the tail, when the memory is idle), and the bytes of its first loads.
  uint64_t head_ps = 0, tail_ps = 0, head_load_bytes = 0;
  /// Compiled schedule: cycles of this op's work that ran under the previous op (its first
  /// loads prefetched, or its tiles pipelined with the previous op of its kernel); `cycles()`
  /// is what it added to the run. `prefetched_bytes`: of its first loads, those moved early.
  uint64_t hidden_cycles = 0, prefetched_bytes = 0;
  bool hidden_by_prefetch = false;  ///< hidden_cycles came from prefetch (else pipelining)
};

struct RunResult {
  std::vector<OpRecord> ops;
  /// Compiled schedule: the compiler's decisions; the records point into its ops. Null when
  /// isolated.
  std::shared_ptr<const CompiledGraph> graph;
  /// Isolated, given the ops to keep (simulate(chip, std::move(ops), ...)): the records point
  /// into these.
  std::shared_ptr<const std::vector<Op>> owned_ops;
  uint64_t prefetch_hidden_cycles = 0, pipeline_hidden_cycles = 0;
  uint64_t total_cycles = 0;
  /// Tile steps not simulated one by one: they repeated a steady state's period (steady-state
  /// skipping, arch/steady_state.h). In no report: the reports are the same either way.
  uint64_t skipped_steps = 0;
  EnergyBreakdown energy;
  ActionCounts actions;
  Timeline timeline;
};

/// Plans every op and checks the run's limits (sim/run_limits.h; throws ConfigError before
/// simulating if an op cannot run or the run is too large), then simulates. Compiled: the ops
/// are compiled first (sim/compile.h), simulated each from an idle chip with the locations the
/// compiler chose and no dispatch, then composed: each op starts when the previous ends, less
/// what of it runs under the previous op, plus the dispatch its call or kernel pays.
RunResult simulate(const ChipConfig& chip, const std::vector<Op>& ops, const SimOptions& opts);
/// The same, taking the ops (no copy of them is made: the result keeps them).
RunResult simulate(const ChipConfig& chip, std::vector<Op>&& ops, const SimOptions& opts);

/// Makes the ops of graph call `c` of a run into `out` (replacing what it held). `previous`:
/// `out` holds what the source made for call c - 1, compiled when the schedule is (the compiler
/// changes only their locations), so a source may update those ops instead of making them anew.
using OpSource = std::function<void(uint64_t c, std::vector<Op>& out, bool previous)>;
/// Receives a streamed run's calls as they end: `call` holds the call's records, composed after
/// the calls before (and the cycles its compiled schedule hid), `graph` its compiled graph with
/// kernel and call numbers of the whole run (null when isolated). Both are gone after the call.
using CallSink = std::function<void(const RunResult& call, const CompiledGraph* graph)>;
/// A run of `calls` graph calls whose ops `source` makes one call at a time (the prefill, each
/// decode step): the same schedule and figures as simulate() of all of them at once, in memory
/// that grows with the distinct ops, not with the ops. The source is asked twice for each call:
/// a first pass plans every distinct op and checks the run limits before anything is simulated.
/// Records no timeline (opts.timeline must be kNone) and keeps no records: `sink` takes each
/// call's; an error it throws ends the run and is thrown from here. Returns the run's total
/// cycles.
uint64_t simulate_stream(const ChipConfig& chip, uint64_t calls, const OpSource& source,
                         const SimOptions& opts, const CallSink& sink);

/// Makes into `out` the ops of graph call `c` (replacing what it held); false when the run has
/// no more calls.
using OnlineSource = std::function<bool(uint64_t c, std::vector<Op>& out)>;
/// A run whose calls are decided as it goes (npusim serve: which requests the next step runs
/// depends on when this one ends): as simulate_stream, except that `source` is asked for call
/// c + 1 only after `sink` has taken call c, each call's new distinct ops are planned when it
/// comes, and the run limits are checked at the first call and whenever the work grows past
/// its limit (a ConfigError thrown from here, with no more calls simulated). Every distinct op's
/// replay is kept (memory grows with the distinct ops). Returns the run's total cycles.
uint64_t simulate_online(const ChipConfig& chip, const OnlineSource& source, const SimOptions& opts,
                         const CallSink& sink);

}  // namespace npu
