// Experiments through the real npusim binary: sweeps (grid, zip, blocks, scale factors), the
// overrides reaching the chip, the model and the workload, errors before anything runs, a
// killed sweep resumed, shards merged, failed points recorded, assertions (check), regressions
// against a baseline, and the shipped assumption suite on every shipped preset.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"
#include "sim/assertions.h"
#include "sim/results.h"
#include "temp_files.h"

extern char** environ;

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;

const std::string kSourceDir = NPUSIM_SOURCE_DIR;
const std::string kChip = kSourceDir + "/configs/presets/example-npu.yaml";
const std::string kTrace = kSourceDir + "/configs/traces/example.yaml";

ProcessResult npusim(const std::vector<std::string>& args) {
  return testing::npusim(args, std::chrono::seconds(60));
}

/// The cells of one column, row by row.
std::vector<std::string> column(const ResultTable& t, const std::string& name) {
  std::vector<std::string> out;
  const auto c = t.column(name);
  EXPECT_TRUE(c.has_value()) << "no column " << name;
  if (!c) return out;
  for (const auto& r : t.rows) out.push_back(r[*c]);
  return out;
}

class Experiments : public testing::TempFileTest {
 protected:
  /// An experiment over the example trace (fast) with `rest` appended.
  std::string trace_experiment(const std::string& name, const std::string& rest) {
    return write_file(name, "name: " + name + "\narch: " + kChip + "\nworkload: {trace: " + kTrace +
                                "}\nmetrics: [seconds, energy_j, area.pes, reachable_gbps]\n" +
                                rest);
  }
};

TEST_F(Experiments, GridProducesExactlyTheExpectedPoints) {
  const std::string exp = trace_experiment("grid.yaml",
                                           "sweep:\n  mode: grid\n  keys:\n"
                                           "    core.array.rows: [16, 32]\n"
                                           "    memory.peak_gbps: [34, 68, 136]\n");
  const ProcessResult r = npusim({"sweep", exp, "--out", path("out"), "--jobs", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  const ResultTable t = read_results(path("out") + "/results.csv");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"point", "core.array.rows", "memory.peak_gbps",
                                                 "status", "seconds", "energy_j", "area.pes",
                                                 "reachable_gbps", "area.proxy", "message"}));
  // Nested loops in the order the keys are written, the last fastest; ids in order.
  EXPECT_EQ(column(t, "point"), (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
  EXPECT_EQ(column(t, "core.array.rows"),
            (std::vector<std::string>{"16", "16", "16", "32", "32", "32"}));
  EXPECT_EQ(column(t, "memory.peak_gbps"),
            (std::vector<std::string>{"34", "68", "136", "34", "68", "136"}));
  EXPECT_EQ(column(t, "status"), std::vector<std::string>(6, "ok"));
  // The override reached the chip: 4 cores x rows x 32 columns.
  EXPECT_EQ(column(t, "area.pes"),
            (std::vector<std::string>{"2048", "2048", "2048", "4096", "4096", "4096"}));
  EXPECT_TRUE(fs::exists(path("out") + "/pareto.csv"));
  EXPECT_FALSE(fs::exists(path("out") + "/.work"));
}

TEST_F(Experiments, ZipPairsTheValuesAndBlocksMultiply) {
  const std::string zip = trace_experiment("zip.yaml",
                                           "sweep:\n  mode: zip\n  keys:\n"
                                           "    core.array.rows: [16, 32, 64]\n"
                                           "    memory.peak_gbps: [34, 68, 34]\n");
  ProcessResult r = npusim({"sweep", zip, "--out", path("zip"), "-j", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  ResultTable t = read_results(path("zip") + "/results.csv");
  EXPECT_EQ(column(t, "core.array.rows"), (std::vector<std::string>{"16", "32", "64"}));
  EXPECT_EQ(column(t, "memory.peak_gbps"), (std::vector<std::string>{"34", "68", "34"}));

  // A list of blocks multiplies them: a zip of 2 pairs times a grid of 2 values.
  const std::string blocks = trace_experiment("blocks.yaml",
                                              "sweep:\n"
                                              "  - mode: zip\n    keys:\n"
                                              "      label: [small, big]\n"
                                              "      core.array.rows: [16, 64]\n"
                                              "  - keys:\n      cores: [1, 2]\n");
  r = npusim({"sweep", blocks, "--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "point,label,core.array.rows,cores\n0,small,16,1\n1,small,16,2\n2,big,64,1\n3,big,64,"
            "2\n");
}

TEST_F(Experiments, OverridesReachTheChipTheModelAndTheWorkload) {
  const std::string exp =
      write_file("model.yaml",
                 "name: model\narch: example-npu\n"
                 "set:\n  core.array.cols: 16\n"
                 "workload: {model: gpt2, phase: decode, prompt: 32, tokens: 2}\n"
                 "metrics: [area.pes, cores, workload.batch, workload.weights,\n"
                 "          workload.footprint.kv_cache_bytes]\n"
                 "sweep:\n  keys:\n    workload.batch: [1, 4]\n");
  const ProcessResult r = npusim({"sweep", exp, "--out", path("out"), "-j", "2", "--set", "cores=2",
                                  "--set", "workload.weights=int4", "--set", "model.kv_heads=4"});
  ASSERT_EQ(r.status, 0) << r.err;
  const ResultTable t = read_results(path("out") + "/results.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(column(t, "cores"), (std::vector<std::string>{"2", "2"}));
  EXPECT_EQ(column(t, "area.pes"), (std::vector<std::string>{"1024", "1024"}));  // 2 x 32 x 16
  EXPECT_EQ(column(t, "workload.batch"), (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(column(t, "workload.weights"), (std::vector<std::string>{"int4", "int4"}));
  // GPT-2 with 4 KV heads (of 12): 2 x 12 layers x 4 x 64 x 2 B per token, 34 tokens, B = 1, 4.
  EXPECT_EQ(column(t, "workload.footprint.kv_cache_bytes"),
            (std::vector<std::string>{std::to_string(2 * 12 * 4 * 64 * 2 * 34),
                                      std::to_string(4 * 2 * 12 * 4 * 64 * 2 * 34)}));
}

TEST_F(Experiments, ASweepReachesTheLmHeadsFormat) {
  // GPT-2's head is tied to its 50,257 x 768 token table: in the weights' int4 (no scales) it
  // adds nothing; int8 and fp16 store it again at 1 and 2 bytes a weight.
  const std::string exp =
      write_file("head.yaml",
                 "name: head\narch: example-npu\n"
                 "workload: {model: gpt2, phase: decode, prompt: 8, tokens: 1, weights: int4,\n"
                 "           weight_group: 0}\n"
                 "metrics: [workload.footprint.weight_bytes, workload.lm_head_weights]\n"
                 "sweep:\n  keys:\n    workload.lm_head_weights: [weights, int8, fp16]\n");
  const ProcessResult r = npusim({"sweep", exp, "--out", path("out"), "-j", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  const ResultTable t = read_results(path("out") + "/results.csv");
  const std::vector<std::string> bytes = column(t, "workload.footprint.weight_bytes");
  ASSERT_EQ(bytes.size(), 3u);
  const uint64_t base = std::stoull(bytes[0]), table = 50257 * 768;
  EXPECT_EQ(std::stoull(bytes[1]), base + table);
  EXPECT_EQ(std::stoull(bytes[2]), base + 2 * table);
  EXPECT_EQ(column(t, "workload.lm_head_weights"),
            (std::vector<std::string>{"weights", "int8", "fp16"}));

  const std::string bad = write_file("bad.yaml",
                                     "name: bad\narch: example-npu\n"
                                     "workload: {model: gpt2, lm_head_weights: int3}\n"
                                     "metrics: [seconds]\n");
  const ProcessResult b = npusim({"sweep", bad, "--out", path("bad_out")});
  EXPECT_EQ(b.status, 2) << b.err;
  EXPECT_NE(b.err.find(bad + ":3:"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("workload.lm_head_weights"), std::string::npos) << b.err;
}

TEST_F(Experiments, AValueRightOnlyBesideAnotherSweptValueIsLeftToThePoints) {
  // An encoder has an LM head only with lm_head_all: the head's format int4 fails on the base
  // alone but loads beside lm_head_all: true, so the sweep runs and the one point pairing it with
  // false records the error.
  const std::string base =
      "name: enc\narch: example-npu\nworkload: {model: bert-base, phase: prefill, prompt: 16}\n"
      "metrics: [seconds]\nsweep:\n  keys:\n    workload.lm_head_all: [true, false]\n";
  const std::string exp =
      write_file("enc.yaml", base + "    workload.lm_head_weights: [weights, int4]\n");
  const ProcessResult r = npusim({"sweep", exp, "--out", path("out"), "-j", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  const ResultTable t = read_results(path("out") + "/results.csv");
  EXPECT_EQ(column(t, "status"), (std::vector<std::string>{"ok", "ok", "ok", "failed"}));
  EXPECT_NE(column(t, "message")[3].find("enc.yaml:8:41: workload.lm_head_weights: bert-base is "
                                         "an encoder"),
            std::string::npos)
      << column(t, "message")[3];
  // A value no combination makes right is still bad input, before anything runs.
  const std::string bad = write_file("bad.yaml", base + "    workload.prompt: [16, 0]\n");
  const ProcessResult b = npusim({"sweep", bad, "--out", path("never")});
  EXPECT_EQ(b.status, 2) << b.err;
  EXPECT_NE(b.err.find("bad.yaml:8:"), std::string::npos) << b.err;
  EXPECT_FALSE(fs::exists(path("never")));
}

TEST_F(Experiments, ScaleMultipliesTheChipsOwnValue) {
  const std::string exp = trace_experiment("scale.yaml",
                                           "sweep:\n  mode: zip\n  keys:\n"
                                           "    label: [base, double]\n"
                                           "    memory.peak_gbps: {scale: [1, 2]}\n"
                                           "    core.array.rows: {scale: [1, 0.5]}\n");
  const ProcessResult r = npusim({"sweep", exp, "--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "point,label,memory.peak_gbps,core.array.rows\n0,base,68,32\n1,double,136,16\n");
}

TEST_F(Experiments, BadOverridesAreErrorsBeforeAnythingRuns) {
  const std::string exp =
      trace_experiment("e.yaml", "sweep:\n  keys:\n    core.array.rows: [16, 0]\n");
  struct Case {
    std::vector<std::string> set;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"core.array.rwos=64"},
       "--set core.array.rwos=64: core.array.rwos: unknown key 'rwos'; did you mean 'rows'?"},
      {{"core.array.cols=abc"},
       "--set core.array.cols=abc: core.array.cols: expected an integer, got 'abc'"},
      {{"core.array.rows=8"}, "core.array.rows: the experiment sweeps this key"},
      {{"arch=no-such-chip"}, "--set arch=no-such-chip: arch: "},
      {{"memory.peak_gbps"}, "--set memory.peak_gbps: expected key.path=value"},
      // The sweep's own value 0 is out of range: reported at its line and column.
      {{}, exp + ":7:27: core.array.rows: must be at least 1, got 0"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"sweep", exp, "--out", path("never")};
    for (const auto& s : c.set) args.insert(args.end(), {"--set", s});
    const ProcessResult r = npusim(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << "stderr: " << r.err;
    EXPECT_FALSE(fs::exists(path("never")));
  }
  // Unknown metrics are caught too, with a suggestion.
  const std::string bad =
      write_file("m.yaml", "name: m\narch: " + kChip + "\nworkload: {trace: " + kTrace +
                               "}\nmetrics: [energy_jj]\n");
  const ProcessResult r = npusim({"sweep", bad, "--out", path("never")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("m.yaml:4:11: metrics[0]: unknown metric 'energy_jj'; did you mean "
                       "'energy_j'?"),
            std::string::npos)
      << r.err;
}

TEST_F(Experiments, AnImpossibleChipIsRecordedAsFailedAndTheOthersFinish) {
  // 64 KiB of SRAM cannot hold the preset's 768 + 768 + 512 KiB of buffers.
  const std::string exp =
      trace_experiment("sram.yaml", "sweep:\n  keys:\n    core.sram.size_kib: [2048, 64, 4096]\n");
  const ProcessResult r = npusim({"sweep", exp, "--out", path("out"), "-j", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  const ResultTable t = read_results(path("out") + "/results.csv");
  EXPECT_EQ(column(t, "status"), (std::vector<std::string>{"ok", "failed", "ok"}));
  const std::string message = column(t, "message")[1];
  EXPECT_NE(message.find("exit 2"), std::string::npos) << message;
  EXPECT_NE(message.find("core.sram: the buffers"), std::string::npos) << message;
  EXPECT_NE(message.find("core.sram.size_kib=64"), std::string::npos) << message;
  EXPECT_EQ(column(t, "seconds")[1], "");
  EXPECT_NE(column(t, "seconds")[0], "");
  // The Pareto front holds only points that ran.
  const ResultTable p = read_results(path("out") + "/pareto.csv");
  for (const auto& s : column(p, "status")) EXPECT_EQ(s, "ok");
}

TEST_F(Experiments, AKilledSweepResumesWithEveryPointOnce) {
  // 24 points of a short GPT-2 decode, one worker: about a second in all.
  const std::string exp =
      write_file("kill.yaml",
                 "name: kill\narch: example-npu\n"
                 "workload: {model: gpt2, phase: decode, prompt: 32, tokens: 4}\n"
                 "metrics: [seconds]\n"
                 "sweep:\n  keys:\n    core.array.rows: [8, 16, 32, 64]\n"
                 "    memory.peak_gbps: [20, 34, 51, 68, 102, 136]\n");
  const std::string out = path("out");
  const std::string results = out + "/results.csv";
  std::vector<std::string> argv{NPUSIM_BINARY, "sweep", exp, "--out", out, "--jobs", "1", "-q"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Kill it once a few rows are in (header + 3), without waiting for the end.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  size_t lines = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_text(results);
    lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    if (lines >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFSIGNALED(st)) << "the sweep finished before it was killed";
  const std::string killed = read_text(results);
  ASSERT_FALSE(killed.empty());
  EXPECT_EQ(killed.back(), '\n') << "a row was cut short";
  const size_t recorded = read_results(results).rows.size();
  EXPECT_GE(recorded, 3u);
  EXPECT_LT(recorded, 24u);

  // Without --resume the folder is refused; with it, every point ends up there exactly once,
  // even past a torn last line (what a broken write would leave).
  ProcessResult r = npusim({"sweep", exp, "--out", out, "-j", "2"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  std::ofstream(results, std::ios::app) << "23,64,13";
  r = npusim({"sweep", exp, "--out", out, "-j", "2", "--resume"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(std::to_string(recorded) + " points were recorded before"),
            std::string::npos)
      << r.out;
  const ResultTable t = read_results(results);
  std::vector<std::string> ids = column(t, "point");
  std::vector<std::string> expect;
  for (int i = 0; i < 24; ++i) expect.push_back(std::to_string(i));
  EXPECT_EQ(ids, expect);  // once each, in point order
  EXPECT_EQ(column(t, "status"), std::vector<std::string>(24, "ok"));

  // The same experiment edited is another sweep: refused.
  std::ofstream(exp, std::ios::app) << "description: edited\n";
  r = npusim({"sweep", exp, "--out", out, "--resume"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("another sweep"), std::string::npos) << r.err;
}

TEST_F(Experiments, ShardsMergedEqualTheUnshardedRun) {
  const std::string exp = trace_experiment("shard.yaml",
                                           "sweep:\n  keys:\n    core.array.rows: [8, 16, 32]\n"
                                           "    core.sram.size_kib: [2048, 64]\n"
                                           "    memory.peak_gbps: [34, 68]\n");
  ASSERT_EQ(npusim({"sweep", exp, "--out", path("all"), "-j", "2", "-q"}).status, 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(npusim({"sweep", exp, "--out", path("s" + std::to_string(i)), "--shard",
                      std::to_string(i) + "/3", "-q"})
                  .status,
              0);
  const ResultTable s1 = read_results(path("s1") + "/results.csv");
  EXPECT_EQ(column(s1, "point"), (std::vector<std::string>{"1", "4", "7", "10"}));
  // Two of three shards are not the whole sweep.
  ProcessResult r = npusim({"merge", path("part"), path("s0"), path("s1")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("4 of 12 points are in none of the folders"), std::string::npos) << r.err;
  r = npusim({"merge", path("merged"), path("s2"), path("s0"), path("s1")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(path("merged") + "/results.csv"), read_text(path("all") + "/results.csv"));
  EXPECT_EQ(read_text(path("merged") + "/pareto.csv"), read_text(path("all") + "/pareto.csv"));
  // A shard of another sweep is refused.
  const std::string other = trace_experiment("other.yaml", "sweep:\n  keys:\n    cores: [1, 2]\n");
  ASSERT_EQ(npusim({"sweep", other, "--out", path("o"), "-q"}).status, 0);
  r = npusim({"merge", path("mixed"), path("s0"), path("o")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("another sweep"), std::string::npos) << r.err;
}

TEST_F(Experiments, MergeRefusesToReplaceAUsersOwnResults) {
  const std::string exp = trace_experiment("m.yaml", "sweep:\n  keys:\n    cores: [1, 2]\n");
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(npusim({"sweep", exp, "--out", path("s" + std::to_string(i)), "--shard",
                      std::to_string(i) + "/2", "-q"})
                  .status,
              0);
  fs::create_directories(path("mine"));
  const std::string mine = write_file("mine/results.csv", "mine\n");
  ProcessResult r = npusim({"merge", path("mine"), path("s0"), path("s1")});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(path("mine") + ": the folder holds results.csv that npusim did not write"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_text(mine), "mine\n");
  EXPECT_FALSE(fs::exists(path("mine/sweep.json")));
  // A previous merge of the same sweep is replaced; --force replaces the user's file.
  ASSERT_EQ(npusim({"merge", path("merged"), path("s0"), path("s1")}).status, 0);
  EXPECT_EQ(npusim({"merge", path("merged"), path("s0"), path("s1")}).status, 0);
  r = npusim({"merge", path("mine"), path("s0"), path("s1"), "--force"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(mine), read_text(path("merged/results.csv")));
}

TEST_F(Experiments, FailingAssertionsFailCheckWithTheirValues) {
  const std::string exp =
      write_file("check.yaml",
                 "name: check\narch: example-npu\n"
                 "workload: {model: gpt2, phase: decode, prompt: 32, tokens: 2}\n"
                 "sweep:\n  keys:\n    memory.peak_gbps: [34, 68]\n"
                 "assert:\n"
                 "  - workload.decode.bound == memory\n"
                 "  - name: bandwidth quadruples tokens/s\n"
                 "    expr: at(memory.peak_gbps=68, workload.decode.tokens_per_s) >= 4 * "
                 "at(memory.peak_gbps=34, workload.decode.tokens_per_s)\n"
                 "  - all(seconds < 0)\n");
  const ProcessResult r = npusim({"check", exp, "-j", "2"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("  ok     assert[0]: workload.decode.bound == memory"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  FAIL   bandwidth quadruples tokens/s: at(memory.peak_gbps=68"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("at(memory.peak_gbps=34, workload.decode.tokens_per_s) = "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  FAIL   assert[2]: all(seconds < 0)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("false at 2 of 2 points: point 0 (memory.peak_gbps=34): seconds = "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 of 3 assertions hold, 2 FAIL"), std::string::npos) << r.out;

  // The same holding: exit 0.
  const std::string good =
      write_file("good.yaml",
                 "name: good\narch: example-npu\n"
                 "workload: {model: gpt2, phase: decode, prompt: 32, tokens: 2}\n"
                 "assert: [workload.decode.tokens_per_s > 1, energy_j > 0]\n");
  const ProcessResult g = npusim({"check", good});
  EXPECT_EQ(g.status, 0) << g.out << g.err;
}

TEST_F(Experiments, AMalformedAssertionIsAnErrorBeforeAnythingRuns) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"seconds > (2 *", "malformed expression: Unexpected end of expression"},
      {"seconds = 2", "a single '=' at character 9: compare with =="},
      {"secnds > 0", "unknown name 'secnds'; did you mean 'seconds'?"},
      {"at(cores=3, seconds) > 0", "selector key 'cores' of at() is not swept"},
      {"at(core.array.rows=48, seconds) > 0",
       "no point has core.array.rows=48 (its values: 16, 32)"},
      {"at(core.array.rows=16, seconds) > seconds", "'seconds' is outside a reduction"},
      {"all(any(seconds > 0))", "a reduction (any) inside another one"},
  };
  for (const auto& [expr, expect] : cases) {
    const std::string exp = trace_experiment(
        "a.yaml",
        "sweep:\n  keys:\n    core.array.rows: [16, 32]\nassert:\n  - \"" + expr + "\"\n");
    const ProcessResult r = npusim({"check", exp, "--out", path("never")});
    EXPECT_EQ(r.status, 2) << expr << "\n" << r.out;
    EXPECT_NE(r.err.find(exp + ":9:5: assert[0]: " + expect), std::string::npos)
        << expr << "\nstderr: " << r.err;
    EXPECT_FALSE(fs::exists(path("never"))) << "something ran for " << expr;
  }
}

TEST_F(Experiments, RegressNamesEveryMetricThatMoved) {
  const std::string exp = trace_experiment("r.yaml", "sweep:\n  keys:\n    cores: [1, 2]\n");
  ASSERT_EQ(npusim({"sweep", exp, "--out", path("base"), "-q"}).status, 0);
  ASSERT_EQ(npusim({"sweep", exp, "--out", path("same"), "-q"}).status, 0);
  ProcessResult r = npusim({"regress", "--baseline", path("base"), path("same")});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // A run on a slower memory: seconds (and energy) move, the area does not.
  ASSERT_EQ(
      npusim({"sweep", exp, "--out", path("slow"), "--set", "memory.peak_gbps=5", "-q"}).status, 0);
  r = npusim(
      {"regress", "--baseline", path("base") + "/results.csv", path("slow"), "--rtol", "0.01"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("moved    point 0 (cores=1): seconds: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("moved    point 1 (cores=2): reachable_gbps: 54.4 -> 4 (-92.6 %)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("area.pes"), std::string::npos) << r.out;
  // Run summaries compare too.
  ASSERT_EQ(npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", path("run"), "-q"}).status,
            0);
  r = npusim({"regress", "--baseline", path("run") + "/summary.json", path("run")});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

// Assertions evaluated on a table directly: reductions, groups, bounds, points that did not run.
TEST(Assertions, ReductionsGroupsAndFailedPoints) {
  ResultTable t;
  t.columns = {"point", "bw", "batch", "status", "tps", "bound", "message"};
  t.rows = {{"0", "68", "1", "ok", "10", "memory", ""},
            {"1", "68", "8", "ok", "60", "memory", ""},
            {"2", "136", "1", "ok", "19", "memory", ""},
            {"3", "136", "8", "ok", "100", "compute", ""}};
  const std::vector<std::string> swept = {"bw", "batch"};
  std::vector<std::vector<std::string>> values;
  for (const auto& r : t.rows) values.push_back({r[1], r[2]});
  const std::set<std::string> metrics = {"tps", "bound"};
  auto eval = [&](const std::string& expr, std::vector<std::string> for_each = {}) {
    AssertSpec spec;
    spec.expr = expr;
    spec.key = "assert[0]";
    spec.for_each = std::move(for_each);
    spec.origin = {"t.yaml", 1, 1};
    return Assertion(spec, swept, values, metrics).evaluate(t, "chip").failures;
  };
  EXPECT_TRUE(eval("tps > 5").empty());
  EXPECT_EQ(eval("bound == memory").size(), 1u);  // point 3 is compute-bound
  EXPECT_NE(eval("bound == memory")[0].find("point 3 (bw=136, batch=8): bound = compute"),
            std::string::npos);
  EXPECT_TRUE(eval("mean(tps) == 47.25 && min_of(tps) == 10 && max_of(tps) == 100").empty());
  EXPECT_TRUE(eval("sum_of(batch=8, tps) == 160 && any(bound == compute)").empty());
  // Per batch: 2x bandwidth gives 1.9x at batch 1, 1.67x at batch 8.
  const auto f = eval("at(bw=136, tps) >= 1.8 * at(bw=68, tps)", {"batch"});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(
      f[0].find("for batch=8: at(bw=136, tps) = 100 (point 3); at(bw=68, tps) = 60 (point 1)"),
      std::string::npos)
      << f[0];
  // Without for_each, at(bw=136) matches two points.
  EXPECT_NE(eval("at(bw=136, tps) > 0")[0].find("selects 2 points"), std::string::npos);
  // A point that did not run fails what reads it.
  t.rows[1][3] = "crashed";
  t.rows[1][6] = "killed by signal 11";
  EXPECT_NE(eval("tps > 0")[0].find("point 1 (bw=68, batch=8) did not run (crashed: killed by "
                                    "signal 11)"),
            std::string::npos);
}

TEST_F(Experiments, ShippedExperimentsAreValid) {
  // The 1,000-point benchmark sweep: checked and listed without running it.
  ProcessResult r =
      npusim({"sweep", kSourceDir + "/configs/experiments/gpt2-decode-1000.yaml", "--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1001);
  r = npusim({"check", kSourceDir + "/configs/experiments/llama-1b-phases.yaml", "-j", "2"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // A what-if over the compiler's knobs: its metrics include summary.json's `compiled` totals.
  r = npusim({"check", kSourceDir + "/configs/experiments/what-if-compiler-v79.yaml", "-j", "2"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 of 2 assertions hold"), std::string::npos) << r.out;
}

// The shipped assumption suite, on every shipped preset: each assertion holds, or fails where
// its `xfail` records the finding (a recorded finding that no longer fails is a failure).
struct AssumptionCase {
  std::string preset, file;
};

void PrintTo(const AssumptionCase& c, std::ostream* os) {
  *os << c.file << " on " << c.preset;
}

std::vector<AssumptionCase> assumption_cases() {
  std::vector<AssumptionCase> cases;
  std::vector<std::string> presets, files;
  for (const auto& e : fs::directory_iterator(kSourceDir + "/configs/presets"))
    if (e.path().extension() == ".yaml") presets.push_back(e.path().stem().string());
  for (const auto& e : fs::directory_iterator(kSourceDir + "/configs/experiments/assumptions"))
    if (e.path().extension() == ".yaml") files.push_back(e.path().filename().string());
  std::sort(presets.begin(), presets.end());
  std::sort(files.begin(), files.end());
  for (const auto& p : presets)
    for (const auto& f : files) cases.push_back({p, f});
  return cases;
}

class Assumptions : public ::testing::TestWithParam<AssumptionCase> {};

TEST_P(Assumptions, HoldOrAreRecordedFindings) {
  const auto& c = GetParam();
  const ProcessResult r =
      npusim({"check", kSourceDir + "/configs/experiments/assumptions/" + c.file, "--set",
              "arch=" + c.preset, "--jobs", "2"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(Shipped, Assumptions, ::testing::ValuesIn(assumption_cases()),
                         [](const ::testing::TestParamInfo<AssumptionCase>& info) {
                           std::string name = info.param.preset + "_" +
                                              info.param.file.substr(0, info.param.file.size() - 5);
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace npu
