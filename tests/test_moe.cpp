// Mixture-of-experts models (Mixtral, Qwen2/3-MoE, PhiMoE): the router, the experts each token is
// sent to, the shared experts, and what they cost. Checked by hand: the tokens each expert gets
// under uniform and Zipf routing, the parameters and weight bytes of the shipped Mixtral-8x7B and
// Qwen3-30B-A3B, the expert GEMMs a decode step and a prefill run, the config.json import, and
// the inputs that are refused.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "sim/config/loaders.h"
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

std::vector<uint64_t> tokens(Routing routing, double skew, uint64_t rows, uint32_t experts,
                             uint32_t k, uint32_t layer = 0, uint32_t step = 0) {
  RunSpec s;
  s.routing = routing;
  s.routing_skew = skew;
  return expert_tokens(s, rows, experts, k, layer, step);
}

TEST(MoeRouting, UniformSpreadsThePicksEvenlyAndRotatesTheRemainder) {
  // 8 tokens x 2 picks over 4 experts: 4 each.
  EXPECT_EQ(tokens(Routing::kUniform, 1, 8, 4, 2), (std::vector<uint64_t>{4, 4, 4, 4}));
  // 5 tokens x 2 picks = 10 over 4: 3, 3, 2, 2, the extra picks rotated by (layer + step) x 2.
  EXPECT_EQ(tokens(Routing::kUniform, 1, 5, 4, 2), (std::vector<uint64_t>{3, 3, 2, 2}));
  EXPECT_EQ(tokens(Routing::kUniform, 1, 5, 4, 2, 1, 0), (std::vector<uint64_t>{2, 2, 3, 3}));
  // Batch-1 decode: the token's 2 experts of 8, the next two at each step.
  EXPECT_EQ(tokens(Routing::kUniform, 1, 1, 8, 2, 0, 0),
            (std::vector<uint64_t>{1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(tokens(Routing::kUniform, 1, 1, 8, 2, 0, 3),
            (std::vector<uint64_t>{0, 0, 0, 0, 0, 0, 1, 1}));
}

TEST(MoeRouting, ZipfGivesRankRAShareOfRToTheMinusSkewAtMostOnePickPerToken) {
  // 100 tokens x 2 picks over 4 experts, skew 1: weights 1, 1/2, 1/3, 1/4 (sum 25/12). Rank 0:
  // 200 x 12/25 = 96; of the 104 left, rank 1 takes (1/2) / (13/12) = 6/13: 48; of 56, rank 2
  // (1/3) / (7/12) = 4/7: 32; rank 3 the last 24.
  EXPECT_EQ(tokens(Routing::kZipf, 1, 100, 4, 2), (std::vector<uint64_t>{96, 48, 32, 24}));
  // Skew 3 would give rank 0 more than the 10 tokens: it gets 10 (one pick per token), and so
  // on down; the ranks rotate with the layer (layer 1: by 2), not with the step.
  EXPECT_EQ(tokens(Routing::kZipf, 3, 10, 4, 2), (std::vector<uint64_t>{10, 7, 2, 1}));
  EXPECT_EQ(tokens(Routing::kZipf, 3, 10, 4, 2, 1, 5), (std::vector<uint64_t>{2, 1, 10, 7}));
  // Every token picking every expert: each gets every token, whatever the skew.
  EXPECT_EQ(tokens(Routing::kZipf, 8, 10, 4, 4), (std::vector<uint64_t>{10, 10, 10, 10}));
  // Skew 0 is uniform.
  EXPECT_EQ(tokens(Routing::kZipf, 0, 8, 4, 2), (std::vector<uint64_t>{4, 4, 4, 4}));
}

TEST(MoeRouting, CountsAddUpAndNoneExceedsTheTokens) {
  for (const Routing r : {Routing::kUniform, Routing::kZipf})
    for (const double skew : {0.0, 0.5, 1.0, 1.3, 2.0, 8.0})
      for (const uint64_t rows : {1, 2, 3, 7, 64, 1000})
        for (const uint32_t experts : {1u, 2u, 8u, 60u, 128u})
          for (const uint32_t k : {1u, 2u, 4u, 8u}) {
            if (k > experts) continue;
            const auto t = tokens(r, skew, rows, experts, k, 3, 5);
            ASSERT_EQ(t.size(), experts);
            EXPECT_EQ(std::accumulate(t.begin(), t.end(), uint64_t{0}), rows * k);
            for (const uint64_t c : t) EXPECT_LE(c, rows);
          }
}

TEST(MoeModels, ShippedParametersAreTheirPublishedCounts) {
  // By hand (workloads/model.h): Mixtral, per layer attention 2 x 4096^2 + 2 x 4096 x 1024 =
  // 41,943,040, router 4096 x 8, experts 3 x 4096 x 14,336 each, norms 2 x 4096; 32 layers,
  // embeddings and LM head 32,000 x 4096 each, final norm 4096.
  const ModelConfig mix = shipped("mixtral-8x7b");
  const uint64_t attn = 41943040, router = 4096 * 8, expert = 3ull * 4096 * 14336;
  const uint64_t outside = 2ull * 32000 * 4096 + 4096;
  EXPECT_EQ(mix.parameters(), 32 * (attn + router + 8 * expert + 8192) + outside);
  EXPECT_EQ(mix.parameters(), 46'702'792'704u);  // published 46.7 B
  EXPECT_EQ(mix.active_parameters(), 32 * (attn + router + 2 * expert + 8192) + outside);
  EXPECT_EQ(mix.active_parameters(), 12'879'925'248u);  // published 12.9 B
  // Qwen3-30B-A3B (with the q and k norms, 2 x 128 per layer): published 30.5 B, 3.3 B active.
  const ModelConfig qwen = shipped("qwen3-30b-a3b");
  EXPECT_EQ(qwen.parameters(), 30'532'122'624u);
  EXPECT_EQ(qwen.active_parameters(), 3'353'032'704u);
}

TEST(MoeModels, TheWeightsCountEveryExpertAndTheActiveBytesThoseOfATokensExperts) {
  // fp16 weights carry no scales: two bytes a parameter.
  RunSpec s;
  s.weights = Format::kFp16;
  s.prompt = 16;
  s.tokens = 2;
  for (const char* name : {"mixtral-8x7b", "qwen3-30b-a3b"}) {
    SCOPED_TRACE(name);
    const ModelConfig m = shipped(name);
    const Workload w = build_workload(m, s);
    EXPECT_TRUE(w.moe);
    EXPECT_EQ(w.footprint.weight_bytes, 2 * m.parameters());
    EXPECT_EQ(w.footprint.active_weight_bytes, 2 * m.active_parameters());
  }
  // A dense model: the active weights are the weights.
  const Workload dense = build_workload(shipped("llama-3.2-1b"), s);
  EXPECT_FALSE(dense.moe);
  EXPECT_EQ(dense.footprint.active_weight_bytes, dense.footprint.weight_bytes);
}

/// The expert GEMMs of a workload's ops in phase `phase` (and decode step `step`), by expert.
std::map<uint32_t, std::vector<const Op*>> expert_gemms(const Workload& w, const std::string& phase,
                                                        uint32_t step = 0) {
  std::map<uint32_t, std::vector<const Op*>> out;
  for (const Op& op : w.ops)
    if (op.expert && op.kind == OpKind::kGemm && op.phase == phase && op.step == step)
      out[*op.expert].push_back(&op);
  return out;
}

TEST(MoeWorkload, ADecodeStepRunsOnlyTheChosenExpertsAndAPrefillRunsThemAll) {
  const ModelConfig m = shipped("mixtral-8x7b");
  RunSpec s;
  s.prompt = 64;
  s.tokens = 2;
  const Workload w = build_workload(m, s);
  // Decode step 0 at batch 1: layer l's token goes to experts 2l mod 8 and 2l + 1 mod 8, three
  // GEMMs of one row each (gate and up 4096 -> 14,336, down 14,336 -> 4096).
  const auto decode = expert_gemms(w, "decode");
  uint64_t gemms = 0, weight_bytes = 0;
  for (const auto& [e, ops] : decode)
    for (const Op* op : ops) {
      ++gemms;
      EXPECT_EQ(op->m, 1u);
      EXPECT_EQ(op->k * op->n, 4096u * 14336);
      weight_bytes += op->b_bytes(op->k * op->n);
      const uint32_t l = static_cast<uint32_t>(std::stoul(op->layer));
      EXPECT_TRUE(e == 2 * l % 8 || e == (2 * l + 1) % 8) << op->name;
    }
  EXPECT_EQ(gemms, 32u * 2 * 3);
  // The expert weights a step streams: 2 of 8 experts per layer, int8 with a scale per 32.
  EXPECT_EQ(weight_bytes, 32u * 2 * 3 * (4096ull * 14336 + 4096ull * 14336 / 32 * 2));
  // Prefill: 64 tokens x 2 picks over 8 experts, 16 tokens each, every expert of every layer.
  const auto prefill = expert_gemms(w, "prefill");
  EXPECT_EQ(prefill.size(), 8u);
  for (const auto& [e, ops] : prefill) {
    EXPECT_EQ(ops.size(), 32u * 3);
    for (const Op* op : ops) EXPECT_EQ(op->m, 16u);
  }
  // Each layer: the router (64 x 4096 -> 8), its top-k (softmax over 8 per row), the combine
  // (the 128 expert rows), then the residual add reads the combine.
  const auto find = [&](const std::string& name) -> const Op& {
    for (const Op& op : w.ops)
      if (op.name == name && op.phase == "prefill") return op;
    throw std::runtime_error("no op " + name);
  };
  EXPECT_EQ(find("L0.router").n, 8u);
  EXPECT_EQ(find("L0.router_topk").cols, 8u);
  EXPECT_EQ(find("L0.moe_combine").rows, 128u);
  EXPECT_EQ(find("L0.residual_ffn").a_from, 1u);
  // Every decode step has the same number of ops (the streamed run counts on it).
  EXPECT_EQ(w.ops.size(), w.prefill_ops + 2 * w.ops_per_decode_step);
}

TEST(MoeWorkload, SharedExpertsAndDenseLayersAndQkNorms) {
  ModelConfig m = shipped("qwen3-30b-a3b");
  m.layers = 4;
  m.moe_every = 2;  // layers 1 and 3 MoE, 0 and 2 dense
  m.shared_experts = 2;
  m.shared_expert_ffn_dim = 512;
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 8;
  const Workload w = build_workload(m, s);
  std::set<std::string> names;
  for (const Op& op : w.ops) names.insert(op.name);
  EXPECT_TRUE(names.count("L0.ffn_gate"));  // dense, ffn_dim 6144
  EXPECT_FALSE(names.count("L0.router"));
  EXPECT_TRUE(names.count("L1.router"));
  EXPECT_TRUE(names.count("L1.shared.ffn_gate"));
  EXPECT_TRUE(names.count("L1.shared_add"));
  for (const Op& op : w.ops) {
    if (op.name == "L0.ffn_up") {
      EXPECT_EQ(op.n, 6144u);
    } else if (op.name == "L1.shared.ffn_up") {
      EXPECT_EQ(op.n, 2u * 512);  // the shared experts as one FFN
    } else if (op.name == "L0.q_norm") {
      // q_norm over each head's 128 elements: 8 tokens x 32 heads rows; k_norm 8 x 4.
      EXPECT_EQ(op.rows * op.cols, 8u * 32 * 128);
    } else if (op.name == "L0.k_norm") {
      EXPECT_EQ(op.rows, 8u * 4);
    }
  }
  // Weights: 2 dense FFNs of 3 x 2048 x 6144, 2 MoE layers of 128 experts + router + shared.
  EXPECT_EQ(m.ffn_params(0), 3ull * 2048 * 6144);
  EXPECT_EQ(m.ffn_params(1), 2048ull * 128 + 3ull * 2048 * (128 * 768 + 2 * 512));
  EXPECT_EQ(m.ffn_params(1, true), 2048ull * 128 + 3ull * 2048 * (8 * 768 + 2 * 512));
}

class MoeFiles : public testing::TempFileTest {
 protected:
  /// Expects `load(text written to a file)` to fail naming `key` with `fragment`.
  template <class Load>
  void expect_refused(Load load, const std::string& text, const std::string& key,
                      const std::string& fragment, const std::string& ext) {
    const std::string file = write(text, ext);
    try {
      load(file);
      ADD_FAILURE() << "no error; expected " << key << ": " << fragment;
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(file + ":", 0), 0u) << what;
      EXPECT_NE(what.find(": " + key + ": "), std::string::npos) << what;
      EXPECT_NE(what.find(fragment), std::string::npos) << what;
    }
  }
};

TEST_F(MoeFiles, AnExportedTraceKeepsTheExperts) {
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 4;
  s.tokens = 1;
  ModelConfig m = shipped("mixtral-8x7b");
  m.layers = 2;
  const Workload w = build_workload(m, s);
  const std::vector<Op> back = load_trace(write(trace_yaml(w.ops, "moe")));
  ASSERT_EQ(back.size(), w.ops.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].expert, w.ops[i].expert) << w.ops[i].name;
    EXPECT_EQ(op_signature(back[i]), op_signature(w.ops[i])) << w.ops[i].name;
  }
}

TEST_F(MoeFiles, TheConfigJsonOfEachFamilyIsReadAsItsYaml) {
  for (const char* name : {"mixtral-8x7b", "qwen3-30b-a3b"}) {
    SCOPED_TRACE(name);
    const ModelConfig a = load_model(kSource + "/tests/data/hf/" + name + "/config.json");
    const ModelConfig b = shipped(name);
    EXPECT_EQ(a.experts, b.experts);
    EXPECT_EQ(a.experts_per_token, b.experts_per_token);
    EXPECT_EQ(a.expert_ffn_dim, b.expert_ffn_dim);
    EXPECT_EQ(a.moe_every, b.moe_every);
    EXPECT_EQ(a.qk_norm, b.qk_norm);
    EXPECT_EQ(a.parameters(), b.parameters());
    EXPECT_EQ(a.active_parameters(), b.active_parameters());
  }
  // Qwen2-MoE: one shared expert of shared_expert_intermediate_size, MoE every second layer.
  const std::string q2 = write(R"({"model_type": "qwen2_moe", "hidden_size": 64,
    "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
    "intermediate_size": 256, "moe_intermediate_size": 32, "num_experts": 6,
    "num_experts_per_tok": 2, "shared_expert_intermediate_size": 128, "decoder_sparse_step": 2,
    "mlp_only_layers": [], "vocab_size": 100, "max_position_embeddings": 512,
    "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "sliding_window": null,
    "use_sliding_window": false})",
                               ".json");
  const ModelConfig m = load_model(q2);
  EXPECT_EQ(m.experts, 6u);
  EXPECT_EQ(m.expert_ffn_dim, 32u);
  EXPECT_EQ(m.shared_experts, 1u);
  EXPECT_EQ(m.shared_expert_ffn_dim, 128u);
  EXPECT_EQ(m.moe_every, 2u);
  EXPECT_FALSE(m.moe(0));
  EXPECT_TRUE(m.moe(1));
  // Its shared expert's output is gated: sigmoid(x . g) with g of d = 64 per MoE layer; an MoE
  // layer's FFN: router 64 x 6, 6 experts of 3 x 64 x 32, the shared one 3 x 64 x 128, the gate.
  EXPECT_TRUE(m.shared_expert_gate);
  EXPECT_EQ(m.ffn_params(1), 64ull * 6 + 3ull * 64 * (6 * 32 + 128) + 64);
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 5;
  const Workload w = build_workload(m, s);
  std::vector<std::string> tail;  // layer 1's ops after the shared expert's down projection
  bool after = false;
  for (const Op& op : w.ops) {
    if (op.layer != "1") continue;
    if (after && op.name != "L1.ffn_norm") tail.push_back(op.name);
    after = after || op.name == "L1.shared.ffn_down";
    if (op.name == "L1.shared_gate") {
      EXPECT_EQ(op.m, 5u);  // each token's gate: a 64 x 1 GEMV
      EXPECT_EQ(op.k, 64u);
      EXPECT_EQ(op.n, 1u);
    }
  }
  EXPECT_EQ(tail,
            (std::vector<std::string>{"L1.shared_gate", "L1.shared_gate_sigmoid", "L1.shared_scale",
                                      "L1.shared_add", "L1.residual_ffn"}));
  // PhiMoE: num_local_experts of intermediate_size; LayerNorm although it writes rms_norm_eps.
  const ModelConfig phi = load_model(write(R"({"model_type": "phimoe", "hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "intermediate_size": 96, "num_local_experts": 16, "num_experts_per_tok": 2,
    "vocab_size": 100, "max_position_embeddings": 512, "rms_norm_eps": 1e-5})",
                                           ".json"));
  EXPECT_EQ(phi.experts, 16u);
  EXPECT_EQ(phi.expert_ffn_dim, 96u);
  EXPECT_EQ(phi.norm, NormKind::kLayerNorm);
  // Granite 3 (dense) and Granite-MoE: Llama's structure; their multipliers scale values inside
  // the ops they multiply (the gather, the scores, the residual add, the logits): no op changes.
  const std::string granite = R"("hidden_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 96,
    "vocab_size": 100, "max_position_embeddings": 512, "rms_norm_eps": 1e-5,
    "embedding_multiplier": 12.0, "logits_scaling": 8.0, "residual_multiplier": 0.22,
    "attention_multiplier": 0.0078125, "tie_word_embeddings": true)";
  const ModelConfig g = load_model(write(R"({"model_type": "granite", )" + granite + "}", ".json"));
  EXPECT_EQ(g.experts, 0u);
  EXPECT_TRUE(g.tied_embeddings);
  EXPECT_EQ(g.ffn_kind, FfnKind::kSwiGlu);
  const ModelConfig gm =
      load_model(write(R"({"model_type": "granitemoe", )" + granite +
                           R"(, "num_local_experts": 32, "num_experts_per_tok": 8})",
                       ".json"));
  EXPECT_EQ(gm.experts, 32u);
  EXPECT_EQ(gm.experts_per_token, 8u);
  EXPECT_EQ(gm.expert_ffn_dim, 96u);
}

TEST_F(MoeFiles, WhatIsNotModelledIsRefusedByName) {
  const std::string base = R"({"model_type": "qwen3_moe", "hidden_size": 64,
    "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 256,
    "moe_intermediate_size": 32, "num_experts": 6, "num_experts_per_tok": 2,
    "vocab_size": 100, "max_position_embeddings": 512)";
  expect_refused(load_model, base + R"(, "mlp_only_layers": [0, 2]})", "mlp_only_layers",
                 "dense layers at listed places are not modelled", ".json");
  expect_refused(
      load_model,
      testing::edit_once(base, R"("num_experts_per_tok": 2)", R"("num_experts_per_tok": 7)") + "}",
      "num_experts_per_tok", "at most num_experts (6)", ".json");
  // Experts in a family whose FFN npusim reads as dense.
  expect_refused(load_model, R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "intermediate_size": 256, "vocab_size": 100,
    "max_position_embeddings": 512, "num_local_experts": 8})",
                 "num_local_experts", "read for model_type mixtral", ".json");
  // YAML: the MoE keys need experts; experts_per_token at most experts.
  const std::string yaml =
      "name: m\nlayers: 1\nd_model: 64\nheads: 2\nffn_dim: 128\nffn_kind: swiglu\nvocab: 100\n"
      "norm: rmsnorm\npos: rope\ntied_embeddings: true\nmax_context: 64\n";
  expect_config_error(load_model, yaml + "experts_per_token: 2\n", "12:20: experts_per_token",
                      "it needs experts");
  expect_config_error(load_model, yaml + "experts: 4\nexperts_per_token: 5\nexpert_ffn_dim: 8\n",
                      "13:20: experts_per_token", "at most 4");
  expect_refused(load_model, yaml + "experts: 4\nexperts_per_token: 2\n", "expert_ffn_dim", "",
                 ".yaml");
}

TEST_F(MoeFiles, RoutingIsForExpertsAndTheSummaryBreaksTheRunDownByExpert) {
  const std::string out = path("o");
  // A dense model refuses a routing, and a skew needs zipf routing: exit 2, before running.
  auto r = testing::npusim({"run", "--arch", "example-npu", "--model", "llama-3.2-1b", "--routing",
                            "zipf", "--out", out});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--routing: llama-3.2-1b has no experts"), std::string::npos) << r.err;
  r = testing::npusim({"run", "--arch", "example-npu", "--model", "mixtral-8x7b", "--routing-skew",
                       "2", "--out", out});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--routing-skew: a skew is for zipf routing"), std::string::npos) << r.err;
  r = testing::npusim({"run", "--arch", "example-npu", "--model", "mixtral-8x7b", "--routing",
                       "zipf", "--routing-skew", "nine", "--out", out});
  EXPECT_EQ(r.status, 2) << r.err;

  // Mixtral, one decode step at batch 1: each layer's token goes to 2 experts.
  r = testing::npusim({"run", "--arch", "example-npu", "--model", "mixtral-8x7b", "--phase",
                       "decode", "--prompt", "8", "--tokens", "1", "--out", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(testing::read_text(out + "/summary.json"));
  const auto& w = j["workload"];
  EXPECT_EQ(w["routing"], "uniform");
  EXPECT_LT(w["footprint"]["active_weight_bytes"].get<uint64_t>(),
            w["footprint"]["weight_bytes"].get<uint64_t>() / 3);
  // 32 layers x 2 experts, rotating by 2 per layer: every expert runs 8 layers' worth.
  ASSERT_EQ(j["by_expert"].size(), 8u);
  for (const auto& [e, t] : j["by_expert"].items()) EXPECT_EQ(t["ops"], 8 * 5) << e;
  // The step streams at least the experts' weights it runs: 64 experts' int8 weights.
  const uint64_t expert_bytes = 3 * (4096ull * 14336 + 4096ull * 14336 / 32 * 2);
  EXPECT_GE(j["dram_read_bytes"].get<uint64_t>(), 64 * expert_bytes);
  EXPECT_LT(j["dram_read_bytes"].get<uint64_t>(),
            w["footprint"]["active_weight_bytes"].get<uint64_t>() * 11 / 10);
}

TEST(MoeRouting, AFilesWeightsShareThePicksAtMostOnePickPerToken) {
  // 10 tokens x 2 experts each = 20 picks over 8 experts.
  RunSpec s;
  s.routing = Routing::kFile;
  auto w = std::make_shared<RoutingWeights>();
  w->file = "r.csv";
  w->layers.resize(2);
  // Layer 0: experts 3, 1, 6 weighing 5, 3, 2: rank by rank, 20 x 5/10 = 10 (e3), then the 10
  // left x 3/5 = 6 (e1), then 4 (e6).
  w->layers[0] = {{3, 5, 2}, {1, 3, 3}, {6, 2, 4}};
  // Layer 1: expert 0 weighs 9, expert 1 weighs 1: e0 would take 18 but a token picks an expert
  // once, so 10; e1 the other 10.
  w->layers[1] = {{0, 9, 5}, {1, 1, 6}};
  // Every other layer: only expert 5 listed: it takes 10, and the overflow goes to the next in
  // rank order, the unlisted ones by index (expert 0).
  w->every = {{5, 1, 7}};
  s.routing_weights = w;
  EXPECT_EQ(expert_tokens(s, 10, 8, 2, 0, 3), (std::vector<uint64_t>{0, 6, 0, 10, 0, 0, 4, 0}));
  EXPECT_EQ(expert_tokens(s, 10, 8, 2, 1, 3), (std::vector<uint64_t>{10, 10, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(expert_tokens(s, 10, 8, 2, 7, 0), (std::vector<uint64_t>{10, 0, 0, 0, 0, 10, 0, 0}));
  // No rotation: the same counts at every step.
  EXPECT_EQ(expert_tokens(s, 10, 8, 2, 0, 0), expert_tokens(s, 10, 8, 2, 0, 9));
}

TEST_F(MoeFiles, ARoutingFileRoutesEachLayersTokensAndIsCheckedAgainstTheModel) {
  const std::string out = path("o");
  // Mixtral, one decode step at batch 1: every layer sends its token to experts 2 and 5.
  const std::string file = write_file("r.csv", "layer,expert,weight\n*,2,0.6\n*,5,0.4\n");
  auto r = testing::npusim({"run", "--arch", "example-npu", "--model", "mixtral-8x7b", "--phase",
                            "decode", "--prompt", "8", "--tokens", "1", "--routing-file", file,
                            "--out", out, "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(testing::read_text(out + "/summary.json"));
  EXPECT_EQ(j["workload"]["routing"], "file");
  EXPECT_EQ(j["workload"]["routing_file"], file);
  ASSERT_EQ(j["by_expert"].size(), 2u);
  EXPECT_EQ(j["by_expert"]["2"]["ops"], 32 * 5);  // 32 layers x the expert's 5 FFN ops
  EXPECT_EQ(j["by_expert"]["5"]["ops"], 32 * 5);
  // An expert the model does not have, at its line; a layer with nothing; a bad field; a dense
  // model; beside --routing; with a trace.
  const std::string bad = write_file("b.csv", "layer,expert,weight\n*,2,1\n*,8,1\n");
  r = testing::npusim({"run", "--arch", "example-npu", "--model", "mixtral-8x7b", "--routing-file",
                       bad, "--out", out});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(bad + ":3: expert 8: mixtral-8x7b has 8 experts"), std::string::npos)
      << r.err;
  const std::string gap = write_file("g.csv", "layer,expert,weight\n0,2,1\n");
  r = testing::npusim({"run", "--arch", "example-npu", "--model", "mixtral-8x7b", "--routing-file",
                       gap, "--out", out});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no weights for layer 1"), std::string::npos) << r.err;
  const std::string field = write_file("f.csv", "expert,layer,weight\n1,0,-2\n");
  r = testing::npusim({"run", "--arch", "example-npu", "--model", "mixtral-8x7b", "--routing-file",
                       field, "--out", out});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(field + ":2:5: weight: '-2' is not a weight"), std::string::npos) << r.err;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--model", "llama-3.2-1b", "--routing-file", file},
        std::vector<std::string>{"--model", "mixtral-8x7b", "--routing", "zipf", "--routing-file",
                                 file},
        std::vector<std::string>{"--trace", "example", "--routing-file", file}}) {
    std::vector<std::string> a = {"run", "--arch", "example-npu", "--out", out};
    a.insert(a.end(), args.begin(), args.end());
    r = testing::npusim(a);
    EXPECT_EQ(r.status, 2) << args[1] << ": " << r.err;
  }
}

}  // namespace
}  // namespace npu
