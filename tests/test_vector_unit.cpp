// Vector unit closed-form timing (arch/vector_unit_config.h):
//   cycles = pipeline_latency + max(ceil(alu_ops / (lanes * ops_per_lane)),
//                                   ceil(sfu_ops / sfu_ops_per_cycle))
// with the per-kind costs of arch/vector_unit.cpp:
//   kind       ALU/elem  SFU/elem  SFU/row
//   add, mul       1         0         0
//   softmax        4         1         1   (max, sub, sum, mul; exp per element, 1/sum per row)
//   layernorm      7         0         1   (rsqrt per row)
//   rmsnorm        3         0         1   (rsqrt per row)
//   gelu           7         1         0   (tanh)
//   silu           2         2         0   (exp and reciprocal)
//   copy           1         0         0
// Every expected number is derived by hand beside its assertion.
#include <gtest/gtest.h>

#include "arch/vector_unit.h"

namespace npu {
namespace {

// 8 lanes x 1 op, 2 SFU ops per cycle, 5 cycles of pipeline latency.
VectorUnitConfig small(uint32_t sfu_per_cycle = 2, uint32_t ops_per_lane = 1) {
  VectorUnitConfig c;
  c.lanes = 8;
  c.ops_per_lane_per_cycle = ops_per_lane;
  c.sfu_ops_per_cycle = sfu_per_cycle;
  c.pipeline_latency_cycles = 5;
  return c;
}

TEST(VectorUnit, KindNamesAndInputs) {
  for (VectorKind k :
       {VectorKind::kAdd, VectorKind::kMul, VectorKind::kSoftmax, VectorKind::kLayerNorm,
        VectorKind::kRmsNorm, VectorKind::kGelu, VectorKind::kSilu, VectorKind::kCopy})
    EXPECT_EQ(parse_vector_kind(vector_kind_name(k)), k);
  EXPECT_EQ(vector_kind_name(VectorKind::kLayerNorm), "layernorm");
  EXPECT_FALSE(parse_vector_kind("relu").has_value());
  EXPECT_EQ(vector_kind_inputs(VectorKind::kAdd), 2u);
  EXPECT_EQ(vector_kind_inputs(VectorKind::kMul), 2u);
  EXPECT_EQ(vector_kind_inputs(VectorKind::kSoftmax), 1u);
  EXPECT_EQ(vector_kind_inputs(VectorKind::kGelu), 1u);
}

TEST(VectorUnit, SoftmaxSfuBound) {
  // 4 x 16 = 64 elements. ALU 4*64 = 256 -> 256 / 8 = 32 cycles.
  // SFU 64 exp + 4 reciprocals = 68 -> ceil(68 / 2) = 34 cycles. SFU-bound: 5 + 34 = 39.
  const VectorTiming t = vector_timing(small(), VectorKind::kSoftmax, 4, 16);
  EXPECT_EQ(t.alu_ops, 256u);
  EXPECT_EQ(t.sfu_ops, 68u);
  EXPECT_EQ(t.cycles, 39u);
}

TEST(VectorUnit, SoftmaxAluBoundWithFasterSfu) {
  // Same 4 x 16 with 4 SFU ops/cycle: SFU ceil(68 / 4) = 17 < ALU 32. ALU-bound: 5 + 32 = 37.
  const VectorTiming t = vector_timing(small(4), VectorKind::kSoftmax, 4, 16);
  EXPECT_EQ(t.cycles, 37u);
}

TEST(VectorUnit, LayerNorm) {
  // 3 x 10 = 30 elements. ALU 7*30 = 210 -> ceil(210 / 8) = 27 (26.25 rounded up).
  // SFU 3 rsqrt -> ceil(3 / 2) = 2. ALU-bound: 5 + 27 = 32.
  const VectorTiming t = vector_timing(small(), VectorKind::kLayerNorm, 3, 10);
  EXPECT_EQ(t.alu_ops, 210u);
  EXPECT_EQ(t.sfu_ops, 3u);
  EXPECT_EQ(t.cycles, 32u);
}

TEST(VectorUnit, RmsNorm) {
  // 3 x 10 = 30 elements. ALU 3*30 = 90 -> ceil(90 / 8) = 12 (11.25 rounded up).
  // SFU 3 rsqrt -> 2. 5 + 12 = 17.
  const VectorTiming t = vector_timing(small(), VectorKind::kRmsNorm, 3, 10);
  EXPECT_EQ(t.alu_ops, 90u);
  EXPECT_EQ(t.sfu_ops, 3u);
  EXPECT_EQ(t.cycles, 17u);
}

TEST(VectorUnit, RmsNormManyShortRowsTurnsSfuBound) {
  // 64 rows x 2 cols = 128 elements. ALU 3*128 = 384 -> 48 cycles.
  // SFU one rsqrt per row: 64 -> ceil(64 / 1) = 64 cycles with a 1-op SFU. 5 + 64 = 69.
  const VectorTiming t = vector_timing(small(1), VectorKind::kRmsNorm, 64, 2);
  EXPECT_EQ(t.alu_ops, 384u);
  EXPECT_EQ(t.sfu_ops, 64u);
  EXPECT_EQ(t.cycles, 69u);
}

TEST(VectorUnit, AddAndMul) {
  // 5 x 7 = 35 elements, 1 ALU op each: ceil(35 / 8) = 5 (4.375 up); no SFU. 5 + 5 = 10.
  for (VectorKind k : {VectorKind::kAdd, VectorKind::kMul}) {
    const VectorTiming t = vector_timing(small(), k, 5, 7);
    EXPECT_EQ(t.alu_ops, 35u);
    EXPECT_EQ(t.sfu_ops, 0u);
    EXPECT_EQ(t.cycles, 10u);
  }
  // Two ops per lane per cycle: ceil(35 / 16) = 3 (2.19 up). 5 + 3 = 8.
  EXPECT_EQ(vector_timing(small(2, 2), VectorKind::kAdd, 5, 7).cycles, 8u);
}

TEST(VectorUnit, GeluAluBoundThenSfuBound) {
  // 2 x 8 = 16 elements. ALU 7*16 = 112 -> 14 cycles. SFU 16 tanh.
  // 2 SFU/cycle: 8 cycles -> ALU-bound: 5 + 14 = 19.
  const VectorTiming a = vector_timing(small(2), VectorKind::kGelu, 2, 8);
  EXPECT_EQ(a.alu_ops, 112u);
  EXPECT_EQ(a.sfu_ops, 16u);
  EXPECT_EQ(a.cycles, 19u);
  // 1 SFU/cycle: 16 cycles -> SFU-bound: 5 + 16 = 21.
  EXPECT_EQ(vector_timing(small(1), VectorKind::kGelu, 2, 8).cycles, 21u);
}

TEST(VectorUnit, SiluSfuBound) {
  // 2 x 8 = 16 elements. ALU 2*16 = 32 -> 4 cycles. SFU 2*16 = 32 -> ceil(32 / 2) = 16.
  // SFU-bound: 5 + 16 = 21.
  const VectorTiming t = vector_timing(small(), VectorKind::kSilu, 2, 8);
  EXPECT_EQ(t.alu_ops, 32u);
  EXPECT_EQ(t.sfu_ops, 32u);
  EXPECT_EQ(t.cycles, 21u);
  // With 16 SFU ops/cycle: SFU 2, ALU 4 -> ALU-bound: 5 + 4 = 9.
  EXPECT_EQ(vector_timing(small(16), VectorKind::kSilu, 2, 8).cycles, 9u);
}

TEST(VectorUnit, Copy) {
  // 1 x 100: ALU 100 -> ceil(100 / 8) = 13; 5 + 13 = 18.
  EXPECT_EQ(vector_timing(small(), VectorKind::kCopy, 1, 100).cycles, 18u);
}

TEST(VectorUnit, LatencyPaidOncePerPass) {
  // A single element still pays the pipeline: add 1x1: 5 + ceil(1/8) = 6.
  EXPECT_EQ(vector_timing(small(), VectorKind::kAdd, 1, 1).cycles, 6u);
  // Empty pass: nothing to do, no latency.
  EXPECT_EQ(vector_timing(small(), VectorKind::kAdd, 0, 8).cycles, 0u);
  EXPECT_EQ(vector_timing(small(), VectorKind::kSoftmax, 0, 8).sfu_ops, 0u);
}

TEST(VectorUnit, AMeasuredKernelCostReplacesTheOperationCounts) {
  // softmax at 1.5 cycles an element: 4 x 16 = 64 elements -> 5 + 96 = 101 cycles (the operation
  // counts would give 5 + max(256 / 8, (64 + 4) / 2) = 39). The counts still go to the energy.
  VectorUnitConfig c = small();
  c.cycles_per_element[static_cast<size_t>(VectorKind::kSoftmax)] = 1.5;
  const VectorTiming t = vector_timing(c, VectorKind::kSoftmax, 4, 16);
  EXPECT_EQ(t.cycles, 101u);
  EXPECT_EQ(t.alu_ops, 256u);
  EXPECT_EQ(t.sfu_ops, 68u);
  // A fraction rounds up once per pass: 3 x 7 = 21 elements x 0.3 = 6.3 -> 7; 5 + 7 = 12.
  c.cycles_per_element[static_cast<size_t>(VectorKind::kGelu)] = 0.3;
  EXPECT_EQ(vector_timing(c, VectorKind::kGelu, 3, 7).cycles, 12u);
  // Kinds without one keep the counts: add 5 x 7 = 35 elements -> 5 + ceil(35 / 8) = 10.
  EXPECT_EQ(vector_timing(c, VectorKind::kAdd, 5, 7).cycles, 10u);
  EXPECT_EQ(vector_timing(c, VectorKind::kSoftmax, 0, 8).cycles, 0u);  // an empty pass: free
}

TEST(VectorUnit, DefaultConfig) {
  // Defaults: 64 lanes x 1, 4 SFU/cycle, 8 cycles latency. gelu 4 x 64 = 256 elements:
  // ALU 7*256 = 1792 -> 28; SFU 256 -> 64; 8 + 64 = 72.
  const VectorTiming t = vector_timing(VectorUnitConfig{}, VectorKind::kGelu, 4, 64);
  EXPECT_EQ(t.cycles, 72u);
}

}  // namespace
}  // namespace npu
