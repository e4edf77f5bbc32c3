// Steady-state skipping (arch/steady_state.h) is exact: a run whose ops skip the periods of their
// steady states writes the same ops.csv and summary.json, byte for byte, as the same run simulated
// tile step by tile step (--no-memo, which also turns replays off), and the same trace.json of
// the ops. The cases cover what the
// chip's state holds: six cores sharing the memory round-robin, first-come first-served and by
// fixed priority; one core whose DMA channel is held to its own rate; a paged KV cache (a
// transfer per page); GEMMs' k-loops and decode attention's blocks of K and V; the compiled
// schedule and the isolated one with a per-op dispatch. Each case must skip steps: a case that
// skips none tests nothing. Two streams skip to the cycle counts worked out by hand beside them.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/capacity.h"
#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "sim/lower.h"
#include "sim/report.h"
#include "sim/scheduler.h"
#include "test_fork.h"
#include "test_helpers.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

using Json = nlohmann::json;
const std::string kSourceDir = NPUSIM_SOURCE_DIR;

struct Case {
  const char* name;
  const char* preset;
  const char* model;
  std::function<void(ChipConfig&, RunSpec&, SimOptions&)> set;
};

/// Runs the case in a child: its reports and the steps it skipped.
Json run_case(const Case& c, bool memoize) {
  const std::string out = testing::run_in_child([&] {
    ChipConfig chip = load_chip(kSourceDir + "/configs/presets/" + c.preset + ".yaml");
    RunSpec s;
    SimOptions o;  // as the CLI runs a model: compiled, a timeline of the ops
    o.schedule = Schedule::kCompiled;
    o.timeline = TimelineDetail::kOps;
    c.set(chip, s, o);
    o.memoize = memoize;
    const Workload w =
        build_workload(load_model(kSourceDir + "/configs/models/" + c.model + ".yaml"), s,
                       onchip_score_bytes(chip));
    const RunResult r = simulate(chip, w.ops, o);
    return Json{{"csv", ops_csv(chip, r)},
                {"summary", summary_json(chip, r, &w)},
                {"trace", trace_json(chip, r)},
                {"skipped", r.skipped_steps}}
        .dump();
  });
  Json j = Json::parse(out, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << "the child sent no JSON: " << out;
  return j;
}

void decode(RunSpec& s, uint64_t context) {
  s.phase = Phase::kDecode;
  s.context = context;
  s.tokens = 2;
}

const Case kCases[] = {
    {"SixCoresRoundRobinDecode", "intel-npu-4", "llama-3.2-1b",
     [](ChipConfig&, RunSpec& s, SimOptions&) { decode(s, 8192); }},
    {"PrefillGemmsAndFlashAttention", "hexagon-v75", "qwen2.5-0.5b",
     [](ChipConfig&, RunSpec& s, SimOptions&) {
       s.phase = Phase::kPrefill;
       s.prompt = 512;
     }},
    // Four times the memory bandwidth and int8 activations: the GEMMs are bound by the array.
    {"ComputeBoundPrefill", "example-npu", "llama-3.2-1b",
     [](ChipConfig& chip, RunSpec& s, SimOptions&) {
       chip.memory.peak_bytes_per_s *= 4;
       s.phase = Phase::kPrefill;
       s.prompt = 512;
       s.activations = Format::kInt8;
     }},
    {"PagedKvFirstComeFirstServed", "example-npu", "llama-3.2-1b",
     [](ChipConfig& chip, RunSpec& s, SimOptions&) {
       chip.memory.arbitration = Arbitration::kFifo;
       decode(s, 4096);
       s.kv_block = 16;
     }},
    {"TwoCoresFixedPriority", "example-npu", "llama-3.2-1b",
     [](ChipConfig& chip, RunSpec& s, SimOptions&) {
       chip.memory.arbitration = Arbitration::kPriority;
       chip.cores = 2;
       decode(s, 4096);
     }},
    // One channel streams at 41 GB/s of the memory's 54: it waits for its own rate.
    {"OneCoreHeldToItsChannelsRate", "example-npu", "gpt2",
     [](ChipConfig& chip, RunSpec& s, SimOptions&) {
       chip.cores = 1;
       chip.core.dma.channels = 1;
       decode(s, 900);
     }},
    {"IsolatedWithPerOpDispatch", "ane-m4", "llama-3.2-1b",
     [](ChipConfig&, RunSpec& s, SimOptions& o) {
       o.schedule = Schedule::kIsolated;
       decode(s, 4096);
     }},
};

class SteadyState : public ::testing::TestWithParam<Case> {};

TEST_P(SteadyState, SkippingGivesTheReportsOfAStepByStepSimulation) {
  const Json skipped = run_case(GetParam(), true);
  const Json stepped = run_case(GetParam(), false);
  ASSERT_TRUE(skipped.is_object() && stepped.is_object());
  EXPECT_GT(skipped["skipped"].get<uint64_t>(), 0u) << "nothing skipped: the case tests nothing";
  EXPECT_EQ(stepped["skipped"].get<uint64_t>(), 0u);
  EXPECT_TRUE(skipped["csv"] == stepped["csv"]) << "ops.csv differs";
  EXPECT_TRUE(skipped["summary"] == stepped["summary"]) << "summary.json differs";
  EXPECT_TRUE(skipped["trace"] == stepped["trace"]) << "trace.json differs";
}

INSTANTIATE_TEST_SUITE_P(Cases, SteadyState, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

/// GELU over 1,000 rows of 256 int8 on dma_chip() (1 GHz, 8 GB/s, DMA setup 10 cycles, round
/// trip 50 ns), input in DRAM, output left on chip, no timeline: the blocks record nothing, so
/// periods are skipped.
struct GeluStream {
  ChipConfig chip = testing::dma_chip();
  std::vector<Op> ops = {
      testing::int8_vector_op("gelu", OpKind::kGelu, 1000, 256, Location::kDram, Location::kSram)};
  SimOptions options() const {
    SimOptions o;
    o.timeline = TimelineDetail::kNone;
    return o;
  }
};

TEST(SteadyStateByHand, AComputeBoundStreamTakesTheWorkedCycles) {
  GeluStream g;
  const TilePlan plan = Lowering(g.chip).plan(g.ops[0]);
  ASSERT_EQ(plan.mt, 16u);  // 62 steps of 16 rows, then one of 8
  const RunResult r = simulate(g.chip, g.ops, g.options());
  // A step's load: setup 10 + 16 x 256 B / 8 B a cycle = 512 + round trip 50 = 572 cycles; its
  // GELU: 8 + 16 x 256 / 4 SFU ops a cycle = 1,032. Compute binds: the loader runs two steps
  // ahead, so after the first load the steps compute back to back, and the last (8 rows: 8 + 512
  // = 520 cycles) ends at 572 + 62 x 1,032 + 520 = 65,076.
  EXPECT_EQ(r.ops[0].cycles(), 65'076u);
  EXPECT_EQ(r.ops[0].vector_cycles, 62u * 1032 + 520);
  EXPECT_EQ(r.ops[0].dram_read_bytes, 256'000u);
  EXPECT_EQ(r.ops[0].dma_descriptors, 63u);
  EXPECT_GT(r.skipped_steps, 40u);  // most of the 63 steps
}

TEST(SteadyStateByHand, AMemoryBoundStreamTakesTheWorkedCycles) {
  GeluStream g;
  g.chip.memory.peak_bytes_per_s = 1'000'000'000;  // 1 B a cycle
  const TilePlan plan = Lowering(g.chip).plan(g.ops[0]);
  ASSERT_EQ(plan.mt, 128u);  // 7 steps of 128 rows, then one of 104
  const RunResult r = simulate(g.chip, g.ops, g.options());
  // A step's load: 10 + 128 x 256 B at 1 B a cycle = 32,768 + 50 = 32,828 cycles, longer than its
  // GELU (8 + 128 x 64 = 8,200): the loads follow one another. The last (104 rows: 10 + 26,624 +
  // 50 = 26,684) is in at 7 x 32,828 + 26,684 = 256,480, and its GELU (8 + 104 x 64 = 6,664)
  // ends at 263,144.
  EXPECT_EQ(r.ops[0].cycles(), 263'144u);
  EXPECT_EQ(r.ops[0].memory_ps, 256'000'000u);
  EXPECT_GT(r.skipped_steps, 0u);
}

}  // namespace
}  // namespace npu
