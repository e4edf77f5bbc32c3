// A core's program holds each run of equal consecutive steps once (arch/commands.h, StepRuns):
// iterating gives back every step in order, steps that differ in any field are not merged, and
// a long K loop takes the memory of a few runs. For steady-state skipping, runs of equal steps a
// few runs apart share an id, so a program's periods are found from its runs.
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

TEST(StepRuns, RepeatingOutputTilesShareRunIdsAndArePeriodic) {
  // Three output tiles of a 4-step k loop: first, middle x 2, last. The program repeats with a
  // period of 4 steps from any step up to the last tile, which has nothing 4 steps after it.
  const TileStep first = gemm_step(64, true, false), mid = gemm_step(64, false, false),
                 last = gemm_step(64, false, true);
  StepRuns runs;
  for (int t = 0; t < 3; ++t)
    for (const TileStep* s : {&first, &mid, &mid, &last}) runs.push_back(*s);
  ASSERT_EQ(runs.runs().size(), 9u);
  for (size_t r = 3; r < 9; ++r) EXPECT_EQ(runs.runs()[r].id, runs.runs()[r - 3].id) << r;
  EXPECT_NE(runs.runs()[0].id, runs.runs()[1].id);
  // Each of the three steps is held once, for every run that repeats it.
  for (size_t r = 0; r < 9; ++r) {
    EXPECT_LT(runs.runs()[r].id, 3u) << r;
    EXPECT_TRUE(runs.step(runs.runs()[r]) == (r % 3 == 0 ? first : r % 3 == 1 ? mid : last)) << r;
  }
  EXPECT_EQ(runs.runs()[4].first, 5u);       // the second tile's middle run starts at step 5
  EXPECT_EQ(runs.periodic_until(0, 4), 8u);  // size 12 - 4: every step up to the end repeats
  EXPECT_EQ(runs.periodic_until(3, 4), 8u);
  // Period 1 holds only within the middle run: step 1 equals step 2, step 2 differs from step 3.
  EXPECT_EQ(runs.periodic_until(1, 1), 2u);
  EXPECT_EQ(runs.periodic_until(0, 1), 0u);
  // Period 2 fails at step 0 (first vs middle).
  EXPECT_EQ(runs.periodic_until(0, 2), 0u);
  // The iterator moves on across runs.
  StepRuns::const_iterator it = runs.begin();
  it.advance(6);  // the second tile's second middle step
  EXPECT_EQ(it.run_id(), runs.runs()[1].id);
  ++it;
  EXPECT_TRUE(*it == last);
  it.advance(1);
  EXPECT_TRUE(*it == first);
}

TEST(StepRuns, AnEqualRunTooFarBackGetsANewId) {
  // Five distinct steps between two equal ones: the look-back (four runs) does not reach; the
  // second is a new id, so no period spans them (a missed skip, never a wrong one).
  StepRuns runs;
  for (uint64_t k : {8, 16, 24, 32, 40, 48, 8}) runs.push_back(gemm_step(k, false, false));
  ASSERT_EQ(runs.runs().size(), 7u);
  EXPECT_NE(runs.runs()[6].id, runs.runs()[0].id);
  EXPECT_EQ(runs.periodic_until(0, 6), 0u);
}

}  // namespace
}  // namespace npu
