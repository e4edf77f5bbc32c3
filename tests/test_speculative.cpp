// Speculative decoding (--draft MODEL --draft-tokens K --acceptance A): each step the draft model
// decodes K tokens one at a time, then the target verifies the K + 1 positions in one pass; a
// step yields (1 - A^(K+1)) / (1 - A) tokens on average. Checked by hand: the expected tokens,
// the steps and KV lengths of a run, the footprint of both models, what is refused, the stream,
// and through the CLI the effective tokens/s and the draft's share.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
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

TEST(Speculative, ExpectedTokensPerStep) {
  // K = 4, A = 0.8: (1 - 0.8^5) / 0.2 = (1 - 0.32768) / 0.2 = 3.3616.
  EXPECT_NEAR(speculative_tokens_per_step(4, 0.8), 3.3616, 1e-12);
  EXPECT_DOUBLE_EQ(speculative_tokens_per_step(4, 1.0), 5.0);  // every draft accepted
  EXPECT_DOUBLE_EQ(speculative_tokens_per_step(4, 0.0), 1.0);  // only the target's own token
}

/// Ops of `w` in `phase` named `name`, in order.
std::vector<const Op*> named(const Workload& w, const std::string& phase, const std::string& name) {
  std::vector<const Op*> out;
  for (const Op& op : w.ops)
    if (op.phase == phase && op.name == name) out.push_back(&op);
  return out;
}

TEST(Speculative, EachStepDraftsKTokensThenVerifiesKPlusOnePositions) {
  // Llama-3.1-8B verifying Llama-3.2-1B's drafts after 100 cached positions, 10 tokens, K = 4,
  // A = 0.8: 3.3616 tokens a step, so 3 steps (10 / 3.3616 = 2.97), with floor(j x 3.3616) =
  // 0, 3 and 6 tokens accepted before step j. Step j drafts over 100 + a_j + 1 ... + 4 keys and
  // verifies 5 positions over 100 + a_j + 5.
  const ModelConfig target = shipped("llama-3.1-8b"), draft = shipped("llama-3.2-1b");
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 100;
  s.tokens = 10;
  const Workload w = build_workload(target, s, 0, false, &draft);
  EXPECT_EQ(w.draft_model, "llama-3.2-1b");
  EXPECT_EQ(w.decode_steps, 3u);
  EXPECT_EQ(w.decode_tokens, 10u);
  EXPECT_EQ(w.max_kv_length, 111u);
  const auto drafts = named(w, "draft", "draft.L0.attention");
  ASSERT_EQ(drafts.size(), 12u);
  const uint64_t accepted[] = {0, 3, 6};
  for (uint64_t j = 0; j < 3; ++j)
    for (uint64_t i = 0; i < 4; ++i) {
      const Op& a = *drafts[j * 4 + i];
      EXPECT_EQ(a.step, j * 4 + i);
      EXPECT_EQ(a.n, 100 + accepted[j] + i + 1);
      EXPECT_EQ(a.m, 4u);  // 32 heads on 8 KV heads, one position
    }
  const auto verify = named(w, "decode", "L0.attention");
  ASSERT_EQ(verify.size(), 3u);
  for (uint64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(verify[j]->step, j);
    EXPECT_EQ(verify[j]->m, 4u * 5);  // 5 positions x 4 query heads a KV head
    EXPECT_EQ(verify[j]->n, 100 + accepted[j] + 5);
    EXPECT_TRUE(verify[j]->causal);
  }
  // The verification's logits for every position; a draft pass's for its one token.
  EXPECT_EQ(named(w, "decode", "lm_head")[0]->m, 5u);
  EXPECT_EQ(named(w, "draft", "draft.lm_head")[0]->m, 1u);
  // Every step has the same ops: 4 draft passes and a verification.
  const uint64_t per_step = w.ops.size() / 3;
  EXPECT_EQ(w.ops_per_decode_step, per_step);
  EXPECT_EQ(w.ops.size(), 3 * per_step);
  // Both models' weights and caches (to 111 positions) are on the chip.
  RunSpec alone = s;
  alone.tokens = 11;  // 100 + 11 = 111 positions
  alone.draft_tokens = RunSpec{}.draft_tokens;
  const Footprint t = build_workload(target, alone).footprint;
  const Footprint d = build_workload(draft, alone).footprint;
  EXPECT_EQ(w.footprint.weight_bytes, t.weight_bytes + d.weight_bytes);
  EXPECT_EQ(w.footprint.kv_cache_bytes, t.kv_cache_bytes + d.kv_cache_bytes);
}

TEST(Speculative, TheDraftPrefillsThePromptAndTheStreamIsTheWholeRun) {
  const ModelConfig target = shipped("llama-3.2-3b"), draft = shipped("llama-3.2-1b");
  RunSpec s;
  s.prompt = 12;
  s.tokens = 7;
  s.draft_tokens = 3;
  s.acceptance = 1.0;  // 4 tokens a step: 2 steps
  const Workload whole = build_workload(target, s, 0, false, &draft);
  EXPECT_EQ(whole.decode_steps, 2u);
  ASSERT_EQ(named(whole, "draft_prefill", "draft.L0.attention").size(), 1u);
  EXPECT_EQ(named(whole, "draft_prefill", "draft.L0.attention")[0]->n, 12u);
  // Made a call at a time: the same ops.
  const Workload streamed = build_workload(target, s, 0, true, &draft);
  ASSERT_TRUE(streamed.stream);
  std::vector<Op> all, call;
  for (uint64_t c = 0; c < streamed.stream->calls(); ++c) {
    streamed.stream->ops(c, call);
    all.insert(all.end(), call.begin(), call.end());
  }
  EXPECT_EQ(trace_yaml(all, "w"), trace_yaml(whole.ops, "w"));
  EXPECT_EQ(streamed.op_count(), whole.ops.size());
  EXPECT_EQ(streamed.footprint.peak_activation_bytes, whole.footprint.peak_activation_bytes);
}

TEST(Speculative, WhatCannotSpeculateIsRefused) {
  const ModelConfig target = shipped("llama-3.1-8b");
  RunSpec s;
  const auto refused = [&](const ModelConfig* draft, const RunSpec& spec, RunField field,
                           const std::string& fragment) {
    try {
      build_workload(target, spec, 0, false, draft);
      ADD_FAILURE() << "no error; expected " << fragment;
    } catch (const WorkloadError& e) {
      EXPECT_EQ(e.setting(), field) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  const ModelConfig qwen = shipped("qwen2.5-0.5b"), bert = shipped("bert-base");
  refused(&qwen, s, RunField::kDraft, "shares the target's tokenizer");
  refused(&bert, s, RunField::kDraft, "is an encoder");
  RunSpec prefill = s;
  prefill.phase = Phase::kPrefill;
  const ModelConfig small = shipped("llama-3.2-1b");
  refused(&small, prefill, RunField::kDraft, "needs a decode phase");
  RunSpec k = s;
  k.draft_tokens = 8;
  refused(nullptr, k, RunField::kDraftTokens, "give a draft model");
  RunSpec a = s;
  a.acceptance = 0.5;
  refused(nullptr, a, RunField::kAcceptance, "give a draft model");
}

class SpeculativeCli : public testing::TempFileTest {};

TEST_F(SpeculativeCli, TheSummaryCountsTheDraftInTheDecodeTime) {
  const std::string out = path("o");
  const auto r = testing::npusim({"run",
                                  "--arch",
                                  "example-npu",
                                  "--model",
                                  "llama-3.2-3b",
                                  "--draft",
                                  "llama-3.2-1b",
                                  "--draft-tokens",
                                  "3",
                                  "--acceptance",
                                  "0.6",
                                  "--phase",
                                  "decode",
                                  "--context",
                                  "64",
                                  "--tokens",
                                  "8",
                                  "--out",
                                  out,
                                  "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(testing::read_text(out + "/summary.json"));
  const auto& d = j["workload"]["decode"];
  const auto& sp = d["speculative"];
  EXPECT_EQ(sp["draft_model"], "llama-3.2-1b");
  EXPECT_EQ(sp["draft_tokens"], 3);
  // (1 - 0.6^4) / 0.4 = 2.176 tokens a step: 4 steps for 8 tokens.
  EXPECT_NEAR(sp["tokens_per_step"].get<double>(), 2.176, 1e-12);
  EXPECT_EQ(d["steps"], 4);
  // The decode figures take the draft's time and energy in: 8 tokens over both.
  const double secs = sp["draft_seconds"].get<double>() + sp["verify_seconds"].get<double>();
  EXPECT_GT(sp["draft_seconds"].get<double>(), 0);
  EXPECT_NEAR(d["tokens_per_s"].get<double>(), 8 / secs, 8 / secs * 1e-9);
  const double joules = sp["draft_energy_j"].get<double>() + sp["verify_energy_j"].get<double>();
  EXPECT_NEAR(d["joules_per_token"].get<double>(), joules / 8, joules / 8 * 1e-9);
  EXPECT_EQ(d["step_tokens_per_s"].size(), 4u);
  // An experiment names the draft in its workload: the same point.
  const std::string exp = write_file("e.yaml",
                                     "arch: example-npu\n"
                                     "workload:\n"
                                     "  model: llama-3.2-3b\n"
                                     "  draft: llama-3.2-1b\n"
                                     "  phase: decode\n"
                                     "  context: 64\n"
                                     "  tokens: 8\n"
                                     "  draft_tokens: 3\n"
                                     "  acceptance: 0.6\n"
                                     "metrics: [workload.decode.speculative.tokens_per_step]\n");
  const auto sweep = testing::npusim({"sweep", exp, "--out", path("sweep"), "--quiet"});
  ASSERT_EQ(sweep.status, 0) << sweep.err;
  const std::string results = testing::read_text(path("sweep") + "/results.csv");
  EXPECT_NE(results.find("0,ok,2.176,"), std::string::npos) << results;
  // The option is refused without a draft, by its name.
  const auto bad = testing::npusim({"run", "--arch", "example-npu", "--model", "llama-3.2-1b",
                                    "--draft-tokens", "3", "--out", path("p")});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--draft-tokens"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace npu
