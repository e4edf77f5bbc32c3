#include "report.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "output_set.h"
#include "run_totals.h"
#include "text_out.h"

namespace npu {

namespace {

using Json = nlohmann::ordered_json;

/// NxHxWxC:RxS/stride p padding[:F[dw]] for a conv or pool, [B x]MxKxN[:wW] for a GEMM or attention
/// (attention: queries x dim x keys, a sliding window of W keys), rows x cols otherwise.
void put_shape(Out& out, const Op& op) {
  if (is_spatial_kind(op.kind)) {
    const ConvShape& c = op.conv;
    cat(out, op.batch, "x", c.h, "x", c.w, "x", c.c, ":", c.r, "x", c.s, "/", c.stride, "p", c.pad);
    if (op.kind == OpKind::kConv2d) cat(out, ":", c.f, c.depthwise() ? "dw" : "");
    return;
  }
  if (op.kind == OpKind::kGemm || op.kind == OpKind::kAttention) {
    if (op.batch > 1) cat(out, op.batch, "x");
    cat(out, op.m, "x", op.k, "x", op.n);
    if (op.window > 0) cat(out, ":w", op.window);
    return;
  }
  cat(out, op.rows, "x", op.cols);
}

void put_formats(Out& out, const Op& op) {
  cat(out, format_name(op.a_format), "/", format_name(op.b_format), "/", format_name(op.c_format));
}

double seconds(const ChipConfig& chip, uint64_t cycles) {
  return static_cast<double>(chip.clock.cycles_to_ps(cycles)) * 1e-12;
}

std::string csv_field(const std::string& s) {
  std::string text;
  {
    Out out(text);
    put(out, CsvText{s});
  }
  return text;
}

/// A CSV header: the columns' names, comma-separated, and a line break.
void put_header(std::string& out, const std::vector<ReportColumn>& columns) {
  for (size_t i = 0; i < columns.size(); ++i) out += (i > 0 ? "," : "") + columns[i].name;
  out += '\n';
}

Json energy_json(const EnergyBreakdown& e) {
  return Json{{"total", e.total()}, {"mac", e.mac},       {"sram", e.sram},     {"dram", e.dram},
              {"dma", e.dma},       {"vector", e.vector}, {"static", e.static_}};
}

}  // namespace

namespace {

/// One op's row as the columns read it: the record and the figures derived from it (worked out
/// by the columns that print them: trace.json's compiled args print none).
struct OpRow {
  OpRow(const ChipConfig& chip, size_t id, const OpRecord& o, const CompiledOp* c = nullptr)
      : chip(chip),
        id(id),
        o(o),
        op(*o.op),
        compiled(c),
        dram(o.dram_read_bytes + o.dram_write_bytes) {}
  double gbps() const {
    const double secs = seconds(chip, o.cycles());
    return secs > 0 ? static_cast<double>(dram) / secs * 1e-9 : 0.0;
  }
  /// Arithmetic intensity: ops (2 per MAC; vector ALU+SFU ops otherwise) per DRAM byte.
  double intensity() const {
    const uint64_t work = o.macs > 0 ? 2 * o.macs : o.actions.alu_ops + o.actions.sfu_ops;
    return dram > 0 ? static_cast<double>(work) / static_cast<double>(dram) : 0.0;
  }
  const ChipConfig& chip;
  size_t id;
  const OpRecord& o;
  const Op& op;
  const CompiledOp* compiled;  ///< the compiler's decisions (compiled schedule; else null)
  uint64_t dram;
};

void put_tile(Out& out, const OpRecord& o) {
  if (op_kind_info(o.op->kind).shape == ShapeClass::kVector)
    cat(out, o.plan.mt, "x", o.plan.nt);
  else
    cat(out, o.plan.mt, "x", o.plan.kt, "x", o.plan.nt);
}

/// ops.csv's columns, in order: name, unit ("" for none) and how a row writes it. configs/SCHEMA.md
/// ("ops.csv") documents each; tests/test_report_columns.cpp holds the two lists together.
struct OpsColumn {
  const char* name;
  const char* unit;
  void (*write)(Out&, const OpRow&);
  /// As an arg of trace.json's op slices (the compiled columns are): a number, else a fixed
  /// name, quoted.
  bool number = true;
};
// clang-format off
const OpsColumn kOpsColumns[] = {
  {"id", "", [](Out& s, const OpRow& r) { put(s, r.id); }},
  {"name", "", [](Out& s, const OpRow& r) { put(s, CsvText{r.op.name}); }},
  {"kind", "", [](Out& s, const OpRow& r) { put(s, op_kind_info(r.op.kind).name); }},
  {"layer", "", [](Out& s, const OpRow& r) { put(s, CsvText{r.op.layer}); }},
  {"class", "", [](Out& s, const OpRow& r) { put(s, CsvText{r.op.op_class}); }},
  {"phase", "", [](Out& s, const OpRow& r) { put(s, CsvText{r.op.phase}); }},
  {"step", "", [](Out& s, const OpRow& r) { put(s, r.op.step); }},
  {"shape", "", [](Out& s, const OpRow& r) { put_shape(s, r.op); }},
  {"formats", "", [](Out& s, const OpRow& r) { put_formats(s, r.op); }},
  {"tile", "", [](Out& s, const OpRow& r) { put_tile(s, r.o); }},
  {"start_cycle", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.start_cycle); }},
  {"end_cycle", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.end_cycle); }},
  {"cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.cycles()); }},
  {"compute_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.cycles() - r.o.stall_cycles); }},
  {"stall_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.stall_cycles); }},
  {"bank_stall_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.bank_stall_cycles); }},
  {"dispatch_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.dispatch_cycles); }},
  {"roofline_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.roofline_cycles); }},
  {"macs", "MACs", [](Out& s, const OpRow& r) { put(s, r.o.macs); }},
  {"array_util", "", [](Out& s, const OpRow& r) { put(s, Fixed<4>{r.o.array_utilization}); }},
  {"dram_read_bytes", "bytes", [](Out& s, const OpRow& r) { put(s, r.o.dram_read_bytes); }},
  {"dram_write_bytes", "bytes", [](Out& s, const OpRow& r) { put(s, r.o.dram_write_bytes); }},
  {"sram_read_bytes", "bytes", [](Out& s, const OpRow& r) { put(s, r.o.sram_read_bytes); }},
  {"sram_write_bytes", "bytes", [](Out& s, const OpRow& r) { put(s, r.o.sram_write_bytes); }},
  {"dma_descriptors", "", [](Out& s, const OpRow& r) { put(s, r.o.dma_descriptors); }},
  {"achieved_gbps", "GB/s", [](Out& s, const OpRow& r) { put(s, Fixed<3>{r.gbps()}); }},
  {"arith_intensity", "ops/byte", [](Out& s, const OpRow& r) { put(s, Fixed<3>{r.intensity()}); }},
  {"array_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.array_cycles); }},
  {"vector_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.vector_cycles); }},
  {"memory_busy_cycles", "cycles",
   [](Out& s, const OpRow& r) { put(s, r.chip.clock.ps_to_cycles_ceil(r.o.memory_ps)); }},
  {"bound", "", [](Out& s, const OpRow& r) { put(s, bound_name(r.o.bound)); }},
  {"energy_pj", "pJ", [](Out& s, const OpRow& r) { put(s, Fixed<1>{r.o.energy.total()}); }},
  {"mac_pj", "pJ", [](Out& s, const OpRow& r) { put(s, Fixed<1>{r.o.energy.mac}); }},
  {"sram_pj", "pJ", [](Out& s, const OpRow& r) { put(s, Fixed<1>{r.o.energy.sram}); }},
  {"dram_pj", "pJ", [](Out& s, const OpRow& r) { put(s, Fixed<1>{r.o.energy.dram}); }},
  {"dma_pj", "pJ", [](Out& s, const OpRow& r) { put(s, Fixed<1>{r.o.energy.dma}); }},
  {"vector_pj", "pJ", [](Out& s, const OpRow& r) { put(s, Fixed<1>{r.o.energy.vector}); }},
  {"static_pj", "pJ", [](Out& s, const OpRow& r) { put(s, Fixed<1>{r.o.energy.static_}); }},
};
/// The compiled schedule's columns, after kOpsColumns (an isolated run's ops.csv has none).
const OpsColumn kCompiledColumns[] = {
  {"kernel", "", [](Out& s, const OpRow& r) { put(s, r.compiled->kernel); }},
  {"fused", "", [](Out& s, const OpRow& r) { put(s, fusion_name(r.compiled->fused)); }, false},
  {"a_in", "", [](Out& s, const OpRow& r) { put(s, location_name(r.op.a_loc)); }, false},
  {"b_in", "", [](Out& s, const OpRow& r) {
     put(s, op_kind_info(r.op.kind).second_input ? location_name(r.op.b_loc) : ""); }, false},
  {"c_in", "", [](Out& s, const OpRow& r) {
     put(s, r.compiled->spilled ? "dram_spilled" : location_name(r.op.c_loc)); }, false},
  {"hidden_cycles", "cycles", [](Out& s, const OpRow& r) { put(s, r.o.hidden_cycles); }},
  {"hidden_by", "", [](Out& s, const OpRow& r) {
     put(s, r.o.hidden_cycles == 0 ? "" : r.o.hidden_by_prefetch ? "prefetch" : "pipeline"); }, false},
  {"prefetched_bytes", "bytes", [](Out& s, const OpRow& r) { put(s, r.o.prefetched_bytes); }},
  {"loop_order", "", [](Out& s, const OpRow& r) {
     put(s, r.op.kind != OpKind::kGemm ? "" : r.o.plan.n_major ? "n_major" : "m_major"); }, false},
};
// clang-format on

}  // namespace

std::vector<ReportColumn> ops_csv_columns(bool compiled) {
  std::vector<ReportColumn> columns;
  for (const OpsColumn& c : kOpsColumns) columns.push_back({c.name, c.unit});
  if (compiled)
    for (const OpsColumn& c : kCompiledColumns) columns.push_back({c.name, c.unit});
  return columns;
}

namespace {

/// One row of ops.csv: op `id`, with the compiler's columns when `c`.
void put_ops_csv_row(Out& out, const ChipConfig& chip, size_t id, const OpRecord& o,
                     const CompiledOp* c) {
  const OpRow row(chip, id, o, c);
  for (const OpsColumn& col : kOpsColumns) {
    if (&col != kOpsColumns) out += ',';
    col.write(out, row);
  }
  if (c)
    for (const OpsColumn& col : kCompiledColumns) {
      out += ',';
      col.write(out, row);
    }
  out += '\n';
  out.row_done();
}

}  // namespace

void write_ops_csv(TextSink& sink, const ChipConfig& chip, const RunResult& r) {
  const bool compiled = r.graph != nullptr;
  put_header(sink.buf(), ops_csv_columns(compiled));
  Out out(sink);
  for (size_t i = 0; i < r.ops.size(); ++i)
    put_ops_csv_row(out, chip, i, r.ops[i], compiled ? &r.graph->info[i] : nullptr);
}

std::string ops_csv(const ChipConfig& chip, const RunResult& r) {
  TextSink sink;
  write_ops_csv(sink, chip, r);
  return std::move(sink.buf());
}

namespace {

/// Cycles by what bound the ops, every bound named (0 when none).
Json bound_json(const std::array<uint64_t, 4>& cycles) {
  Json j = Json::object();
  for (size_t b = 0; b < cycles.size(); ++b) j[bound_name(kAllBounds[b])] = cycles[b];
  return j;
}

/// `bound`: what bound most of the cycles (ties: the first of compute, memory, vector, latency).
Json totals_json(const ChipConfig& chip, const Totals& t) {
  return Json{{"ops", t.ops},
              {"cycles", t.cycles},
              {"seconds", seconds(chip, t.cycles)},
              {"macs", t.macs},
              {"dram_bytes", t.dram_bytes},
              {"energy_pj", t.energy_pj},
              {"cycles_by_bound", bound_json(t.bound_cycles)},
              {"bound", bound_name(t.dominant())}};
}

/// Area proxy: PEs and SRAM, combined as PE-equivalents. One int8 MAC PE with its registers is
/// taken as the area of kSramBytesPerPe bytes of SRAM: ~100 um^2 per PE (TPU v1: 64 K MACs in
/// ~24 % of 331 mm^2 at 28 nm, ~1,200 um^2, scaled ~1/12 to a 7 nm-class node) against ~0.4 um^2
/// per SRAM byte with its periphery (0.027 um^2 high-density bit cells, ~50 % array
/// efficiency). Both are assumptions, good to a factor of two; the proxy ranks designs, it does
/// not size a die.
constexpr double kSramBytesPerPe = 256;

Json area_json(const ChipConfig& chip) {
  const uint64_t pes = uint64_t{chip.cores} * chip.core.array.rows * chip.core.array.cols;
  const uint64_t sram = uint64_t{chip.cores} * chip.core.sram.size_bytes;
  return Json{{"pes", pes},
              {"sram_bytes", sram},
              {"proxy", static_cast<double>(pes) + static_cast<double>(sram) / kSramBytesPerPe}};
}

/// Prefill and decode figures of a model run: time to first token, tokens/s, joules per token.
Json workload_json(const ChipConfig& chip, const RunTotals& r, const Workload& w) {
  const RunSpec& s = w.spec;
  const Totals& prefill = r.prefill;
  const Totals decode = r.decode_with_draft();
  Json j{{"model", w.model},
         {"phase", std::string(phase_name(s.phase))},
         {"prompt", s.prompt},
         {"tokens", s.tokens},
         {"context", w.context},
         {"batch", s.batch},
         {"weights", std::string(format_name(s.weights))},
         {"activations", std::string(format_name(s.activations))},
         {"kv", std::string(format_name(s.kv))},
         {"attention", std::string(attention_impl_name(s.attention))},
         {"footprint",
          {{"weight_bytes", w.footprint.weight_bytes},
           {"kv_cache_bytes", w.footprint.kv_cache_bytes},
           {"peak_activation_bytes", w.footprint.peak_activation_bytes},
           {"peak_activation_op", w.footprint.peak_activation_op}}}};
  if (s.kv_block != 0) j["kv_block"] = s.kv_block;
  if (s.lm_head_weights) j["lm_head_weights"] = std::string(format_name(*s.lm_head_weights));
  if (w.moe) {
    j["routing"] = std::string(routing_name(s.routing));
    if (s.routing == Routing::kZipf) j["routing_skew"] = s.routing_skew;
    if (s.routing == Routing::kFile) j["routing_file"] = s.routing_weights->file;
    j["footprint"]["active_weight_bytes"] = w.footprint.active_weight_bytes;
  }
  if (w.prefill_tokens > 0) {
    const double secs = seconds(chip, prefill.cycles);
    Json p = totals_json(chip, prefill);
    p["tokens"] = w.prefill_tokens;
    if (s.chunk != 0) {
      p["chunk"] = s.chunk;
      p["steps"] = w.prefill_steps;
    }
    p["tokens_per_s"] = secs > 0 ? static_cast<double>(w.prefill_tokens) / secs : 0.0;
    p["joules_per_token"] = prefill.energy_pj * 1e-12 / static_cast<double>(w.prefill_tokens);
    j["time_to_first_token_s"] = secs;
    j["prefill"] = p;
  }
  if (w.decode_tokens > 0) {
    const double secs = seconds(chip, decode.cycles);
    Json d = totals_json(chip, decode);
    d["steps"] = w.decode_steps;
    d["tokens"] = w.decode_tokens;
    d["tokens_per_s"] = secs > 0 ? static_cast<double>(w.decode_tokens) / secs : 0.0;
    d["joules_per_token"] = decode.energy_pj * 1e-12 / static_cast<double>(w.decode_tokens);
    std::vector<uint64_t> step_cycles(w.decode_steps);  // from the step rows
    for (const StepRow& row : r.steps) {
      // A draft pass belongs to the decode step whose verification follows it.
      const uint64_t step = row.phase == "draft" ? row.step / s.draft_tokens : row.step;
      if ((row.phase == "decode" || row.phase == "draft") && step < step_cycles.size())
        step_cycles[step] += row.t.cycles;
    }
    Json step_tps = Json::array();
    const double step_tokens = static_cast<double>(s.batch) * w.tokens_per_step;
    for (const uint64_t cycles : step_cycles) {
      const double ss = seconds(chip, cycles);
      step_tps.push_back(ss > 0 ? step_tokens / ss : 0.0);
    }
    d["step_tokens_per_s"] = step_tps;  // per decode step: its tokens / its time
    if (!w.draft_model.empty()) {
      const double draft_s = seconds(chip, r.draft.cycles);
      d["speculative"] = Json{{"draft_model", w.draft_model},
                              {"draft_tokens", s.draft_tokens},
                              {"acceptance", s.acceptance},
                              {"tokens_per_step", w.tokens_per_step},
                              {"draft_seconds", draft_s},
                              {"verify_seconds", seconds(chip, r.decode.cycles)},
                              {"draft_energy_j", r.draft.energy_pj * 1e-12},
                              {"verify_energy_j", r.decode.energy_pj * 1e-12}};
    }
    j["decode"] = d;
  }
  return j;
}

}  // namespace

std::string summary_json(const ChipConfig& chip, const RunResult& r, const Workload* w) {
  return summary_json(chip, totals_of(r), w);
}

std::string summary_json(const ChipConfig& chip, const RunTotals& r, const Workload* w) {
  return summary_object(chip, r, w).dump(2) + "\n";
}

nlohmann::ordered_json summary_object(const ChipConfig& chip, const RunTotals& r,
                                      const Workload* w) {
  const double secs = seconds(chip, r.total_cycles);
  const uint64_t macs = r.all.macs, dram_r = r.dram_read_bytes, dram_w = r.dram_write_bytes;
  const std::array<uint64_t, 4>& bound_cycles = r.all.bound_cycles;
  const double energy_j = r.energy.total() * 1e-12;
  const double tops = secs > 0 ? 2.0 * static_cast<double>(macs) / secs * 1e-12 : 0.0;
  const double watts = secs > 0 ? energy_j / secs : 0.0;
  Json peak = Json::object();
  for (Format f : kAllFormats)
    if (chip.core.array.supports(f))
      peak[std::string(format_name(f))] = 2.0 * chip.peak_macs_per_s(f) * 1e-12;
  Json j{
      {"schema_version", kSummarySchemaVersion},
      {"chip", chip.name},
      {"clock_mhz", chip.clock.freq_hz() * 1e-6},
      {"cores", chip.cores},
      {"ops", r.ops},
      {"total_cycles", r.total_cycles},
      {"seconds", secs},
      {"macs", macs},
      {"dram_read_bytes", dram_r},
      {"dram_write_bytes", dram_w},
      {"achieved_gbps", secs > 0 ? static_cast<double>(dram_r + dram_w) / secs * 1e-9 : 0.0},
      {"reachable_gbps", static_cast<double>(memory_traits(chip.memory).bytes_per_s) * 1e-9},
      {"achieved_tops", tops},
      {"peak_tops", peak},
      {"energy_pj", energy_json(r.energy)},
      {"energy_j", energy_j},
      {"average_power_w", watts},
      {"tops_per_w", watts > 0 ? tops / watts : 0.0},
      {"cycles_by_bound", bound_json(bound_cycles)},
      {"bound", bound_name(r.all.dominant())},
      {"area", area_json(chip)},
  };
  Json by_class = Json::object();
  for (const auto& [k, t] : r.by_class) by_class[k] = totals_json(chip, t);
  j["by_class"] = by_class;
  if (!r.by_expert.empty()) {  // a mixture of experts: each routed expert's ops, every layer
    Json by_expert = Json::object();
    for (const auto& [e, t] : r.by_expert) by_expert[std::to_string(e)] = totals_json(chip, t);
    j["by_expert"] = by_expert;
  }
  if (r.compiled) {
    const CompiledTotals& g = *r.compiled;
    j["compiled"] = Json{{"kernels", g.kernels},
                         {"graph_calls", g.calls},
                         {"fused_tensors", g.fused_tensors},
                         {"resident_tensors", g.resident_tensors},
                         {"spilled_tensors", g.spilled_tensors},
                         {"dram_bytes_avoided", g.dram_bytes_avoided},
                         {"cycles_hidden_by_prefetch", g.prefetch_hidden_cycles},
                         {"cycles_hidden_by_pipelining", g.pipeline_hidden_cycles}};
  }
  if (w) j["workload"] = workload_json(chip, r, *w);
  return j;
}

namespace {

/// A compiled op's decisions, as more args of its slice (",\"kernel\":3,..."): numbers as
/// numbers, the other columns as strings (they write fixed names: nothing to escape).
void put_compiled_args(Out& out, const ChipConfig& chip, size_t id, const OpRecord& o,
                       const CompiledOp& c) {
  const OpRow row(chip, id, o, &c);
  for (const OpsColumn& col : kCompiledColumns) {
    cat(out, ",\"", std::string_view(col.name), "\":");
    if (!col.number) out += '"';
    col.write(out, row);
    if (!col.number) out += '"';
  }
}

}  // namespace

namespace {

/// trace.json's opening: the chip as process 1 and each timeline track as a thread (tid = track
/// + 1). Returns the ops track's index (UINT32_MAX when there is none).
uint32_t put_trace_head(Out& out, const ChipConfig& chip, const std::vector<std::string>& tracks) {
  out += "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out += fmt::format(
      "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{{\"name\":{}}}}},\n",
      Json(chip.name).dump());
  uint32_t ops_track = UINT32_MAX;
  for (size_t t = 0; t < tracks.size(); ++t) {
    if (tracks[t] == "ops" && ops_track == UINT32_MAX) ops_track = static_cast<uint32_t>(t);
    out += fmt::format(
        "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{},\"args\":{{"
        "\"name\":{}}}}},\n",
        t + 1, Json(tracks[t]).dump());
  }
  return ops_track;
}

/// The ops first, above the blocks.
void put_ops_track_order(Out& out, uint32_t ops_track) {
  out += fmt::format(
      "{{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":{},"
      "\"args\":{{\"sort_index\":-1}}}},\n",
      ops_track + 1);
}

/// Op `id`'s slice on the ops track, its figures in its args (the compiler's when `c`), and the
/// counters at its start: the DRAM bandwidth and the SRAM a core's tile buffers take.
void put_op_slice(Out& out, const ChipConfig& chip, const Lowering& lowering, uint32_t ops_track,
                  size_t id, const OpRecord& o, const CompiledOp* c) {
  const Op& op = *o.op;
  const uint64_t start = chip.clock.cycles_to_ps(o.start_cycle);
  const uint64_t end = chip.clock.cycles_to_ps(o.end_cycle);
  const uint64_t dram = o.dram_read_bytes + o.dram_write_bytes;
  const double gbps =
      end > start ? static_cast<double>(dram) / static_cast<double>(end - start) * 1e3 : 0.0;
  cat(out, "{\"name\":", JsonText{op.name},
      ",\"cat\":\"op\",\"ph\":\"X\",\"pid\":1,\"tid\":", ops_track + 1, ",\"ts\":", Micros{start},
      ",\"dur\":", Micros{end - start}, ",\"args\":{\"id\":", id, ",\"kind\":\"",
      op_kind_info(op.kind).name, "\",\"shape\":\"");
  put_shape(out, op);
  out += "\",\"formats\":\"";
  put_formats(out, op);
  out += "\",\"tile\":\"";
  put_tile(out, o);
  cat(out, "\",\"layer\":", JsonText{op.layer}, ",\"class\":", JsonText{op.op_class},
      ",\"phase\":\"", op.phase, "\",\"step\":", op.step, ",\"cycles\":", o.cycles(),
      ",\"macs\":", o.macs, ",\"dram_bytes\":", dram, ",\"bound\":\"", bound_name(o.bound), "\"");
  if (c) put_compiled_args(out, chip, id, o, *c);
  cat(out, "}},\n{\"name\":\"DRAM\",\"ph\":\"C\",\"pid\":1,\"ts\":", Micros{start},
      ",\"args\":{\"GB/s\":", Fixed<3>{gbps},
      "}},\n{\"name\":\"SRAM per core\",\"ph\":\"C\",\"pid\":1,\"ts\":", Micros{start},
      ",\"args\":{\"tile buffers KiB\":",
      Fixed<3>{static_cast<double>(lowering.tile_sram_bytes(op, o.plan)) / 1024}, "}},\n");
  out.row_done();
}

/// Compiled: the kernels' track (thread `tid`), above the ops.
void put_kernels_track(Out& out, size_t tid) {
  out += fmt::format(
      "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{},\"args\":{{"
      "\"name\":\"kernels\"}}}},\n{{\"name\":\"thread_sort_index\",\"ph\":\"M\","
      "\"pid\":1,\"tid\":{},\"args\":{{\"sort_index\":-2}}}},\n",
      tid, tid);
}

/// The kernels of `n` ops (records `o`, the compiler's `info`; the first is op `first_id`), each
/// a slice from its first op's start to its last op's end.
void put_kernel_slices(Out& out, const ChipConfig& chip, size_t tid, const OpRecord* o,
                       const CompiledOp* info, size_t n, size_t first_id) {
  for (size_t first = 0; first < n;) {
    size_t last = first;
    while (last + 1 < n && info[last + 1].kernel == info[first].kernel) ++last;
    const uint64_t start = chip.clock.cycles_to_ps(o[first].start_cycle);
    const uint64_t end = chip.clock.cycles_to_ps(o[last].end_cycle);
    cat(out, "{\"name\":\"kernel ", info[first].kernel,
        "\",\"cat\":\"kernel\",\"ph\":\"X\",\"pid\":1,\"tid\":", tid, ",\"ts\":", Micros{start},
        ",\"dur\":", Micros{end - start}, ",\"args\":{\"kernel\":", info[first].kernel,
        ",\"graph_call\":", info[first].call, ",\"ops\":", last - first + 1,
        ",\"first_op\":", first_id + first, ",\"last_op\":", first_id + last, "}},\n");
    first = last + 1;
    out.row_done();
  }
}

/// trace.json's close: the counters back to 0 at the run's end (the SRAM's with an ops track).
void put_trace_end(Out& out, const ChipConfig& chip, uint64_t total_cycles, bool ops_track) {
  const Micros end{chip.clock.cycles_to_ps(total_cycles)};
  if (ops_track)
    cat(out, "{\"name\":\"SRAM per core\",\"ph\":\"C\",\"pid\":1,\"ts\":", end,
        ",\"args\":{\"tile buffers KiB\":0}},\n");
  cat(out, "{\"name\":\"DRAM\",\"ph\":\"C\",\"pid\":1,\"ts\":", end,
      ",\"args\":{\"GB/s\":0}}\n]}\n");
}

}  // namespace

void write_trace_json(TextSink& sink, const ChipConfig& chip, const RunResult& r) {
  // Chrome trace event format; timestamps in microseconds (fractional, ps resolution). The chip
  // is process 1 (Perfetto hides pid 0's name); each timeline track is a thread, tid = track + 1.
  // The ops come from the records, not from the ops track's intervals, so each slice carries the
  // op's figures in its args; counter tracks follow the DRAM bandwidth and the SRAM a core's
  // tile buffers take, op by op.
  const Timeline& tl = r.timeline;
  const Lowering lowering(chip);
  Out out(sink);
  const uint32_t ops_track = put_trace_head(out, chip, tl.tracks());
  for (const TimelineEvent& e : tl.events()) {
    if (e.track == ops_track) continue;
    cat(out, "{\"name\":", JsonText{tl.labels()[e.label]},
        ",\"ph\":\"X\",\"pid\":1,\"tid\":", e.track + 1, ",\"ts\":", Micros{e.start_ps},
        ",\"dur\":", Micros{e.end_ps - e.start_ps}, "},\n");
    out.row_done();
  }
  if (ops_track != UINT32_MAX) {
    put_ops_track_order(out, ops_track);
    for (size_t i = 0; i < r.ops.size(); ++i)
      put_op_slice(out, chip, lowering, ops_track, i, r.ops[i],
                   r.graph ? &r.graph->info[i] : nullptr);
  }
  if (r.graph && ops_track != UINT32_MAX) {
    const size_t tid = tl.tracks().size() + 1;
    put_kernels_track(out, tid);
    put_kernel_slices(out, chip, tid, r.ops.data(), r.graph->info.data(), r.ops.size(), 0);
  }
  put_trace_end(out, chip, r.total_cycles, ops_track != UINT32_MAX);
}

std::string trace_json(const ChipConfig& chip, const RunResult& r) {
  TextSink sink;
  write_trace_json(sink, chip, r);
  return std::move(sink.buf());
}

namespace {

/// Bytes in decimal units: B, kB, MB or GB with three decimals.
std::string human_bytes(double b) {
  if (b >= 1e9) return fmt::format("{:.3f} GB", b * 1e-9);
  if (b >= 1e6) return fmt::format("{:.3f} MB", b * 1e-6);
  if (b >= 1e3) return fmt::format("{:.3f} kB", b * 1e-3);
  return fmt::format("{:.0f} B", b);
}

/// A footprint in MiB with one decimal, or from 1 GiB on in GiB with two.
std::string human_binary_bytes(uint64_t b) {
  const double d = static_cast<double>(b);
  if (b >= (uint64_t{1} << 30)) return fmt::format("{:.2f} GiB", d / (1 << 30));
  return fmt::format("{:.1f} MiB", d / (1 << 20));
}

/// Seconds as us, ms or s with three decimals.
std::string human_time(double s) {
  if (s >= 1.0) return fmt::format("{:.3f} s", s);
  if (s >= 1e-3) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.3f} us", s * 1e6);
}

/// Joules as uJ, mJ or J with three decimals.
std::string human_energy(double j) {
  if (j >= 1.0) return fmt::format("{:.3f} J", j);
  if (j >= 1e-3) return fmt::format("{:.3f} mJ", j * 1e3);
  return fmt::format("{:.3f} uJ", j * 1e6);
}

/// "memory-bound (93 % of cycles)": what bound most of the cycles of `t`.
std::string bound_label(const Totals& t) {
  return fmt::format("{}-bound ({:.0f} % of cycles)", bound_name(t.dominant()),
                     100.0 * t.dominant_share());
}

bool integer_format(Format f) {
  return f == Format::kInt8 || f == Format::kInt16;
}

}  // namespace

std::optional<std::string> activation_rate_note(const SystolicArrayConfig& a, Format act) {
  const uint32_t rate = a.macs_per_pe(act);
  if (rate == 0) return std::nullopt;
  Format best = act;
  for (Format f : kActivationFormats)
    if (a.macs_per_pe(f) > a.macs_per_pe(best)) best = f;
  const uint32_t top = a.macs_per_pe(best);
  if (uint64_t{rate} * 4 >= top) return std::nullopt;  // more than 4x slower: worth a line
  const double ratio = static_cast<double>(top) / rate;
  std::string note = fmt::format("note: {} activations run at 1/{:.3g} of this chip's {} rate",
                                 format_name(act), ratio, format_name(best));
  // Suggest the fastest format as wide as this one of the other kind (fp16 -> int16, the a16 of
  // w8a16), else the fastest.
  std::optional<Format> same_width;
  for (Format f : kActivationFormats)
    if (f != act && format_bits(f) == format_bits(act) &&
        integer_format(f) != integer_format(act) && a.macs_per_pe(f) > rate &&
        (!same_width || a.macs_per_pe(f) > a.macs_per_pe(*same_width)))
      same_width = f;
  const Format suggest = same_width ? *same_width : best;
  return note + fmt::format("; try --activations {} ({:.3g}x faster on the array)",
                            format_name(suggest),
                            static_cast<double>(a.macs_per_pe(suggest)) / rate);
}

std::string summary_text(const ChipConfig& chip, const RunTotals& r, const Workload* w) {
  const double secs = seconds(chip, r.total_cycles);
  const uint64_t macs = r.all.macs, dram = r.all.dram_bytes;
  const Totals& all = r.all;
  std::map<std::string, size_t> bound_ops;  // by name, the bounds of at least one op
  for (size_t b = 0; b < r.bound_ops.size(); ++b)
    if (r.bound_ops[b] > 0) bound_ops[bound_name(kAllBounds[b])] = r.bound_ops[b];
  std::string ops_by_bound;
  for (const auto& [k, v] : bound_ops)
    ops_by_bound += fmt::format("{}{} {}", ops_by_bound.empty() ? "" : ", ", k, v);
  const double energy_j = r.energy.total() * 1e-12;
  std::string text = fmt::format(
      "chip {} ({} core{} @ {:.0f} MHz), {} ops\n"
      "  time     {} cycles = {}\n"
      "  compute  {:.3f} GMAC, {:.3f} TOPS achieved\n"
      "  memory   {} DRAM traffic, {:.2f} GB/s achieved of {:.2f} reachable\n"
      "  energy   {}, {:.3f} W average\n"
      "  bound    {}; ops: {}\n",
      chip.name, chip.cores, chip.cores == 1 ? "" : "s", chip.clock.freq_hz() * 1e-6, r.ops,
      r.total_cycles, human_time(secs), static_cast<double>(macs) * 1e-9,
      secs > 0 ? 2.0 * static_cast<double>(macs) / secs * 1e-12 : 0.0,
      human_bytes(static_cast<double>(dram)),
      secs > 0 ? static_cast<double>(dram) / secs * 1e-9 : 0.0,
      static_cast<double>(memory_traits(chip.memory).bytes_per_s) * 1e-9, human_energy(energy_j),
      secs > 0 ? energy_j / secs : 0.0, bound_label(all), ops_by_bound);
  if (w) {
    const Totals& prefill = r.prefill;
    const Totals decode = r.decode_with_draft();
    text += fmt::format(
        "  model    {}, batch {}, weights {}, activations {}, KV {}, {} attention\n", w->model,
        w->spec.batch, format_name(w->spec.weights), format_name(w->spec.activations),
        format_name(w->spec.kv), attention_impl_name(w->spec.attention));
    if (w->prefill_tokens > 0) {
      const double secs = seconds(chip, prefill.cycles);
      const double tokens = static_cast<double>(w->prefill_tokens);
      text += fmt::format(
          "  prefill  {} tokens: time to first token {}, {:.1f} tokens/s, {}/token; {}\n",
          w->prefill_tokens, human_time(secs), tokens / secs,
          human_energy(prefill.energy_pj * 1e-12 / tokens), bound_label(prefill));
    }
    if (w->decode_tokens > 0) {
      const double secs = seconds(chip, decode.cycles);
      const double tokens = static_cast<double>(w->decode_tokens);
      text += fmt::format("  decode   {} tokens from context {}: {:.2f} tokens/s, {}/token; {}\n",
                          w->decode_tokens, w->context, tokens / secs,
                          human_energy(decode.energy_pj * 1e-12 / tokens), bound_label(decode));
      if (!w->draft_model.empty())
        text += fmt::format(
            "  draft    {}: {} tokens a step at acceptance {:.2f}, {:.2f} accepted a step; the "
            "draft {:.0f} % of the decode time\n",
            w->draft_model, w->spec.draft_tokens, w->spec.acceptance, w->tokens_per_step,
            decode.cycles > 0
                ? 100.0 * static_cast<double>(r.draft.cycles) / static_cast<double>(decode.cycles)
                : 0.0);
    }
    text += fmt::format(
        "  memory   weights {}{}, KV cache {} at its largest\n",
        human_binary_bytes(w->footprint.weight_bytes),
        w->moe
            ? " (a token's experts: " + human_binary_bytes(w->footprint.active_weight_bytes) + ")"
            : std::string(),
        human_binary_bytes(w->footprint.kv_cache_bytes));
    if (auto note = activation_rate_note(chip.core.array, w->spec.activations))
      text += "  " + *note + "\n";
  }
  return text;
}

namespace {

/// Tokens a step produces: a prefill's (or a prefill chunk's) B x its tokens, a decode step's B;
/// 0 for a trace's ops.
uint64_t step_tokens(const StepRow& s, const Workload* w) {
  if (!w) return 0;
  if (s.phase == "prefill") return w->spec.batch * chunk_tokens(w->spec, s.step);
  return s.phase == "decode" ? w->spec.batch : 0;
}

}  // namespace

const std::vector<ReportColumn>& steps_csv_columns() {
  static const std::vector<ReportColumn> columns = {{"phase", ""},
                                                    {"step", ""},
                                                    {"first_op", ""},
                                                    {"ops", ""},
                                                    {"start_cycle", "cycles"},
                                                    {"end_cycle", "cycles"},
                                                    {"cycles", "cycles"},
                                                    {"seconds", "s"},
                                                    {"tokens", ""},
                                                    {"tokens_per_s", "tokens/s"},
                                                    {"macs", "MACs"},
                                                    {"dram_bytes", "bytes"},
                                                    {"achieved_gbps", "GB/s"},
                                                    {"energy_pj", "pJ"},
                                                    {"joules_per_token", "J"},
                                                    {"bound", ""},
                                                    {"bound_share", ""}};
  return columns;
}

void write_steps_csv(TextSink& sink, const ChipConfig& chip, const RunTotals& r,
                     const Workload* w) {
  std::string& out = sink.buf();
  put_header(out, steps_csv_columns());
  auto it = std::back_inserter(out);
  for (const StepRow& s : r.steps) {
    const double secs = seconds(chip, s.t.cycles);
    const uint64_t tokens = step_tokens(s, w);
    fmt::format_to(it, "{},{},{},{},{},{},{},{:.9g},", csv_field(s.phase), s.step, s.first_op,
                   s.t.ops, s.start_cycle, s.end_cycle, s.t.cycles, secs);
    if (tokens > 0)
      fmt::format_to(it, "{},{:.3f},", tokens, secs > 0 ? static_cast<double>(tokens) / secs : 0.0);
    else
      out += ",,";
    fmt::format_to(it, "{},{},{:.3f},{:.1f},", s.t.macs, s.t.dram_bytes,
                   secs > 0 ? static_cast<double>(s.t.dram_bytes) / secs * 1e-9 : 0.0,
                   s.t.energy_pj);
    if (tokens > 0)
      fmt::format_to(it, "{:.6g}", s.t.energy_pj * 1e-12 / static_cast<double>(tokens));
    fmt::format_to(it, ",{},{:.4f}\n", bound_name(s.t.dominant()), s.t.dominant_share());
    sink.row_done();
  }
}

const std::vector<ReportColumn>& distinct_ops_csv_columns() {
  static const std::vector<ReportColumn> columns = {{"first_op", ""},
                                                    {"name", ""},
                                                    {"kind", ""},
                                                    {"class", ""},
                                                    {"phase", ""},
                                                    {"shape", ""},
                                                    {"formats", ""},
                                                    {"tile", ""},
                                                    {"count", ""},
                                                    {"cycles", "cycles"},
                                                    {"cycles_per_op", "cycles"},
                                                    {"macs", "MACs"},
                                                    {"dram_bytes", "bytes"},
                                                    {"energy_pj", "pJ"},
                                                    {"bound", ""}};
  return columns;
}

void write_distinct_ops_csv(TextSink& sink, const RunTotals& r) {
  std::string& out = sink.buf();
  put_header(out, distinct_ops_csv_columns());
  auto it = std::back_inserter(out);
  for (const DistinctGroup& g : r.distinct) {
    fmt::format_to(it, "{},{},{},{},{:.1f},{},{},{:.1f},{}\n", g.first_op, g.fields, g.t.ops,
                   g.t.cycles, static_cast<double>(g.t.cycles) / static_cast<double>(g.t.ops),
                   g.t.macs, g.t.dram_bytes, g.t.energy_pj, bound_name(g.t.dominant()));
    sink.row_done();
  }
}

std::string distinct_op_fields(const OpRecord& o) {
  const Op& op = *o.op;
  std::string text;
  Out out(text);
  cat(out, CsvText{op.name}, ",", op_kind_name(op.kind), ",", CsvText{op.op_class}, ",",
      CsvText{op.phase}, ",");
  put_shape(out, op);
  out += ',';
  put_formats(out, op);
  out += ',';
  put_tile(out, o);
  out.flush();
  return text;
}

void write_steps_trace_json(TextSink& sink, const ChipConfig& chip, const RunTotals& r,
                            const Workload* w) {
  // One slice per step on one track, with the step's figures, and the DRAM bandwidth step by
  // step; the same process and thread conventions as write_trace_json.
  const auto us = [&chip](uint64_t cycles) {
    return static_cast<double>(chip.clock.cycles_to_ps(cycles)) * 1e-6;
  };
  std::string& out = sink.buf();
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "{{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n{{\"name\":\"process_name\","
                 "\"ph\":\"M\",\"pid\":1,\"args\":{{\"name\":{}}}}},\n{{\"name\":\"thread_name\","
                 "\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{{\"name\":\"steps\"}}}},\n",
                 Json(chip.name).dump());
  for (const StepRow& s : r.steps) {
    const double secs = seconds(chip, s.t.cycles);
    const uint64_t tokens = step_tokens(s, w);
    const std::string name = s.phase.empty()        ? fmt::format("step {}", s.step)
                             : s.phase == "prefill" ? s.phase
                                                    : fmt::format("{} {}", s.phase, s.step);
    fmt::format_to(
        it,
        "{{\"name\":{},\"cat\":\"step\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":{:.6f},"
        "\"dur\":{:.6f},\"args\":{{\"first_op\":{},\"ops\":{},\"tokens\":{},\"tokens_per_s\":"
        "{:.3f},\"macs\":{},\"dram_bytes\":{},\"energy_pj\":{:.1f},\"bound\":\"{}\"}}}},\n"
        "{{\"name\":\"DRAM\",\"ph\":\"C\",\"pid\":1,\"ts\":{:.6f},\"args\":{{\"GB/"
        "s\":{:.3f}}}}},\n",
        Json(name).dump(), us(s.start_cycle), us(s.end_cycle) - us(s.start_cycle), s.first_op,
        s.t.ops, tokens, secs > 0 ? static_cast<double>(tokens) / secs : 0.0, s.t.macs,
        s.t.dram_bytes, s.t.energy_pj, bound_name(s.t.dominant()), us(s.start_cycle),
        secs > 0 ? static_cast<double>(s.t.dram_bytes) / secs * 1e-9 : 0.0);
    sink.row_done();
  }
  fmt::format_to(
      it,
      "{{\"name\":\"DRAM\",\"ph\":\"C\",\"pid\":1,\"ts\":{:.6f},\"args\":{{\"GB/s\":0}}}}\n]}}\n",
      us(r.total_cycles));
}

std::optional<ReportLevel> parse_report_level(const std::string& s) {
  if (s == "ops") return ReportLevel::kOps;
  if (s == "steps") return ReportLevel::kSteps;
  if (s == "summary") return ReportLevel::kSummary;
  return std::nullopt;
}

void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult& r,
                   const Workload* w, bool force, ReportLevel level, bool steps_trace) {
  write_reports(dir, chip, &r,
                totals_of(r, level == ReportLevel::kSteps ? distinct_op_fields : nullptr), w, force,
                level, steps_trace);
}

void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult* r,
                   const RunTotals& t, const Workload* w, bool force, ReportLevel level,
                   bool steps_trace, bool gzip_trace) {
  OutputSet set(dir, force);
  write_reports(set, chip, r, t, w, level, steps_trace, gzip_trace);
  set.commit();
}

void write_reports(OutputSet& set, const ChipConfig& chip, const RunResult* r, const RunTotals& t,
                   const Workload* w, ReportLevel level, bool steps_trace, bool gzip_trace) {
  const auto with = [&](auto writer) { return std::function<void(TextSink&)>(writer); };
  if (level == ReportLevel::kOps && r)
    set.write("ops.csv", with([&](TextSink& s) { write_ops_csv(s, chip, *r); }));
  if (level == ReportLevel::kSteps) {
    set.write("steps.csv", with([&](TextSink& s) { write_steps_csv(s, chip, t, w); }));
    set.write("distinct_ops.csv", with([&](TextSink& s) { write_distinct_ops_csv(s, t); }));
  }
  const std::string trace = trace_file_name(gzip_trace);
  const auto zipped = [&](TextSink& s) {
    if (gzip_trace) s.gzip();
  };
  if (r && r->timeline.enabled())
    set.write(trace, with([&](TextSink& s) {
                zipped(s);
                write_trace_json(s, chip, *r);
              }));
  else if (steps_trace)
    set.write(trace, with([&](TextSink& s) {
                zipped(s);
                write_steps_trace_json(s, chip, t, w);
              }));
  set.write("summary.json", summary_json(chip, t, w));
}

OpReportStream::OpReportStream(OutputSet& set, const ChipConfig& chip, bool compiled, bool trace,
                               bool gzip)
    : m_chip(chip), m_lowering(chip) {
  m_csv = set.open("ops.csv");
  put_header(m_csv->sink().buf(), ops_csv_columns(compiled));
  if (!trace) return;
  m_trace = set.open(trace_file_name(gzip));
  if (gzip) m_trace->sink().gzip();
  Out out(m_trace->sink());
  put_ops_track_order(out, put_trace_head(out, chip, {"ops"}));  // track 0, tid 1
  if (!compiled) return;
  m_kernels_fd.fd = set.open_scratch();
  m_kernels = std::make_unique<TextSink>(m_kernels_fd.fd, "the trace's kernels (a scratch file)");
}

OpReportStream::Fd::~Fd() {
  if (fd >= 0) ::close(fd);
}

void OpReportStream::add_call(const RunResult& call, const CompiledGraph* graph) {
  const auto info = [&](size_t i) { return graph ? &graph->info[i] : nullptr; };
  {
    Out out(m_csv->sink());
    for (size_t i = 0; i < call.ops.size(); ++i)
      put_ops_csv_row(out, m_chip, m_next_id + i, call.ops[i], info(i));
  }
  if (m_trace) {
    Out out(m_trace->sink());
    for (size_t i = 0; i < call.ops.size(); ++i)
      put_op_slice(out, m_chip, m_lowering, kOpsTrack, m_next_id + i, call.ops[i], info(i));
  }
  if (m_kernels && graph) {
    Out out(*m_kernels);
    put_kernel_slices(out, m_chip, kKernelsTid, call.ops.data(), graph->info.data(),
                      call.ops.size(), m_next_id);
  }
  m_next_id += call.ops.size();
}

void OpReportStream::finish(uint64_t total_cycles) {
  m_csv->close();
  if (!m_trace) return;
  TextSink& sink = m_trace->sink();
  if (m_kernels) {
    {
      Out out(sink);
      put_kernels_track(out, kKernelsTid);
    }
    m_kernels->finish();
    const auto fail = [] {
      throw std::runtime_error("cannot read back the trace's kernels: " +
                               std::string(std::strerror(errno)));
    };
    if (::lseek(m_kernels_fd.fd, 0, SEEK_SET) != 0) fail();
    std::string piece(TextSink::kFlushBytes, '\0');
    for (;;) {
      const ssize_t n = ::read(m_kernels_fd.fd, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail();
      if (n == 0) break;
      sink.buf().append(piece.data(), static_cast<size_t>(n));
      sink.row_done();
    }
  }
  {
    Out out(sink);
    put_trace_end(out, m_chip, total_cycles, true);
  }
  m_trace->close();
}

}  // namespace npu
