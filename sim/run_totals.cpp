#include "run_totals.h"

#include <algorithm>

namespace npu {

namespace {
const std::string kOtherClass = "other";  ///< the class of ops that name none
}  // namespace

void Totals::add(const OpRecord& o) {
  ++ops;
  cycles += o.cycles();
  macs += o.macs;
  dram_bytes += o.dram_read_bytes + o.dram_write_bytes;
  energy_pj += o.energy.total();
  bound_cycles[static_cast<size_t>(o.bound)] += o.cycles();
}

Totals& Totals::operator+=(const Totals& o) {
  ops += o.ops;
  cycles += o.cycles;
  macs += o.macs;
  dram_bytes += o.dram_bytes;
  energy_pj += o.energy_pj;
  for (size_t b = 0; b < bound_cycles.size(); ++b) bound_cycles[b] += o.bound_cycles[b];
  return *this;
}

Bound Totals::dominant() const {
  size_t top = 0;
  for (size_t b = 1; b < bound_cycles.size(); ++b)
    if (bound_cycles[b] > bound_cycles[top]) top = b;
  return kAllBounds[top];
}

double Totals::dominant_share() const {
  const uint64_t top = *std::max_element(bound_cycles.begin(), bound_cycles.end());
  return cycles > 0 ? static_cast<double>(top) / static_cast<double>(cycles) : 0.0;
}

void CompiledTotals::add(const CompiledGraph& g) {
  kernels += g.kernels;
  calls += g.calls;
  fused_tensors += g.fused_tensors;
  resident_tensors += g.resident_tensors;
  spilled_tensors += g.spilled_tensors;
  dram_bytes_avoided += g.dram_bytes_avoided;
}

const RunTotals::Label& RunTotals::label_of(const Op& op) {
  const auto same = [&op](const Label& l) { return l.phase == op.phase && l.cls == op.op_class; };
  if (m_last_label < m_labels.size() && same(m_labels[m_last_label])) return m_labels[m_last_label];
  m_last_label =
      static_cast<size_t>(std::find_if(m_labels.begin(), m_labels.end(), same) - m_labels.begin());
  if (m_last_label < m_labels.size()) return m_labels[m_last_label];
  Label l{op.phase, op.op_class, nullptr, PhaseTotals::kNone, 0};
  l.class_totals = &by_class[op.op_class.empty() ? kOtherClass : op.op_class];
  if (op.phase == "prefill" || op.phase == "draft_prefill") l.phase_totals = PhaseTotals::kPrefill;
  if (op.phase == "decode") l.phase_totals = PhaseTotals::kDecode;
  if (op.phase == "draft") l.phase_totals = PhaseTotals::kDraft;
  const auto same_phase = [&op](const Label& o) { return o.phase == op.phase; };
  const auto first = std::find_if(m_labels.begin(), m_labels.end(), same_phase);
  l.phase_id = first != m_labels.end() ? first->phase_id : static_cast<uint32_t>(m_labels.size());
  m_labels.push_back(std::move(l));
  return m_labels.back();
}

void RunTotals::add(const OpRecord& r) {
  const Op& op = *r.op;
  const uint64_t id = ops++;
  total_cycles = std::max(total_cycles, r.end_cycle);
  all.add(r);
  dram_read_bytes += r.dram_read_bytes;
  dram_write_bytes += r.dram_write_bytes;
  ++bound_ops[static_cast<size_t>(r.bound)];
  // Ops come in runs of one phase and class: what those decide is looked up once per pair.
  const Label& label = label_of(op);
  label.class_totals->add(r);
  if (op.expert) by_expert[*op.expert].add(r);
  if (label.phase_totals == PhaseTotals::kPrefill) prefill.add(r);
  if (label.phase_totals == PhaseTotals::kDecode) decode.add(r);
  if (label.phase_totals == PhaseTotals::kDraft) draft.add(r);
  if (steps.empty() || m_step_phase != label.phase_id || steps.back().step != op.step) {
    steps.push_back(StepRow{op.phase, op.step, id, r.start_cycle, r.start_cycle, {}});
    m_step_phase = label.phase_id;
  }
  steps.back().t.add(r);
  steps.back().end_cycle = r.end_cycle;
  energy += r.energy;
  actions += r.actions;
  if (!m_describe) return;
  // The key: the fields that make ops alike, as numbers (no text formatting per op); the phase
  // and class as the number of their pair.
  const uint64_t small =
      static_cast<uint64_t>(op.kind) | uint64_t{static_cast<uint8_t>(op.a_format)} << 8 |
      uint64_t{static_cast<uint8_t>(op.b_format)} << 16 |
      uint64_t{static_cast<uint8_t>(op.c_format)} << 24 | uint64_t{m_last_label} << 32;
  const DistinctKey key{{op.m, op.k, op.n, op.batch, op.rows, op.cols, op.conv.h, op.conv.w,
                         op.conv.c, op.conv.f, op.conv.r, op.conv.s, op.conv.stride, op.conv.pad,
                         op.conv.groups, r.plan.mt, r.plan.nt, r.plan.kt, small}};
  const auto [group, fresh] = m_distinct_index.emplace(key);
  if (fresh) distinct.push_back(DistinctGroup{id, m_describe(r), {}});
  distinct[group].t.add(r);
}

void RunTotals::add_call(const RunResult& call, const CompiledGraph* graph) {
  for (const OpRecord& r : call.ops) add(r);
  if (!graph) return;
  if (!compiled) compiled = CompiledTotals{};
  compiled->add(*graph);
  compiled->prefetch_hidden_cycles += call.prefetch_hidden_cycles;
  compiled->pipeline_hidden_cycles += call.pipeline_hidden_cycles;
}

RunTotals simulate_totals(const ChipConfig& chip, const WorkloadStream& stream,
                          const SimOptions& opts, RunTotals::Describe describe) {
  RunTotals totals(describe);
  totals.total_cycles = simulate_stream(
      chip, stream.calls(),
      [&stream](uint64_t c, std::vector<Op>& o, bool previous) { stream.ops(c, o, previous); },
      opts, [&totals](const RunResult& call, const CompiledGraph* g) { totals.add_call(call, g); });
  return totals;
}

RunTotals totals_of(const RunResult& r, RunTotals::Describe describe) {
  RunTotals t(describe);
  for (const OpRecord& o : r.ops) t.add(o);
  t.total_cycles = r.total_cycles;
  if (r.graph) {
    t.compiled = CompiledTotals{};
    t.compiled->add(*r.graph);
    t.compiled->prefetch_hidden_cycles = r.prefetch_hidden_cycles;
    t.compiled->pipeline_hidden_cycles = r.pipeline_hidden_cycles;
  }
  return t;
}

}  // namespace npu
