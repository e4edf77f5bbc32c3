// What a run adds up to, op by op: the figures summary.json, steps.csv, distinct_ops.csv and the
// console summary are made of. Built from every record of a run (totals_of) or fed one record at
// a time as a streamed run goes (sim/scheduler.h, simulate_stream: add_call), so those reports cost
// memory in proportion to the run's steps and distinct ops, not to its ops.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../workloads/transformer.h"
#include "flat_index.h"
#include "scheduler.h"

namespace npu {

inline constexpr Bound kAllBounds[] = {Bound::kCompute, Bound::kMemory, Bound::kVector,
                                       Bound::kLatency};

/// Cycles, energy, bytes and MACs of a set of ops, and the cycles by what bound them.
struct Totals {
  uint64_t ops = 0, cycles = 0, macs = 0, dram_bytes = 0;
  double energy_pj = 0;
  std::array<uint64_t, 4> bound_cycles{};  ///< in kAllBounds order
  void add(const OpRecord& o);
  Totals& operator+=(const Totals& o);
  /// What bound most of the cycles (ties: the first of compute, memory, vector, latency).
  Bound dominant() const;
  /// The share of the cycles the dominant bound took, 0-1.
  double dominant_share() const;
};

/// The ops of one step of a run (a prefill, a decode step, or a trace's ops of one phase and
/// step): consecutive ops with the same phase and step.
struct StepRow {
  std::string phase;
  uint32_t step = 0;
  uint64_t first_op = 0, start_cycle = 0, end_cycle = 0;
  Totals t;
};

/// Ops alike in phase, class, kind, shape, formats and tile: the first of them and their totals.
struct DistinctGroup {
  uint64_t first_op = 0;
  /// The first one's name, kind, class, phase, shape, formats and tile, as distinct_ops.csv
  /// writes them (a CSV row's first fields).
  std::string fields;
  Totals t;
};

/// The compiler's decisions summed over the run's graph calls.
struct CompiledTotals {
  uint64_t kernels = 0, calls = 0, fused_tensors = 0, resident_tensors = 0, spilled_tensors = 0;
  uint64_t dram_bytes_avoided = 0, prefetch_hidden_cycles = 0, pipeline_hidden_cycles = 0;
  void add(const CompiledGraph& g);
};

struct RunTotals {
  /// Writes a distinct group's `fields` from its first op.
  using Describe = std::string (*)(const OpRecord&);
  /// With `describe`, the ops are grouped into distinct ops too.
  explicit RunTotals(Describe describe = nullptr) : m_describe(describe) {}
  // Moved, not copied: m_labels point into by_class (a moved map keeps its elements).
  RunTotals(RunTotals&&) = default;
  RunTotals& operator=(RunTotals&&) = default;
  RunTotals(const RunTotals&) = delete;
  RunTotals& operator=(const RunTotals&) = delete;

  /// Adds the next op of the run (its id is the number of ops added before it).
  void add(const OpRecord& r);
  /// Adds a streamed run's call (simulate_stream's CallSink): its records, its compiled graph's
  /// decisions (when `graph`) and the cycles its schedule hid.
  void add_call(const RunResult& call, const CompiledGraph* graph);

  uint64_t ops = 0;
  uint64_t total_cycles = 0;
  Totals all;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  std::array<uint64_t, 4> bound_ops{};  ///< ops by what bound them, kAllBounds order
  std::map<std::string, Totals> by_class;
  std::map<uint32_t, Totals> by_expert;  ///< ops of each routed expert (Op::expert)
  /// By phase: the prefill (a draft model's prefill with it), the decode steps (speculating:
  /// the target's verifications) and a draft model's decode passes.
  Totals prefill, decode, draft;
  /// The decode's figures: its steps and, speculating, the draft's passes they verify.
  Totals decode_with_draft() const {
    Totals t = decode;
    t += draft;
    return t;
  }
  std::vector<StepRow> steps;
  EnergyBreakdown energy;
  ActionCounts actions;
  std::optional<CompiledTotals> compiled;
  std::vector<DistinctGroup> distinct;  ///< when grouping: in order of first appearance

 private:
  Describe m_describe;
  /// What an op's phase and class decide, found once per (phase, class) pair.
  enum class PhaseTotals : uint8_t { kNone, kPrefill, kDecode, kDraft };
  struct Label {
    std::string phase, cls;
    Totals* class_totals;  ///< into by_class
    PhaseTotals phase_totals;
    uint32_t phase_id;  ///< equal for labels of one phase
  };
  const Label& label_of(const Op& op);
  /// What makes ops alike in distinct_ops.csv: shape, tile, formats, kind, phase and class.
  struct DistinctKey {
    std::array<uint64_t, 19> words;
    bool operator==(const DistinctKey& o) const { return words == o.words; }
  };
  struct DistinctKeyHash {
    size_t operator()(const DistinctKey& k) const { return hash_words(k.words); }
  };
  FlatIndex<DistinctKey, DistinctKeyHash> m_distinct_index;  ///< numbered as `distinct`
  std::vector<Label> m_labels;  ///< every (phase, class) pair seen, in order
  size_t m_last_label = 0;      ///< the last op's
  uint32_t m_step_phase = 0;    ///< the phase of the last row of `steps`
};

/// The totals of a streamed model run: `stream`'s calls simulated by simulate_stream and added
/// as they end (distinct groups with `describe`).
RunTotals simulate_totals(const ChipConfig& chip, const WorkloadStream& stream,
                          const SimOptions& opts, RunTotals::Describe describe = nullptr);

/// The totals of a finished run (distinct groups with `describe`).
RunTotals totals_of(const RunResult& r, RunTotals::Describe describe = nullptr);

}  // namespace npu
