// The same inputs give byte-identical reports whatever the parallelism: a sweep run with 1, 2 or 3
// workers, and split into shards, writes the same results.csv and, for every point, the same
// summary.json and ops.csv (--keep-reports). (Two runs of one `npusim run`: tests/test_cli.cpp;
// memoized against --no-memo: tests/test_llm.cpp; merged shards against one run: results.csv in
// tests/test_experiments.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;

class Determinism : public testing::TempFileTest {
 protected:
  ProcessResult npusim(const std::vector<std::string>& args) {
    const ProcessResult r = testing::run_process(NPUSIM_BINARY, args, std::chrono::seconds(120));
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.status, 0) << r.err;
    return r;
  }
};

/// Every point's kept reports under `out`/points, by "ID/file".
std::map<std::string, std::string> point_reports(const std::string& out) {
  std::map<std::string, std::string> files;
  for (const auto& p : fs::directory_iterator(out + "/points"))
    for (const char* name : {"summary.json", "ops.csv"})
      files[p.path().filename().string() + "/" + name] = read_text((p.path() / name).string());
  return files;
}

TEST_F(Determinism, SweepReportsAreTheSameForAnyJobsAndShards) {
  // Six GPT-2 decode points: arrays of three sizes, two bandwidths.
  const std::string exp = write(
      "name: det\narch: example-npu\n"
      "workload: {model: gpt2, phase: decode, prompt: 16, tokens: 2}\n"
      "sweep:\n  keys:\n    core.array.rows: [8, 16, 32]\n    memory.peak_gbps: [34, 68]\n");
  const std::string one = path("j1");
  npusim({"sweep", exp, "--out", one, "--jobs", "1", "--keep-reports", "-q"});
  const std::string results = read_text(one + "/results.csv");
  const auto reports = point_reports(one);
  ASSERT_EQ(reports.size(), 12u);
  for (const char* jobs : {"2", "3"}) {
    const std::string out = path(std::string("j") + jobs);
    npusim({"sweep", exp, "--out", out, "--jobs", jobs, "--keep-reports", "-q"});
    EXPECT_EQ(read_text(out + "/results.csv"), results) << "--jobs " << jobs;
    EXPECT_EQ(point_reports(out), reports) << "--jobs " << jobs;
  }
  // Two shards: each point's reports as in the single run, and merged results.csv too.
  std::map<std::string, std::string> sharded;
  for (const char* shard : {"0/2", "1/2"}) {
    const std::string out = path(std::string("s") + shard[0]);
    npusim({"sweep", exp, "--out", out, "--shard", shard, "--jobs", "2", "--keep-reports", "-q"});
    for (auto& [k, v] : point_reports(out)) sharded[k] = v;
  }
  EXPECT_EQ(sharded, reports);
  npusim({"merge", path("merged"), path("s0"), path("s1")});
  EXPECT_EQ(read_text(path("merged") + "/results.csv"), results);
}

}  // namespace
}  // namespace npu
