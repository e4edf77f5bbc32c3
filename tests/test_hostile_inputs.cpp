// What a hostile user tried (issue 11), through the real npusim binary: inputs that are not
// regular files, planted symbolic links, folders npusim did not write, bytes that are not UTF-8.
// Each is refused with `file[:line:col]: [key: ]message` and exit status 2, quickly, writing
// nothing, or handled without touching anything npusim did not create.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;

const std::string kSource = NPUSIM_SOURCE_DIR;
const std::string kChip = kSource + "/configs/presets/example-npu.yaml";
const std::string kTrace = kSource + "/configs/traces/example.yaml";

class HostileInputs : public testing::TempFileTest {
 protected:
  /// Runs npusim; a hang (a FIFO read, /dev/zero read to the end) fails after 20 s.
  ProcessResult npusim(const std::vector<std::string>& args) {
    return testing::npusim(args, std::chrono::seconds(20));
  }

  /// Expects exit status 2 with `fragment` in stderr.
  void expect_refused(const std::vector<std::string>& args, const std::string& fragment) {
    const ProcessResult r = npusim(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos)
        << "expected: " << fragment << "\n got: " << r.err;
  }

  /// A FIFO in this test's folder (no writer ever opens it).
  std::string fifo(const std::string& name) {
    const std::string p = path(name);
    EXPECT_EQ(::mkfifo(p.c_str(), 0600), 0);
    return p;
  }
};

// ---------------------------------------------------------------------------------------------
// D1: a device, a FIFO or a folder is refused at once: /dev/zero never ends, a FIFO blocks.

TEST_F(HostileInputs, NonRegularFilesAreRefusedForEveryInput) {
  const std::string out = path("out");
  const std::string f = fifo("f.yaml");
  const std::string folder = path("folder.yaml");
  fs::create_directories(folder);
  for (const std::string& bad : {std::string("/dev/zero"), f}) {
    SCOPED_TRACE(bad);
    const std::string want = bad + ": not a regular file";
    expect_refused({"run", "--arch", bad, "--trace", kTrace, "--out", out}, want);
    expect_refused({"run", "--arch", kChip, "--trace", bad, "--out", out}, want);
    expect_refused({"run", "--arch", kChip, "--model", bad, "--out", out}, want);
    expect_refused({"sweep", bad, "--dry-run"}, want);
    expect_refused({"check", bad}, want);
    expect_refused({"presets", "--check", bad}, want);
    expect_refused({"regress", "--baseline", bad, bad}, want);
    expect_refused({"trace", "export", "--model", bad, "--out", path("t.yaml")}, want);
  }
  expect_refused({"run", "--arch", kChip, "--trace", folder, "--out", out},
                 folder + ": not a regular file (a directory)");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(HostileInputs, ExperimentWorkloadFilesMustBeRegular) {
  const std::string f = fifo("ops.yaml");
  for (const std::string& workload :
       std::vector<std::string>{"{trace: /dev/zero}", "{trace: " + f + "}", "{model: /dev/zero}",
                                "{model: " + f + "}"}) {
    SCOPED_TRACE(workload);
    const std::string exp =
        write_file("exp.yaml", "name: e\narch: example-npu\nworkload: " + workload +
                                   "\nsweep:\n  keys:\n    core.array.rows: [8, 16]\n");
    const ProcessResult r = npusim({"sweep", exp, "--out", path("out"), "--jobs", "1", "-q"});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out/results.csv")));
  }
}

// ---------------------------------------------------------------------------------------------
// D2: npusim writes through no symbolic link it did not make, whatever name one is planted at.

TEST_F(HostileInputs, ForcedRunWritesThroughNoPlantedLink) {
  const std::string out = path("out"), victim = write_file("victim.txt", "victim\n");
  fs::create_directories(out);
  write_file("out/mine.txt", "mine\n");  // a folder npusim did not write: --force needed
  // Links at every temporary name npusim used, for this pid and the next few.
  std::vector<std::string> names = {"..npusim-manifest.json.npusim-tmp",
                                    ".npusim-manifest.json.tmp"};
  for (pid_t pid = ::getpid(); pid < ::getpid() + 64; ++pid)
    for (const char* f : {".ops.csv.npusim-", ".summary.json.npusim-", ".trace.json.npusim-"})
      names.push_back(f + std::to_string(pid));
  for (const std::string& n : names) fs::create_symlink(victim, dir() / "out" / n);
  const ProcessResult r =
      npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", out, "--force", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(victim), "victim\n");
  EXPECT_EQ(read_text(out + "/mine.txt"), "mine\n");
  EXPECT_NE(read_text(out + "/summary.json").find("\"ops\""), std::string::npos);
  EXPECT_FALSE(fs::is_symlink(out + "/summary.json"));
}

TEST_F(HostileInputs, SweepAndTraceExportWriteThroughNoPlantedLink) {
  const std::string victim = write_file("victim.txt", "victim\n");
  // write_file_atomic's temporaries were `<file>.tmp.<pid>`.
  const std::string file = path("ops.yaml");
  for (pid_t pid = ::getpid(); pid < ::getpid() + 64; ++pid)
    fs::create_symlink(victim, file + ".tmp." + std::to_string(pid));
  const ProcessResult r = npusim(
      {"trace", "export", "--model", "gpt2", "--prompt", "2", "--tokens", "1", "--out", file});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(victim), "victim\n");
  EXPECT_EQ(read_text(file).rfind("# Op trace", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// D6: clean-up of a stopped run's staging folder deletes what its manifest lists, no more, and
// only in folders named as npusim names them.

TEST_F(HostileInputs, StagingCleanUpDeletesOnlyWhatTheManifestLists) {
  const std::string manifest = "{\"npusim\": \"0.1.0\", \"files\": [\"ops.csv\"]}\n";
  // The user's backup folder: its name starts like a staging folder's; no pid, no suffix.
  fs::create_directories(dir() / ".out.npusim-backup");
  write_file(".out.npusim-backup/.npusim-manifest.json", manifest);
  write_file(".out.npusim-backup/ops.csv", "my old ops\n");
  write_file(".out.npusim-backup/thesis.tex", "years of work\n");
  // A stopped run's folder (no process has this pid) holding a file its manifest does not list.
  const std::string stale = ".out.npusim-1073741824-00112233445566ff";
  fs::create_directories(dir() / stale);
  write_file(stale + "/.npusim-manifest.json", manifest);
  write_file(stale + "/ops.csv", "half an ops.csv");
  write_file(stale + "/notes.txt", "not npusim's\n");

  const ProcessResult r =
      npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", path("out"), "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(path(".out.npusim-backup/ops.csv")), "my old ops\n");
  EXPECT_EQ(read_text(path(".out.npusim-backup/thesis.tex")), "years of work\n");
  EXPECT_TRUE(fs::exists(path(".out.npusim-backup/.npusim-manifest.json")));
  EXPECT_FALSE(fs::exists(path(stale + "/ops.csv")));
  EXPECT_FALSE(fs::exists(path(stale + "/.npusim-manifest.json")));
  EXPECT_EQ(read_text(path(stale + "/notes.txt")), "not npusim's\n");
}

// ---------------------------------------------------------------------------------------------
// D4: every string read from input is UTF-8 without NUL, checked at load (before simulating):
// reports are JSON, which cannot hold anything else.

TEST_F(HostileInputs, TextThatIsNotUtf8IsRefusedAtLoadWithItsPlace) {
  const std::string out = path("out");
  const std::string chip_text = read_text(kChip);
  const std::string chip = write_file(
      "chip.yaml", testing::edit_once(chip_text, "name: example-npu", "name: npu\xff\xfe"));
  expect_refused({"run", "--arch", chip, "--trace", kTrace, "--out", out},
                 chip + ":9:7: name: not valid UTF-8");
  // A NUL byte, written raw (yaml-cpp would turn it into another character) or escaped.
  const std::string nul = write_file(
      "nul.yaml", testing::edit_once(chip_text, "name: example-npu", std::string("name: a\0b", 9)));
  expect_refused({"run", "--arch", nul, "--trace", kTrace, "--out", out},
                 nul + ":9:8: name: holds a NUL byte");
  const std::string escaped =
      write_file("esc.yaml", testing::edit_once(chip_text, "name: example-npu", "name: \"a\\0b\""));
  expect_refused({"run", "--arch", escaped, "--trace", kTrace, "--out", out},
                 escaped + ":9:7: name: holds a NUL byte");
  // An op's class in a trace; a key.
  const std::string trace_text = read_text(kTrace);
  const std::string trace = write_file(
      "ops.yaml",
      testing::edit_once(
          trace_text, "ln1, kind: layernorm, rows: 128, cols: 1024, layer: 0, class: norm}",
          "ln1, kind: layernorm, rows: 128, cols: 1024, layer: 0, class: n\xc3\x28rm}"));
  expect_refused({"run", "--arch", kChip, "--trace", trace, "--out", out},
                 trace + ":9:74: ops[0].class: not valid UTF-8");
  const std::string key = write_file(
      "key.yaml", testing::edit_once(chip_text, "name: example-npu", "na\xe0me: example-npu"));
  expect_refused({"run", "--arch", key, "--trace", kTrace, "--out", out},
                 key + ":9:1: a key not valid UTF-8");
  // --set values, on run and on an experiment.
  expect_refused({"run", "--arch", kChip, "--trace", kTrace, "--out", out, "--set", "name=x\xff"},
                 "--set name=x\\xFF: not valid UTF-8");
  expect_refused(
      {"run", "--arch", kChip, "--trace", kTrace, "--out", out, "--set", "name=\"x\\0\""},
      "--set name=\"x\\0\": holds a NUL byte");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(HostileInputs, ModelStringsThatAreNotUtf8AreRefusedAtLoad) {
  const std::string out = path("out");
  const std::string model =
      write_file("m.yaml", testing::edit_once(read_text(kSource + "/configs/models/gpt2.yaml"),
                                              "name: gpt2", "name: gpt\xff"));
  expect_refused(
      {"run", "--arch", kChip, "--model", model, "--prompt", "4", "--tokens", "1", "--out", out},
      model + ":8:7: name: not valid UTF-8");
  // config.json: nlohmann refuses raw bytes that are not UTF-8; an escaped NUL is refused here.
  fs::create_directories(path("hf"));
  const std::string json = write_file(
      "hf/config.json",
      "{\"model_type\": \"gpt2\\u0000\", \"n_layer\": 2, \"n_embd\": 64, \"n_head\": 2,\n"
      " \"vocab_size\": 100, \"n_positions\": 64}\n");
  expect_refused({"run", "--arch", kChip, "--model", json, "--out", out},
                 json + ":1:16: model_type: holds a NUL byte");
  // A model named after a folder whose name is not UTF-8.
  const std::string folder = path("m\xff");
  fs::create_directories(folder);
  fs::copy_file(kSource + "/tests/data/hf/gpt2/config.json", folder + "/config.json");
  expect_refused(
      {"run", "--arch", kChip, "--model", folder, "--prompt", "4", "--tokens", "1", "--out", out},
      "the model's name, taken from its folder or file name, is not valid UTF-8");
  EXPECT_FALSE(fs::exists(out));
}

// ---------------------------------------------------------------------------------------------
// D8: messages say what is wrong, in few words, with exit status 2 for bad input.

TEST_F(HostileInputs, NegativeCountsAreCalledNegative) {
  // The workload settings' table states each range; -1 is shown as written, not wrapped.
  for (const char* option : {"--prompt", "--tokens", "--batch", "--weight-group"})
    expect_refused({"run", "--arch", kChip, "--model", "gpt2", option, "-1", "--out", path("o")},
                   std::string(option) + ": ");
  expect_refused({"run", "--arch", kChip, "--model", "gpt2", "--batch", "-1", "--out", path("o")},
                 "--batch: batch must be 1 to 4096, got -1");
  expect_refused({"sweep", kSource + "/configs/experiments/llama-1b-phases.yaml", "--jobs", "-1"},
                 "--jobs: must not be negative, got -1");
  const ProcessResult r =
      npusim({"run", "--arch", kChip, "--model", "gpt2", "--prompt", "-1", "--out", path("o")});
  EXPECT_EQ(r.err.find("18446744073709551615"), std::string::npos) << r.err;
}

TEST_F(HostileInputs, AnOutputThatCannotBeAFolderIsBadInput) {
  const std::string file = write_file("file.txt", "mine\n");
  expect_refused({"run", "--arch", kChip, "--trace", kTrace, "--out", file},
                 file + ": cannot write the reports there: it exists and is not a folder");
  expect_refused({"run", "--arch", kChip, "--trace", kTrace, "--out", "/"},
                 "/: the output folder cannot be the root folder");
  EXPECT_EQ(read_text(file), "mine\n");
}

TEST_F(HostileInputs, TooDeepNestingIsNamed) {
  const std::string deep =
      write_file("deep.yaml", "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
  expect_refused({"run", "--arch", deep, "--trace", kTrace, "--out", path("o")},
                 "YAML nesting too deep: more than 2000 levels");
}

TEST_F(HostileInputs, LongValuesAreCutInMessages) {
  // A file that is not YAML mappings reads as one long scalar: the message shows its start.
  std::string lines;
  for (int i = 0; i < 200; ++i)
    lines += "user" + std::to_string(i) + ":x:1000:1000::/home:/bin/sh\n";
  const std::string passwd = write_file("passwd", lines);
  const ProcessResult r = npusim({"run", "--arch", passwd, "--trace", kTrace, "--out", path("o")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(passwd + ":1:1: the top level must be a mapping of keys, got 'user0:x:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("...'"), std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), passwd.size() + 200) << r.err;
  // A long value of a key: cut at 60 bytes.
  const std::string chip = write_file(
      "chip.yaml",
      testing::edit_once(read_text(kChip), "cores: 4", "cores: " + std::string(500, '7')));
  const ProcessResult big = npusim({"run", "--arch", chip, "--trace", kTrace, "--out", path("o")});
  EXPECT_EQ(big.status, 2);
  EXPECT_NE(big.err.find(std::string(60, '7') + "..."), std::string::npos) << big.err;
  EXPECT_EQ(big.err.find(std::string(61, '7')), std::string::npos) << big.err;
}

TEST_F(HostileInputs, HelpShowsDefaultsAsWrittenAndNoPositionalOptions) {
  const ProcessResult regress = npusim({"regress", "--help"});
  EXPECT_NE(regress.out.find("--rtol arg (=1e-06)"), std::string::npos) << regress.out;
  EXPECT_EQ(regress.out.find("9.9999"), std::string::npos) << regress.out;
  for (const auto& [command, option] :
       std::vector<std::pair<std::string, std::string>>{{"regress", "--results"},
                                                        {"merge", "--dirs"},
                                                        {"sweep", "--experiment"},
                                                        {"check", "--experiment"},
                                                        {"point", "--experiment"},
                                                        {"presets", "--files"}}) {
    const ProcessResult r = npusim({command, "--help"});
    EXPECT_EQ(r.status, 0) << command;
    EXPECT_EQ(r.out.find(option), std::string::npos) << command << " --help:\n" << r.out;
  }
}

}  // namespace
}  // namespace npu

namespace npu {
namespace {

// A workload option on a run whose ops come from a trace would change nothing: refused by name.
TEST_F(HostileInputs, WorkloadOptionsOfATraceRunAreRefusedNotIgnored) {
  for (const std::vector<std::string>& extra : {std::vector<std::string>{"--prompt", "5"},
                                                {"--weights", "int4"},
                                                {"--batch", "2"},
                                                {"--attention", "standard"}})
    expect_refused(
        {"run", "--arch", kChip, "--trace", kTrace, "--out", path("o"), extra[0], extra[1]},
        extra[0] + " describes a --model workload; --trace gives");
  expect_refused(
      {"run", "--arch", kChip, "--trace", kTrace, "--out", path("o"), "--input-shape", "x=1"},
      "--input-shape applies to --onnx models");
  EXPECT_FALSE(fs::exists(path("o")));
}

}  // namespace
}  // namespace npu
