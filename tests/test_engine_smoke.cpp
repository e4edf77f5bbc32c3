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

}  // namespace
}  // namespace npu
