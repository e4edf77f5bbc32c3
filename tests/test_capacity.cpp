// Device memory (memory.capacity_gib): the loader reads it in GiB (absent: not modelled, 0) and
// rejects a non-positive one; memory_shortfall names the model, its footprint's parts and the
// capacity when a run does not fit, and nothing when it fits or no capacity is given; `npusim run
// --model` refuses such a run with exit status 2 before simulating or writing anything, while an
// op trace (no footprint) is never checked.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "sim/capacity.h"
#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "temp_files.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

using npu::testing::edit_once;
using npu::testing::read_text;
using npu::testing::run_process;

const std::string kConfigs = std::string(NPUSIM_SOURCE_DIR) + "/configs";
const std::string kExampleChip = kConfigs + "/presets/example-npu.yaml";
const std::string kQuantumLine = "  quantum_kib: 64";

constexpr uint64_t kGib = uint64_t{1} << 30;

class Capacity : public npu::testing::TempFileTest {
 protected:
  /// example-npu with `memory.capacity_gib: value` (written as given).
  static std::string chip_with_capacity(const std::string& value) {
    return edit_once(read_text(kExampleChip), kQuantumLine,
                     "  capacity_gib: " + value + "\n" + kQuantumLine);
  }
};

TEST_F(Capacity, IsReadInGibAndAbsentMeansNotModelled) {
  EXPECT_EQ(load_chip(kExampleChip).memory.capacity_bytes, 0u);
  EXPECT_EQ(load_chip(write(chip_with_capacity("8"))).memory.capacity_bytes, 8 * kGib);
  EXPECT_EQ(load_chip(write(chip_with_capacity("0.5"))).memory.capacity_bytes, kGib / 2);
  // 2/3 of 8 GiB, as the ane-m1 preset writes it: 5.333 x 2^30 bytes, rounded.
  EXPECT_EQ(load_chip(write(chip_with_capacity("5.333"))).memory.capacity_bytes,
            static_cast<uint64_t>(std::llround(5.333 * static_cast<double>(kGib))));
}

TEST_F(Capacity, MustBePositive) {
  for (const char* bad : {"0", "-1", "1e-12", "\"8\""}) {
    SCOPED_TRACE(bad);
    try {
      load_chip(write(chip_with_capacity(bad)));
      ADD_FAILURE() << "loaded capacity_gib: " << bad;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "memory.capacity_gib") << e.what();
    }
  }
}

Workload gpt2_default() {
  RunSpec s;  // the CLI's defaults
  return build_workload(load_model(kConfigs + "/models/gpt2.yaml"), s);
}

TEST(MemoryShortfall, NothingWhenItFitsOrNoCapacityIsGiven) {
  const Workload w = gpt2_default();
  ChipConfig chip;
  chip.name = "c";
  EXPECT_FALSE(memory_shortfall(chip, w));  // capacity 0: not modelled
  chip.memory.capacity_bytes = w.footprint.total_bytes();
  EXPECT_FALSE(memory_shortfall(chip, w));  // exactly full fits
  chip.memory.capacity_bytes = w.footprint.total_bytes() - 1;
  EXPECT_TRUE(memory_shortfall(chip, w));
}

TEST(MemoryShortfall, NamesTheModelTheFootprintAndTheCapacity) {
  const Workload w = gpt2_default();
  const Footprint& f = w.footprint;
  // gpt2 at int8 (8.5 bits a weight with the fp16 scales), 160 positions: 126.7 MiB of weights,
  // 5.6 MiB of KV cache (2 x 12 layers x 768 x 160 x 2 B), 1.5 MiB of activations.
  ASSERT_EQ(f.kv_cache_bytes, 2u * 12 * 768 * 160 * 2);
  EXPECT_EQ(f.total_bytes(), f.weight_bytes + f.kv_cache_bytes + f.peak_activation_bytes);
  ChipConfig chip;
  chip.name = "tiny-npu";
  chip.memory.capacity_bytes = 100 << 20;  // 100 MiB
  const auto why = memory_shortfall(chip, w);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rfind("gpt2 at int8 needs 126.7 MiB of weights + 5.6 MiB of KV cache (160 "
                       "positions) + 1.5 MiB of activations = 133.9 MiB of device memory, but "
                       "tiny-npu has 100.0 MiB (memory.capacity_gib); ",
                       0),
            0u)
      << *why;
  EXPECT_NE(why->find("--weights"), std::string::npos) << *why;
}

TEST(MemoryShortfall, PrintsEnoughDigitsToTellTheTotalFromTheCapacity) {
  const Workload w = gpt2_default();
  ChipConfig chip;
  chip.name = "c";
  chip.memory.capacity_bytes = w.footprint.total_bytes() - 1024;  // 1 KiB short
  const auto why = memory_shortfall(chip, w);
  ASSERT_TRUE(why);
  // 133.8707 vs 133.8697 MiB: the two differ only at the third decimal.
  EXPECT_NE(why->find("= 133.871 MiB of device memory, but c has 133.870 MiB"), std::string::npos)
      << *why;
}

// ---------------------------------------------------------------------------------------------
// The CLI

TEST_F(Capacity, RunRefusesAModelThatDoesNotFitBeforeSimulating) {
  const std::string out = path("out");
  const auto r = run_process(NPUSIM_BINARY,
                             {"run", "--arch", "ane-m1", "--model", "llama-3.1-8b", "--out", out});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.out, "");
  // 7.946 GiB of weights + 20 MiB of KV cache + 10.5 MiB of activations > 5.333 GiB.
  EXPECT_EQ(r.err.rfind("npusim: llama-3.1-8b at int8 needs 7.95 GiB of weights + 20.0 MiB of KV "
                        "cache (160 positions) + 10.5 MiB of activations = 7.98 GiB of device "
                        "memory, but ane-m1 has 5.33 GiB (memory.capacity_gib); ",
                        0),
            0u)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));  // nothing written
}

TEST_F(Capacity, RunChecksModelsNotTraces) {
  const std::string chip = write(chip_with_capacity("0.001"));  // 1 MiB: nothing fits
  const auto model = run_process(NPUSIM_BINARY, {"run", "--arch", chip, "--model", "gpt2",
                                                 "--phase", "prefill", "--out", path("m")});
  EXPECT_EQ(model.status, 2) << model.err;
  EXPECT_NE(model.err.find("gpt2 at int8 needs"), std::string::npos) << model.err;
  EXPECT_FALSE(std::filesystem::exists(path("m")));
  // A trace has no footprint: it runs whatever the capacity.
  const auto trace = run_process(
      NPUSIM_BINARY, {"run", "--arch", chip, "--trace", kConfigs + "/traces/example.yaml", "--out",
                      path("t"), "--quiet"});
  EXPECT_EQ(trace.status, 0) << trace.err;
  EXPECT_TRUE(std::filesystem::exists(path("t/ops.csv")));
  // And a model that fits runs: int4 weights bring Llama-3.1-8B (4.24 GiB) under ane-m1's 5.33.
  const auto fits = run_process(
      NPUSIM_BINARY,
      {"run", "--arch", "ane-m1", "--model", "llama-3.1-8b", "--weights", "int4", "--phase",
       "decode", "--tokens", "1", "--out", path("f"), "--no-timeline", "--quiet"},
      std::chrono::seconds(120));
  EXPECT_EQ(fits.status, 0) << fits.err;
}

}  // namespace
}  // namespace npu
