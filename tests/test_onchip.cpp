// Activations kept on chip between ops: a conv -> maxpool -> conv -> add chain whose tensors are
// written with `c: sram` and read with `a: sram` / `b: sram` moves no DRAM bytes for them (only the
// network input, the weights and the final output), counted by hand; and
// scripts/gen_cnn_traces.py --onchip-kib writes traces whose on-chip tensors have a writer and
// a reader of the same size.
//
// SystemC elaborates once per process: a TEST calls simulate() at most once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sim/config/loaders.h"
#include "sim/lower.h"
#include "sim/scheduler.h"
#include "temp_files.h"
#include "test_helpers.h"

namespace npu {
namespace {

namespace fs = std::filesystem;

const std::string kSource = NPUSIM_SOURCE_DIR;

class OnChip : public testing::TempFileTest {
 protected:
};

// int8 throughout. c1: 8 x 8 x 4 -> 8 x 8 x 8 (3x3, pad 1); mp: 2x2 stride 2 -> 4 x 4 x 8;
// c2: 1x1 -> 4 x 4 x 8; add: c2 + mp (the skip). LOCS_* are replaced per test.
const char* const kChain =
    "ops:\n"
    "  - {name: c1, kind: conv2d, h: 8, w: 8, channels: 4, filters: 8, r: 3, s: 3, pad: 1, "
    "format: int8, C1}\n"
    "  - {name: mp, kind: maxpool, h: 8, w: 8, channels: 8, r: 2, s: 2, stride: 2, format: int8, "
    "MP}\n"
    "  - {name: c2, kind: conv2d, h: 4, w: 4, channels: 8, filters: 8, r: 1, s: 1, format: int8, "
    "C2}\n"
    "  - {name: add, kind: add, rows: 16, cols: 8, format: int8, ADD}\n";

std::string chain(const std::string& c1, const std::string& mp, const std::string& c2,
                  const std::string& add) {
  std::string s = kChain;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"C1", c1}, {"MP", mp}, {"C2", c2}, {"ADD", add}})
    s.replace(s.find(key + "}"), key.size(), value);
  return s;
}

/// The tiny chip with memory so fast that the planner has nothing to overlap: every tiling costs
/// its array or vector cycles, and the one with the fewest steps wins.
ChipConfig fast_memory_chip() {
  ChipConfig chip = testing::tiny_chip(4, 4);
  chip.memory.peak_bytes_per_s = uint64_t{1} << 50;
  chip.core.dma.bytes_per_cycle = uint64_t{1} << 20;
  return chip;
}

/// Every op of `ops` is planned as one step on `chip`: each input and weight byte is loaded
/// once, so the counts below hold.
void expect_single_steps(const ChipConfig& chip, const std::vector<Op>& ops) {
  for (const Op& op : ops) EXPECT_EQ(Lowering(chip).plan(op).steps, 1u) << op.name;
}

TEST_F(OnChip, SramActivationsThroughConvPoolConvAddCostNoDram) {
  // Only the input (a: dram by default at c1), the weights (b: dram) and the add's output (c:
  // dram) touch DRAM:
  //   c1   reads the 8 x 8 x 4 input, 256 B, and 3 x 3 x 4 x 8 = 288 B of weights; writes 0
  //   mp   reads 0 (a: sram), writes 0 (c: sram)
  //   c2   reads 1 x 1 x 8 x 8 = 64 B of weights; writes 0
  //   add  reads 0 (a: sram, b: sram), writes 4 x 4 x 8 = 128 B
  const ChipConfig chip = fast_memory_chip();
  const std::vector<Op> ops = load_trace(write_file(
      "t.yaml", chain("c: sram", "a: sram, c: sram", "a: sram, c: sram", "a: sram, b: sram")));
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].a_loc, Location::kDram);
  EXPECT_EQ(ops[1].a_loc, Location::kSram);
  EXPECT_EQ(ops[3].b_loc, Location::kSram);
  expect_single_steps(chip, ops);
  const RunResult r = simulate(chip, ops, {});
  ASSERT_EQ(r.ops.size(), 4u);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {
      {256 + 288, 0}, {0, 0}, {64, 0}, {0, 128}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.ops[i].dram_read_bytes, expected[i].first) << ops[i].name;
    EXPECT_EQ(r.ops[i].dram_write_bytes, expected[i].second) << ops[i].name;
  }
}

TEST_F(OnChip, TheSameChainThroughDramMovesEveryTensor) {
  // The control: every tensor through DRAM.
  //   c1   reads 256 + 288 B, writes 8 x 8 x 8 = 512 B
  //   mp   reads its 512 B input (2x2 stride 2 windows tile it), writes 4 x 4 x 8 = 128 B
  //   c2   reads 128 B + 64 B of weights, writes 128 B
  //   add  reads 128 + 128 B, writes 128 B
  const ChipConfig chip = fast_memory_chip();
  const std::vector<Op> ops = load_trace(
      write_file("t.yaml", chain("c: dram", "a: dram", "a: dram", "a: dram, b: dram, c: dram")));
  expect_single_steps(chip, ops);
  const RunResult r = simulate(chip, ops, {});
  ASSERT_EQ(r.ops.size(), 4u);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {
      {256 + 288, 512}, {512, 128}, {128 + 64, 128}, {256, 128}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.ops[i].dram_read_bytes, expected[i].first) << ops[i].name;
    EXPECT_EQ(r.ops[i].dram_write_bytes, expected[i].second) << ops[i].name;
  }
}

/// Elements of the input an op reads through `a` (and `b` for an add: the same count).
uint64_t input_elems(const Op& op) {
  switch (op.kind) {
    case OpKind::kConv2d:
    case OpKind::kMaxPool:
    case OpKind::kAvgPool:
      return op.batch * op.conv.h * op.conv.w * op.conv.c;
    case OpKind::kGemm:
      return op.batch * op.m * op.k;
    default:
      return op.rows * op.cols;
  }
}

uint64_t output_elems(const Op& op) {
  switch (op.kind) {
    case OpKind::kConv2d:
      return op.batch * op.conv.out_h() * op.conv.out_w() * op.conv.f;
    case OpKind::kMaxPool:
    case OpKind::kAvgPool:
      return op.batch * op.conv.out_h() * op.conv.out_w() * op.conv.c;
    case OpKind::kGemm:
      return op.batch * op.m * op.n;
    default:
      return op.rows * op.cols;
  }
}

TEST_F(OnChip, GeneratedResNet50KeepsAgreeingTensorsOnChip) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  const std::string trace = path("r50.yaml");
  const testing::ProcessResult g = testing::run_process(
      "/usr/bin/python3",
      {kSource + "/scripts/gen_cnn_traces.py", "resnet50", "--onchip-kib", "2048", "-o", trace});
  ASSERT_EQ(g.status, 0) << g.err;
  const std::vector<Op> ops = load_trace(trace);
  ASSERT_EQ(ops.size(), 72u);
  // The network input and the classifier's output stay in DRAM; weights are never on chip.
  EXPECT_EQ(ops.front().a_loc, Location::kDram);
  EXPECT_EQ(ops.back().c_loc, Location::kDram);
  // Each tensor read from SRAM was written to SRAM by an earlier op with as many elements, and
  // each tensor written to SRAM is read from SRAM by a later op with as many.
  size_t writes = 0, reads = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.kind == OpKind::kConv2d || op.kind == OpKind::kGemm) {
      EXPECT_EQ(op.b_loc, Location::kDram) << op.name << ": weights on chip";
    }
    const bool reads_a = op.a_loc == Location::kSram;
    const bool reads_b = op.kind == OpKind::kAdd && op.b_loc == Location::kSram;
    if (reads_a || reads_b) {
      reads += (reads_a ? 1 : 0) + (reads_b ? 1 : 0);
      bool found = false;
      for (size_t j = 0; j < i && !found; ++j)
        found = ops[j].c_loc == Location::kSram && output_elems(ops[j]) == input_elems(op);
      EXPECT_TRUE(found) << op.name << " reads an on-chip tensor no earlier op wrote there";
    }
    if (op.c_loc == Location::kSram) {
      ++writes;
      bool found = false;
      for (size_t j = i + 1; j < ops.size() && !found; ++j)
        found = (ops[j].a_loc == Location::kSram ||
                 (ops[j].kind == OpKind::kAdd && ops[j].b_loc == Location::kSram)) &&
                input_elems(ops[j]) == output_elems(op);
      EXPECT_TRUE(found) << op.name << " writes an on-chip tensor no later op reads from there";
    }
  }
  // 69 of the 72 tensors at 2048 KiB: all but the classifier's output (DRAM) and two of
  // layer1's 56 x 56 x 256 block outputs (784 KiB), written while the add's two 784 KiB inputs
  // are live (2352 KiB).
  EXPECT_EQ(writes, 69u);
  EXPECT_GE(reads, writes);
  // And the trace runs.
  const testing::ProcessResult r = testing::run_process(
      NPUSIM_BINARY,
      {"run", "--arch", "hexagon-v75", "--trace", trace, "--out", path("run"), "--quiet"});
  EXPECT_EQ(r.status, 0) << r.err;
}

}  // namespace
}  // namespace npu
