// The plot scripts on what npusim writes: a run's reports (roofline, breakdown), a sweep's
// results (Pareto) give a PNG; a folder a script cannot plot is refused with one line, exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
const std::string kSource = NPUSIM_SOURCE_DIR;

class Plots : public testing::TempFileTest {
 protected:
  testing::ProcessResult plot(const std::string& script, const std::vector<std::string>& args) {
    std::vector<std::string> a{kSource + "/scripts/" + script};
    a.insert(a.end(), args.begin(), args.end());
    return testing::run_process("/usr/bin/python3", a, std::chrono::seconds(60));
  }
  void expect_png(const std::string& script, std::vector<std::string> args) {
    const std::string png = path(script + ".png");
    args.insert(args.end(), {"-o", png});
    const testing::ProcessResult r = plot(script, args);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_GT(fs::file_size(png), 1000u) << script;
  }
  void expect_refused(const std::string& script, const std::vector<std::string>& args,
                      const std::string& fragment) {
    const testing::ProcessResult r = plot(script, args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
};

TEST_F(Plots, PlotWhatTheyCanAndRefuseWhatTheyCannot) {
  const std::string exp = write(
      "name: p\narch: example-npu\nworkload: {model: gpt2, phase: decode, context: 32, tokens: 1}\n"
      "sweep:\n  keys:\n    memory.peak_gbps: [34, 68, 136]\n");
  const std::string sweep = path("sweep");
  const testing::ProcessResult s =
      testing::npusim({"sweep", exp, "--out", sweep, "--keep-reports", "-q", "--jobs", "2"});
  ASSERT_EQ(s.status, 0) << s.err;
  const std::string point = sweep + "/points/0";
  expect_png("plot_roofline.py", {point});
  expect_png("plot_breakdown.py", {point, sweep + "/points/2"});
  expect_png("plot_pareto.py", {sweep});
  expect_refused("plot_breakdown.py", {sweep}, "a sweep's results folder, not a run's reports");
  expect_refused("plot_roofline.py", {sweep}, "give its points, e.g. " + sweep + "/points/0");
  expect_refused("plot_pareto.py", {point}, "results.csv: missing");
  expect_refused("plot_pareto.py", {sweep, "--x", "no.such"}, "no column no.such");
  expect_refused("plot_roofline.py", {path("none")}, "not a folder");
}

}  // namespace
}  // namespace npu
