// `cmake --install`: the build tree installed to a temporary prefix (FHS: bin/npusim,
// share/npusim/{configs,scripts}) and the installed npusim run from `/`, where it must find the
// installed configs from its own location; and the order in which the configs folder is chosen
// (--configs DIR, then $NPUSIM_CONFIGS, then the install, then the source tree).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;

const std::string kSourceDir = NPUSIM_SOURCE_DIR;

/// Runs `program args...` from the working directory `/` with $NPUSIM_CONFIGS set to `configs`
/// (unset when empty).
ProcessResult run_from_root(const std::string& program, const std::vector<std::string>& args,
                            const std::string& configs = "") {
  std::vector<std::string> sh = {
      "-c",
      std::string("cd / && ") +
          (configs.empty() ? "unset NPUSIM_CONFIGS" : "export NPUSIM_CONFIGS=\"$1\"") +
          " && shift && exec \"$0\" \"$@\"",
      program, configs};
  sh.insert(sh.end(), args.begin(), args.end());
  ProcessResult r = testing::run_process("/bin/sh", sh, std::chrono::seconds(60));
  EXPECT_FALSE(r.timed_out) << program << " did not finish within the timeout";
  return r;
}

class InstallTest : public testing::TempFileTest {
 protected:
  /// Installs the build tree under path("prefix"); returns the installed binary.
  std::string install() {
    const ProcessResult r = testing::run_process(
        NPUSIM_CMAKE, {"--install", NPUSIM_BUILD_DIR, "--prefix", path("prefix")},
        std::chrono::seconds(60));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return path("prefix/bin/npusim");
  }
  std::string share(const std::string& rest) const { return path("prefix/share/npusim/" + rest); }
};

TEST_F(InstallTest, PutsTheBinaryConfigsAndScriptsInFhsFolders) {
  const std::string bin = install();
  struct stat st {};
  ASSERT_EQ(::stat(bin.c_str(), &st), 0) << bin;
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  for (const char* f : {"configs/SCHEMA.md", "configs/presets/example-npu.yaml",
                        "configs/presets/hexagon-v79.yaml", "configs/models/llama-3.2-1b.yaml",
                        "configs/traces/example.yaml", "configs/experiments/llama-1b-phases.yaml",
                        "configs/experiments/assumptions/gqa-kv-cache.yaml"})
    EXPECT_EQ(read_text(share(f)), read_text(kSourceDir + "/configs/" + (f + 8))) << f;
  for (const char* s : {"plot_pareto.py", "plot_breakdown.py", "parallel_sweep.sh"}) {
    ASSERT_EQ(::stat(share(std::string("scripts/") + s).c_str(), &st), 0) << s;
    EXPECT_TRUE(st.st_mode & S_IXUSR) << s;
  }
  // Every shipped preset and model is installed.
  for (const char* kind : {"presets", "models", "traces"})
    for (const auto& e : fs::directory_iterator(kSourceDir + "/configs/" + kind))
      EXPECT_TRUE(fs::is_regular_file(
          share(std::string("configs/") + kind + "/" + e.path().filename().string())))
          << e.path();
}

TEST_F(InstallTest, InstalledBinaryRunsFromRootWithItsOwnConfigs) {
  const std::string bin = install();
  // A preset that exists only in the installed configs: found only if the binary looks there
  // (the source tree's configs, compiled in, do not have it).
  fs::copy_file(share("configs/presets/example-npu.yaml"),
                share("configs/presets/installed-only.yaml"));
  const std::string out = path("out");
  const ProcessResult r =
      run_from_root(bin, {"run", "--arch", "installed-only", "--trace", "example", "--out", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("reports  " + out + "/ops.csv"), std::string::npos) << r.out;
  const auto summary = nlohmann::json::parse(read_text(out + "/summary.json"));
  EXPECT_EQ(summary.at("chip"), "example-npu");
  EXPECT_GT(summary.at("total_cycles").get<uint64_t>(), 0u);
  EXPECT_TRUE(fs::exists(out + "/ops.csv"));
  EXPECT_TRUE(fs::exists(out + "/trace.json"));
  // The same run from the build tree gives the same summary.
  const ProcessResult b = testing::npusim(
      {"run", "--arch", kSourceDir + "/configs/presets/example-npu.yaml", "--trace",
       kSourceDir + "/configs/traces/example.yaml", "--out", path("built"), "--quiet"});
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(read_text(out + "/summary.json"), read_text(path("built/summary.json")));

  // A model run, and the listings, name what is installed.
  const ProcessResult m =
      run_from_root(bin, {"run", "--arch", "example-npu", "--model", "gpt2", "--prompt", "8",
                          "--tokens", "1", "--no-timeline", "--out", path("gpt2"), "--quiet"});
  ASSERT_EQ(m.status, 0) << m.err;
  const auto ms = nlohmann::json::parse(read_text(path("gpt2/summary.json")));
  EXPECT_EQ(ms.at("workload").at("model"), "gpt2");
  const ProcessResult models = run_from_root(bin, {"models"});
  ASSERT_EQ(models.status, 0) << models.err;
  EXPECT_NE(models.out.find("llama-3.2-1b"), std::string::npos) << models.out;
  EXPECT_NE(models.out.find("configs: " + share("configs") + "/models"), std::string::npos)
      << models.out;
  const ProcessResult presets = run_from_root(bin, {"presets"});
  ASSERT_EQ(presets.status, 0) << presets.err;
  EXPECT_NE(presets.out.find("installed-only  ("), std::string::npos) << presets.out;
}

TEST_F(InstallTest, ConfigsOptionThenEnvironmentThenInstall) {
  const std::string bin = install();
  // Two configs folders, each with a chip the other lacks.
  for (const char* d : {"mine/presets", "mine/traces", "env/presets"})
    fs::create_directories(path(d));
  fs::copy_file(kSourceDir + "/configs/presets/example-npu.yaml", path("mine/presets/mine.yaml"));
  fs::copy_file(kSourceDir + "/configs/traces/example.yaml", path("mine/traces/tiny.yaml"));
  fs::copy_file(kSourceDir + "/configs/presets/example-npu.yaml", path("env/presets/env.yaml"));
  const std::vector<std::string> run_mine = {"run", "--arch", "mine", "--trace", "tiny", "--quiet"};

  auto with = [](std::vector<std::string> a, std::vector<std::string> more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  // --configs, before or after the command, wins over $NPUSIM_CONFIGS.
  EXPECT_EQ(
      run_from_root(bin, with({"--configs", path("mine")}, with(run_mine, {"--out", path("a")})),
                    path("env"))
          .status,
      0);
  ProcessResult r =
      run_from_root(bin, with(run_mine, {"--out", path("b"), "--configs=" + path("mine")}));
  EXPECT_EQ(r.status, 0) << r.err;
  // $NPUSIM_CONFIGS wins over the install: `mine` is not in env/.
  r = run_from_root(bin, with(run_mine, {"--out", path("c")}), path("env"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(
      r.err.rfind("mine: no such file, nor a shipped name in " + path("env") + "/presets/", 0), 0u)
      << r.err;
  r = run_from_root(bin, {"run", "--arch", "env", "--trace", "example", "--out", path("d"), "-q"},
                    path("env"));
  EXPECT_EQ(r.status, 2);  // env/ has no traces/
  EXPECT_NE(r.err.find("example: no such file, nor a shipped name in " + path("env") + "/traces/"),
            std::string::npos)
      << r.err;
  // A --configs that is not a folder: exit 2, nothing written.
  r = run_from_root(bin,
                    with({"--configs", path("nowhere")}, with(run_mine, {"--out", path("e")})));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, path("nowhere") + ": --configs: not a folder\n");
  EXPECT_FALSE(fs::exists(path("e")));
  r = run_from_root(bin, {"presets", "--configs"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--configs needs a folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace npu
