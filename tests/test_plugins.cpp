// The npusim binary loads SystemC, ONNX and muParser only when a command needs them
// (sim/plugins.h): what a process loads is what the dynamic loader reports with LD_DEBUG=files. A
// command that does not simulate (scalesim, check, presets, models, --version, compare of report
// folders) loads neither SystemC nor ONNX; a run loads the engine and not ONNX; an ONNX import
// loads the importer; only `check`, which compiles an experiment's assertions, loads muParser. A
// binary without its modules still runs what needs none, and says which module is missing, with
// exit status 1, when a command needs one.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;

const std::string kSourceDir = NPUSIM_SOURCE_DIR;

/// Runs `program args...` with LD_DEBUG=files: its stderr lists every library it loads.
ProcessResult run_traced(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> sh = {"-c", "LD_DEBUG=files exec \"$0\" \"$@\"", program};
  sh.insert(sh.end(), args.begin(), args.end());
  ProcessResult r = testing::run_process("/bin/sh", sh, std::chrono::seconds(60));
  EXPECT_FALSE(r.timed_out);
  return r;
}

bool loaded(const ProcessResult& r, const std::string& library) {
  return r.err.find("file=" + library) != std::string::npos;
}

class Plugins : public testing::TempFileTest {
 protected:
  /// A SCALE-Sim config and a one-GEMM topology (its gemm format).
  std::vector<std::string> scalesim_args(const std::string& out) {
    const std::string cfg =
        write_file("s.cfg",
                   "[general]\nrun_name = one\n\n[architecture_presets]\n"
                   "ArrayHeight: 8\nArrayWidth: 8\nIfmapSramSzkB: 64\n"
                   "FilterSramSzkB: 64\nOfmapSramSzkB: 64\nIfmapOffset: 0\n"
                   "FilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow: ws\n"
                   "Bandwidth : 10\nMemoryBanks: 1\n\n[run_presets]\n"
                   "InterfaceBandwidth: CALC\n");
    const std::string topo = write_file("g.csv", "Layer name, M, N, K,\nfc1, 64, 32, 48,\n");
    return {"scalesim", "-c", cfg, "-t", topo, "-i", "gemm", "-p", out};
  }
};

TEST_F(Plugins, CommandsLoadSystemCOnnxAndMuParserOnlyWhenTheyNeedThem) {
  const std::string bin = testing::npusim_binary();
  const std::string chip = kSourceDir + "/configs/presets/example-npu.yaml";
  for (const std::vector<std::string>& args :
       {scalesim_args(path("ss")),
        {"check", kSourceDir + "/configs/experiments/llama-1b-phases.yaml"},
        {"presets"},
        {"models"},
        {"--version"}}) {
    const ProcessResult r = run_traced(bin, args);
    EXPECT_EQ(r.status, 0) << args[0] << ": " << r.err.substr(r.err.size() - 2000);
    EXPECT_TRUE(loaded(r, "libstdc++"));  // the trace is live
    EXPECT_FALSE(loaded(r, "libsystemc")) << args[0];
    EXPECT_FALSE(loaded(r, "libonnx")) << args[0];
    EXPECT_EQ(loaded(r, "libmuparser"), args[0] == "check") << args[0];
  }
  const ProcessResult run = run_traced(
      bin, {"run", "--arch", chip, "--trace", kSourceDir + "/configs/traces/example.yaml", "--out",
            path("run"), "--quiet"});
  EXPECT_EQ(run.status, 0);
  EXPECT_TRUE(loaded(run, "libsystemc"));
  EXPECT_FALSE(loaded(run, "libonnx"));
  EXPECT_FALSE(loaded(run, "libmuparser"));
  // Comparing report folders simulates nothing.
  const ProcessResult compare = run_traced(bin, {"compare", path("run"), path("run")});
  EXPECT_EQ(compare.status, 0);
  EXPECT_FALSE(loaded(compare, "libsystemc"));
  EXPECT_FALSE(loaded(compare, "libonnx"));
  // An ONNX import loads the importer, which refuses a file that is not a model.
  const ProcessResult onnx =
      run_traced(bin, {"run", "--arch", chip, "--onnx", write_file("bad.onnx", "not a protobuf"),
                       "--out", path("onnx")});
  EXPECT_EQ(onnx.status, 2);
  EXPECT_TRUE(loaded(onnx, "libonnx"));
  EXPECT_NE(onnx.err.find(path("bad.onnx") + ":"), std::string::npos);
}

TEST_F(Plugins, ABinaryWithoutItsModulesRunsWhatNeedsNoneAndNamesWhatIsMissing) {
  const std::string bin = path("npusim");
  fs::copy_file(testing::npusim_binary(), bin);
  const ProcessResult ss = testing::run_process(bin, scalesim_args(path("ss")));
  EXPECT_EQ(ss.status, 0) << ss.err;
  EXPECT_TRUE(fs::is_regular_file(path("ss/one/COMPUTE_REPORT.csv")));
  const std::vector<std::string> run = {"run",
                                        "--arch",
                                        kSourceDir + "/configs/presets/example-npu.yaml",
                                        "--trace",
                                        kSourceDir + "/configs/traces/example.yaml",
                                        "--out",
                                        path("run")};
  ProcessResult r = testing::run_process(bin, run);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("npusim's module libnpusim_engine.so is missing (looked for " +
                       path("libnpusim_engine.so")),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(path("run")));
  // Something else in its place is refused as well.
  write_file("libnpusim_engine.so", "not a library");
  r = testing::run_process(bin, run);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot load " + path("libnpusim_engine.so")), std::string::npos) << r.err;
  // An experiment's assertions need the expression module, before anything runs.
  r = testing::run_process(bin,
                           {"check", kSourceDir + "/configs/experiments/llama-1b-phases.yaml"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("npusim's module libnpusim_expression.so is missing"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace npu
