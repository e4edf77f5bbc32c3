// Gemma families (config.json model_type gemma, gemma2, gemma3_text): gated-GELU FFNs (geglu),
// norms after attention and after the FFN (Gemma 2, 3), alternating sliding and global layers,
// Gemma 2's soft-capped scores and logits, Gemma 3's q/k norms. Checked by hand: the parameter
// counts of Gemma-2-2B and Gemma-3-1B from their config.json fields, the ops of a layer, which
// layers slide, and the layer_types patterns that are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/config/model_loader.h"
#include "temp_files.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

// The architecture fields of google/gemma-2-2b's config.json (transformers 4.42).
const std::string kGemma2 = R"({"architectures": ["Gemma2ForCausalLM"],
  "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "head_dim": 256,
  "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
  "hidden_size": 2304, "intermediate_size": 9216, "max_position_embeddings": 8192,
  "model_type": "gemma2", "num_attention_heads": 8, "num_hidden_layers": 26,
  "num_key_value_heads": 4, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
  "rope_theta": 10000.0, "sliding_window": 4096, "vocab_size": 256000})";

// The architecture fields of google/gemma-3-1b-pt's config.json.
const std::string kGemma3 = R"({"architectures": ["Gemma3ForCausalLM"],
  "attn_logit_softcapping": null, "final_logit_softcapping": null, "head_dim": 256,
  "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152, "intermediate_size": 6912,
  "max_position_embeddings": 32768, "model_type": "gemma3_text", "num_attention_heads": 4,
  "num_hidden_layers": 26, "num_key_value_heads": 1, "query_pre_attn_scalar": 256,
  "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000, "rope_theta": 1000000,
  "sliding_window": 512, "sliding_window_pattern": 6, "vocab_size": 262144})";

class Gemma : public testing::TempFileTest {};

TEST_F(Gemma, Gemma2ParametersAndLayers) {
  const ModelConfig m = load_model(write(kGemma2, ".json"));
  EXPECT_EQ(m.ffn_kind, FfnKind::kGeGlu);
  EXPECT_TRUE(m.tied_embeddings);
  EXPECT_TRUE(m.post_norms);
  EXPECT_TRUE(m.attn_softcap);
  EXPECT_TRUE(m.logit_softcap);
  EXPECT_EQ(m.qk_norm, QkNorm::kNone);
  EXPECT_EQ(m.sliding_window, 4096u);
  EXPECT_EQ(m.global_every, 2u);
  EXPECT_TRUE(m.slides(0));
  EXPECT_FALSE(m.slides(1));
  // By hand: per layer Q, K, V, O 2304 x 2048 x 2 + 2 x 2304 x 1024, the FFN 3 x 2304 x 9216,
  // four norms of 2304; 26 layers, the tied table 256,000 x 2304 and the final norm: 2.61 B as
  // published.
  const uint64_t layer = 2304ull * 2048 * 2 + 2 * 2304ull * 1024 + 3 * 2304ull * 9216 + 4 * 2304;
  EXPECT_EQ(m.parameters(), 26 * layer + 256000ull * 2304 + 2304);
  EXPECT_EQ(m.parameters(), 2'614'341'888u);

  // A decode step after 5000 positions: layer 0 reads its 4096-position window, layer 1 all
  // 5001; the attention soft-caps its scores; norms after attention and the FFN; the logits
  // soft-capped.
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 5000;
  s.tokens = 1;
  const Workload w = build_workload(m, s);
  std::vector<std::string> names;
  for (const Op& op : w.ops) {
    names.push_back(op.name);
    if (op.name == "L0.attention") {
      EXPECT_EQ(op.n, 4096u);
      EXPECT_TRUE(op.softcap);
    } else if (op.name == "L1.attention") {
      EXPECT_EQ(op.n, 5001u);
    } else if (op.name == "logit_softcap") {
      EXPECT_EQ(op.rows * op.cols, 256000u);
    }
  }
  for (const char* n :
       {"L0.ffn_gelu", "L0.ffn_mul", "L0.attn_post_norm", "L0.ffn_post_norm", "logit_softcap"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  // The residual adds read the post norms.
  for (size_t i = 0; i < w.ops.size(); ++i) {
    if (w.ops[i].name == "L0.residual_attn") {
      EXPECT_EQ(w.ops[i - w.ops[i].a_from].name, "L0.attn_post_norm");
    }
  }
}

TEST_F(Gemma, Gemma3ParametersAndItsPatternOfGlobalLayers) {
  const ModelConfig m = load_model(write(kGemma3, ".json"));
  EXPECT_EQ(m.qk_norm, QkNorm::kPerHead);
  EXPECT_FALSE(m.attn_softcap);
  EXPECT_EQ(m.sliding_window, 512u);
  EXPECT_EQ(m.global_every, 6u);
  EXPECT_FALSE(m.slides(5));
  EXPECT_TRUE(m.slides(6));
  // Per layer 1152 x 1024 x 2 + 2 x 1152 x 256, 3 x 1152 x 6912, four norms of 1152 and the
  // q and k norms of 256; the tied table 262,144 x 1152: 999,885,952 (Gemma 3 1B).
  EXPECT_EQ(m.parameters(), 999'885'952u);
  // layer_types, as newer configs write them, must be that pattern.
  std::string types;
  for (int i = 0; i < 26; ++i)
    types += std::string(i ? ", " : "") +
             ((i + 1) % 6 == 0 ? "\"full_attention\"" : "\"sliding_attention\"");
  const std::string with = kGemma3.substr(0, kGemma3.size() - 1) + R"(, "layer_types": [)";
  EXPECT_EQ(load_model(write(with + types + "]}", ".json")).global_every, 6u);
  expect_config_error(load_model, with + "\"full_attention\"" + types.substr(19) + "]}",
                      "7:92: layer_types", "layer 0 of type \"full_attention\" is not modelled",
                      ".json");
}

TEST_F(Gemma, AModelYamlTakesTheGemmaKeys) {
  const std::string yaml =
      "name: g\nlayers: 2\nd_model: 64\nheads: 2\nffn_dim: 128\nffn_kind: geglu\nvocab: 100\n"
      "norm: rmsnorm\npos: rope\ntied_embeddings: true\nmax_context: 64\npost_norms: true\n"
      "attn_softcap: true\nlogit_softcap: true\n";
  const ModelConfig m = load_model(write(yaml));
  EXPECT_EQ(m.ffn_kind, FfnKind::kGeGlu);
  EXPECT_TRUE(m.post_norms && m.attn_softcap && m.logit_softcap);
  // Standard attention soft-caps its materialised scores in a pass of its own.
  RunSpec s;
  s.attention = AttentionImpl::kStandard;
  s.prompt = 8;
  s.tokens = 1;
  bool capped = false;
  for (const Op& op : build_workload(m, s).ops)
    if (op.name == "L0.scores_softcap" && op.phase == "prefill")
      capped = op.rows == 2u * 8 && op.cols == 8u;
  EXPECT_TRUE(capped);
}

}  // namespace
}  // namespace npu
