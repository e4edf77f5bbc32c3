// Transformer model configs: the shipped YAML files load with the numbers of the published Hugging
// Face configs; parameter counts, written out by hand below, land within 1 % of the published
// sizes; KV-cache bytes per token; a Hugging Face config.json imports to the same ModelConfig as
// our YAML of the same model; bad files fail with `file:line:col: key: message`; shipped names
// resolve. Line and column numbers are counted by hand from the documents below.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sim/config/config_path.h"
#include "sim/config/model_loader.h"
#include "temp_files.h"

namespace npu {
namespace {

const std::string kSourceDir = NPUSIM_SOURCE_DIR;
const std::string kConfigs = kSourceDir + "/configs";
const std::string kHfData = kSourceDir + "/tests/data/hf";

std::string shipped(const std::string& name) {
  return kConfigs + "/models/" + name + ".yaml";
}

// ---------------------------------------------------------------------------------------------
// The shipped files

TEST(ModelShipped, TheListedModelsAreShipped) {
  const std::vector<std::string> expected = {
      "baichuan-7b",     "bert-base",     "bert-large",      "distilbert-base", "gpt2",
      "granite-3b-code", "llama-2-7b",    "llama-3.1-8b",    "llama-3.2-1b",    "llama-3.2-3b",
      "llama-3.1-70b",   "mistral-7b",    "phi-3-mini",      "qwen2-7b",        "qwen2.5-0.5b",
      "mixtral-8x7b",    "qwen3-30b-a3b", "mistral-7b-v0.3", "phi-3.5-mini"};
  const auto names = shipped_config_names("models", kConfigs);
  for (const auto& name : expected)
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(ModelShipped, EveryFileLoadsUnderItsOwnName) {
  const auto names = shipped_config_names("models", kConfigs);
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const ModelConfig m = load_model(shipped(name));
    EXPECT_EQ(m.name, name);
    EXPECT_FALSE(m.family.empty());
    EXPECT_FALSE(m.description.empty());
    EXPECT_EQ(m.q_dim() % m.kv_dim(), 0u);
    EXPECT_GT(m.parameters(), 0u);
  }
}

// The published config.json numbers (the YAML comments cite each field).
struct Published {
  const char* name;
  uint32_t layers, d_model, heads, kv_heads, head_dim, ffn_dim, vocab, max_context;
  FfnKind ffn;
  NormKind norm;
  PosEncoding pos;
  bool tied, causal;
};

constexpr auto kSwi = FfnKind::kSwiGlu;
constexpr auto kGelu = FfnKind::kGeluMlp;
constexpr auto kRms = NormKind::kRmsNorm;
constexpr auto kLn = NormKind::kLayerNorm;
constexpr auto kRope = PosEncoding::kRope;
constexpr auto kLearned = PosEncoding::kLearned;

const Published kPublished[] = {
    // name          layers d_model heads kv hdim   ffn   vocab  max_ctx
    {"llama-2-7b", 32, 4096, 32, 32, 128, 11008, 32000, 4096, kSwi, kRms, kRope, false, true},
    {"llama-3.1-8b", 32, 4096, 32, 8, 128, 14336, 128256, 131072, kSwi, kRms, kRope, false, true},
    {"llama-3.1-70b", 80, 8192, 64, 8, 128, 28672, 128256, 131072, kSwi, kRms, kRope, false, true},
    {"llama-3.2-1b", 16, 2048, 32, 8, 64, 8192, 128256, 131072, kSwi, kRms, kRope, true, true},
    {"llama-3.2-3b", 28, 3072, 24, 8, 128, 8192, 128256, 131072, kSwi, kRms, kRope, true, true},
    {"mistral-7b", 32, 4096, 32, 8, 128, 14336, 32000, 32768, kSwi, kRms, kRope, false, true},
    {"mistral-7b-v0.3", 32, 4096, 32, 8, 128, 14336, 32768, 32768, kSwi, kRms, kRope, false, true},
    {"phi-3-mini", 32, 3072, 32, 32, 96, 8192, 32064, 4096, kSwi, kRms, kRope, false, true},
    {"phi-3.5-mini", 32, 3072, 32, 32, 96, 8192, 32064, 131072, kSwi, kRms, kRope, false, true},
    {"qwen2.5-0.5b", 24, 896, 14, 2, 64, 4864, 151936, 32768, kSwi, kRms, kRope, true, true},
    {"gpt2", 12, 768, 12, 12, 64, 3072, 50257, 1024, kGelu, kLn, kLearned, true, true},
    {"bert-base", 12, 768, 12, 12, 64, 3072, 30522, 512, kGelu, kLn, kLearned, true, false},
    {"bert-large", 24, 1024, 16, 16, 64, 4096, 30522, 512, kGelu, kLn, kLearned, true, false},
    {"distilbert-base", 6, 768, 12, 12, 64, 3072, 30522, 512, kGelu, kLn, kLearned, true, false},
    {"baichuan-7b", 32, 4096, 32, 32, 128, 11008, 64000, 4096, kSwi, kRms, kRope, false, true},
    {"granite-3b-code", 32, 2560, 32, 32, 80, 10240, 49152, 2048, kSwi, kRms, kRope, true, true},
};

TEST(ModelShipped, NumbersAreThoseOfThePublishedConfigs) {
  for (const Published& p : kPublished) {
    SCOPED_TRACE(p.name);
    const ModelConfig m = load_model(shipped(p.name));
    EXPECT_EQ(m.layers, p.layers);
    EXPECT_EQ(m.d_model, p.d_model);
    EXPECT_EQ(m.heads, p.heads);
    EXPECT_EQ(m.kv_heads, p.kv_heads);
    EXPECT_EQ(m.head_dim, p.head_dim);
    EXPECT_EQ(m.ffn_dim, p.ffn_dim);
    EXPECT_EQ(m.vocab, p.vocab);
    EXPECT_EQ(m.max_context, p.max_context);
    EXPECT_EQ(m.ffn_kind, p.ffn);
    EXPECT_EQ(m.norm, p.norm);
    EXPECT_EQ(m.pos, p.pos);
    EXPECT_EQ(m.tied_embeddings, p.tied);
    EXPECT_EQ(m.causal, p.causal);
  }
}

// ---------------------------------------------------------------------------------------------
// Parameter counts
//
// Written out (biases left out, as in ModelConfig):
//   embeddings  V*d, plus P*d when positions are learned (P = max_context)
//   per layer   d*(H*hd) + 2*d*(KV*hd) + (H*hd)*d     Q, K, V, O
//               + f*d*F                                FFN, f = 3 (swiglu) or 2 (gelu_mlp)
//               + 2*n                                  two norms, n = d (rmsnorm) or 2d (layernorm)
//   final norm  n
//   LM head     V*d, unless tied to the embeddings
// Each count below is that formula with the model's numbers, then compared with the published
// size: within 1 %.

void expect_params(const std::string& name, uint64_t by_hand, double published) {
  SCOPED_TRACE(name);
  const ModelConfig m = load_model(shipped(name));
  EXPECT_EQ(m.parameters(), by_hand);
  const double error = std::abs(static_cast<double>(by_hand) - published) / published;
  EXPECT_LT(error, 0.01) << by_hand << " vs published " << published;
}

TEST(ModelParams, Llama2_7B) {
  // d 4096, MHA: Q, K, V, O all 4096 x 4096; SwiGLU 3 x 4096 x 11008; untied.
  const uint64_t layer = 4ull * 4096 * 4096 + 3ull * 4096 * 11008 + 2 * 4096;
  const uint64_t n = 32000ull * 4096 + 32 * layer + 4096 + 32000ull * 4096;
  EXPECT_EQ(n, 6'738'415'616u);  // exactly the Hugging Face count of Llama-2-7b-hf
  expect_params("llama-2-7b", n, 6.74e9);
}

TEST(ModelParams, Llama31_8B) {
  // GQA: K and V are 4096 x (8 x 128) = 4096 x 1024.
  const uint64_t layer = 2ull * 4096 * 4096 + 2ull * 4096 * 1024 + 3ull * 4096 * 14336 + 2 * 4096;
  const uint64_t n = 128256ull * 4096 + 32 * layer + 4096 + 128256ull * 4096;
  expect_params("llama-3.1-8b", n, 8.03e9);
}

TEST(ModelParams, Llama31_70B) {
  // GQA: K and V are 8192 x (8 x 128) = 8192 x 1024; untied.
  const uint64_t layer = 2ull * 8192 * 8192 + 2ull * 8192 * 1024 + 3ull * 8192 * 28672 + 2 * 8192;
  const uint64_t n = 128256ull * 8192 + 80 * layer + 8192 + 128256ull * 8192;
  EXPECT_EQ(n, 70'553'706'496u);
  expect_params("llama-3.1-70b", n, 70.6e9);
}

TEST(ModelParams, Llama32_1B) {
  // K and V 2048 x (8 x 64) = 2048 x 512; tied: no LM head.
  const uint64_t layer = 2ull * 2048 * 2048 + 2ull * 2048 * 512 + 3ull * 2048 * 8192 + 2 * 2048;
  const uint64_t n = 128256ull * 2048 + 16 * layer + 2048;
  expect_params("llama-3.2-1b", n, 1.24e9);
}

TEST(ModelParams, Llama32_3B) {
  // K and V 3072 x (8 x 128) = 3072 x 1024; tied.
  const uint64_t layer = 2ull * 3072 * 3072 + 2ull * 3072 * 1024 + 3ull * 3072 * 8192 + 2 * 3072;
  const uint64_t n = 128256ull * 3072 + 28 * layer + 3072;
  expect_params("llama-3.2-3b", n, 3.21e9);
}

TEST(ModelParams, Mistral7B) {
  const uint64_t layer = 2ull * 4096 * 4096 + 2ull * 4096 * 1024 + 3ull * 4096 * 14336 + 2 * 4096;
  const uint64_t n = 32000ull * 4096 + 32 * layer + 4096 + 32000ull * 4096;
  expect_params("mistral-7b", n, 7.24e9);
}

TEST(ModelParams, Mistral7BV03) {
  // v0.1's layers; the token table and the LM head 32,768 x 4096 each. Published 7.25 B.
  const uint64_t layer = 2ull * 4096 * 4096 + 2ull * 4096 * 1024 + 3ull * 4096 * 14336 + 2 * 4096;
  const uint64_t n = 32768ull * 4096 + 32 * layer + 4096 + 32768ull * 4096;
  expect_params("mistral-7b-v0.3", n, 7.25e9);
}

TEST(ModelParams, SlidingWindowsOfTheShippedFiles) {
  // Mistral v0.1 and Phi-3-mini-4k slide (their config.json's sliding_window is shorter than
  // max_position_embeddings); v0.3 (null) and Phi-3.5-mini (262144 of 131072) do not.
  EXPECT_EQ(load_model(shipped("mistral-7b")).sliding_window, 4096u);
  EXPECT_EQ(load_model(shipped("phi-3-mini")).sliding_window, 2047u);
  EXPECT_EQ(load_model(shipped("mistral-7b-v0.3")).sliding_window, 0u);
  EXPECT_EQ(load_model(shipped("phi-3.5-mini")).sliding_window, 0u);
}

TEST(ModelParams, Phi3Mini) {
  const uint64_t layer = 4ull * 3072 * 3072 + 3ull * 3072 * 8192 + 2 * 3072;
  const uint64_t n = 32064ull * 3072 + 32 * layer + 3072 + 32064ull * 3072;
  expect_params("phi-3-mini", n, 3.82e9);
}

TEST(ModelParams, Qwen25_05B) {
  // 14 heads of 64; K and V 896 x (2 x 64) = 896 x 128; tied. Published 0.49 B (494,032,768
  // with the 27,648 Q/K/V biases left out here).
  const uint64_t layer = 2ull * 896 * 896 + 2ull * 896 * 128 + 3ull * 896 * 4864 + 2 * 896;
  const uint64_t n = 151936ull * 896 + 24 * layer + 896;
  expect_params("qwen2.5-0.5b", n, 0.494e9);
}

TEST(ModelParams, Gpt2) {
  // Learned positions 1024 x 768; GELU MLP 2 x 768 x 3072; layernorm 2 x 768 per norm; tied.
  const uint64_t layer = 4ull * 768 * 768 + 2ull * 768 * 3072 + 2 * (2 * 768);
  const uint64_t n = 50257ull * 768 + 1024ull * 768 + 12 * layer + 2 * 768;
  EXPECT_EQ(n + 12 * (4 * 768 + 3072 + 768), 124'439'808u);  // + biases = the HF count
  expect_params("gpt2", n, 124e6);
}

TEST(ModelParams, BertBase) {
  // As GPT-2 but 30522 tokens and 512 positions. Published: "110M"; the Hugging Face BertModel
  // holds 109,482,240 with biases, token-type embeddings and pooler, which are left out here
  // (0.6 %). Compared with the exact count (1 %), and with the headline figure at 1.5 %.
  const uint64_t layer = 4ull * 768 * 768 + 2ull * 768 * 3072 + 2 * (2 * 768);
  const uint64_t n = 30522ull * 768 + 512ull * 768 + 12 * layer + 2 * 768;
  expect_params("bert-base", n, 109'482'240.0);
  EXPECT_LT(std::abs(static_cast<double>(n) - 110e6) / 110e6, 0.015);
}

TEST(ModelParams, BertLarge) {
  // BERT base's structure at 1024 wide, 24 layers, FFN 4096. Published: 336 M (the Hugging Face
  // model card); BertModel holds 335,141,888 with biases, token types and pooler (0.4 % more).
  const uint64_t layer = 4ull * 1024 * 1024 + 2ull * 1024 * 4096 + 2 * (2 * 1024);
  const uint64_t n = 30522ull * 1024 + 512ull * 1024 + 24 * layer + 2 * 1024;
  EXPECT_EQ(n, 333'869'056u);
  expect_params("bert-large", n, 336e6);
}

TEST(ModelParams, DistilBertBase) {
  // BERT base with 6 layers. Published: 66 M (arXiv:1910.01108); DistilBertModel holds 66,362,880
  // with the 6 x 6912 biases (no token types, no pooler).
  const uint64_t layer = 4ull * 768 * 768 + 2ull * 768 * 3072 + 2 * (2 * 768);
  const uint64_t n = 30522ull * 768 + 512ull * 768 + 6 * layer + 2 * 768;
  EXPECT_EQ(n + 6 * (4 * 768 + 3072 + 768), 66'362'880u);
  expect_params("distilbert-base", n, 66e6);
}

TEST(ModelParams, Baichuan7B) {
  // Llama-2-7B's layers with a 64,000-token vocabulary; untied. Baichuan publishes the exact
  // count, 7,000,559,616 (the model table of github.com/baichuan-inc/Baichuan-13B).
  const uint64_t layer = 4ull * 4096 * 4096 + 3ull * 4096 * 11008 + 2 * 4096;
  const uint64_t n = 64000ull * 4096 + 32 * layer + 4096 + 64000ull * 4096;
  EXPECT_EQ(n, 7'000'559'616u);
  expect_params("baichuan-7b", n, 7'000'559'616.0);
}

TEST(ModelParams, Granite3BCode) {
  // 32 heads of 80 (MHA), SwiGLU 3 x 2560 x 10240, tied. Published: 3.48 B (Qualcomm AI Hub);
  // the attention and MLP biases (32 x 33,280) are left out.
  const uint64_t layer = 4ull * 2560 * 2560 + 3ull * 2560 * 10240 + 2 * 2560;
  const uint64_t n = 49152ull * 2560 + 32 * layer + 2560;
  EXPECT_EQ(n, 3'481'438'720u);
  expect_params("granite-3b-code", n, 3.48e9);
}

// ---------------------------------------------------------------------------------------------
// KV cache

TEST(ModelKvCache, Llama2_7B_Fp16Is512KiBPerToken) {
  const ModelConfig m = load_model(shipped("llama-2-7b"));
  // K and V x 32 layers x 4096 (32 KV heads x 128) x 2 bytes
  EXPECT_EQ(m.kv_bytes_per_token(Format::kFp16), 2u * 32 * 4096 * 2);
  EXPECT_EQ(m.kv_bytes_per_token(Format::kFp16), 512u * 1024);
  EXPECT_EQ(4096 * m.kv_bytes_per_token(Format::kFp16), uint64_t{2} << 30);  // 2 GiB at 4k
  EXPECT_EQ(m.kv_bytes_per_token(Format::kFp8), 256u * 1024);
  EXPECT_EQ(m.kv_bytes_per_token(Format::kInt4), 128u * 1024);
}

TEST(ModelKvCache, Llama31_8B_GqaIsAQuarterOfMha) {
  const ModelConfig gqa = load_model(shipped("llama-3.1-8b"));
  ModelConfig mha = gqa;
  mha.kv_heads = mha.heads;
  EXPECT_EQ(gqa.kv_bytes_per_token(Format::kBf16), 2u * 32 * (8 * 128) * 2);  // 128 KiB
  EXPECT_EQ(4 * gqa.kv_bytes_per_token(Format::kBf16), mha.kv_bytes_per_token(Format::kBf16));
  EXPECT_EQ(gqa.group_size(), 4u);
  EXPECT_EQ(mha.group_size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Hugging Face config.json

void expect_same_model(const ModelConfig& a, const ModelConfig& b) {
  // Every field but the free-text description.
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.family, b.family);
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(a.d_model, b.d_model);
  EXPECT_EQ(a.heads, b.heads);
  EXPECT_EQ(a.kv_heads, b.kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.ffn_dim, b.ffn_dim);
  EXPECT_EQ(a.ffn_kind, b.ffn_kind);
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.norm, b.norm);
  EXPECT_EQ(a.pos, b.pos);
  EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
  EXPECT_EQ(a.max_context, b.max_context);
  EXPECT_EQ(a.causal, b.causal);
  EXPECT_EQ(a.parameters(), b.parameters());
}

TEST(ModelHfImport, EqualsTheShippedYaml) {
  for (const char* name : {"llama-3.1-8b", "gpt2", "qwen2.5-0.5b", "bert-large", "distilbert-base",
                           "baichuan-7b", "granite-3b-code"}) {
    SCOPED_TRACE(name);
    const ModelConfig hf = load_model(kHfData + "/" + name + "/config.json");
    EXPECT_TRUE(hf.description.empty());
    expect_same_model(hf, load_model(shipped(name)));
  }
}

TEST(ModelHfImport, Gpt2DefaultsTheFfnToFourTimesTheHiddenSize) {
  // gpt2's config.json has no n_inner; GPT2Config's None means 4 x n_embd.
  const ModelConfig m = load_hf_config(kHfData + "/gpt2/config.json");
  EXPECT_EQ(m.ffn_dim, 4u * 768);
  EXPECT_EQ(m.pos, PosEncoding::kLearned);  // no rope_theta
  EXPECT_TRUE(m.tied_embeddings);           // no tie_word_embeddings: GPT-2's default
}

// ---------------------------------------------------------------------------------------------
// Bad files

// A minimal valid model YAML. Line numbers on the right.
const std::string kYaml =
    "name: t\n"                 // 1
    "layers: 2\n"               // 2
    "d_model: 768\n"            // 3
    "heads: 12\n"               // 4
    "kv_heads: 4\n"             // 5
    "ffn_dim: 3072\n"           // 6
    "ffn_kind: swiglu\n"        // 7
    "vocab: 1000\n"             // 8
    "norm: rmsnorm\n"           // 9
    "pos: rope\n"               // 10
    "tied_embeddings: false\n"  // 11
    "max_context: 2048\n";      // 12

// A minimal valid config.json. Value columns: "num_hidden_layers" 24, "hidden_size" 18,
// "num_attention_heads" and "num_key_value_heads" 26, "vocab_size" 17, "model_type" 17.
const std::string kJson =
    "{\n"                                     // 1
    "  \"model_type\": \"llama\",\n"          // 2
    "  \"num_hidden_layers\": 2,\n"           // 3
    "  \"hidden_size\": 768,\n"               // 4
    "  \"num_attention_heads\": 12,\n"        // 5
    "  \"num_key_value_heads\": 4,\n"         // 6
    "  \"intermediate_size\": 3072,\n"        // 7
    "  \"vocab_size\": 1000,\n"               // 8
    "  \"max_position_embeddings\": 2048,\n"  // 9
    "  \"rms_norm_eps\": 1e-05\n"             // 10
    "}\n";                                    // 11

using testing::edit_once;

class ModelFiles : public testing::TempFileTest {
 protected:
  /// Expects load_model on `text` (written with `ext`) to throw a ConfigError reading
  /// `file:<where>: <rest>`, `rest` containing `fragment`; also checks the error's key.
  void expect_error(const std::string& text, const std::string& ext, const std::string& where,
                    const std::string& key, const std::string& fragment) {
    const auto e = expect_config_error([](const std::string& p) { load_model(p); }, text, where,
                                       fragment, ext);
    if (e) {
      EXPECT_EQ(e->key(), key) << e->what();
    }
  }
  void yaml_error(const std::string& text, const std::string& where, const std::string& key,
                  const std::string& fragment) {
    expect_error(text, ".yaml", where, key, fragment);
  }
  void json_error(const std::string& text, const std::string& where, const std::string& key,
                  const std::string& fragment) {
    expect_error(text, ".json", where, key, fragment);
  }
};

using ModelYamlLoad = ModelFiles;
using ModelJsonLoad = ModelFiles;

TEST_F(ModelYamlLoad, BaseDocumentLoadsWithDefaults) {
  const ModelConfig m = load_model(write(kYaml, ".yaml"));
  EXPECT_EQ(m.head_dim, 64u);  // 768 / 12
  EXPECT_EQ(m.kv_heads, 4u);
  EXPECT_TRUE(m.causal);  // default
  EXPECT_TRUE(m.family.empty());
  const ModelConfig mha = load_model(write(edit_once(kYaml, "kv_heads: 4\n", ""), ".yaml"));
  EXPECT_EQ(mha.kv_heads, 12u);  // default: heads
}

TEST_F(ModelYamlLoad, HeadDimMayDifferFromTheHiddenSizeOverHeads) {
  // d_model 770 is not a multiple of 12 heads, but an explicit head_dim makes it valid.
  const ModelConfig m = load_model(
      write(edit_once(kYaml, "d_model: 768\n", "d_model: 770\nhead_dim: 80\n"), ".yaml"));
  EXPECT_EQ(m.head_dim, 80u);
  EXPECT_EQ(m.q_dim(), 960u);
  yaml_error(edit_once(kYaml, "heads: 12\n", "heads: 24\nhead_dim: 65536\n"), "5:11: head_dim",
             "head_dim", "heads x head_dim = 1572864 exceeds the cap of 2^20");
}

TEST_F(ModelYamlLoad, HeadsNotDividingTheHiddenSize) {
  yaml_error(edit_once(kYaml, "d_model: 768", "d_model: 770"), "4:8: heads", "heads",
             "heads (12) do not divide the hidden size (770)");
}

TEST_F(ModelYamlLoad, KvHeadsNotDividingHeads) {
  yaml_error(edit_once(kYaml, "kv_heads: 4", "kv_heads: 5"), "5:11: kv_heads", "kv_heads",
             "kv_heads (5) do not divide heads (12)");
  yaml_error(edit_once(kYaml, "kv_heads: 4", "kv_heads: 24"), "5:11: kv_heads", "kv_heads",
             "kv_heads (24) do not divide heads (12)");
}

TEST_F(ModelYamlLoad, UnknownKeyWithSuggestion) {
  yaml_error(edit_once(kYaml, "kv_heads: 4", "kv_head: 4"), "5:1: kv_head", "kv_head",
             "unknown key 'kv_head'; did you mean 'kv_heads'?");
}

TEST_F(ModelYamlLoad, UnknownEnumValueWithSuggestion) {
  yaml_error(edit_once(kYaml, "ffn_kind: swiglu", "ffn_kind: swiglue"), "7:11: ffn_kind",
             "ffn_kind",
             "unknown value 'swiglue'; did you mean 'swiglu'? (accepted: gelu_mlp, swiglu, geglu)");
  yaml_error(edit_once(kYaml, "pos: rope", "pos: alibi"), "10:6: pos", "pos",
             "(accepted: rope, learned, none)");
}

TEST_F(ModelYamlLoad, MissingRequiredKey) {
  yaml_error(edit_once(kYaml, "vocab: 1000\n", ""), "1:1: vocab", "vocab",
             "missing required key 'vocab'");
  yaml_error(edit_once(kYaml, "tied_embeddings: false\n", ""), "1:1: tied_embeddings",
             "tied_embeddings", "missing required key 'tied_embeddings'");
}

TEST_F(ModelYamlLoad, SizesAreAtLeastOneAndCapped) {
  yaml_error(edit_once(kYaml, "layers: 2", "layers: 0"), "2:9: layers", "layers",
             "must be at least 1, got 0");
  yaml_error(edit_once(kYaml, "layers: 2", "layers: 1025"), "2:9: layers", "layers",
             "must be at most 1024, got 1025");
  yaml_error(edit_once(kYaml, "vocab: 1000", "vocab: 16777217"), "8:8: vocab", "vocab",
             "must be at most 16777216");
  yaml_error(edit_once(kYaml, "d_model: 768", "d_model: 768.0"), "3:10: d_model", "d_model",
             "expected an integer, got 768.0");
}

TEST_F(ModelJsonLoad, BaseDocumentLoads) {
  const ModelConfig m = load_model(write(kJson, ".json"));
  EXPECT_EQ(m.family, "llama");
  EXPECT_EQ(m.layers, 2u);
  EXPECT_EQ(m.head_dim, 64u);
  EXPECT_EQ(m.kv_heads, 4u);
  EXPECT_EQ(m.ffn_kind, FfnKind::kSwiGlu);
  EXPECT_EQ(m.norm, NormKind::kRmsNorm);
  EXPECT_EQ(m.pos, PosEncoding::kRope);  // llama's default (no rope_theta here)
  EXPECT_FALSE(m.tied_embeddings);       // llama's default
  EXPECT_TRUE(m.causal);
}

TEST_F(ModelJsonLoad, BertIsAnEncoder) {
  const std::string bert =
      "{\"model_type\": \"bert\", \"num_hidden_layers\": 12, \"hidden_size\": 768,\n"
      " \"num_attention_heads\": 12, \"intermediate_size\": 3072, \"hidden_act\": \"gelu\",\n"
      " \"vocab_size\": 30522, \"layer_norm_eps\": 1e-12, \"max_position_embeddings\": 512,\n"
      " \"position_embedding_type\": \"absolute\", \"type_vocab_size\": 2}\n";
  ModelConfig m = load_model(write(bert, ".json"));
  EXPECT_FALSE(m.causal);
  EXPECT_TRUE(m.tied_embeddings);  // BertConfig's default
  m.name = "bert-base";            // not the temporary file's stem
  expect_same_model(m, load_model(shipped("bert-base")));
}

// DistilBERT's config.json: its own spellings (dim, n_layers, n_heads, hidden_dim, activation).
// Value columns: "activation" 17, "n_layers" 15, "sinusoidal_pos_embds" 27.
const std::string kDistilBert =
    "{\n"                                    // 1
    "  \"model_type\": \"distilbert\",\n"    // 2
    "  \"activation\": \"gelu\",\n"          // 3
    "  \"dim\": 768,\n"                      // 4
    "  \"n_layers\": 6,\n"                   // 5
    "  \"n_heads\": 12,\n"                   // 6
    "  \"hidden_dim\": 3072,\n"              // 7
    "  \"vocab_size\": 30522,\n"             // 8
    "  \"max_position_embeddings\": 512,\n"  // 9
    "  \"sinusoidal_pos_embds\": false\n"    // 10
    "}\n";                                   // 11

TEST_F(ModelJsonLoad, DistilBertSpellsItsFieldsItsOwnWay) {
  ModelConfig m = load_model(write(kDistilBert, ".json"));
  EXPECT_EQ(m.family, "distilbert");
  EXPECT_EQ(m.layers, 6u);
  EXPECT_EQ(m.d_model, 768u);
  EXPECT_EQ(m.heads, 12u);
  EXPECT_EQ(m.ffn_dim, 3072u);
  EXPECT_EQ(m.ffn_kind, FfnKind::kGeluMlp);
  EXPECT_EQ(m.norm, NormKind::kLayerNorm);  // no epsilon field: the family's
  EXPECT_EQ(m.pos, PosEncoding::kLearned);
  EXPECT_TRUE(m.tied_embeddings);  // PretrainedConfig's default
  EXPECT_FALSE(m.causal);          // an encoder
  m.name = "distilbert-base";
  expect_same_model(m, load_model(shipped("distilbert-base")));

  json_error(edit_once(kDistilBert, "\"gelu\"", "\"relu\""), "3:17: activation", "activation",
             "activation 'relu' is not modelled for model_type 'distilbert'");
  json_error(
      edit_once(kDistilBert, "\"sinusoidal_pos_embds\": false", "\"sinusoidal_pos_embds\": true"),
      "10:27: sinusoidal_pos_embds", "sinusoidal_pos_embds",
      "fixed sinusoidal positions are not modelled");
  json_error(edit_once(kDistilBert, "  \"n_layers\": 6,\n", ""), "1:1: num_hidden_layers",
             "num_hidden_layers",
             "missing required field 'num_hidden_layers' (or 'n_layer') (or 'n_layers')");
  json_error(edit_once(kDistilBert, "\"n_layers\": 6,", "\"n_layers\": 6, \"n_layer\": 7,"),
             "5:15: n_layers", "n_layers", "'n_layers' (6) and 'n_layer' (7) are spellings");
}

TEST_F(ModelJsonLoad, DistilBertSpellingsAreNotReadForOtherFamilies) {
  // A llama config with a field named like DistilBERT's is read as before: the field is ignored.
  const ModelConfig m = load_model(write(
      edit_once(kJson, "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": 1e-05, \"dim\": 5"), ".json"));
  EXPECT_EQ(m.d_model, 768u);
}

TEST_F(ModelJsonLoad, BaichuanSevenBIsALlamaStyleDecoder) {
  ModelConfig m = load_model(write(edit_once(kJson, "\"llama\"", "\"baichuan\""), ".json"));
  EXPECT_EQ(m.family, "baichuan");
  EXPECT_EQ(m.ffn_kind, FfnKind::kSwiGlu);
  EXPECT_EQ(m.pos, PosEncoding::kRope);
  EXPECT_FALSE(m.tied_embeddings);  // BaiChuanConfig's default
  EXPECT_TRUE(m.causal);
  // Baichuan-13B / Baichuan2-13B (ALiBi) write model_max_length and no max_position_embeddings.
  json_error(edit_once(edit_once(kJson, "\"llama\"", "\"baichuan\""),
                       "\"max_position_embeddings\": 2048", "\"model_max_length\": 4096"),
             "9:23: model_max_length", "model_max_length",
             "a Baichuan config without max_position_embeddings is a 13B model, which uses ALiBi");
}

TEST_F(ModelJsonLoad, SyntaxErrorAtTheOffendingToken) {
  // Missing comma after 768: the parser stops at the next key, line 5 column 3.
  json_error(edit_once(kJson, "\"hidden_size\": 768,", "\"hidden_size\": 768"), "5:3", "",
             "JSON syntax error: syntax error while parsing object - unexpected string literal");
  json_error(edit_once(kJson, "\"hidden_size\": 768,", "\"hidden_size\": 7x8,"), "4:18", "",
             "JSON syntax error");
  json_error("", "1:1", "", "JSON syntax error");
}

TEST_F(ModelJsonLoad, MissingRequiredField) {
  json_error(edit_once(kJson, "  \"vocab_size\": 1000,\n", ""), "1:1: vocab_size", "vocab_size",
             "missing required field 'vocab_size'");
  json_error(edit_once(kJson, "  \"num_hidden_layers\": 2,\n", ""), "1:1: num_hidden_layers",
             "num_hidden_layers", "missing required field 'num_hidden_layers' (or 'n_layer')");
  json_error(edit_once(kJson, "  \"model_type\": \"llama\",\n", ""), "1:1: model_type",
             "model_type", "missing required field 'model_type'");
}

TEST_F(ModelJsonLoad, WrongTypes) {
  json_error(edit_once(kJson, "\"num_hidden_layers\": 2,", "\"num_hidden_layers\": \"2\","),
             "3:24: num_hidden_layers", "num_hidden_layers",
             "expected an integer, got the string \"2\"");
  json_error(edit_once(kJson, "\"num_hidden_layers\": 2,", "\"num_hidden_layers\": 2.0,"),
             "3:24: num_hidden_layers", "num_hidden_layers", "expected an integer, got 2.0");
  json_error(edit_once(kJson, "\"num_hidden_layers\": 2,", "\"num_hidden_layers\": -2,"),
             "3:24: num_hidden_layers", "num_hidden_layers", "must be at least 1, got -2");
  json_error(edit_once(kJson, "\"rms_norm_eps\": 1e-05", "\"tie_word_embeddings\": \"no\""),
             "10:26: tie_word_embeddings", "tie_word_embeddings",
             "expected true or false, got the string \"no\"");
}

TEST_F(ModelJsonLoad, HeadsNotDividingTheHiddenSize) {
  json_error(edit_once(kJson, "\"hidden_size\": 768,", "\"hidden_size\": 770,"),
             "5:26: num_attention_heads", "num_attention_heads",
             "num_attention_heads (12) do not divide the hidden size (770)");
}

TEST_F(ModelJsonLoad, KvHeadsNotDividingHeads) {
  json_error(edit_once(kJson, "\"num_key_value_heads\": 4,", "\"num_key_value_heads\": 5,"),
             "6:26: num_key_value_heads", "num_key_value_heads",
             "num_key_value_heads (5) do not divide num_attention_heads (12)");
}

TEST_F(ModelJsonLoad, UnknownModelType) {
  json_error(edit_once(kJson, "\"llama\"", "\"lama\""), "2:17: model_type", "model_type",
             "unknown model_type 'lama'; did you mean 'llama'? (known: llama, mistral, qwen2, "
             "qwen3, phi3, baichuan, mixtral, granite, granitemoe, qwen2_moe, qwen3_moe, phimoe, "
             "gemma, gemma2, gemma3_text, olmo2, gpt2, bert, distilbert)");
  json_error(edit_once(kJson, "\"llama\"", "\"falcon\""), "2:17: model_type", "model_type",
             "describe the model in a YAML file");
}

TEST_F(ModelJsonLoad, ActivationMustMatchTheFamily) {
  json_error(edit_once(kJson, "\"rms_norm_eps\": 1e-05", "\"hidden_act\": \"gelu\""),
             "10:17: hidden_act", "hidden_act",
             "activation 'gelu' is not modelled for model_type 'llama'");
}

TEST_F(ModelJsonLoad, DuplicateAndDisagreeingKeys) {
  json_error(edit_once(kJson, "\"rms_norm_eps\": 1e-05", "\"vocab_size\": 1000"),
             "10:3: vocab_size", "vocab_size",
             "duplicate key 'vocab_size' (first given at line 8)");
  json_error(edit_once(kJson, "\"rms_norm_eps\": 1e-05", "\"n_embd\": 1024"), "10:13: n_embd",
             "n_embd", "'n_embd' (1024) and 'hidden_size' (768) are spellings of the same field");
}

TEST_F(ModelJsonLoad, FieldsThatChangeTheWorkAreModelledOrRefusedByName) {
  auto with = [](const std::string& field) {
    return edit_once(kJson, "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": 1e-05,\n  " + field);
  };
  // A sliding window shorter than the model's positions (Mistral v0.1: 4096 of 32768) is read:
  // every layer slides.
  const ModelConfig swa = load_model(write(with("\"sliding_window\": 1024"), ".json"));
  EXPECT_EQ(swa.sliding_window, 1024u);
  EXPECT_EQ(swa.global_every, 0u);
  // Qwen2's switch on: only the layers from max_window_layers slide, which is not modelled.
  json_error(with("\"sliding_window\": 1024, \"use_sliding_window\": true"),
             "11:49: use_sliding_window", "use_sliding_window",
             "a window on the layers from max_window_layers on (Qwen2) is not modelled");
  // Switched off (Qwen2), as long as every position, or null: full attention.
  for (const char* off : {"\"sliding_window\": 1024, \"use_sliding_window\": false",
                          "\"sliding_window\": 2048", "\"sliding_window\": null"}) {
    const ModelConfig m = load_model(write(with(off), ".json"));
    EXPECT_EQ(m.max_context, 2048u) << off;
    EXPECT_EQ(m.sliding_window, 0u) << off;
  }
  json_error(with("\"layer_types\": [\"full_attention\", \"sliding_attention\"]"),
             "11:18: layer_types", "layer_types", "\"sliding_attention\" is not modelled");
  json_error(with("\"quantization_config\": {\"bits\": 4, \"quant_method\": \"gptq\"}"),
             "11:26: quantization_config", "quantization_config",
             "is not read: npusim takes the weight format from the workload (--weights");
  json_error(with("\"num_local_experts\": 8"), "11:24: num_local_experts", "num_local_experts",
             "mixture-of-experts layers are read for model_type mixtral, qwen2_moe, qwen3_moe, "
             "phimoe and granitemoe only");
  json_error(with("\"add_cross_attention\": true"), "11:26: add_cross_attention",
             "add_cross_attention", "encoder-decoder attention is not modelled");
  // rope_scaling rescales rotary frequencies: the same ops on the same shapes.
  const ModelConfig plain = load_model(write(kJson, ".json"));
  const ModelConfig scaled = load_model(
      write(with("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}"), ".json"));
  EXPECT_EQ(scaled.parameters(), plain.parameters());
  EXPECT_EQ(scaled.max_context, plain.max_context);
}

TEST_F(ModelJsonLoad, TopLevelMustBeAnObject) {
  json_error("[1, 2]\n", "1:1", "", "the top level must be a JSON object");
}

// ---------------------------------------------------------------------------------------------
// Resolving --model

TEST(ModelResolve, ShippedNameOrPath) {
  EXPECT_EQ(resolve_config_path("llama-3.1-8b", "models", kConfigs),
            kConfigs + "/models/llama-3.1-8b.yaml");
  EXPECT_EQ(resolve_config_path("gpt2.yaml", "models", kConfigs), kConfigs + "/models/gpt2.yaml");
  const std::string path = shipped("gpt2");
  EXPECT_EQ(resolve_config_path(path, "models", kConfigs), path);
  // A folder holding a config.json (a downloaded Hugging Face model).
  EXPECT_EQ(resolve_config_path(kHfData + "/gpt2", "models", kConfigs),
            kHfData + "/gpt2/config.json");
}

TEST(ModelResolve, NeitherFileNorShippedNameListsTheShippedNames) {
  try {
    resolve_config_path("gtp2", "models", kConfigs);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("gtp2: no such file, nor a shipped name in ", 0), 0u) << what;
    EXPECT_NE(what.find("(shipped: baichuan-7b, bert-base, bert-large, distilbert-base, gpt2,"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("did you mean 'gpt2'?"), std::string::npos) << what;
  }
  EXPECT_THROW(resolve_config_path("no/such/model.yaml", "models", kConfigs), ConfigError);
  EXPECT_THROW(resolve_config_path(kSourceDir + "/tests", "models", kConfigs), ConfigError);
}

}  // namespace
}  // namespace npu
