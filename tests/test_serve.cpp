// Continuous batching (`npusim serve`): the scheduler's decisions on a three-request trace worked
// out by hand (who runs, who waits, who joins when, who is preempted, each TTFT), the step's ops,
// the load generator, the request file's errors, and through the CLI: one request served alone
// costs exactly what `npusim run` says, and a served load is reproducible and adds up.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sim/config/model_loader.h"
#include "sim/config/request_file.h"
#include "temp_files.h"
#include "workloads/serving.h"

namespace npu {
namespace {

const std::string kSource = NPUSIM_SOURCE_DIR;

/// Runs the scheduler with every step taking 1 s; returns each step's (request, q, kv, logits).
std::vector<std::vector<std::tuple<size_t, uint64_t, uint64_t, bool>>> run_unit_steps(
    ServeScheduler& s) {
  std::vector<std::vector<std::tuple<size_t, uint64_t, uint64_t, bool>>> steps;
  double now = 0;
  while (!s.done()) {
    const std::vector<Scheduled>& step = s.schedule(now);
    if (step.empty()) {
      now = s.next_arrival_s(now);
      continue;
    }
    steps.emplace_back();
    for (const Scheduled& x : step)
      steps.back().emplace_back(x.request, x.pass.q, x.pass.kv_len, x.pass.logits);
    now += 1;
    s.finish_step(now, 0);
  }
  return steps;
}

// Three requests, steps of 1 s, at most 2 running, 8 tokens a step, blocks of 4 positions:
//   A arrives at 0, prompt 10, output 3; B and C at 0.5, prompts 4 and 6, outputs 2.
const std::vector<Request> kThree = {{0, 10, 3, 0}, {0.5, 4, 2, 0}, {0.5, 6, 2, 0}};
using Step = std::vector<std::tuple<size_t, uint64_t, uint64_t, bool>>;

TEST(ServeScheduler, ThreeRequestsByHand) {
  ServeLimits l;
  l.max_batch = 2;
  l.step_tokens = 8;
  l.kv_block = 4;
  l.kv_blocks = 6;
  ServeScheduler s(kThree, l);
  const auto steps = run_unit_steps(s);
  ASSERT_EQ(steps.size(), 5u);
  // t = 0: only A has arrived: the first 8 of its 10 prompt tokens (the budget), no token yet.
  EXPECT_EQ(steps[0], (Step{{0, 8, 8, false}}));
  // t = 1: A's last 2 prompt tokens, then B joins with its whole prompt (4 of the 6 left); C
  // waits: the batch holds 2. Both emit their first token at t = 2.
  EXPECT_EQ(steps[1], (Step{{0, 2, 10, true}, {1, 4, 4, true}}));
  // t = 2: both decode; B has its 2 tokens at t = 3 and leaves.
  EXPECT_EQ(steps[2], (Step{{0, 1, 11, true}, {1, 1, 5, true}}));
  // t = 3: A decodes its last token; C joins with its whole prompt.
  EXPECT_EQ(steps[3], (Step{{0, 1, 12, true}, {2, 6, 6, true}}));
  // t = 4: C decodes its second token.
  EXPECT_EQ(steps[4], (Step{{2, 1, 7, true}}));
  const auto& st = s.states();
  EXPECT_DOUBLE_EQ(st[0].first_token_s, 2);  // TTFT 2
  EXPECT_DOUBLE_EQ(st[1].first_token_s, 2);  // TTFT 1.5
  EXPECT_DOUBLE_EQ(st[2].first_token_s, 4);  // TTFT 3.5: it waited for B to leave
  EXPECT_DOUBLE_EQ(st[0].finish_s, 4);
  EXPECT_DOUBLE_EQ(st[1].finish_s, 3);
  EXPECT_DOUBLE_EQ(st[2].finish_s, 5);
  EXPECT_EQ(s.preemptions(), 0u);
  EXPECT_EQ(s.blocks_used(), 0u);  // every block returned
}

TEST(ServeScheduler, AFullCachePreemptsTheRequestAdmittedLast) {
  // The same trace with a cache of 4 blocks (16 positions).
  ServeLimits l;
  l.max_batch = 2;
  l.step_tokens = 8;
  l.kv_block = 4;
  l.kv_blocks = 4;
  ServeScheduler s(kThree, l);
  const auto steps = run_unit_steps(s);
  ASSERT_EQ(steps.size(), 7u);
  EXPECT_EQ(steps[0], (Step{{0, 8, 8, false}}));                   // A: 2 blocks
  EXPECT_EQ(steps[1], (Step{{0, 2, 10, true}, {1, 4, 4, true}}));  // A 3 blocks, B 1: all 4
  // t = 2: B's 5th position needs a 5th block: B, admitted last, is preempted (its block freed,
  // back to the head of the queue); a step that preempts admits no one.
  EXPECT_EQ(steps[2], (Step{{0, 1, 11, true}}));
  // t = 3: B would recompute 4 + 1 positions (2 blocks) but A holds 3 of the 4: B waits.
  EXPECT_EQ(steps[3], (Step{{0, 1, 12, true}}));
  // t = 4: A has left. B recomputes its prompt and its token (5 positions) and emits its second
  // token; C takes the 3 tokens of the budget that are left.
  EXPECT_EQ(steps[4], (Step{{1, 5, 5, true}, {2, 3, 3, false}}));
  EXPECT_EQ(steps[5], (Step{{2, 3, 6, true}}));  // C's prompt's end: its first token at t = 6
  EXPECT_EQ(steps[6], (Step{{2, 1, 7, true}}));
  const auto& st = s.states();
  EXPECT_EQ(st[1].preemptions, 1u);
  EXPECT_DOUBLE_EQ(st[1].first_token_s, 2);  // a preempted request keeps its first token's time
  EXPECT_DOUBLE_EQ(st[1].finish_s, 5);
  EXPECT_DOUBLE_EQ(st[0].finish_s, 4);
  EXPECT_DOUBLE_EQ(st[2].first_token_s, 6);
  EXPECT_DOUBLE_EQ(st[2].finish_s, 7);
  EXPECT_EQ(s.preemptions(), 1u);
}

TEST(ServeScheduler, EnergyIsSharedByTokens) {
  ServeLimits l;
  l.step_tokens = 100;
  ServeScheduler s({{0, 30, 1, 0}, {0, 10, 1, 0}}, l);
  ASSERT_EQ(s.schedule(0).size(), 2u);
  s.finish_step(1, 400);
  EXPECT_DOUBLE_EQ(s.states()[0].energy_pj, 300);
  EXPECT_DOUBLE_EQ(s.states()[1].energy_pj, 100);
  EXPECT_TRUE(s.done());
}

TEST(ServeStep, ProjectionsOverEveryTokenAnAttentionPerShapeLogitsPerEmitter) {
  const ModelConfig m = load_model(kSource + "/configs/models/llama-3.2-1b.yaml");
  RunSpec s;
  // Two sequences decoding over 40 and 41 keys, and a 6-token chunk over 6 keys that ends a
  // prompt: 8 rows; three attentions (ordered by (q, keys)); 3 rows of logits.
  std::vector<Op> ops;
  serve_step_ops(m, s, 0, {{1, 41, true}, {6, 6, true}, {1, 40, true}}, 7, ops);
  std::vector<std::string> attn;
  for (const Op& op : ops) {
    EXPECT_EQ(op.phase, "serve");
    EXPECT_EQ(op.step, 7u);
    if (op.name == "L0.q_proj") {
      EXPECT_EQ(op.m, 8u);
    }
    if (op.name == "lm_head") {
      EXPECT_EQ(op.m, 3u);
    }
    if (op.layer == "0" && op.kind == OpKind::kAttention)
      attn.push_back(op.name + ":" + std::to_string(op.m) + "x" + std::to_string(op.n));
  }
  // Llama-3.2-1B: 32 heads over 8 KV heads, so 4 query rows per key head and position.
  EXPECT_EQ(attn, (std::vector<std::string>{"L0.attention.0:4x40", "L0.attention.1:4x41",
                                            "L0.attention.2:24x6"}));
  // A step with no emitter (a chunk before a prompt's end) has no LM head.
  serve_step_ops(m, s, 0, {{16, 16, false}}, 0, ops);
  for (const Op& op : ops) EXPECT_NE(op.name, "lm_head");
}

TEST(ServeLoad, TokenDistributionsAndAReproduciblePoissonLoad) {
  EXPECT_EQ(parse_token_dist("512").kind, TokenDist::Kind::kFixed);
  EXPECT_EQ(parse_token_dist("uniform:1:3").kind, TokenDist::Kind::kUniform);
  for (const char* bad : {"x", "uniform:3:1", "normal:5", "fixed:0", "uniform:1.5:3", "-4"})
    EXPECT_THROW(parse_token_dist(bad), std::invalid_argument) << bad;
  const TokenDist u = parse_token_dist("uniform:100:200"), e = parse_token_dist("exponential:50");
  const auto a = generate_requests(4.0, 20000, u, e, 7, 1000);
  const auto b = generate_requests(4.0, 20000, u, e, 7, 1000);
  double sum_prompt = 0, sum_output = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].arrival_s, b[i].arrival_s);  // the same seed, the same load
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    ASSERT_GE(a[i].prompt, 100u);
    ASSERT_LE(a[i].prompt, 200u);
    ASSERT_GE(a[i].output, 1u);
    if (i > 0) {
      ASSERT_GT(a[i].arrival_s, a[i - 1].arrival_s);
    }
    sum_prompt += static_cast<double>(a[i].prompt);
    sum_output += static_cast<double>(a[i].output);
  }
  // 20,000 draws: the means within a few standard errors of 150, 50.5 (ceil of an exponential
  // of mean 50) and 1 / 4 s.
  EXPECT_NEAR(sum_prompt / 20000, 150, 1.0);
  EXPECT_NEAR(sum_output / 20000, 50.5, 1.5);
  EXPECT_NEAR(a.back().arrival_s / 20000, 0.25, 0.01);
  EXPECT_NE(generate_requests(4.0, 5, u, e, 8, 1000)[0].arrival_s, a[0].arrival_s);
}

TEST(ServeLoad, NearestRankPercentiles) {
  std::vector<double> v = {5, 1, 4, 2, 3, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(v, 50), 5);
  EXPECT_EQ(percentile(v, 90), 9);
  EXPECT_EQ(percentile(v, 99), 10);
  std::vector<double> none;
  EXPECT_EQ(percentile(none, 50), 0);
}

class ServeFile : public testing::TempFileTest {};

TEST_F(ServeFile, BadRequestFilesFailAtTheirField) {
  const auto load = [](const std::string& f) { read_requests(f); };
  expect_config_error(load, "arrival_s,prompt_tokens,output_tokens\n0,12,x4\n",
                      "2:6: output_tokens", "'x4' is not a whole number from 1", ".csv");
  expect_config_error(load, "prompt_tokens,arrival_s,output_tokens\n7,-1,4\n", "2:3: arrival_s",
                      "is not a time", ".csv");
  expect_config_error(load, "arrival_s,prompt,output_tokens\n", "1:11", "'prompt' is not a column",
                      ".csv");
  expect_config_error(load, "arrival_s,prompt_tokens,output_tokens\n0,1\n", "2:1",
                      "expected 3 fields", ".csv");
  expect_config_error(load, "arrival_s,prompt_tokens,output_tokens\n0,0,3\n", "2:3: prompt_tokens",
                      "from 1", ".csv");
  const std::string empty = write("# only a comment\n", ".csv");
  try {
    read_requests(empty);
    ADD_FAILURE() << "an empty file was read";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), empty + ": the file is empty (no header line)");
  }
  // Columns in any order, comments, blank lines and padding.
  const auto r = read_requests(write(
      "# a load\noutput_tokens, arrival_s ,prompt_tokens\n\n 3, 0.25, 9\n4,1e-3,2\n", ".csv"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].line, 4);
  EXPECT_DOUBLE_EQ(r[0].arrival_s, 0.25);
  EXPECT_EQ(r[0].prompt, 9u);
  EXPECT_EQ(r[0].output, 3u);
  EXPECT_DOUBLE_EQ(r[1].arrival_s, 0.001);
}

class ServeCli : public testing::TempFileTest {};

TEST_F(ServeCli, OneRequestAloneCostsWhatRunSays) {
  // Prompt 100, 4 output tokens: the prefill (its LM head gives the first token) and 3 decode
  // steps, each a graph call as in `npusim run --prompt 100 --tokens 3` with the same paged
  // cache: the same ops, so the same seconds and joules, to the last digit.
  const std::string reqs = write_file("r.csv", "arrival_s,prompt_tokens,output_tokens\n0,100,4\n");
  const auto s = testing::npusim({"serve", "--arch", "hexagon-v79", "--model", "llama-3.2-1b",
                                  "--requests", reqs, "--out", path("s"), "--quiet"});
  ASSERT_EQ(s.status, 0) << s.err;
  const auto r = testing::npusim({"run", "--arch", "hexagon-v79", "--model", "llama-3.2-1b",
                                  "--prompt", "100", "--tokens", "3", "--kv-block", "16", "--out",
                                  path("r"), "--report", "summary", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto js = nlohmann::json::parse(testing::read_text(path("s") + "/summary.json"));
  const auto jr = nlohmann::json::parse(testing::read_text(path("r") + "/summary.json"));
  EXPECT_EQ(js["total_cycles"], jr["total_cycles"]);
  EXPECT_EQ(js["energy_j"], jr["energy_j"]);
  const auto& sv = js["serve"];
  EXPECT_EQ(sv["ttft_s"]["p50"], jr["workload"]["prefill"]["seconds"]);
  EXPECT_EQ(sv["e2e_s"]["p50"], jr["seconds"]);
  EXPECT_EQ(sv["steps"], 4);
  EXPECT_EQ(sv["output_tokens"], 4);
}

TEST_F(ServeCli, AServedLoadIsReproducibleAndAddsUp) {
  const std::vector<std::string> args = {"serve",
                                         "--arch",
                                         "example-npu",
                                         "--model",
                                         "llama-3.2-1b",
                                         "--rate",
                                         "1000",
                                         "--requests-count",
                                         "12",
                                         "--prompt-dist",
                                         "uniform:16:64",
                                         "--output-dist",
                                         "uniform:20:40",
                                         "--max-batch",
                                         "4",
                                         "--kv-blocks",
                                         "8",
                                         "--slo-ttft",
                                         "0.05",
                                         "--quiet",
                                         "--out"};
  auto a = args, b = args;
  a.push_back(path("a"));
  b.push_back(path("b"));
  const auto ra = testing::npusim(a), rb = testing::npusim(b);
  ASSERT_EQ(ra.status, 0) << ra.err;
  ASSERT_EQ(rb.status, 0) << rb.err;
  for (const char* f : {"/requests.csv", "/steps.csv", "/summary.json"})
    EXPECT_EQ(testing::read_text(path("a") + f), testing::read_text(path("b") + f)) << f;
  const auto j = nlohmann::json::parse(testing::read_text(path("a") + "/summary.json"));
  const auto& sv = j["serve"];
  EXPECT_EQ(sv["requests"], 12);
  EXPECT_GT(sv["preemptions"].get<int>(), 0);  // 8 blocks of 16 positions for 4 at once
  // Steps never overlap and never run more than the batch; tokens add up; every request ends
  // after its first token, which comes after its arrival.
  std::istringstream steps(testing::read_text(path("a") + "/steps.csv"));
  std::string line;
  std::getline(steps, line);
  double last_end = 0, energy = 0;
  uint64_t decode_tokens = 0, n = 0;
  while (std::getline(steps, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 13u);
    EXPECT_GE(std::stod(f[1]), last_end);
    EXPECT_GT(std::stod(f[2]), std::stod(f[1]));
    EXPECT_LE(std::stoull(f[4]) + std::stoull(f[5]), 4u);
    EXPECT_LE(std::stoull(f[8]), 8u);  // blocks held
    last_end = std::stod(f[2]);
    decode_tokens += std::stoull(f[7]);
    energy += std::stod(f[12]);
    ++n;
  }
  EXPECT_EQ(sv["steps"], n);
  EXPECT_NEAR(energy * 1e-3, j["energy_j"].get<double>(), 1e-6 * j["energy_j"].get<double>());
  EXPECT_NEAR(sv["makespan_s"].get<double>(), last_end, 1e-8 * last_end);  // 9 digits in CSV
  std::istringstream reqs(testing::read_text(path("a") + "/requests.csv"));
  std::getline(reqs, line);
  uint64_t outputs = 0;
  int good = 0;
  while (std::getline(reqs, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 12u);
    EXPECT_GT(std::stod(f[5]), std::stod(f[2]));  // first token after arrival
    EXPECT_GE(std::stod(f[6]), std::stod(f[5]));  // finish after the first token
    outputs += std::stoull(f[4]);
    good += std::stod(f[7]) <= 0.05 ? 1 : 0;
  }
  // Decode tokens: every output token but each request's first (from its prefill), plus the
  // tokens recomputed after a preemption are prefill tokens, so at most that.
  EXPECT_LE(decode_tokens, outputs - 12);
  EXPECT_EQ(sv["output_tokens"], outputs);
  EXPECT_EQ(sv["goodput"]["requests_meeting_slo"], good);
}

TEST_F(ServeCli, BadInputIsRefusedBeforeAnythingRuns) {
  const std::string reqs =
      write_file("r.csv", "arrival_s,prompt_tokens,output_tokens\n0,100,4\n0,131000,2000\n");
  const auto r = testing::npusim({"serve", "--arch", "example-npu", "--model", "llama-3.2-1b",
                                  "--requests", reqs, "--out", path("o")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(reqs + ":3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("maximum of 131072 positions"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(path("o")));
  // A request larger than the whole cache can never run.
  const std::string big = write_file("b.csv", "arrival_s,prompt_tokens,output_tokens\n0,100,4\n");
  const auto k = testing::npusim({"serve", "--arch", "example-npu", "--model", "llama-3.2-1b",
                                  "--requests", big, "--kv-blocks", "3", "--out", path("o")});
  EXPECT_EQ(k.status, 2);
  EXPECT_NE(k.err.find("need 7 KV blocks"), std::string::npos) << k.err;
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--requests", big, "--rate", "2"},
        std::vector<std::string>{"--rate", "2"},
        std::vector<std::string>{"--requests", big, "--seed", "3"},
        std::vector<std::string>{"--rate", "2", "--requests-count", "3", "--prompt-dist", "u:1"},
        std::vector<std::string>{"--requests", big, "--max-batch", "0"},
        // a rate so low its arrivals overflow (4.9e-324) or span past 1e9 s (3 at 1e-9)
        std::vector<std::string>{"--rate", "4.9e-324", "--requests-count", "3"},
        std::vector<std::string>{"--rate", "1e-9", "--requests-count", "3"},
        std::vector<std::string>{"--requests", big, "--phase", "decode"}}) {
    std::vector<std::string> args = {"serve",        "--arch", "example-npu", "--model",
                                     "llama-3.2-1b", "--out",  path("o")};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto x = testing::npusim(args);
    EXPECT_EQ(x.status, 2) << bad[0] << " " << bad[1] << ": " << x.err;
  }
  // A KV cache given larger than the device memory leaves beside the weights is refused, and
  // weights that do not fit are refused with --kv-blocks as without.
  const auto over =
      testing::npusim({"serve", "--arch", "hexagon-v79", "--model", "llama-3.2-1b", "--rate", "2",
                       "--requests-count", "3", "--kv-blocks", "100000000", "--out", path("o")});
  EXPECT_EQ(over.status, 2);
  EXPECT_NE(over.err.find("--kv-blocks: 100000000 blocks do not fit the device memory"),
            std::string::npos)
      << over.err;
  const auto heavy =
      testing::npusim({"serve", "--arch", "hexagon-v79", "--model", "qwen3-30b-a3b", "--rate", "2",
                       "--requests-count", "3", "--kv-blocks", "4", "--out", path("o")});
  EXPECT_EQ(heavy.status, 2);
  EXPECT_NE(heavy.err.find("leaves no room for a KV cache block"), std::string::npos) << heavy.err;
  EXPECT_FALSE(std::filesystem::exists(path("o")));
  // A load too large to simulate is refused at once: 20,000 requests of 300 output tokens at
  // most 4 at a time take at least 1.5 million steps of a 16-layer model.
  const auto w = testing::npusim({"serve", "--arch", "example-npu", "--model", "llama-3.2-1b",
                                  "--rate", "5", "--requests-count", "20000", "--output-dist",
                                  "300", "--max-batch", "4", "--out", path("o")});
  EXPECT_EQ(w.status, 2);
  EXPECT_NE(w.err.find("takes at least 1500000 steps"), std::string::npos) << w.err;
  // A model that does not fit the device leaves no room for a cache block.
  const auto f = testing::npusim({"serve", "--arch", "hexagon-v79", "--model", "llama-3.1-70b",
                                  "--requests", big, "--out", path("o")});
  EXPECT_EQ(f.status, 2);
  EXPECT_NE(f.err.find("no room for a KV cache block"), std::string::npos) << f.err;
}

}  // namespace
}  // namespace npu
