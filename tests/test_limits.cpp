// Absurd but well-formed input, through the real npusim binary: each case is refused with a clear
// message and exit status 2, or runs, and either way within a time limit (the runner's timeout)
// and a memory limit (RLIMIT_AS on the child, and its peak resident memory), so nothing hangs and
// nothing is left for the OOM killer. Also the numeric edge cases of the reports: ops that move
// no DRAM byte give finite metrics, never NaN or infinity.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sanitizers.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;

const std::string kSource = NPUSIM_SOURCE_DIR;
const std::string kChip = kSource + "/configs/presets/example-npu.yaml";
const std::string kTrace = kSource + "/configs/traces/example.yaml";

/// Address space the child may use (not under ASan, whose shadow memory needs terabytes), and the
/// resident memory a refusal may take.
#ifdef NPUSIM_ASAN
constexpr long kRefusalRssKib = 1 << 20;
#else
constexpr uint64_t kAddressSpace = uint64_t{4} << 30;
constexpr long kRefusalRssKib = 256 << 10;
#endif

class CliLimits : public testing::TempFileTest {
 protected:
  /// Runs npusim with a time and memory limit; the run must end by itself.
  ProcessResult npusim(std::vector<std::string> args, int seconds = 60) {
#ifdef NPUSIM_ASAN
    const uint64_t limit = 0;
#else
    const uint64_t limit = kAddressSpace;
#endif
    const ProcessResult r =
        testing::run_process(NPUSIM_BINARY, args, std::chrono::seconds(seconds), limit);
    EXPECT_FALSE(r.timed_out) << "npusim did not finish within " << seconds << " s";
    EXPECT_EQ(r.signal, 0) << "npusim was killed by signal " << r.signal << "\nstderr: " << r.err;
    return r;
  }

  /// Expects a refusal: exit status 2, each fragment in the message, nothing written, little
  /// memory.
  void expect_refused(const std::vector<std::string>& args,
                      const std::vector<std::string>& fragments) {
    const std::string out = path("refused" + std::to_string(m_refusals++));
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--out", out, "--quiet"});
    const ProcessResult r = npusim(all);
    EXPECT_EQ(r.status, 2) << r.err;
    for (const std::string& f : fragments)
      EXPECT_NE(r.err.find(f), std::string::npos) << "expected: " << f << "\n got: " << r.err;
    EXPECT_LT(r.max_rss_kib, kRefusalRssKib) << "a refusal took " << r.max_rss_kib << " KiB";
    EXPECT_FALSE(fs::exists(out));
  }

  int m_refusals = 0;

  /// The example chip with `from` replaced by `to`.
  std::string chip(const std::string& from, const std::string& to) {
    return write(testing::edit_once(read_text(kChip), from, to));
  }

  /// The example chip with 1 KiB input, weight and output buffers: tiny tiles, many steps.
  std::string tiny_sram_chip() {
    std::string text = read_text(kChip);
    text = testing::edit_once(text, "size_kib: 2048", "size_kib: 3");
    text = testing::edit_once(text, "input_kib: 768", "input_kib: 1");
    text = testing::edit_once(text, "weight_kib: 768", "weight_kib: 1");
    return write(testing::edit_once(text, "output_kib: 512", "output_kib: 1"));
  }

  /// A trace of `count` GEMMs m x k x (n + i) (i = 0 .. count-1 when `distinct`, else 0).
  std::string gemms(int count, uint64_t m, uint64_t k, uint64_t n, bool distinct) {
    std::string text = "ops:\n";
    for (int i = 0; i < count; ++i)
      text += "  - {name: g" + std::to_string(i) + ", kind: gemm, m: " + std::to_string(m) +
              ", k: " + std::to_string(k) + ", n: " + std::to_string(n + (distinct ? i : 0)) +
              "}\n";
    return write(text);
  }
};

TEST_F(CliLimits, ArrayOfABillionByABillionPEsIsRefused) {
  const std::string c = chip("rows: 32", "rows: 1000000000");
  expect_refused({"run", "--arch", c, "--trace", kTrace},
                 {c + ":19:11: core.array.rows: must be at most 65536, got 1000000000"});
}

TEST_F(CliLimits, ContextOfATrillionTokensIsRefused) {
  expect_refused({"run", "--arch", kChip, "--model", "llama-3.2-1b", "--phase", "decode",
                  "--context", "1000000000000"},
                 {"--context: context must be 0 to 16777216, got 1000000000000"});
  expect_refused({"run", "--arch", kChip, "--model", "llama-3.2-1b", "--prompt", "1000000000000"},
                 {"--prompt: prompt must be 1 to 16777216, got 1000000000000"});
}

TEST_F(CliLimits, ZeroBandwidthIsRefused) {
  const std::string zero = chip("peak_gbps: 68", "peak_gbps: 0");
  expect_refused({"run", "--arch", zero, "--trace", kTrace},
                 {":49:14: memory.peak_gbps: must be in (0, 1000000], got 0"});
  const std::string busy = chip("background_gbps: 0", "background_gbps: 54.4");
  expect_refused({"run", "--arch", busy, "--trace", kTrace},
                 {"memory.background_gbps: background traffic", "leaves no bandwidth"});
  const std::string dma = chip("    bytes_per_cycle: 64", "    bytes_per_cycle: 0");
  expect_refused({"run", "--arch", dma, "--trace", kTrace},
                 {"core.dma.bytes_per_cycle: must be at least 1, got 0"});
}

TEST_F(CliLimits, RunBeyondThePicosecondClockIsRefused) {
  // 1 byte/s: the example block's 22 MB would take 8 months, past 2^64 ps (213 days), which
  // the clock once wrapped silently (the summary showed less time than the bytes needed).
  const std::string slow = chip("peak_gbps: 68", "peak_gbps: 0.000000001");
  expect_refused({"run", "--arch", slow, "--trace", kTrace},
                 {kTrace + ": the run could last up to", "64-bit picosecond clock"});
}

TEST_F(CliLimits, GemmOfTwoToTheSixtyMacsIsRefused) {
  // 2^60 MACs, inside the trace's caps, used to run out of memory lowering 2^40 tile steps.
  expect_refused({"run", "--arch", kChip, "--trace", gemms(1, 1 << 20, 1 << 20, 1 << 20, false)},
                 {":2:5: ops[0]: op 'g0': this GEMM is too large to simulate on this chip",
                  "more than 4194304 tile steps"});
}

TEST_F(CliLimits, AttentionOverFourBillionQueriesIsRefused) {
  const std::string t = write(
      "ops:\n  - {name: a, kind: attention, m: 4294967296, k: 1, n: "
      "536870912}\n");
  expect_refused({"run", "--arch", kChip, "--trace", t},
                 {"ops[0]: op 'a': this attention is too large to simulate"});
}

TEST_F(CliLimits, StandardAttentionOverAHundredThousandTokensIsRefused) {
  // Its scores GEMM needs 8 million tile steps: it ran out of memory (or for minutes) before.
  expect_refused({"run", "--arch", kChip, "--model", "llama-3.1-8b", "--prompt", "131000",
                  "--tokens", "1", "--attention", "standard"},
                 {"<workload>: op 'L0.scores': this GEMM is too large to simulate"});
}

TEST_F(CliLimits, MillionsOfOpsAreRefusedWhenEveryOpIsKept) {
  // A run that keeps every op's record (a timeline of blocks) is capped at two million ops; a
  // streamed one (ops.csv and the ops' trace written as the run goes) is not.
  expect_refused({"run", "--arch", kChip, "--model", "llama-3.1-8b", "--prompt", "16", "--tokens",
                  "100000", "--report", "steps", "--timeline", "blocks"},
                 {"--tokens: ", "decode fewer tokens", "--timeline ops with --report ops"});
}

TEST_F(CliLimits, AStreamedRunOverTheWorkLimitIsRefusedEarly) {
  // 51 million ops, each decode step's attention new: the first pass stops counting once the
  // ops counted so far are over the limit, so the refusal comes in seconds.
  expect_refused(
      {"run", "--arch", kChip, "--model", "llama-3.1-8b", "--prompt", "16", "--tokens", "100000"},
      {"simulating the run takes at least", "of its first ops, more than npusim's limit"});
}

TEST_F(CliLimits, PerOpReportsOfMoreThanTenMillionOpsAreRefused) {
  // A row per op is about 1 kB in ops.csv and trace.json: --report ops stops at ten million ops
  // (10 GB), before anything is simulated. This run has 51 million (515 a decode step; ten
  // million is about 19,000 tokens of it).
  expect_refused({"run", "--arch", kChip, "--model", "llama-3.1-8b", "--prompt", "16", "--tokens",
                  "100000", "--report", "ops"},
                 {"--report ops: the run has 51", "for at most 10000000 ops; use --report steps"});
}

TEST_F(CliLimits, TraceFileOverTheSizeLimitIsRefused) {
  const std::string big = path("big.yaml");
  {
    std::ofstream f(big);
    const std::string line(1023, '#');
    for (int i = 0; i < 17 * 1024; ++i) f << line << "\n";  // 17 MiB of comments
  }
  expect_refused({"run", "--arch", kChip, "--trace", big},
                 {big + ": is 17 MiB; YAML inputs are limited to 16 MiB"});
}

TEST_F(CliLimits, RunOverTheSimulationWorkLimitIsRefused) {
  // 80 distinct 1024^3 GEMMs in 1 KiB buffers: 22 million tile steps, hours to simulate.
  expect_refused(
      {"run", "--arch", tiny_sram_chip(), "--trace", gemms(80, 1024, 1024, 1024, true)},
      {"simulating the run takes", "memory grants over 80 ops, more than npusim's limit"});
}

TEST_F(CliLimits, BlockTimelineOverTheEventLimit) {
  // 2,000 repeats of one GEMM of 50,000 tile steps: simulated once, but a block timeline would
  // hold every repeat's events, 10^8 of them.
  const std::string c = tiny_sram_chip(), t = gemms(2000, 256, 256, 256, false);
  expect_refused({"run", "--arch", c, "--trace", t, "--timeline", "blocks"},
                 {"--timeline blocks would record about", "use --timeline ops or none"});
  // --timeline auto records the ops alone instead.
  const std::string out = path("auto");
  const ProcessResult r = npusim({"run", "--arch", c, "--trace", t, "--out", out, "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trace = nlohmann::json::parse(read_text(out + "/trace.json"));
  size_t events = 0;
  for (const auto& e : trace.at("traceEvents")) events += e.value("cat", "") == "op";
  EXPECT_EQ(events, 2000u);  // one per op (a compiled run adds its kernels' slices)
}

/// An experiment sweeping four chip keys over `n` values each (1 .. n), with an assertion.
std::string sweep_text(int n) {
  std::string values = "[";
  for (int i = 1; i <= n; ++i) values += (i > 1 ? ", " : "") + std::to_string(i);
  values += "]";
  return "name: huge\narch: example-npu\n"
         "workload: {model: gpt2, phase: decode, prompt: 16, tokens: 2}\n"
         "sweep:\n  keys:\n    core.array.rows: " +
         values + "\n    core.array.cols: " + values + "\n    memory.peak_gbps: " + values +
         "\n    core.vector.lanes: " + values + "\nassert:\n  - seconds > 0\n";
}

TEST_F(CliLimits, SweepOfAHundredMillionPointsRunsInBoundedMemory) {
  // 100^4 = 10^8 points, the most a sweep may have: it starts at once and runs in about 1 GB
  // (its list of points); listing every point's values for the assertion (10 GB) ran out of
  // memory before. Stopped after a few seconds.
  const std::string exp = write(sweep_text(100));
  const std::string out = path("out");
  const ProcessResult r = testing::run_process(
      NPUSIM_BINARY, {"sweep", exp, "--out", out, "--jobs", "1", "-q"}, std::chrono::seconds(8));
  EXPECT_TRUE(r.timed_out) << "status " << r.status << ": " << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_LT(r.max_rss_kib, 3L << 20) << "KiB";
  EXPECT_EQ(read_text(out + "/results.csv").rfind("point,core.array.rows,", 0), 0u);
  // One more value on each axis is over the limit: refused.
  expect_refused({"sweep", write(sweep_text(101))}, {"the sweep has more than 100000000 points"});
}

TEST_F(CliLimits, OpsWithoutDramTrafficHaveFiniteMetrics) {
  // Every operand in SRAM: no DRAM byte, so bandwidth and intensity divide by zero unless guarded.
  const std::string t = write(
      "ops:\n"
      "  - {name: g, kind: gemm, m: 64, k: 64, n: 64, a: sram, b: sram, c: sram}\n"
      "  - {name: s, kind: softmax, rows: 64, cols: 64, a: sram, c: sram}\n"
      "  - {name: x, kind: add, rows: 1, cols: 2, a: sram, b: sram, c: sram}\n");
  const std::string out = path("out");
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", t, "--out", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("inf"), std::string::npos) << r.out;
  const std::string csv = read_text(out + "/ops.csv");
  EXPECT_EQ(csv.find("nan"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("inf"), std::string::npos) << csv;
  // nlohmann writes NaN and infinity as null.
  std::vector<const nlohmann::json*> todo = {};
  const auto summary = nlohmann::json::parse(read_text(out + "/summary.json"));
  todo.push_back(&summary);
  while (!todo.empty()) {
    const nlohmann::json* j = todo.back();
    todo.pop_back();
    EXPECT_FALSE(j->is_null()) << summary.dump(2);
    if (j->is_number_float()) {
      EXPECT_TRUE(std::isfinite(j->get<double>()));
    }
    if (j->is_structured())
      for (const auto& x : *j) todo.push_back(&x);
  }
  EXPECT_EQ(summary.at("dram_read_bytes"), 0);
  EXPECT_EQ(summary.at("achieved_gbps"), 0.0);
}

}  // namespace
}  // namespace npu
