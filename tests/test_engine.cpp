// The engine end to end (sim/scheduler.h): what bounds an op, the roofline floor, energy
// accounting, determinism, inputs it must refuse, and splitting an op across cores.
//
// SystemC elaborates once per process: a TEST calls simulate() at most once, or forks a child per
// simulation (tests/test_fork.h). Every expected number is derived by hand beside its assertion.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "sim/config/error.h"
#include "sim/lower.h"
#include "sim/report.h"
#include "sim/scheduler.h"
#include "test_fork.h"
#include "test_helpers.h"

namespace npu {
namespace {

Op vector_op(std::string name, OpKind kind, uint64_t rows, uint64_t cols, Format f,
             Location a = Location::kDram, Location b = Location::kDram,
             Location c = Location::kDram) {
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.rows = rows, op.cols = cols;
  op.a_format = op.b_format = op.c_format = f;
  op.a_loc = a, op.b_loc = b, op.c_loc = c;
  return op;
}

Op gemm_fmt(std::string name, uint64_t m, uint64_t k, uint64_t n, Format f, uint64_t batch = 1,
            Location a = Location::kDram, Location b = Location::kDram,
            Location c = Location::kDram) {
  Op op = testing::gemm(std::move(name), m, k, n, a, b, c);
  op.a_format = op.b_format = op.c_format = f;
  op.batch = batch;
  return op;
}

/// A 2-core chip with 8x8 int8/int4 arrays, small SRAM buffers (64 KiB each, so the larger ops
/// are tiled), 16 B/cycle of memory with a 100 ns round trip and 16 cycles of DMA setup.
ChipConfig mixed_chip() {
  ChipConfig c = testing::tiny_chip(8, 8);
  c.cores = 2;
  c.core.sram.size_bytes = 256 << 10;
  c.core.sram.input_bytes = c.core.sram.weight_bytes = c.core.sram.output_bytes = 64 << 10;
  c.core.sram.banks = 8;
  c.core.sram.bank_bytes_per_cycle = 16;
  c.core.dma.channels = 2;
  c.core.dma.setup_cycles = 16;
  c.memory.peak_bytes_per_s = 16'000'000'000;
  c.memory.latency_ps = 100'000;
  c.memory.quantum_bytes = 4096;
  return c;
}

/// GEMMs and vector ops of varied shapes, formats and operand locations.
std::vector<Op> mixed_trace() {
  std::vector<Op> ops;
  ops.push_back(gemm_fmt("gemm_odd", 33, 70, 45, Format::kInt8));
  ops.push_back(gemm_fmt("gemv", 1, 256, 512, Format::kInt8, 1, Location::kSram));
  ops.push_back(gemm_fmt("gemm_int4_batched", 64, 96, 80, Format::kInt4, 2));
  ops.push_back(gemm_fmt("gemm_onchip", 16, 16, 16, Format::kInt8, 1, Location::kSram,
                         Location::kSram, Location::kSram));
  ops.push_back(vector_op("softmax", OpKind::kSoftmax, 37, 100, Format::kFp16));
  ops.push_back(vector_op("layernorm", OpKind::kLayerNorm, 64, 768, Format::kInt8));
  ops.push_back(vector_op("add", OpKind::kAdd, 10, 1000, Format::kFp16));
  ops.push_back(vector_op("gelu", OpKind::kGelu, 20, 300, Format::kInt8, Location::kSram,
                          Location::kSram, Location::kDram));
  ops.push_back(vector_op("silu", OpKind::kSilu, 3, 4096, Format::kBf16));
  ops.push_back(vector_op("rmsnorm", OpKind::kRmsNorm, 128, 64, Format::kFp16, Location::kDram,
                          Location::kDram, Location::kSram));
  return ops;
}

/// DRAM bytes an op must move, from its shape alone (each operand in DRAM read once, the result
/// in DRAM written once): the least traffic any tiling can have.
uint64_t min_dram_bytes(const Op& op) {
  uint64_t bytes = 0;
  if (op.kind == OpKind::kGemm) {
    if (op.a_loc == Location::kDram) bytes += bytes_of(op.batch * op.m * op.k, op.a_format);
    if (op.b_loc == Location::kDram) bytes += bytes_of(op.batch * op.k * op.n, op.b_format);
    if (op.c_loc == Location::kDram) bytes += bytes_of(op.batch * op.m * op.n, op.c_format);
  } else {
    const uint64_t elems = op.rows * op.cols;
    if (op.a_loc == Location::kDram) bytes += bytes_of(elems, op.a_format);
    if ((op.kind == OpKind::kAdd || op.kind == OpKind::kMul) && op.b_loc == Location::kDram)
      bytes += bytes_of(elems, op.b_format);
    if (op.c_loc == Location::kDram) bytes += bytes_of(elems, op.c_format);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// (a) What bounds a GEMM as its reuse grows.

TEST(Engine, GemvIsMemoryBoundAndReuseMakesItComputeBound) {
  // C[M,64] = A[M,64] x B[64,64] int8 on one 4x4 ws core, the weights B in DRAM, A and C on
  // chip, 1 GB/s of memory = 1 B/cycle. B is 64 * 64 = 4096 B: at least 4096 cycles of memory
  // whatever M is. The array needs 16 * 16 = 256 folds of 2*4 + 4 + M - 2 = 10 + M cycles (more
  // if the planner cuts M): M = 1 -> 256 * 11 = 2816 < 4096, memory-bound; M = 64 ->
  // 256 * 74 = 18944 > 4096, compute-bound. One simulation per M, each in a child process.
  const std::vector<uint64_t> ms = {1, 2, 4, 8, 16, 32, 64};
  std::vector<Bound> bounds;
  for (uint64_t m : ms) {
    const std::string out = testing::run_in_child([m] {
      ChipConfig chip = testing::tiny_chip();
      chip.memory.peak_bytes_per_s = 1'000'000'000;
      const std::vector<Op> ops = {
          testing::gemm("g", m, 64, 64, Location::kSram, Location::kDram, Location::kSram)};
      const RunResult r = simulate(chip, ops, {});
      const OpRecord& o = r.ops[0];
      std::ostringstream s;
      s << static_cast<int>(o.bound) << " " << o.cycles() << " " << o.array_cycles << " "
        << chip.clock.ps_to_cycles_ceil(o.memory_ps) << " " << o.dram_read_bytes << " "
        << o.roofline_cycles;
      return s.str();
    });
    std::istringstream in(out);
    int bound = -1;
    uint64_t cycles = 0, array = 0, memory = 0, dram = 0, roofline = 0;
    in >> bound >> cycles >> array >> memory >> dram >> roofline;
    ASSERT_FALSE(in.fail()) << out;
    bounds.push_back(static_cast<Bound>(bound));
    // Cutting M would reload B per row block and add a fill per fold: the planner keeps M whole,
    // so B moves once, 4096 B = 4096 cycles of memory at 1 B/cycle.
    EXPECT_EQ(dram, 4096u) << "M=" << m;
    EXPECT_EQ(memory, 4096u) << "M=" << m;
    EXPECT_GE(cycles, roofline) << "M=" << m;
    // However K and N are cut, the array runs at least the 256 folds of 10 + M cycles (exactly
    // that when the cuts are multiples of the 4x4 array, as they are when it matters).
    EXPECT_GE(array, 256 * (10 + m)) << "M=" << m;
    // 256 * (10 + M) vs 4096: M = 4 -> 3584 < 4096, memory-bound; M = 8 -> 4608 > 4096,
    // compute-bound. The crossover is between M = 4 and M = 8.
    if (m <= 4) {
      EXPECT_EQ(array, 256 * (10 + m)) << "M=" << m;
      EXPECT_LT(array, memory) << "M=" << m;
      EXPECT_EQ(static_cast<Bound>(bound), Bound::kMemory) << "M=" << m;
    } else {
      EXPECT_GT(array, memory) << "M=" << m;
      EXPECT_EQ(static_cast<Bound>(bound), Bound::kCompute) << "M=" << m;
    }
  }
  EXPECT_EQ(bounds.front(), Bound::kMemory);
  EXPECT_EQ(bounds.back(), Bound::kCompute);
  // More reuse never turns a compute-bound GEMM back into a memory-bound one.
  bool compute = false;
  for (size_t i = 0; i < ms.size(); ++i) {
    if (bounds[i] == Bound::kCompute) compute = true;
    if (compute) {
      EXPECT_EQ(bounds[i], Bound::kCompute) << "M=" << ms[i];
    }
    EXPECT_TRUE(bounds[i] == Bound::kCompute || bounds[i] == Bound::kMemory) << "M=" << ms[i];
  }
}

// ---------------------------------------------------------------------------------------------
// (b) No op beats its roofline.

TEST(Engine, EveryOpIsAtOrAboveItsRoofline) {
  const ChipConfig chip = mixed_chip();
  const std::vector<Op> ops = mixed_trace();
  const RunResult r = simulate(chip, ops, {});
  ASSERT_EQ(r.ops.size(), ops.size());
  // 16 GB/s at 1 GHz = 16 B/cycle; peak per cycle over 2 cores of 8x8: 128 int8 MACs, 256 int4.
  const double bytes_per_cycle = 16.0;
  uint64_t sum = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const OpRecord& o = r.ops[i];
    SCOPED_TRACE(op.name);
    EXPECT_EQ(o.op, &ops[i]);
    EXPECT_GE(o.cycles(), o.roofline_cycles);
    EXPECT_GT(o.cycles(), 0u);
    EXPECT_EQ(o.macs, op.macs());  // batch * M * K * N for GEMMs, 0 for vector ops
    if (op.kind == OpKind::kGemm) {
      const uint64_t peak = op.a_format == Format::kInt4 ? 2 * 64 * 2 : 2 * 64 * 1;
      EXPECT_GE(o.cycles(), ceil_div(op.macs(), peak));
      EXPECT_GE(o.roofline_cycles, ceil_div(op.macs(), peak));
    }
    // DRAM floor from the shape alone; the op moved at least that much.
    const uint64_t least = min_dram_bytes(op);
    EXPECT_GE(o.dram_read_bytes + o.dram_write_bytes, least);
    EXPECT_GE(static_cast<double>(o.cycles()),
              std::ceil(static_cast<double>(least) / bytes_per_cycle));
    EXPECT_LE(o.array_utilization, 1.0);
    // Ops run back to back: each starts where the previous ended.
    EXPECT_EQ(o.start_cycle, sum);
    sum += o.cycles();
  }
  EXPECT_EQ(r.total_cycles, sum);
  // The vector ops' traffic is exactly their shape's: every row is loaded and stored once.
  // softmax 37 x 100 fp16 in and out of DRAM: 2 * 3700 * 2 B = 14800 B.
  EXPECT_EQ(r.ops[4].dram_read_bytes + r.ops[4].dram_write_bytes, 14800u);
  // add 10 x 1000 fp16, both inputs and the result in DRAM: 3 * 10000 * 2 B = 60000 B.
  EXPECT_EQ(r.ops[6].dram_read_bytes, 40000u);
  EXPECT_EQ(r.ops[6].dram_write_bytes, 20000u);
}

// ---------------------------------------------------------------------------------------------
// (c) Energy accounting.

EnergyConfig energy_table() {
  EnergyConfig e;
  e.mac_pj[static_cast<size_t>(Format::kInt8)] = 0.25;
  e.mac_pj[static_cast<size_t>(Format::kInt4)] = 0.125;
  e.sram_read_pj_per_byte = 0.5;
  e.sram_write_pj_per_byte = 0.75;
  e.dram_pj_per_byte = 10.0;
  e.dma_pj_per_byte = 0.375;
  e.vector_op_pj = 0.0625;
  e.sfu_op_pj = 0.5;
  e.array_static_mw = 10;
  e.vector_static_mw = 5;
  e.sram_static_mw = 20;
  e.dma_static_mw = 2;
  e.memory_static_mw = 50;
  return e;
}

void expect_rel_eq(double a, double b, const char* what) {
  EXPECT_LE(std::fabs(a - b), 1e-12 * std::max(std::fabs(a), std::fabs(b)))
      << what << ": " << a << " vs " << b;
}

TEST(Engine, EnergyIsActionsTimesTablePlusStaticAndSumsOverOps) {
  ChipConfig chip = mixed_chip();
  chip.energy = energy_table();
  const std::vector<Op> ops = mixed_trace();
  const RunResult r = simulate(chip, ops, {});
  const EnergyConfig& t = chip.energy;
  // Static power of the chip: 2 cores x (10 + 5 + 20 + 2) mW + 50 mW = 124 mW. One 1000-ps
  // cycle at 124 mW is 124e-3 W x 1e-9 s = 124e-12 J = 124 pJ.
  const double static_pj_per_cycle = 124.0;
  EnergyBreakdown sum;
  ActionCounts total;
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpRecord& o = r.ops[i];
    const ActionCounts& a = o.actions;
    SCOPED_TRACE(ops[i].name);
    // The actions are consistent with the op's own counters.
    EXPECT_EQ(a.dram_bytes, o.dram_read_bytes + o.dram_write_bytes);
    EXPECT_EQ(a.dma_bytes, a.dram_bytes);  // every DRAM byte passes through a DMA channel
    EXPECT_EQ(a.sram_read_bytes, o.sram_read_bytes);
    EXPECT_EQ(a.sram_write_bytes, o.sram_write_bytes);
    uint64_t macs = 0;
    for (uint64_t m : a.macs_by_format) macs += m;
    EXPECT_EQ(macs, ops[i].macs());
    if (ops[i].kind == OpKind::kGemm) {
      EXPECT_EQ(a.macs_by_format[static_cast<size_t>(ops[i].a_format)], ops[i].macs());
    }
    // Recompute every component by hand from the actions and the table.
    const double mac =
        static_cast<double>(a.macs_by_format[static_cast<size_t>(Format::kInt8)]) * 0.25 +
        static_cast<double>(a.macs_by_format[static_cast<size_t>(Format::kInt4)]) * 0.125;
    const double sram = static_cast<double>(a.sram_read_bytes) * 0.5 +
                        static_cast<double>(a.sram_write_bytes) * 0.75;
    const double dram = static_cast<double>(a.dram_bytes) * 10.0;
    const double dma = static_cast<double>(a.dma_bytes) * 0.375;
    const double vec =
        static_cast<double>(a.alu_ops) * 0.0625 + static_cast<double>(a.sfu_ops) * 0.5;
    const double stat = static_pj_per_cycle * static_cast<double>(o.cycles());
    expect_rel_eq(o.energy.mac, mac, "mac");
    expect_rel_eq(o.energy.sram, sram, "sram");
    expect_rel_eq(o.energy.dram, dram, "dram");
    expect_rel_eq(o.energy.dma, dma, "dma");
    expect_rel_eq(o.energy.vector, vec, "vector");
    expect_rel_eq(o.energy.static_, stat, "static");
    expect_rel_eq(o.energy.total(), mac + sram + dram + dma + vec + stat, "total");
    EXPECT_EQ(t.chip_static_mw(chip.cores), 124.0);
    sum += o.energy;
    for (size_t f = 0; f < kAllFormats.size(); ++f) total.macs_by_format[f] += a.macs_by_format[f];
    total.dram_bytes += a.dram_bytes;
    total.alu_ops += a.alu_ops;
    total.sfu_ops += a.sfu_ops;
  }
  expect_rel_eq(sum.total(), r.energy.total(), "run total");
  expect_rel_eq(sum.static_, r.energy.static_, "run static");
  expect_rel_eq(sum.mac, r.energy.mac, "run mac");
  // The run's static energy is the whole run's time at the chip's static power.
  expect_rel_eq(r.energy.static_, static_pj_per_cycle * static_cast<double>(r.total_cycles),
                "run static vs time");
  EXPECT_EQ(r.actions.macs_by_format, total.macs_by_format);
  EXPECT_EQ(r.actions.dram_bytes, total.dram_bytes);
  EXPECT_EQ(r.actions.alu_ops, total.alu_ops);
  EXPECT_EQ(r.actions.sfu_ops, total.sfu_ops);
  // MAC energy of the whole run from the shapes alone: int8 MACs 33*70*45 + 1*256*512 +
  // 16*16*16 = 103950 + 131072 + 4096 = 239118 at 0.25 pJ; int4 2*64*96*80 = 983040 at 0.125 pJ.
  expect_rel_eq(r.energy.mac, 239118 * 0.25 + 983040 * 0.125, "run mac from shapes");
  // DRAM energy of the softmax from its shape: 14800 B (see above) at 10 pJ/B.
  expect_rel_eq(r.ops[4].energy.dram, 148000.0, "softmax dram");
}

TEST(Engine, AddReadsEachInputInItsOwnFormat) {
  // add over 4 x 64 with A in int8 and B in fp16, result fp16, all on chip (no DMA at all).
  // The unit reads 256 B of A and 512 B of B and writes 512 B of C. One SRAM bank of 16 B/cycle:
  // the pass cannot finish in fewer than (768 + 512) / 16 = 80 cycles, well above the vector
  // unit's own 8 + 256 / 64 = 12 cycles; the planner, which does not model banks, keeps the 4 rows
  // in one step (1 x 12 cycles beats 2 x (8 + 2) and 4 x (8 + 1)).
  ChipConfig chip = testing::tiny_chip();
  chip.core.sram.banks = 1;
  chip.core.sram.bank_bytes_per_cycle = 16;
  Op op = vector_op("add", OpKind::kAdd, 4, 64, Format::kFp16, Location::kSram, Location::kSram,
                    Location::kSram);
  op.a_format = Format::kInt8;
  const std::vector<Op> ops = {op};
  ASSERT_EQ(Lowering(chip).plan(ops[0]).steps, 1u);
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].sram_read_bytes, 768u);
  EXPECT_EQ(r.ops[0].sram_write_bytes, 512u);
  EXPECT_EQ(r.ops[0].cycles(), 80u);
  EXPECT_EQ(r.ops[0].bank_stall_cycles, 68u);  // 80 - 12
}

// ---------------------------------------------------------------------------------------------
// (d) Determinism.

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(Engine, TwoRunsWriteByteIdenticalReports) {
  // Two child processes simulate the same mixed trace (two cores contending for memory) and write
  // ops.csv, summary.json and trace.json; the files must be byte for byte the same.
  char tmpl[] = "/tmp/npusim_determinism_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::filesystem::path root(tmpl);
  for (const char* run : {"a", "b"}) {
    const std::string dir = (root / run).string();
    testing::run_in_child([dir] {
      ChipConfig chip = mixed_chip();
      chip.energy = energy_table();
      const std::vector<Op> ops = mixed_trace();
      const RunResult r = simulate(chip, ops, {});
      write_reports(dir, chip, r);
      return std::string();
    });
  }
  for (const char* file : {"ops.csv", "summary.json", "trace.json"}) {
    const std::string a = slurp(root / "a" / file), b = slurp(root / "b" / file);
    EXPECT_FALSE(a.empty()) << file;
    EXPECT_TRUE(a == b) << file << " differs between two identical runs";
  }
  std::filesystem::remove_all(root);
}

// ---------------------------------------------------------------------------------------------
// (e), (f) Inputs the engine refuses, before simulating anything.

/// Runs simulate() expecting a ConfigError; checks nothing was elaborated or simulated.
ConfigError expect_config_error(const ChipConfig& chip, const std::vector<Op>& ops) {
  try {
    simulate(chip, ops, {});
  } catch (const ConfigError& e) {
    EXPECT_EQ(sc_core::sc_get_status(), sc_core::SC_ELABORATION);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
    EXPECT_TRUE(sc_core::sc_get_top_level_objects().empty());
    return e;
  }
  ADD_FAILURE() << "simulate() did not throw ConfigError";
  return ConfigError("", 0, 0, "", "");
}

TEST(Engine, GemmTileThatCannotFitIsAConfigErrorBeforeSimulating) {
  // fp32 GEMM: even a 1x1x1 tile needs 2 x 4 B = 8 B of the input buffer (double-buffered), and
  // the chip gives it 4 B. A valid op comes first: it must not run either (all ops are planned
  // before the chip is built).
  ChipConfig chip = testing::tiny_chip();
  chip.core.array.macs_per_pe_per_cycle[static_cast<size_t>(Format::kFp32)] = 1;
  chip.core.sram.input_bytes = 4;
  const std::vector<Op> ops = {
      testing::gemm("fine", 4, 4, 4, Location::kSram, Location::kSram, Location::kSram),
      gemm_fmt("big", 1, 1, 1, Format::kFp32)};
  // The first op alone plans: a 1x1 int8 tile needs 2 B of input.
  const ConfigError e = expect_config_error(chip, ops);
  EXPECT_EQ(e.key(), "op 'big'");
  EXPECT_NE(e.message().find("input buffer"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("8 B of the 4 B input buffer"), std::string::npos) << e.message();
}

TEST(Engine, VectorRowLongerThanTheBufferIsAConfigErrorBeforeSimulating) {
  // softmax over rows of 1024 fp16 = 2048 B; double-buffered a row needs 4096 B of the input
  // buffer, which has 1024 B.
  ChipConfig chip = testing::tiny_chip();
  chip.core.sram.input_bytes = 1024;
  const std::vector<Op> ops = {vector_op("sm", OpKind::kSoftmax, 2, 1024, Format::kFp16)};
  const ConfigError e = expect_config_error(chip, ops);
  EXPECT_EQ(e.key(), "op 'sm'");
  EXPECT_NE(e.message().find("4096 B of the 1024 B input buffer"), std::string::npos)
      << e.message();
}

TEST(Engine, GemmInAFormatTheArrayLacksIsAConfigError) {
  // tiny_chip()'s array has MAC rates for int8 and int4 only.
  const ChipConfig chip = testing::tiny_chip();
  const std::vector<Op> ops = {gemm_fmt("half", 8, 8, 8, Format::kFp16)};
  const ConfigError e = expect_config_error(chip, ops);
  EXPECT_EQ(e.key(), "op 'half'");
  EXPECT_NE(e.message().find("fp16"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("macs_per_pe_per_cycle"), std::string::npos) << e.message();
}

TEST(Engine, ChipWithNoReachableBandwidthIsAConfigError) {
  // Background traffic of 8 GB/s takes all of 8 GB/s x 1.0: no bandwidth is left for the NPU.
  // The engine divides by that bandwidth; it must refuse the chip, not crash.
  ChipConfig chip = testing::tiny_chip();
  chip.memory.background_bytes_per_s = 8'000'000'000;
  ASSERT_EQ(chip.memory.reachable_bytes_per_s(), 0u);
  const std::vector<Op> ops = {
      testing::gemm("g", 4, 4, 4, Location::kSram, Location::kSram, Location::kSram)};
  const ConfigError e = expect_config_error(chip, ops);
  EXPECT_NE(e.message().find("background"), std::string::npos) << e.message();
}

// ---------------------------------------------------------------------------------------------
// (g) Splitting an op across cores.

uint64_t cycles_on(uint32_t cores, uint64_t m, uint64_t k, uint64_t n) {
  const std::string out = testing::run_in_child([=] {
    ChipConfig chip = testing::tiny_chip();
    chip.cores = cores;
    const std::vector<Op> ops = {
        testing::gemm("g", m, k, n, Location::kSram, Location::kSram, Location::kSram)};
    return std::to_string(simulate(chip, ops, {}).ops[0].cycles());
  });
  return std::stoull(out);
}

TEST(Engine, SplittingAcrossFourCoresQuartersAComputeBoundGemm) {
  // C[64,64] = A[64,16] x B[16,64], operands on chip, 4x4 ws arrays.
  // 1 core: one tile, 16/4 * 64/4 = 64 folds of 2*4 + 4 + 64 - 2 = 74 cycles = 4736 cycles.
  // 4 cores: N cut in 4 tiles of 16 columns, one per core: 4 * 4 = 16 folds of 74 = 1184 cycles,
  // exactly a quarter (cutting N does not change a fold's length in ws).
  const uint64_t one = cycles_on(1, 64, 16, 64);
  const uint64_t four = cycles_on(4, 64, 16, 64);
  EXPECT_EQ(one, 4736u);
  EXPECT_EQ(four, 1184u);
  EXPECT_EQ(4 * four, one);
}

TEST(Engine, SplittingAlongMPaysTheFillOnEveryCore) {
  // C[64,4] = A[64,16] x B[16,4], operands on chip, 4x4 ws arrays. N = 4 is one column fold, so
  // 4 cores must cut M (ws streams M: each core's fold is shorter but pays the same fill).
  // 1 core: 16/4 = 4 folds of 2*4 + 4 + 64 - 2 = 74 -> 296 cycles.
  // 4 cores: M tiles of 16, 4 folds of 2*4 + 4 + 16 - 2 = 26 -> 104 cycles.
  // Bound by hand: a quarter of the work, 296 / 4 = 74, plus the fill (2R + C - 2 = 10 cycles)
  // that each core's 4 folds repeat: 4 * 10 * (1 - 1/4) = 30. 74 + 30 = 104.
  const uint64_t one = cycles_on(1, 64, 16, 4);
  const uint64_t four = cycles_on(4, 64, 16, 4);
  EXPECT_EQ(one, 296u);
  EXPECT_EQ(four, 104u);
  EXPECT_LE(four, one / 4 + 4 * 10);  // never worse than a quarter plus every fold's fill
  EXPECT_GE(four, ceil_div(one, 4));  // and never better than a perfect split
}

}  // namespace
}  // namespace npu
