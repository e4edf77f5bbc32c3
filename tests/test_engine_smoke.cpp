#include <gtest/gtest.h>

#include "sim/scheduler.h"
#include "test_helpers.h"

namespace npu {
namespace {

TEST(EngineSmoke, OnChipGemmTakesExactlyTheArrayCycles) {
  // ws 4x4, M=10 K=6 N=5: folds = ceil(6/4) * ceil(5/4) = 4, fold = 2*4 + 4 + 10 - 2 = 20.
  const ChipConfig chip = testing::tiny_chip();
  const std::vector<Op> ops = {testing::gemm("g", 10, 6, 5)};
  const RunResult r = simulate(chip, ops, {});
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].cycles(), 80u);
  EXPECT_EQ(r.total_cycles, 80u);
}

TEST(EngineSmoke, LoadFromDramThenCompute) {
  // M=10 K=4 N=4 on ws 4x4: one fold of 2*4 + 4 + 10 - 2 = 20 cycles (any split of it costs a
  // whole fold per piece, so the planner keeps one tile). A = 10 x 4 int8 = 40 B at 8 GB/s =
  // 5000 ps, then 20000 ps of compute: 25 cycles.
  const ChipConfig chip = testing::tiny_chip();
  const std::vector<Op> ops = {testing::gemm("g", 10, 4, 4, Location::kDram)};
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 25u);
  EXPECT_EQ(r.ops[0].dram_read_bytes, 40u);
}

TEST(EngineSmoke, Int16ActivationsTimesInt8WeightsRunAtTheInt16Rate) {
  // ws 4x4 with 4 int8 and 2 int16 MACs per PE; A (activations) int16, B (weights) int8: the
  // wider operand's format, int16, sets the rate. M=10 K=16 N=5: K' = ceil(16/2) = 8, folds =
  // ceil(8/4) * ceil(5/4) = 4, fold = 2*4 + 4 + 10 - 2 = 20 -> 80 cycles (at int8's rate: K' = 4,
  // 2 folds, 40 cycles). Every MAC is counted in int16, which accumulates in int32.
  ChipConfig chip = testing::tiny_chip();
  chip.core.array.macs_per_pe_per_cycle[static_cast<size_t>(Format::kInt8)] = 4;
  chip.core.array.macs_per_pe_per_cycle[static_cast<size_t>(Format::kInt16)] = 2;
  Op g = testing::gemm("a16w8", 10, 16, 5);
  g.a_format = g.c_format = Format::kInt16;
  g.b_format = Format::kInt8;
  const RunResult r = simulate(chip, {g}, {});
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].cycles(), 80u);
  EXPECT_EQ(r.actions.macs_by_format[static_cast<size_t>(Format::kInt16)], 10u * 16 * 5);
  EXPECT_EQ(r.actions.macs_by_format[static_cast<size_t>(Format::kInt8)], 0u);
  EXPECT_EQ(accumulator_of(Format::kInt16), Format::kInt32);
}

TEST(EngineSmoke, FormatNamesRoundTrip) {
  for (Format f : kAllFormats) {
    SCOPED_TRACE(std::string(format_name(f)));
    EXPECT_EQ(parse_format(format_name(f)), f);
  }
  EXPECT_EQ(format_name(Format::kInt16), "int16");
  EXPECT_EQ(format_bits(Format::kInt16), 16u);
  EXPECT_EQ(bytes_of(3, Format::kInt16), 6u);
  EXPECT_FALSE(parse_format("int12").has_value());
}

}  // namespace
}  // namespace npu
