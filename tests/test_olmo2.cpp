// OLMo 2 (model_type olmo2): no norms before the attention and the FFN, one after each, and
// RMSNorm over the whole q and k projections. Checked by hand: the parameters of the 7B shape,
// the ops of a layer, and the YAML keys that describe it (pre_norms, qk_norm: whole).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/config/model_loader.h"
#include "temp_files.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

// OLMo-2-1124-7B's shape (allenai/OLMo-2-1124-7B config.json): MHA, SwiGLU, 100,352 tokens.
const char* const kOlmo2 = R"({
  "model_type": "olmo2", "architectures": ["Olmo2ForCausalLM"], "hidden_act": "silu",
  "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 100352,
  "max_position_embeddings": 4096, "rms_norm_eps": 1e-06, "rope_theta": 500000,
  "tie_word_embeddings": false, "attention_bias": false
})";

class Olmo2 : public testing::TempFileTest {};

TEST_F(Olmo2, ParametersByHand) {
  const ModelConfig m = load_model(write(kOlmo2, ".json"));
  EXPECT_EQ(m.family, "olmo2");
  EXPECT_FALSE(m.pre_norms);
  EXPECT_TRUE(m.post_norms);
  EXPECT_EQ(m.qk_norm, QkNorm::kWhole);
  // A layer: Q, K, V, O 4096 x 4096; gate, up, down 4096 x 11008; two post-norms of 4096; the
  // q and k norms over the whole 4096-wide projections. Then the token table and the LM head
  // 100,352 x 4096 each and the final norm. Published: 7.30 B.
  const uint64_t layer = 4ull * 4096 * 4096 + 3ull * 4096 * 11008 + 2 * 4096 + 2 * 4096;
  const uint64_t n = 32 * layer + 2ull * 100352 * 4096 + 4096;
  EXPECT_EQ(m.parameters(), n);
  EXPECT_NEAR(static_cast<double>(n), 7.30e9, 0.01 * 7.30e9);
}

TEST_F(Olmo2, ALayerNormsAfterEachBlockAndOverTheWholeQAndK) {
  const ModelConfig m = load_model(write(kOlmo2, ".json"));
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 8;
  const Workload w = build_workload(m, s);
  std::vector<std::string> layer0;
  for (const Op& op : w.ops)
    if (op.layer == "0") layer0.push_back(op.name);
  const std::vector<std::string> expected = {
      "L0.q_proj",        "L0.k_proj",        "L0.v_proj",      "L0.q_norm",   "L0.k_norm",
      "L0.rope_q",        "L0.rope_k",        "L0.attention",   "L0.o_proj",   "L0.attn_post_norm",
      "L0.residual_attn", "L0.ffn_gate",      "L0.ffn_up",      "L0.ffn_silu", "L0.ffn_mul",
      "L0.ffn_down",      "L0.ffn_post_norm", "L0.residual_ffn"};
  EXPECT_EQ(layer0, expected);
  for (const Op& op : w.ops) {
    if (op.name == "L0.q_norm") {
      EXPECT_EQ(op.rows, 8u);  // one row per token, over all 32 heads
      EXPECT_EQ(op.cols, 4096u);
    }
  }
}

TEST_F(Olmo2, YamlKeys) {
  const std::string base =
      "name: m\nlayers: 2\nd_model: 64\nheads: 4\nffn_dim: 128\nffn_kind: swiglu\nvocab: 100\n"
      "norm: rmsnorm\npos: rope\ntied_embeddings: false\nmax_context: 64\n";
  const ModelConfig a =
      load_model(write(base + "post_norms: true\npre_norms: false\nqk_norm: whole\n"));
  EXPECT_FALSE(a.pre_norms);
  EXPECT_EQ(a.qk_norm, QkNorm::kWhole);
  EXPECT_EQ(load_model(write(base + "qk_norm: true\n")).qk_norm, QkNorm::kPerHead);
  EXPECT_EQ(load_model(write(base + "qk_norm: per_head\n")).qk_norm, QkNorm::kPerHead);
  const auto load = [](const std::string& f) { load_model(f); };
  expect_config_error(load, base + "pre_norms: false\n", "12:12: pre_norms", "needs post_norms");
  expect_config_error(load, base + "qk_norm: rows\n", "12:10: qk_norm", "per_head or whole");
  expect_config_error(load, base + "causal: false\npost_norms: true\npre_norms: false\n",
                      "14:12: pre_norms", "applies to a decoder");
  // The multimodal Gemma 3 is refused, saying what to do.
  expect_config_error(load, R"({"model_type": "gemma3", "text_config": {}})", "1:16: model_type",
                      "gemma3_text", ".json");
}

}  // namespace
}  // namespace npu
