// The SRAM a core's tile buffers take (Lowering::tile_sram_bytes, trace.json's "SRAM per core"
// counter): by hand for a layernorm and a GEMM of the example trace, and for every distinct op
// of a transformer and of the shipped CNNs on every preset, within the buffers the planner had.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/capacity.h"
#include "sim/config/config_path.h"
#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "sim/lower.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

const std::string kConfigs = std::string(NPUSIM_SOURCE_DIR) + "/configs";

TEST(SramOccupancy, ByHand) {
  const ChipConfig chip = load_chip(kConfigs + "/presets/example-npu.yaml");
  const Lowering lowering(chip);
  Op ln;
  ln.name = "ln";
  ln.kind = OpKind::kLayerNorm;
  ln.rows = 128;
  ln.cols = 1024;
  ln.a_format = ln.b_format = ln.c_format = Format::kFp16;
  TilePlan p;
  p.mt = 4;
  p.nt = 1024;
  // Rows of 1024 fp16 in and out, 4 rows a tile, double-buffered: 2 x 4 x (2 KiB + 2 KiB).
  EXPECT_EQ(lowering.tile_sram_bytes(ln, p), 32u * 1024);
  Op g;
  g.name = "g";
  g.kind = OpKind::kGemm;
  g.m = 128;
  g.k = 1024;
  g.n = 3072;
  g.a_format = g.b_format = g.c_format = Format::kInt8;
  TilePlan q;
  q.mt = 128;
  q.kt = 128;
  q.nt = 256;
  q.compute = Format::kInt8;
  // A 128 x 128 and B 128 x 256 int8, C 128 x 256 in int32, each double-buffered:
  // 32 KiB + 64 KiB + 256 KiB.
  EXPECT_EQ(lowering.tile_sram_bytes(g, q), 352u * 1024);
}

TEST(SramOccupancy, EveryPlanFitsTheBuffersItWasPlannedIn) {
  const ModelConfig m = load_model(kConfigs + "/models/llama-3.2-1b.yaml");
  for (const std::string& name : shipped_config_names("presets", kConfigs)) {
    SCOPED_TRACE(name);
    const ChipConfig chip = load_chip(kConfigs + "/presets/" + name + ".yaml");
    const Lowering lowering(chip);
    const SramConfig& s = chip.core.sram;
    RunSpec spec;
    spec.prompt = 64;
    spec.tokens = 2;
    spec.weights = Format::kInt8;
    std::vector<Op> ops = build_workload(m, spec, onchip_score_bytes(chip)).ops;
    for (const char* cnn : {"resnet50", "mobilenetv2"}) {
      std::vector<Op> more = load_trace(kConfigs + "/traces/" + cnn + ".yaml");
      ops.insert(ops.end(), more.begin(), more.end());
    }
    for (const Op& op : ops) {
      const TilePlan p = lowering.plan(op);
      const uint64_t bytes = lowering.tile_sram_bytes(op, p);
      EXPECT_GT(bytes, 0u) << op.name;
      EXPECT_LE(bytes, s.input_bytes + s.weight_bytes + s.output_bytes) << op.name;
    }
  }
}

}  // namespace
}  // namespace npu
