#include "report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "output_set.h"

namespace npu {

namespace {

using Json = nlohmann::ordered_json;

std::string shape_of(const Op& op) {
  if (is_spatial_kind(op.kind)) {  // NxHxWxC, window r x s / stride, padding, output channels
    const ConvShape& c = op.conv;
    std::string s =
        fmt::format("{}x{}x{}x{}:{}x{}/{}p{}", op.batch, c.h, c.w, c.c, c.r, c.s, c.stride, c.pad);
    if (op.kind == OpKind::kConv2d) s += fmt::format(":{}{}", c.f, c.depthwise() ? "dw" : "");
    return s;
  }
  if (op.kind == OpKind::kGemm || op.kind == OpKind::kAttention) {
    std::string s = fmt::format("{}x{}x{}", op.m, op.k, op.n);  // attention: queries x dim x keys
    return op.batch > 1 ? fmt::format("{}x{}", op.batch, s) : s;
  }
  return fmt::format("{}x{}", op.rows, op.cols);
}

std::string formats_of(const Op& op) {
  return fmt::format("{}/{}/{}", format_name(op.a_format), format_name(op.b_format),
                     format_name(op.c_format));
}

double seconds(const ChipConfig& chip, uint64_t cycles) {
  return static_cast<double>(chip.clock.cycles_to_ps(cycles)) * 1e-12;
}

/// Escapes a CSV field if it needs it (RFC 4180).
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Json energy_json(const EnergyBreakdown& e) {
  return Json{{"total", e.total()}, {"mac", e.mac},       {"sram", e.sram},     {"dram", e.dram},
              {"dma", e.dma},       {"vector", e.vector}, {"static", e.static_}};
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::filesystem::path p(path);
  const std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  write_replacing(dir, p.filename().string(), content, false);
}

std::string ops_csv(const ChipConfig& chip, const RunResult& r) {
  std::string out =
      "id,name,kind,layer,class,phase,step,shape,formats,tile,start_cycle,end_cycle,cycles,compute_"
      "cycles,"
      "stall_cycles,bank_stall_cycles,dispatch_cycles,roofline_cycles,macs,array_util,"
      "dram_read_bytes,"
      "dram_write_bytes,sram_read_bytes,sram_write_bytes,dma_descriptors,achieved_gbps,"
      "arith_intensity,array_cycles,vector_cycles,memory_busy_cycles,bound,energy_pj,mac_pj,sram_"
      "pj,dram_pj,dma_pj,vector_pj,static_pj\n";
  for (size_t i = 0; i < r.ops.size(); ++i) {
    const OpRecord& o = r.ops[i];
    const Op& op = *o.op;
    const uint64_t dram = o.dram_read_bytes + o.dram_write_bytes;
    const double secs = seconds(chip, o.cycles());
    const double gbps = secs > 0 ? static_cast<double>(dram) / secs * 1e-9 : 0.0;
    // Arithmetic intensity: ops (2 per MAC; vector ALU+SFU ops otherwise) per DRAM byte.
    const uint64_t work = o.macs > 0 ? 2 * o.macs : o.actions.alu_ops + o.actions.sfu_ops;
    const double intensity = dram > 0 ? static_cast<double>(work) / static_cast<double>(dram) : 0.0;
    const std::string tile =
        op.kind == OpKind::kGemm || op.kind == OpKind::kAttention || is_spatial_kind(op.kind)
            ? fmt::format("{}x{}x{}", o.plan.mt, o.plan.kt, o.plan.nt)
            : fmt::format("{}x{}", o.plan.mt, o.plan.nt);
    const EnergyBreakdown& e = o.energy;
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.4f},{},{},{},{},{},{:.3f},"
        "{:.3f},"
        "{},{},"
        "{},{},"
        "{:.1f},{:.1f},{:.1f},{:.1f},{:.1f},{:.1f},{:.1f}\n",
        i, csv_field(op.name), op_kind_name(op.kind), csv_field(op.layer), csv_field(op.op_class),
        csv_field(op.phase), op.step, shape_of(op), formats_of(op), tile, o.start_cycle,
        o.end_cycle, o.cycles(), o.cycles() - o.stall_cycles, o.stall_cycles, o.bank_stall_cycles,
        o.dispatch_cycles, o.roofline_cycles, o.macs, o.array_utilization, o.dram_read_bytes,
        o.dram_write_bytes, o.sram_read_bytes, o.sram_write_bytes, o.dma_descriptors, gbps,
        intensity, o.array_cycles, o.vector_cycles, chip.clock.ps_to_cycles_ceil(o.memory_ps),
        bound_name(o.bound), e.total(), e.mac, e.sram, e.dram, e.dma, e.vector, e.static_);
  }
  return out;
}

namespace {

constexpr Bound kAllBounds[] = {Bound::kCompute, Bound::kMemory, Bound::kVector, Bound::kLatency};

/// Cycles by what bound the ops, every bound named (0 when none).
Json bound_json(const std::array<uint64_t, 4>& cycles) {
  Json j = Json::object();
  for (size_t b = 0; b < cycles.size(); ++b) j[bound_name(kAllBounds[b])] = cycles[b];
  return j;
}

std::string dominant_bound(const std::array<uint64_t, 4>& cycles) {
  size_t top = 0;
  for (size_t b = 1; b < cycles.size(); ++b)
    if (cycles[b] > cycles[top]) top = b;
  return bound_name(kAllBounds[top]);
}

/// Cycles, energy, bytes and MACs of a set of ops, and the cycles by what bound them.
struct Totals {
  uint64_t ops = 0, cycles = 0, macs = 0, dram_bytes = 0;
  double energy_pj = 0;
  std::array<uint64_t, 4> bound_cycles{};  ///< in kAllBounds order
  void add(const OpRecord& o) {
    ++ops;
    cycles += o.cycles();
    macs += o.macs;
    dram_bytes += o.dram_read_bytes + o.dram_write_bytes;
    energy_pj += o.energy.total();
    bound_cycles[static_cast<size_t>(o.bound)] += o.cycles();
  }
};

/// `bound`: what bound most of the cycles (ties: the first of compute, memory, vector, latency).
Json totals_json(const ChipConfig& chip, const Totals& t) {
  return Json{{"ops", t.ops},
              {"cycles", t.cycles},
              {"seconds", seconds(chip, t.cycles)},
              {"macs", t.macs},
              {"dram_bytes", t.dram_bytes},
              {"energy_pj", t.energy_pj},
              {"cycles_by_bound", bound_json(t.bound_cycles)},
              {"bound", dominant_bound(t.bound_cycles)}};
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
Json workload_json(const ChipConfig& chip, const RunResult& r, const Workload& w) {
  const RunSpec& s = w.spec;
  Totals prefill, decode;
  std::vector<Totals> steps(w.decode_steps);
  for (const OpRecord& o : r.ops) {
    if (o.op->phase == "prefill") prefill.add(o);
    if (o.op->phase == "decode") {
      decode.add(o);
      if (o.op->step < steps.size()) steps[o.op->step].add(o);
    }
  }
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
  if (w.prefill_tokens > 0) {
    const double secs = seconds(chip, prefill.cycles);
    Json p = totals_json(chip, prefill);
    p["tokens"] = w.prefill_tokens;
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
    Json step_tps = Json::array();
    for (const Totals& t : steps) {
      const double ss = seconds(chip, t.cycles);
      step_tps.push_back(ss > 0 ? static_cast<double>(s.batch) / ss : 0.0);
    }
    d["step_tokens_per_s"] = step_tps;  // per decode step: batch / step time
    j["decode"] = d;
  }
  return j;
}

}  // namespace

std::string summary_json(const ChipConfig& chip, const RunResult& r, const Workload* w) {
  const double secs = seconds(chip, r.total_cycles);
  uint64_t macs = 0, dram_r = 0, dram_w = 0;
  std::array<uint64_t, 4> bound_cycles{};
  for (const OpRecord& o : r.ops) {
    macs += o.macs;
    dram_r += o.dram_read_bytes;
    dram_w += o.dram_write_bytes;
    bound_cycles[static_cast<size_t>(o.bound)] += o.cycles();
  }
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
      {"ops", r.ops.size()},
      {"total_cycles", r.total_cycles},
      {"seconds", secs},
      {"macs", macs},
      {"dram_read_bytes", dram_r},
      {"dram_write_bytes", dram_w},
      {"achieved_gbps", secs > 0 ? static_cast<double>(dram_r + dram_w) / secs * 1e-9 : 0.0},
      {"reachable_gbps", static_cast<double>(chip.memory.reachable_bytes_per_s()) * 1e-9},
      {"achieved_tops", tops},
      {"peak_tops", peak},
      {"energy_pj", energy_json(r.energy)},
      {"energy_j", energy_j},
      {"average_power_w", watts},
      {"tops_per_w", watts > 0 ? tops / watts : 0.0},
      {"cycles_by_bound", bound_json(bound_cycles)},
      {"bound", dominant_bound(bound_cycles)},
      {"area", area_json(chip)},
  };
  std::map<std::string, Totals> classes;
  for (const OpRecord& o : r.ops) classes[o.op->op_class.empty() ? "other" : o.op->op_class].add(o);
  Json by_class = Json::object();
  for (const auto& [k, t] : classes) by_class[k] = totals_json(chip, t);
  j["by_class"] = by_class;
  if (w) j["workload"] = workload_json(chip, r, *w);
  return j.dump(2) + "\n";
}

std::string trace_json(const ChipConfig& chip, const RunResult& r) {
  // Chrome trace event format; timestamps in microseconds (fractional, ps resolution).
  (void)chip;
  const Timeline& tl = r.timeline;
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  for (size_t t = 0; t < tl.tracks().size(); ++t) {
    Json meta{{"name", "thread_name"},
              {"ph", "M"},
              {"pid", 0},
              {"tid", t},
              {"args", {{"name", tl.tracks()[t]}}}};
    out += meta.dump() + ",\n";
  }
  for (const TimelineEvent& e : tl.events()) {
    out += fmt::format(
        "{{\"name\":{},\"ph\":\"X\",\"pid\":0,\"tid\":{},\"ts\":{:.6f},\"dur\":{:.6f}}},\n",
        Json(tl.labels()[e.label]).dump(), e.track, static_cast<double>(e.start_ps) * 1e-6,
        static_cast<double>(e.end_ps - e.start_ps) * 1e-6);
  }
  out += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"args\":{\"name\":" +
         Json(chip.name).dump() + "}}\n]}\n";
  return out;
}

std::string summary_text(const ChipConfig& chip, const RunResult& r, const Workload* w) {
  const double secs = seconds(chip, r.total_cycles);
  uint64_t macs = 0, dram = 0;
  std::map<std::string, size_t> bound_ops;
  for (const OpRecord& o : r.ops) {
    macs += o.macs;
    dram += o.dram_read_bytes + o.dram_write_bytes;
    ++bound_ops[bound_name(o.bound)];
  }
  std::string bounds;
  for (const auto& [k, v] : bound_ops) bounds += fmt::format(" {} {}", k, v);
  const double energy_j = r.energy.total() * 1e-12;
  std::string text = fmt::format(
      "chip {} ({} core{} @ {:.0f} MHz), {} ops\n"
      "  time     {} cycles = {:.3f} ms\n"
      "  compute  {:.3f} GMAC, {:.3f} TOPS achieved\n"
      "  memory   {:.3f} MB DRAM traffic, {:.2f} GB/s achieved of {:.2f} reachable\n"
      "  energy   {:.3f} mJ, {:.3f} W average\n"
      "  bound   {}\n",
      chip.name, chip.cores, chip.cores == 1 ? "" : "s", chip.clock.freq_hz() * 1e-6, r.ops.size(),
      r.total_cycles, secs * 1e3, static_cast<double>(macs) * 1e-9,
      secs > 0 ? 2.0 * static_cast<double>(macs) / secs * 1e-12 : 0.0,
      static_cast<double>(dram) * 1e-6, secs > 0 ? static_cast<double>(dram) / secs * 1e-9 : 0.0,
      static_cast<double>(chip.memory.reachable_bytes_per_s()) * 1e-9, energy_j * 1e3,
      secs > 0 ? energy_j / secs : 0.0, bounds);
  if (w) {
    Totals prefill, decode;
    for (const OpRecord& o : r.ops) (o.op->phase == "prefill" ? prefill : decode).add(o);
    text += fmt::format(
        "  model    {}, batch {}, weights {}, activations {}, KV {}, {} attention\n", w->model,
        w->spec.batch, format_name(w->spec.weights), format_name(w->spec.activations),
        format_name(w->spec.kv), attention_impl_name(w->spec.attention));
    if (w->prefill_tokens > 0) {
      const double secs = seconds(chip, prefill.cycles);
      text += fmt::format(
          "  prefill  {} tokens: time to first token {:.3f} ms, {:.1f} tokens/s, {:.3f} mJ/token\n",
          w->prefill_tokens, secs * 1e3, static_cast<double>(w->prefill_tokens) / secs,
          prefill.energy_pj * 1e-9 / static_cast<double>(w->prefill_tokens));
    }
    if (w->decode_tokens > 0) {
      const double secs = seconds(chip, decode.cycles);
      text +=
          fmt::format("  decode   {} tokens from context {}: {:.2f} tokens/s, {:.3f} mJ/token\n",
                      w->decode_tokens, w->context, static_cast<double>(w->decode_tokens) / secs,
                      decode.energy_pj * 1e-9 / static_cast<double>(w->decode_tokens));
    }
    text += fmt::format("  memory   weights {:.1f} MiB, KV cache {:.1f} MiB at its largest\n",
                        static_cast<double>(w->footprint.weight_bytes) / (1 << 20),
                        static_cast<double>(w->footprint.kv_cache_bytes) / (1 << 20));
  }
  return text;
}

void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult& r,
                   const Workload* w, bool force) {
  OutputSet set(dir, force);
  set.write("ops.csv", ops_csv(chip, r));
  if (r.timeline.enabled()) set.write("trace.json", trace_json(chip, r));
  set.write("summary.json", summary_json(chip, r, w));
  set.commit();
}

}  // namespace npu
