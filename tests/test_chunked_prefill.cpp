// Chunked prefill (--chunk C): the prompt in passes of at most C tokens per sequence, each
// attending to the cache so far, each a step of the prefill and a graph call. Checked by hand: the
// chunks' shapes and keys, that chunking changes no MAC (each query sees the same keys), that
// only the last chunk runs the LM head, and through the CLI that every chunk streams the weights
// again and the steps table counts each chunk's tokens.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sim/config/model_loader.h"
#include "sim/config/trace_writer.h"
#include "temp_files.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

const std::string kSource = NPUSIM_SOURCE_DIR;

ModelConfig shipped(const std::string& name) {
  return load_model(kSource + "/configs/models/" + name + ".yaml");
}

std::vector<const Op*> named(const Workload& w, const std::string& name) {
  std::vector<const Op*> out;
  for (const Op& op : w.ops)
    if (op.name == name && op.phase == "prefill") out.push_back(&op);
  return out;
}

uint64_t macs(const Workload& w) {
  uint64_t total = 0;
  for (const Op& op : w.ops) total += op.macs();
  return total;
}

TEST(ChunkedPrefill, EachChunkAttendsToTheCacheSoFar) {
  // Llama-3.2-1B (32 query heads on 8 KV heads: groups of 4), a 10-token prompt in chunks of 4:
  // 4, 4 and 2 tokens over 4, 8 and 10 keys.
  const ModelConfig m = shipped("llama-3.2-1b");
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 10;
  s.chunk = 4;
  const Workload w = build_workload(m, s);
  EXPECT_EQ(w.prefill_steps, 3u);
  EXPECT_EQ(w.prefill_tokens, 10u);
  const auto att = named(w, "L0.attention");
  ASSERT_EQ(att.size(), 3u);
  const uint64_t q[] = {4, 4, 2}, keys[] = {4, 8, 10};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(att[i]->step, i);
    EXPECT_EQ(att[i]->m, 4 * q[i]);
    EXPECT_EQ(att[i]->n, keys[i]);
    EXPECT_TRUE(att[i]->causal);
  }
  for (const Op* p : named(w, "L0.q_proj")) EXPECT_EQ(p->m, p->step < 2 ? 4u : 2u);
  // The LM head after the last chunk only (the next token's logits).
  const auto head = named(w, "lm_head");
  ASSERT_EQ(head.size(), 1u);
  EXPECT_EQ(head[0]->step, 2u);
  EXPECT_EQ(named(w, "final_norm").size(), 1u);
  // Every query sees the keys it sees unchunked: the same MACs, the same cache.
  RunSpec whole = s;
  whole.chunk = 0;
  const Workload u = build_workload(m, whole);
  EXPECT_EQ(macs(w), macs(u));
  EXPECT_EQ(w.footprint.kv_cache_bytes, u.footprint.kv_cache_bytes);
  EXPECT_EQ(w.footprint.weight_bytes, u.footprint.weight_bytes);
  // With the LM head for every position, every chunk runs it on its own tokens.
  s.lm_head_all_positions = true;
  const Workload all = build_workload(m, s);
  const auto heads = named(all, "lm_head");
  ASSERT_EQ(heads.size(), 3u);
  EXPECT_EQ(heads[2]->m, 2u);
}

TEST(ChunkedPrefill, AChunkAtLeastThePromptIsNoChunkAndCachedPositionsComeFirst) {
  const ModelConfig m = shipped("llama-3.2-1b");
  RunSpec s;
  s.prompt = 10;
  s.tokens = 2;
  const std::string whole = trace_yaml(build_workload(m, s).ops, "w");
  for (const uint64_t c : {10, 11, 1000}) {
    s.chunk = c;
    EXPECT_EQ(trace_yaml(build_workload(m, s).ops, "w"), whole) << c;
  }
  // A prefill after 100 cached positions, in chunks of 6: 6 and 4 tokens over 106 and 110 keys.
  RunSpec after;
  after.phase = Phase::kPrefill;
  after.context = 100;
  after.prompt = 10;
  after.chunk = 6;
  const Workload w = build_workload(m, after);
  const auto att = named(w, "L3.attention");
  ASSERT_EQ(att.size(), 2u);
  EXPECT_EQ(att[0]->n, 106u);
  EXPECT_EQ(att[1]->n, 110u);
}

TEST(ChunkedPrefill, RunsThatCannotChunkAreRefused) {
  RunSpec s;
  s.chunk = 4;
  s.phase = Phase::kDecode;
  try {
    build_workload(shipped("llama-3.2-1b"), s);
    ADD_FAILURE() << "decode alone took a chunk";
  } catch (const WorkloadError& e) {
    EXPECT_EQ(e.setting(), RunField::kChunk);
  }
  s.phase = Phase::kPrefill;
  try {
    build_workload(shipped("bert-base"), s);
    ADD_FAILURE() << "an encoder chunked its prompt";
  } catch (const WorkloadError& e) {
    EXPECT_EQ(e.setting(), RunField::kChunk);
    EXPECT_NE(std::string(e.what()).find("encoder"), std::string::npos);
  }
  s.chunk = 128;  // one chunk: nothing attends to a chunk before it
  EXPECT_NO_THROW(build_workload(shipped("bert-base"), s));
}

class ChunkedPrefillCli : public testing::TempFileTest {};

TEST_F(ChunkedPrefillCli, EveryChunkStreamsTheWeightsAndTheStepsCountItsTokens) {
  const std::string out = path("o");
  const auto r = testing::npusim({"run", "--arch", "example-npu", "--model", "llama-3.2-1b",
                                  "--phase", "prefill", "--prompt", "40", "--chunk", "16",
                                  "--report", "steps", "--out", out, "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  // steps.csv: three prefill steps of 16, 16 and 8 tokens, each reading at least the layers'
  // int8 weights (16 layers of Q, K, V, O and the FFN, with a fp16 scale per 32 weights).
  const ModelConfig m = shipped("llama-3.2-1b");
  const uint64_t layer_params = m.attention_params_per_layer() + m.ffn_params(0);
  const uint64_t weights = m.layers * (layer_params + layer_params / 32 * 2);
  std::istringstream csv(testing::read_text(out + "/steps.csv"));
  std::string line;
  std::getline(csv, line);
  std::vector<std::string> header;
  for (std::istringstream h(line); std::getline(h, line, ',');) header.push_back(line);
  const auto col = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  const uint64_t tokens[] = {16, 16, 8};
  size_t rows = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    for (std::istringstream l(line); std::getline(l, line, ',');) f.push_back(line);
    ASSERT_LT(rows, 3u);
    EXPECT_EQ(f[col("phase")], "prefill");
    EXPECT_EQ(std::stoull(f[col("step")]), rows);
    EXPECT_EQ(std::stoull(f[col("tokens")]), tokens[rows]);
    EXPECT_GE(std::stoull(f[col("dram_bytes")]), weights);
    ++rows;
  }
  EXPECT_EQ(rows, 3u);
}

}  // namespace
}  // namespace npu
