// A core's program holds each run of equal consecutive steps once (arch/commands.h, StepRuns):
// iterating gives back every step in order, steps that differ in any field are not merged, and
// a long K loop takes the memory of a few runs.
#include <gtest/gtest.h>

#include <vector>

#include "arch/commands.h"
#include "sim/lower.h"
#include "test_helpers.h"

namespace npu {
namespace {

TileStep gemm_step(uint64_t k, bool starts, bool ends) {
  TileStep s;
  s.loads.push_back({16, k});
  s.commands.push_back(array_command({16, k, 16, Format::kInt8, Format::kInt8, Format::kInt8}));
  s.starts_output = starts;
  s.ends_output = ends;
  if (ends) s.stores.push_back({16, 16, true});
  return s;
}

TEST(StepRuns, IteratingGivesEveryStepInOrder) {
  const TileStep a = gemm_step(64, false, false), b = gemm_step(32, false, false);
  const std::vector<TileStep> pushed = {a, a, a, b, a};
  StepRuns runs;
  for (const TileStep& s : pushed) runs.push_back(s);
  EXPECT_EQ(runs.size(), 5u);
  ASSERT_EQ(runs.runs().size(), 3u);  // a x 3, b, a
  EXPECT_EQ(runs.runs()[0].count, 3u);
  EXPECT_EQ(runs.runs()[1].count, 1u);
  std::vector<TileStep> got;
  for (const TileStep& s : runs) got.push_back(s);
  ASSERT_EQ(got.size(), pushed.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(got[i] == pushed[i]) << i;
  runs.clear();
  EXPECT_TRUE(runs.empty());
  EXPECT_TRUE(runs.begin() == runs.end());
}

TEST(StepRuns, StepsDifferingInAnyFieldAreNotMerged) {
  const TileStep base = gemm_step(64, false, false);
  std::vector<TileStep> variants(9, base);
  variants[0].loads = {};
  variants[0].loads.push_back({16, 65});  // row bytes
  variants[1].loads.push_back({1, 8});    // one more load
  variants[2].commands = {};
  variants[2].commands.push_back(
      array_command({16, 64, 16, Format::kInt4, Format::kInt8, Format::kInt8}));  // format
  variants[3].commands.push_back(vector_command({VectorKind::kGelu, 16, 16}));    // one more
  variants[4].starts_output = true;
  variants[5].ends_output = true;
  variants[6].stores.push_back({16, 16, true});
  variants[7].loads = {};
  variants[7].loads.push_back({16, 64, false, true});  // a gather
  variants[8].loads = {};
  variants[8].loads.push_back({16, 64, false, false, 2});  // two pieces
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_FALSE(variants[i] == base) << "variant " << i;
    StepRuns runs;
    runs.push_back(base);
    runs.push_back(variants[i]);
    EXPECT_EQ(runs.runs().size(), 2u) << "variant " << i;
  }
  EXPECT_TRUE(gemm_step(64, false, false) == base);
}

TEST(StepRuns, ALongKLoopIsAFewRuns) {
  // C[16, 16] = A[16, 16384] x B[16384, 16] on one 4x4 core with K cut into slices: one output
  // tile, a first step (starts the output), equal middle steps, a last step (ends it, stores).
  const ChipConfig chip = testing::tiny_chip();
  Op op = testing::gemm("g", 16, 16384, 16, Location::kDram, Location::kDram, Location::kDram);
  TilePlan p = Lowering(chip).plan(op);
  p.mt = 16, p.nt = 16, p.kt = 64;
  const std::vector<CoreProgram> programs = Lowering(chip).lower(op, p, 0);
  ASSERT_EQ(programs.size(), 1u);
  EXPECT_EQ(programs[0].steps.size(), 16384u / 64);
  EXPECT_EQ(programs[0].steps.runs().size(), 3u);
}

}  // namespace
}  // namespace npu
