// load_chip: a chip YAML (schema: configs/SCHEMA.md) to a resolved ChipConfig. Keys absent from
// the file keep the default of the arch/ config struct, so the YAML and a Config built in C++
// agree; units are converted here, once (MHz -> ps period, KiB and GiB -> bytes, GB/s -> bytes/s,
// ns -> ps).
#include <cmath>
#include <limits>
#include <string>

#include "loaders.h"
#include "yaml_reader.h"

namespace npu {

namespace {

using config::EnumTable;
using config::MapReader;
using config::Value;

// Caps. Far above any real chip; they exist so that derived products stay inside 64 bits
// (cycles x period_ps, rows x cols x MACs, bytes x 10^12 in transfer_ps).
constexpr double kMinClockMhz = 1;  // period <= 10^6 ps
constexpr uint32_t kMaxCores = 1024;
constexpr uint32_t kMaxArrayDim = 65536;
constexpr uint32_t kMaxMacsPerPe = 1024;
constexpr uint32_t kMaxLanes = 65536;
constexpr uint32_t kMaxOpsPerLane = 1024;
constexpr uint32_t kMaxPerCycle = 1 << 20;       // any per-cycle rate (ops, bytes)
constexpr uint32_t kMaxCycles = 1'000'000;       // pipeline latency, DMA setup
constexpr double kMaxCyclesPerElement = 1e6;     // a measured vector kernel's cost
constexpr uint64_t kMaxKib = uint64_t{1} << 40;  // 2^50 bytes
constexpr uint32_t kMaxBanks = 4096;
constexpr uint32_t kMaxDmaChannels = 64;
constexpr uint32_t kMaxBurstBytes = 1 << 20;
constexpr uint32_t kMaxOutstanding = 65536;
constexpr double kMaxGbps = 1e6;        // 1 PB/s
constexpr double kMaxLatencyNs = 1e6;   // 1 ms
constexpr double kMaxDispatchNs = 1e9;  // 1 s per op
constexpr uint32_t kMaxRequestBytes = 1 << 20;
constexpr uint64_t kMaxQuantumKib = 1 << 20;  // 1 GiB
constexpr double kMaxCapacityGib = 1 << 20;   // 1 PiB of device memory
constexpr double kMaxPj = 1e6;                // per action
constexpr double kMaxMw = 1e6;                // per block
constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr uint64_t kBytesPerKib = 1024;
constexpr double kBytesPerGib = 1024.0 * 1024 * 1024;
constexpr double kBytesPerGb = 1e9;  // GB/s means 10^9 bytes/s
constexpr double kPsPerNs = 1e3;
constexpr double kPsPerUs = 1e6;  // 1 / MHz = 1 us

const EnumTable<Format>& formats() {
  static const EnumTable<Format> table = config::enum_table(kAllFormats, format_name);
  return table;
}

size_t index_of(Format f) {
  return static_cast<size_t>(f);
}

std::string gbps_text(double bytes_per_s) {
  return config::number_text(bytes_per_s / kBytesPerGb) + " GB/s";
}

ClockDomain read_clock(const Value& v) {
  const double mhz = v.as_number(0, true, kInf);
  const double period = std::round(kPsPerUs / mhz);
  if (period < 1) v.fail("a clock this fast has a period below the 1 ps time resolution");
  if (mhz < kMinClockMhz) v.fail("must be at least 1 MHz (the period is capped at 10^6 ps)");
  return ClockDomain{static_cast<uint64_t>(period)};
}

SystolicArrayConfig read_array(const Value& v) {
  MapReader m = v.as_map({"rows", "cols", "dataflow", "overlap_folds", "macs_per_pe_per_cycle"});
  SystolicArrayConfig c;
  c.rows = m.require("rows").as_u32(1, kMaxArrayDim);
  c.cols = m.require("cols").as_u32(1, kMaxArrayDim);
  static const Dataflow kDataflows[] = {Dataflow::kWs, Dataflow::kOs, Dataflow::kIs};
  if (auto x = m.get("dataflow"))
    c.dataflow = x->as_enum(config::enum_table(kDataflows, dataflow_name));
  if (auto x = m.get("overlap_folds")) c.overlap_folds = x->as_bool();
  const Value macs = m.require("macs_per_pe_per_cycle");
  const auto entries = macs.as_map().entries();
  if (entries.empty()) macs.fail("must give at least one format, e.g. `int8: 1`");
  for (const auto& [key, value] : entries)
    c.macs_per_pe_per_cycle[index_of(key.as_enum(formats()))] = value.as_u32(1, kMaxMacsPerPe);
  return c;
}

VectorUnitConfig read_vector(const Value& v) {
  MapReader m = v.as_map({"lanes", "ops_per_lane_per_cycle", "sfu_ops_per_cycle",
                          "pipeline_latency_cycles", "cycles_per_element"});
  VectorUnitConfig c;
  if (auto x = m.get("cycles_per_element")) {
    static const auto kinds = config::enum_table(kAllVectorKinds, vector_kind_name);
    for (const auto& [key, value] : x->as_map().entries())
      c.cycles_per_element[static_cast<size_t>(key.as_enum(kinds))] =
          value.as_number(0, true, kMaxCyclesPerElement);
  }
  if (auto x = m.get("lanes")) c.lanes = x->as_u32(1, kMaxLanes);
  if (auto x = m.get("ops_per_lane_per_cycle"))
    c.ops_per_lane_per_cycle = x->as_u32(1, kMaxOpsPerLane);
  if (auto x = m.get("sfu_ops_per_cycle")) c.sfu_ops_per_cycle = x->as_u32(1, kMaxPerCycle);
  if (auto x = m.get("pipeline_latency_cycles"))
    c.pipeline_latency_cycles = x->as_u32(0, kMaxCycles);
  return c;
}

SramConfig read_sram(const Value& v) {
  MapReader m = v.as_map(
      {"size_kib", "banks", "bank_bytes_per_cycle", "input_kib", "weight_kib", "output_kib"});
  SramConfig c;
  const uint64_t size_kib = m.require("size_kib").as_uint(1, kMaxKib);
  if (auto x = m.get("banks")) c.banks = x->as_u32(1, kMaxBanks);
  if (auto x = m.get("bank_bytes_per_cycle")) c.bank_bytes_per_cycle = x->as_u32(1, kMaxPerCycle);
  const uint64_t input_kib = m.require("input_kib").as_uint(1, kMaxKib);
  const uint64_t weight_kib = m.require("weight_kib").as_uint(1, kMaxKib);
  const uint64_t output_kib = m.require("output_kib").as_uint(1, kMaxKib);
  const uint64_t sum_kib = input_kib + weight_kib + output_kib;  // <= 3 * 2^40: no overflow
  if (sum_kib > size_kib)
    v.fail("the buffers input_kib " + std::to_string(input_kib) + " + weight_kib " +
           std::to_string(weight_kib) + " + output_kib " + std::to_string(output_kib) + " = " +
           std::to_string(sum_kib) + " KiB exceed size_kib " + std::to_string(size_kib) + " KiB");
  c.size_bytes = size_kib * kBytesPerKib;
  c.input_bytes = input_kib * kBytesPerKib;
  c.weight_bytes = weight_kib * kBytesPerKib;
  c.output_bytes = output_kib * kBytesPerKib;
  return c;
}

DmaConfig read_dma(const Value& v) {
  MapReader m = v.as_map({"channels", "bytes_per_cycle", "setup_cycles", "max_burst_bytes",
                          "max_outstanding_bursts", "strides_2d"});
  DmaConfig c;
  if (auto x = m.get("channels")) c.channels = x->as_u32(1, kMaxDmaChannels);
  if (auto x = m.get("bytes_per_cycle")) c.bytes_per_cycle = x->as_u32(1, kMaxPerCycle);
  if (auto x = m.get("setup_cycles")) c.setup_cycles = x->as_u32(0, kMaxCycles);
  if (auto x = m.get("max_burst_bytes")) c.max_burst_bytes = x->as_u32(1, kMaxBurstBytes);
  if (auto x = m.get("max_outstanding_bursts"))
    c.max_outstanding_bursts = x->as_u32(1, kMaxOutstanding);
  if (auto x = m.get("strides_2d")) c.strides_2d = x->as_bool();
  return c;
}

CoreConfig read_core(const Value& v) {
  MapReader m = v.as_map({"array", "vector", "sram", "dma"});
  CoreConfig c;
  c.array = read_array(m.require("array"));
  if (auto x = m.get("vector")) c.vector = read_vector(*x);
  c.sram = read_sram(m.require("sram"));
  if (auto x = m.get("dma")) c.dma = read_dma(*x);
  return c;
}

/// GB/s (10^9 bytes/s) to whole bytes/s.
uint64_t bytes_per_s(double gbps) {
  return static_cast<uint64_t>(std::llround(gbps * kBytesPerGb));
}

MemoryConfig read_memory(const Value& v) {
  MapReader m =
      v.as_map({"model", "peak_gbps", "achievable_fraction", "background_gbps", "latency_ns",
                "max_outstanding", "request_bytes", "arbitration", "quantum_kib", "capacity_gib"});
  MemoryConfig c;
  if (auto x = m.get("model"))
    c.model = x->as_enum(config::enum_table(kAllMemoryModels, memory_model_name));
  const Value peak = m.require("peak_gbps");
  c.peak_bytes_per_s = bytes_per_s(peak.as_number(0, true, kMaxGbps));
  if (c.peak_bytes_per_s == 0) peak.fail("is below 1 byte/s");
  if (auto x = m.get("achievable_fraction")) c.achievable_fraction = x->as_number(0, true, 1);
  if (auto x = m.get("background_gbps")) {
    c.background_bytes_per_s = bytes_per_s(x->as_number(0, false, kMaxGbps));
    // The same test MemoryConfig::reachable_bytes_per_s() makes before returning 0.
    const double share = static_cast<double>(c.peak_bytes_per_s) * c.achievable_fraction;
    if (share <= static_cast<double>(c.background_bytes_per_s))
      x->fail("background traffic " + gbps_text(c.background_bytes_per_s) +
              " leaves no bandwidth for the NPU: peak_gbps " + gbps_text(c.peak_bytes_per_s) +
              " x achievable_fraction " + config::number_text(c.achievable_fraction) + " = " +
              gbps_text(share));
  }
  if (auto x = m.get("latency_ns"))
    c.latency_ps =
        static_cast<uint64_t>(std::llround(x->as_number(0, false, kMaxLatencyNs) * kPsPerNs));
  if (auto x = m.get("max_outstanding")) c.max_outstanding = x->as_u32(1, kMaxOutstanding);
  if (auto x = m.get("request_bytes")) c.request_bytes = x->as_u32(1, kMaxRequestBytes);
  static const Arbitration kPolicies[] = {Arbitration::kRoundRobin, Arbitration::kFifo,
                                          Arbitration::kPriority};
  if (auto x = m.get("arbitration"))
    c.arbitration = x->as_enum(config::enum_table(kPolicies, arbitration_name));
  if (auto x = m.get("quantum_kib")) c.quantum_bytes = x->as_uint(1, kMaxQuantumKib) * kBytesPerKib;
  if (auto x = m.get("capacity_gib")) {
    c.capacity_bytes =
        static_cast<uint64_t>(std::llround(x->as_number(0, true, kMaxCapacityGib) * kBytesPerGib));
    if (c.capacity_bytes == 0) x->fail("is below 1 byte");
  }
  return c;
}

EnergyConfig read_energy(const Value& v, const SystolicArrayConfig& array) {
  MapReader m =
      v.as_map({"mac_pj", "sram_read_pj_per_byte", "sram_write_pj_per_byte", "dram_pj_per_byte",
                "dma_pj_per_byte", "vector_op_pj", "sfu_op_pj", "static_mw"});
  EnergyConfig c;
  const Value mac = m.require("mac_pj");
  std::array<bool, kAllFormats.size()> given{};
  for (const auto& [key, value] : mac.as_map().entries()) {
    const size_t i = index_of(key.as_enum(formats()));
    c.mac_pj[i] = value.as_number(0, false, kMaxPj);
    given[i] = true;
  }
  for (Format f : kAllFormats)
    if (array.supports(f) && !given[index_of(f)])
      mac.fail("no energy for format '" + std::string(format_name(f)) +
               "', which core.array.macs_per_pe_per_cycle lists");

  auto pj = [&](const char* key, double& out) {
    if (auto x = m.get(key)) out = x->as_number(0, false, kMaxPj);
  };
  pj("sram_read_pj_per_byte", c.sram_read_pj_per_byte);
  pj("sram_write_pj_per_byte", c.sram_write_pj_per_byte);
  pj("dram_pj_per_byte", c.dram_pj_per_byte);
  pj("dma_pj_per_byte", c.dma_pj_per_byte);
  pj("vector_op_pj", c.vector_op_pj);
  pj("sfu_op_pj", c.sfu_op_pj);

  if (auto s = m.get("static_mw")) {
    MapReader sm = s->as_map({"array", "vector", "sram", "dma", "memory"});
    auto mw = [&](const char* key, double& out) {
      if (auto x = sm.get(key)) out = x->as_number(0, false, kMaxMw);
    };
    mw("array", c.array_static_mw);
    mw("vector", c.vector_static_mw);
    mw("sram", c.sram_static_mw);
    mw("dma", c.dma_static_mw);
    mw("memory", c.memory_static_mw);
  }
  return c;
}

const char* dispatch_model_name(DispatchModel d) {
  return d == DispatchModel::kPerGraph ? "per_graph" : "per_op";
}

CompilerConfig read_compiler(const Value& v) {
  MapReader m = v.as_map(
      {"fusion", "residency", "prefetch_depth", "mapping", "dispatch", "call_overhead_ns"});
  CompilerConfig c;
  if (auto f = m.get("fusion")) {
    MapReader fm = f->as_map({"epilogue", "prologue", "shared_input", "pool"});
    auto rule = [&](const char* key, bool& out) {
      if (auto x = fm.get(key)) out = x->as_bool();
    };
    rule("epilogue", c.fuse_epilogue);
    rule("prologue", c.fuse_prologue);
    rule("shared_input", c.fuse_shared_input);
    rule("pool", c.fuse_pool);
  }
  if (auto x = m.get("residency")) c.residency = x->as_bool();
  if (auto x = m.get("prefetch_depth"))
    c.prefetch_depth = static_cast<uint32_t>(x->as_uint(0, kMaxPrefetchDepth));
  static const EnumTable<bool> kMappings = {{"search", true}, {"heuristic", false}};
  if (auto x = m.get("mapping")) c.mapping_search = x->as_enum(kMappings);
  static const DispatchModel kModels[] = {DispatchModel::kPerGraph, DispatchModel::kPerOp};
  if (auto x = m.get("dispatch"))
    c.dispatch = x->as_enum(config::enum_table(kModels, dispatch_model_name));
  if (auto x = m.get("call_overhead_ns"))
    c.call_overhead_ps =
        static_cast<uint64_t>(std::llround(x->as_number(0, false, kMaxDispatchNs) * kPsPerNs));
  return c;
}

}  // namespace

ChipConfig load_chip(const std::string& path) {
  return load_chip(config::load_document(path));
}

ChipConfig load_chip(const config::Value& root) {
  MapReader top = root.as_map({"name", "description", "clock_mhz", "cores", "core", "memory",
                               "energy", "dispatch_overhead_ns", "compiler"});
  ChipConfig chip;
  chip.name = top.require("name").as_string();
  if (auto x = top.get("description")) x->as_string();
  chip.clock = read_clock(top.require("clock_mhz"));
  if (auto x = top.get("cores")) chip.cores = x->as_u32(1, kMaxCores);
  chip.core = read_core(top.require("core"));
  chip.memory = read_memory(top.require("memory"));
  chip.energy = read_energy(top.require("energy"), chip.core.array);
  if (auto x = top.get("dispatch_overhead_ns"))
    chip.dispatch_overhead_ps =
        static_cast<uint64_t>(std::llround(x->as_number(0, false, kMaxDispatchNs) * kPsPerNs));
  if (auto x = top.get("compiler")) chip.compiler = read_compiler(*x);
  return chip;
}

}  // namespace npu
