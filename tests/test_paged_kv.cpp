// Paged KV cache (--kv-block B): K and V in pages of B positions per sequence, as vLLM stores
// them. Checked by hand: flash attention's loads of a block of keys come in one piece per page
// they touch (a window's first page partial), the cache takes whole pages, the op's signature
// keeps the page size, and through the CLI that a decode step pays a DMA descriptor per page.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "sim/config/trace_writer.h"
#include "sim/lower.h"
#include "temp_files.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

const std::string kSource = NPUSIM_SOURCE_DIR;

/// A decode step's attention for one KV head of a group of 4 query heads over n keys.
Op decode_attention(uint64_t n, uint64_t page, uint64_t window = 0) {
  Op op;
  op.name = "a";
  op.kind = OpKind::kAttention;
  op.group = 4;
  op.m = 4;
  op.n = n;
  op.k = 64;
  op.causal = true;
  op.window = window;
  op.kv_block = page;
  op.a_format = op.b_format = op.c_format = Format::kFp16;
  return op;
}

/// The pieces of every K and V load the lowering makes for `op`, in program order.
std::vector<uint64_t> kv_pieces(const Op& op) {
  const ChipConfig chip = load_chip(kSource + "/configs/presets/example-npu.yaml");
  const Lowering lowering(chip);
  std::vector<uint64_t> pieces;
  for (const CoreProgram& p : lowering.lower(op, lowering.plan(op), 0))
    for (const TileStep& s : p.steps)
      for (const DmaDescriptor& d : s.loads)
        if (d.rows != 4) pieces.push_back(d.pieces);  // not Q's 4 rows
  return pieces;
}

TEST(PagedKv, AttentionLoadsKeysInOnePiecePerPage) {
  // 40 keys (one block on example-npu) in pages of 16: [0,16) [16,32) [32,40): 3 pieces for K
  // and 3 for V; contiguous: 1 each.
  EXPECT_EQ(kv_pieces(decode_attention(40, 16)), (std::vector<uint64_t>{3, 3}));
  EXPECT_EQ(kv_pieces(decode_attention(40, 0)), (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(kv_pieces(decode_attention(32, 16)), (std::vector<uint64_t>{2, 2}));
  // A window of 20: the token sees keys [20, 40): pages [16,32) (partial) and [32,40).
  EXPECT_EQ(kv_pieces(decode_attention(40, 16, 20)), (std::vector<uint64_t>{2, 2}));
  // A page size is part of the op's timing: the replay and plan caches tell them apart.
  EXPECT_NE(op_signature(decode_attention(40, 16)), op_signature(decode_attention(40, 0)));
}

TEST(PagedKv, TheCacheTakesWholePages) {
  // Llama-3.2-1B: 16 layers, 8 KV heads x 64, fp16. Context 100 + 10 tokens = 110 positions,
  // in pages of 16: 7 pages = 112 positions per layer and sequence.
  const ModelConfig m = load_model(kSource + "/configs/models/llama-3.2-1b.yaml");
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 100;
  s.tokens = 10;
  s.batch = 2;
  const uint64_t per_position = 2 * 16 * 512 * 2;  // K and V, every layer, bytes
  EXPECT_EQ(build_workload(m, s).footprint.kv_cache_bytes, per_position * 2 * 110);
  s.kv_block = 16;
  const Workload w = build_workload(m, s);
  EXPECT_EQ(w.footprint.kv_cache_bytes, per_position * 2 * 112);
  for (const Op& op : w.ops) {
    if (op.kind == OpKind::kAttention) {
      EXPECT_EQ(op.kv_block, 16u) << op.name;
    }
  }
  // Standard attention's GEMMs read a contiguous cache; an encoder has none.
  s.attention = AttentionImpl::kStandard;
  EXPECT_THROW(build_workload(m, s), WorkloadError);
}

class PagedKvFiles : public testing::TempFileTest {};

TEST_F(PagedKvFiles, ATraceCarriesThePageSize) {
  const std::vector<Op> ops = {decode_attention(40, 16)};
  const std::vector<Op> back = load_trace(write(trace_yaml(ops, "paged")));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].kv_block, 16u);
  expect_config_error(load_trace,
                      "ops:\n  - {name: g, kind: gemm, m: 4, k: 8, n: 6, kv_block: 16}\n",
                      "2:45: ops[0].kv_block", "does not apply to a gemm op");
}

TEST_F(PagedKvFiles, ADecodeStepPaysADescriptorPerPage) {
  // One decode step of Llama-3.2-1B after 1000 positions: per layer and KV head, K and V of
  // 1001 keys, in 63 pages of 16 (1001 = 62 x 16 + 9) instead of one piece each.
  uint64_t l0_descriptors = 0;  // of the last run's L0.attention (ops.csv)
  const auto run = [&](const std::string& page) {
    const std::string out = path("o" + page);
    const auto r = testing::npusim({"run", "--arch", "example-npu", "--model", "llama-3.2-1b",
                                    "--phase", "decode", "--context", "1000", "--tokens", "1",
                                    "--kv-block", page, "--out", out, "--quiet"});
    EXPECT_EQ(r.status, 0) << r.err;
    std::istringstream csv(testing::read_text(out + "/ops.csv"));
    std::string line, cell;
    std::getline(csv, line);
    size_t name_col = 0, desc_col = 0, i = 0;
    for (std::istringstream h(line); std::getline(h, cell, ','); ++i) {
      if (cell == "name") name_col = i;
      if (cell == "dma_descriptors") desc_col = i;
    }
    while (std::getline(csv, line)) {
      std::vector<std::string> f;
      for (std::istringstream l(line); std::getline(l, cell, ',');) f.push_back(cell);
      if (f.size() > desc_col && f[name_col] == "L0.attention")
        l0_descriptors = std::stoull(f[desc_col]);
    }
    return nlohmann::json::parse(testing::read_text(out + "/summary.json"));
  };
  const auto contiguous = run("0");
  const uint64_t contiguous_descriptors = l0_descriptors;
  const auto paged = run("16");
  EXPECT_EQ(paged["workload"]["kv_block"], 16);
  // 8 KV heads x K and V x at least 63 pages; contiguous, a piece per block of keys.
  EXPECT_GE(l0_descriptors, 8u * 2 * 63);
  EXPECT_LT(contiguous_descriptors, 8u * 2 * 63 / 4);
  // The same bytes move; the paged cache's transfers take longer to set up.
  const auto attention = [](const nlohmann::json& j, const char* what) {
    return j["by_class"]["attention"][what].get<uint64_t>();
  };
  EXPECT_EQ(attention(paged, "dram_bytes"), attention(contiguous, "dram_bytes"));
  EXPECT_GT(attention(paged, "cycles"), attention(contiguous, "cycles"));
}

}  // namespace
}  // namespace npu
