// Convolutions and pools (conv2d, maxpool, avgpool): the implicit GEMM's cycles on the array,
// the input traffic (the region a tile's windows read, not the im2col matrix), depthwise convs
// and pools on the vector unit, the trace keys' errors through the CLI, the trace round trip,
// and the shipped CNN traces (their MACs against the published counts, and a run of each).
//
// SystemC elaborates once per process: a TEST calls simulate() at most once. Every expected
// number is derived by hand beside its assertion.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sim/config/loaders.h"
#include "sim/config/trace_writer.h"
#include "sim/lower.h"
#include "sim/scheduler.h"
#include "temp_files.h"
#include "test_helpers.h"

namespace npu {
namespace {

namespace fs = std::filesystem;

const std::string kSource = NPUSIM_SOURCE_DIR;

/// A conv2d of `batch` h x w x c images, f filters of r x s, in int8 with every operand at `loc`.
Op conv(std::string name, uint64_t h, uint64_t w, uint64_t c, uint64_t f, uint64_t r, uint64_t s,
        uint64_t stride, uint64_t pad, Location loc = Location::kSram) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kConv2d;
  op.conv.h = h, op.conv.w = w, op.conv.c = c, op.conv.f = f;
  op.conv.r = r, op.conv.s = s, op.conv.stride = stride, op.conv.pad = pad;
  op.a_loc = op.b_loc = op.c_loc = loc;
  return op;
}

Op pool(std::string name, OpKind kind, uint64_t h, uint64_t w, uint64_t c, uint64_t r,
        uint64_t stride, uint64_t pad = 0) {
  Op op = conv(std::move(name), h, w, c, 0, r, r, stride, pad);
  op.kind = kind;
  op.b_loc = Location::kDram;  // a pool has no second input (the loader's default)
  return op;
}

// ---------------------------------------------------------------------------------------------
// Geometry

TEST(ConvGeometry, OutputSizeAndMacs) {
  // ResNet-50's conv1: 224 + 2 x 3 - 7 = 223, / 2 = 111, + 1 = 112.
  Op op = conv("c1", 224, 224, 3, 64, 7, 7, 2, 3);
  EXPECT_EQ(op.conv.out_h(), 112u);
  EXPECT_EQ(op.conv.out_w(), 112u);
  EXPECT_EQ(op.macs(), 112u * 112 * 64 * 7 * 7 * 3);  // 118,013,952
  // Depthwise: one input channel per filter.
  Op dw = conv("dw", 112, 112, 32, 32, 3, 3, 1, 1);
  dw.conv.groups = 32;
  EXPECT_EQ(dw.macs(), 112u * 112 * 32 * 9);
  EXPECT_EQ(pool("p", OpKind::kMaxPool, 8, 8, 4, 2, 2).macs(), 0u);
}

TEST(ConvGeometry, CoveredInputsMatchesCountingEveryWindow) {
  // Against brute force: mark every input index some window of [first, first + count) reads.
  for (uint64_t in = 1; in <= 12; ++in)
    for (uint64_t k = 1; k <= 5; ++k)
      for (uint64_t st = 1; st <= 4; ++st)
        for (uint64_t pad = 0; pad <= 3; ++pad) {
          if (k > in + 2 * pad) continue;
          const uint64_t outs = (in + 2 * pad - k) / st + 1;
          for (uint64_t first = 0; first < outs; ++first)
            for (uint64_t count = 1; first + count <= outs; ++count) {
              std::vector<bool> read(in, false);
              for (uint64_t o = first; o < first + count; ++o)
                for (uint64_t j = 0; j < k; ++j) {
                  const int64_t i = static_cast<int64_t>(o * st + j) - static_cast<int64_t>(pad);
                  if (i >= 0 && i < static_cast<int64_t>(in)) read[static_cast<size_t>(i)] = true;
                }
              uint64_t want = 0;
              for (bool b : read) want += b;
              ASSERT_EQ(covered_inputs(first, count, k, st, pad, in), want)
                  << "in " << in << " k " << k << " stride " << st << " pad " << pad << " outputs ["
                  << first << ", " << first + count << ")";
            }
        }
}

// ---------------------------------------------------------------------------------------------
// Cycles: the implicit GEMM on the array

TEST(Conv, CyclesAreTheImplicitGemmsSystolicCycles) {
  // One core, a 4x4 weight-stationary int8 array (tiny_chip), every operand in SRAM: no DMA,
  // so an op's cycles are its array cycles.
  //
  // conv A: 1 x 6 x 6 x 2 input, 4 filters of 3 x 3, stride 1, no padding. out = (6 - 3)/1 + 1 =
  // 4 x 4. Implicit GEMM: M = 1 x 4 x 4 = 16, K = 3 x 3 x 2 = 18, N = 4. ws: Sr = K = 18 ->
  // ceil(18/4) = 5 row folds, Sc = N = 4 -> 1 column fold, T = M = 16: 5 folds of
  // 2R + C + T - 2 = 8 + 4 + 16 - 2 = 26 cycles = 130 cycles. One tile is the fastest tiling
  // (cutting M halves T but keeps 5 folds a tile: 2 x 5 x 18 = 180; slicing the channels gives
  // 2 x ceil(9/4) = 6 folds: 156; cutting N doubles the folds).
  //
  // conv B: 1 x 7 x 7 x 3, 8 filters of 3 x 3, stride 2, pad 1. out = (7 + 2 - 3)/2 + 1 = 4 x 4.
  // M = 16, K = 27, N = 8: ceil(27/4) = 7 x ceil(8/4) = 2 = 14 folds of 26 = 364 cycles.
  //
  // The GEMMs 16x18x4 and 16x27x8 must cost exactly the same.
  const ChipConfig chip = testing::tiny_chip(4, 4);
  const std::vector<Op> ops = {
      conv("a", 6, 6, 2, 4, 3, 3, 1, 0), testing::gemm("a_gemm", 16, 18, 4),
      conv("b", 7, 7, 3, 8, 3, 3, 2, 1), testing::gemm("b_gemm", 16, 27, 8)};
  EXPECT_EQ(gemm_timing(chip.core.array, 16, 18, 4, Format::kInt8).cycles, 130u);
  EXPECT_EQ(gemm_timing(chip.core.array, 16, 27, 8, Format::kInt8).cycles, 364u);
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 130u);
  EXPECT_EQ(r.ops[1].cycles(), 130u);
  EXPECT_EQ(r.ops[2].cycles(), 364u);
  EXPECT_EQ(r.ops[3].cycles(), 364u);
  EXPECT_EQ(r.ops[0].macs, 16u * 18 * 4);
  EXPECT_EQ(r.ops[2].macs, 16u * 27 * 8);
  EXPECT_EQ(r.ops[0].array_cycles, 130u);
  EXPECT_EQ(r.ops[0].vector_cycles, 0u);
}

// ---------------------------------------------------------------------------------------------
// DRAM traffic: the input region, not im2col

/// Bytes of the first load of each step (the input region; B and C are in SRAM here).
uint64_t input_bytes_loaded(const ChipConfig& chip, const Op& op, const TilePlan& p) {
  uint64_t bytes = 0;
  for (const CoreProgram& prog : Lowering(chip).lower(op, p, 0))
    for (const TileStep& s : prog.steps)
      for (const DmaDescriptor& d : s.loads) bytes += d.bytes();
  return bytes;
}

TEST(ConvTraffic, OneTileLoadsTheUniqueInputOnce) {
  // 1 x 8 x 8 x 4 int8 input (256 B) in DRAM, 8 filters of 3 x 3, stride 1, pad 1 (weights and
  // output on chip). The im2col matrix would be M x K = 64 x 36 = 2304 B; the tile reads the
  // 8 x 8 x 4 = 256 B it covers (the padding is never loaded). One tile is the plan: the array
  // needs 9 x 2 = 18 folds of 8 + 4 + 64 - 2 = 74 = 1332 cycles and the load 256 B / 8 B/cycle =
  // 32; cutting M into two tiles costs 2 x 18 x 42 = 1512.
  const ChipConfig chip = testing::tiny_chip(4, 4);
  Op op = conv("c", 8, 8, 4, 8, 3, 3, 1, 1);
  op.a_loc = Location::kDram;
  const TilePlan p = Lowering(chip).plan(op);
  EXPECT_EQ(p.steps, 1u);
  EXPECT_EQ(input_bytes_loaded(chip, op, p), 256u);
  const RunResult r = simulate(chip, {op}, {});
  EXPECT_EQ(r.ops[0].dram_read_bytes, 256u);
  EXPECT_EQ(r.ops[0].dram_write_bytes, 0u);
}

TEST(ConvTraffic, RowBlocksReadTheirHalo) {
  // The same conv cut into 4 blocks of 2 output rows (a plan given by hand). Output rows
  // [2i, 2i + 2) read input rows [2i - 1, 2i + 3) within [0, 8): 3, 4, 4, 3 rows = 14 rows of
  // 8 x 4 B = 448 B: the 256 B of input plus the 2-row halo (r - stride) at each of the 3
  // boundaries, 3 x 2 x 32 = 192 B.
  const ChipConfig chip = testing::tiny_chip(4, 4);
  Op op = conv("c", 8, 8, 4, 8, 3, 3, 1, 1);
  op.a_loc = Location::kDram;
  TilePlan p{16, 8, 36, 4, Format::kInt8, false};
  p.images = 1, p.out_rows = 2, p.out_cols = 8;
  EXPECT_EQ(input_bytes_loaded(chip, op, p), 448u);
}

TEST(ConvTraffic, StrideAboveTheKernelSkipsInputs) {
  // 1x1 conv of stride 2 (ResNet's downsample) on 8 x 8 x 4: outputs read the even rows and
  // columns only, 4 x 4 x 4 = 64 B of the 256.
  const ChipConfig chip = testing::tiny_chip(4, 4);
  Op op = conv("ds", 8, 8, 4, 8, 1, 1, 2, 0);
  op.a_loc = Location::kDram;
  TilePlan p{16, 8, 4, 1, Format::kInt8, false};
  p.images = 1, p.out_rows = 4, p.out_cols = 4;
  EXPECT_EQ(input_bytes_loaded(chip, op, p), 64u);
}

TEST(ConvTraffic, ChannelSlicesLoadTheirChannelsOfTheRegion) {
  // 8 x 8 x 4 in slices of 2 channels (K tile = 3 x 3 x 2 = 18), one spatial tile: each slice
  // loads 64 pixels x 2 B = 128 B, one run of 2 channels per pixel (64 rows of 2 B); 256 B in all.
  const ChipConfig chip = testing::tiny_chip(4, 4);
  Op op = conv("c", 8, 8, 4, 8, 3, 3, 1, 1);
  op.a_loc = Location::kDram;
  TilePlan p{64, 8, 18, 2, Format::kInt8, false};
  p.images = 1, p.out_rows = 8, p.out_cols = 8;
  const std::vector<CoreProgram> progs = Lowering(chip).lower(op, p, 0);
  ASSERT_EQ(progs[0].steps.size(), 2u);
  for (const TileStep& s : progs[0].steps) {
    ASSERT_EQ(s.loads.size(), 1u);
    EXPECT_EQ(s.loads[0].rows, 64u);
    EXPECT_EQ(s.loads[0].row_bytes, 2u);
    ASSERT_EQ(s.commands.size(), 1u);
    EXPECT_EQ(s.commands[0].array.k, 18u);
  }
}

// ---------------------------------------------------------------------------------------------
// Depthwise convs and pools: the vector unit

TEST(ConvVector, DepthwiseAndPoolsRunOnTheVectorUnit) {
  // tiny_chip's vector unit: 64 lanes x 1 op, 8 cycles of pipeline latency; operands in SRAM.
  // depthwise 1 x 8 x 8 x 16, 3 x 3, stride 1, pad 1: 64 pixels x 16 channels = 1024 outputs x
  // 9 MACs = 9216 ALU ops / 64 = 144 + 8 = 152 cycles in one pass (more passes add 8 each).
  // maxpool 2 x 2 / 2 on 8 x 8 x 16: 16 x 16 = 256 outputs x 4 = 1024 / 64 = 16 + 8 = 24.
  // global avgpool of 4 x 4 x 64: 64 outputs x (16 adds + 1 multiply) = 1088 / 64 = 17 + 8 = 25.
  const ChipConfig chip = testing::tiny_chip(4, 4);
  Op dw = conv("dw", 8, 8, 16, 16, 3, 3, 1, 1);
  dw.conv.groups = 16;
  const std::vector<Op> ops = {dw, pool("mp", OpKind::kMaxPool, 8, 8, 16, 2, 2),
                               pool("gap", OpKind::kAvgPool, 4, 4, 64, 4, 1)};
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 152u);
  EXPECT_EQ(r.ops[0].array_cycles, 0u);
  EXPECT_EQ(r.ops[0].vector_cycles, 152u);
  EXPECT_EQ(r.ops[0].macs, 9216u);  // counted, on the vector unit
  EXPECT_EQ(r.ops[0].actions.alu_ops, 9216u);
  EXPECT_EQ(r.ops[0].array_utilization, 0.0);
  EXPECT_EQ(r.ops[1].cycles(), 24u);
  EXPECT_EQ(r.ops[1].macs, 0u);
  EXPECT_EQ(r.ops[2].cycles(), 25u);
}

TEST(ConvVector, DepthwiseReadsItsInputRegionAndWeightsOnce) {
  // The depthwise conv above with input and weights in DRAM, in one step: 8 x 8 x 16 = 1024 B
  // of input (never 9 x 1024 = 9216: the windows share their inputs) and 3 x 3 x 16 = 144 B of
  // weights. In 4 blocks of 4 channels (the planner's choice: loads overlap compute), the same:
  // each block reads its 4 channels of the region and of the weights.
  const ChipConfig chip = testing::tiny_chip(4, 4);
  Op dw = conv("dw", 8, 8, 16, 16, 3, 3, 1, 1, Location::kDram);
  dw.conv.groups = 16;
  dw.c_loc = Location::kSram;
  TilePlan one{64, 16, 9, 1, Format::kInt8, false};
  one.images = 1, one.out_rows = 8, one.out_cols = 8;
  EXPECT_EQ(input_bytes_loaded(chip, dw, one), 1024u + 144u);
  TilePlan four = one;
  four.nt = 4, four.steps = 4;
  EXPECT_EQ(input_bytes_loaded(chip, dw, four), 1024u + 144u);
}

// ---------------------------------------------------------------------------------------------
// Trace round trip and the shipped CNN traces

class ConvTrace : public testing::TempFileTest {
 protected:
  /// `npusim run` on the example chip with `trace` written to a file: exit 2, stderr starting
  /// with the file's path and `where`, holding `what`.
  void expect_bad(const std::string& trace, const std::string& where, const std::string& what) {
    const std::string file = write_file("bad" + std::to_string(m_runs) + ".yaml", trace);
    const std::string out = path("out" + std::to_string(m_runs++));
    const testing::ProcessResult r = testing::run_process(
        NPUSIM_BINARY, {"run", "--arch", "example-npu", "--trace", file, "--out", out});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err.rfind(file + ":" + where, 0), 0u)
        << "expected " << file << ":" << where << "\n got: " << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << "expected: " << what << "\n got: " << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
  int m_runs = 0;
};

TEST_F(ConvTrace, RoundTripsEveryField) {
  std::vector<Op> ops;
  Op a = conv("stem", 224, 224, 3, 64, 7, 5, 2, 3, Location::kDram);
  a.batch = 2;
  a.b_format = Format::kInt4;
  a.b_group = 0;
  a.c_format = Format::kFp16;
  a.c_loc = Location::kSram;
  a.layer = "0";
  a.op_class = "conv";
  ops.push_back(a);
  Op dw = conv("dw", 56, 56, 144, 144, 3, 3, 1, 1, Location::kDram);
  dw.conv.groups = 144;
  dw.a_format = dw.b_format = dw.c_format = Format::kFp16;
  ops.push_back(dw);
  Op mp = pool("mp", OpKind::kMaxPool, 112, 112, 64, 3, 2, 1);
  mp.a_loc = mp.b_loc = mp.c_loc = Location::kDram;
  mp.a_format = mp.b_format = mp.c_format = Format::kInt8;
  ops.push_back(mp);
  Op gap = pool("gap", OpKind::kAvgPool, 7, 7, 2048, 7, 1);
  gap.a_loc = gap.b_loc = gap.c_loc = Location::kDram;
  gap.a_format = gap.b_format = gap.c_format = Format::kFp16;
  ops.push_back(gap);
  const std::string text = trace_yaml(ops, "convs");
  const std::vector<Op> back = load_trace(write_file("t.yaml", text));
  ASSERT_EQ(back.size(), ops.size()) << text;
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_TRUE(same_op(ops[i], back[i])) << text;
  // Defaults stay out: stride 1, pad 0, groups 1, a pool's fp16 format; pools have no filters.
  EXPECT_NE(text.find("{name: gap, kind: avgpool, h: 7, w: 7, channels: 2048, r: 7, s: 7}"),
            std::string::npos)
      << text;
  // A pool with filters set cannot be written.
  Op bad = ops[2];
  bad.conv.f = 3;
  EXPECT_THROW(trace_yaml({bad}, ""), std::invalid_argument);
}

const char* const kOp =
    "ops:\n"
    "  - name: c1\n"
    "    kind: conv2d\n"
    "    h: 6\n"
    "    w: 6\n"
    "    channels: 4\n"
    "    filters: 8\n"
    "    r: 3\n"
    "    s: 3\n"
    "    pad: 1\n";

std::string edit(const std::string& from, const std::string& to) {
  std::string s = kOp;
  s.replace(s.find(from), from.size(), to);
  return s;
}

TEST_F(ConvTrace, BadConvsAreRefusedWithWhereAndWhy) {
  // Lines and columns counted from kOp (1-based): `h: 6` is line 4, its value at column 8.
  expect_bad(edit("h: 6", "h: 0"), "4:8: ops[0].h:", "");
  expect_bad(edit("channels: 4", "channels: -3"), "6:15: ops[0].channels:", "");
  expect_bad(edit("filters: 8", "filters: 0"), "7:14: ops[0].filters:", "");
  // r = 9 > 6 + 2 x 1 = 8 rows of padded input.
  expect_bad(edit("r: 3", "r: 9"), "8:8: ops[0].r:",
             "the kernel (r = 9) is taller than the padded input: h (6) + 2 x pad (1) = 8 rows");
  expect_bad(edit("s: 3", "s: 9"), "9:8: ops[0].s:", "wider than the padded input");
  expect_bad(edit("pad: 1", "pad: 1\n    filter: 8"),
             "11:5: ops[0].filter:", "did you mean 'filters'");
  expect_bad(edit("pad: 1", "pad: 1\n    groups: 2"), "11:13: ops[0].groups:",
             "groups must be 1 (a dense conv) or equal channels and filters");
  expect_bad(edit("pad: 1", "pad: 1\n    m: 2"), "11:5: ops[0].m:",
             "a conv2d's shape is batch, h, w, channels, filters, r, s, stride, pad and groups");
  expect_bad(edit("pad: 1", "pad: 1\n    c: 64"),
             "11:8: ops[0].c:", "the input channels are 'channels'");
  expect_bad(edit("kind: conv2d", "kind: maxpool"),
             "7:5: ops[0].filters:", "only a conv2d has filters and groups");
  expect_bad(edit("h: 6", "h: 6\n    rows: 2"), "5:5: ops[0].rows:", "does not apply");
}

TEST_F(ConvTrace, ShippedCnnsHaveThePublishedMacsAndRun) {
  // Published counts (batch 1): torchvision lists 4.09 GFLOPS (MACs) for resnet50 and 0.30 for
  // mobilenet_v2 (the MobileNetV2 paper: 300 M multiply-adds); darknet prints 5.56 BFLOPs for
  // yolov3-tiny at 416, 2 FLOPs a MAC: 2.78 G.
  const std::vector<std::pair<std::string, double>> nets = {
      {"resnet50", 4.09e9}, {"mobilenetv2", 300e6}, {"yolov3-tiny", 2.78e9}};
  for (const auto& [name, published] : nets) {
    SCOPED_TRACE(name);
    const std::string trace = kSource + "/configs/traces/" + name + ".yaml";
    const std::vector<Op> ops = load_trace(trace);
    double macs = 0;
    for (const Op& op : ops) macs += static_cast<double>(op.macs());
    EXPECT_NEAR(macs / published, 1.0, 0.02) << macs;
    const std::string out = path("run-" + name);
    const testing::ProcessResult r = testing::run_process(
        NPUSIM_BINARY, {"run", "--arch", "example-npu", "--trace", trace, "--out", out, "--quiet"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(out + "/ops.csv"));
  }
}

}  // namespace
}  // namespace npu
