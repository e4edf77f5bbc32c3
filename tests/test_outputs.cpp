// Report folders, through the real npusim binary (sim/output_set.h): a run replaces the previous
// run's reports as a whole set, never mixes two runs' files, never deletes or overwrites files it
// did not write (a folder holding them needs --force), leaves earlier results alone when it fails,
// and, killed at any point while it writes, leaves either the old complete set or the new one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

extern char** environ;

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;

const std::string kSource = NPUSIM_SOURCE_DIR;
const std::string kChip = kSource + "/configs/presets/example-npu.yaml";
const std::string kTrace = kSource + "/configs/traces/example.yaml";
const std::string kManifest = ".npusim-manifest.json";

/// A folder's regular files and their content, by name.
using Files = std::map<std::string, std::string>;

Files files_of(const fs::path& dir) {
  Files f;
  for (const auto& e : fs::directory_iterator(dir))
    f[e.path().filename().string()] = e.is_regular_file() ? read_text(e.path().string()) : "<dir>";
  return f;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> n;
  for (const auto& e : fs::directory_iterator(dir)) n.insert(e.path().filename().string());
  return n;
}

class CliOutputSet : public testing::TempFileTest {
 protected:
  ProcessResult npusim(const std::vector<std::string>& args) {
    const ProcessResult r = testing::run_process(NPUSIM_BINARY, args, std::chrono::seconds(120));
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.signal, 0) << r.err;
    return r;
  }
  /// The example trace into `out`, with extra options.
  ProcessResult example(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--arch", kChip, "--trace", kTrace, "--out", out, "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return npusim(args);
  }
  std::vector<std::string> manifest_files(const std::string& out) {
    return nlohmann::json::parse(read_text(out + "/" + kManifest)).at("files");
  }
};

TEST_F(CliOutputSet, ANewRunReplacesThePreviousSetAsAWhole) {
  const std::string out = path("out");
  ASSERT_EQ(example(out).status, 0);
  EXPECT_EQ(names_in(out),
            (std::set<std::string>{kManifest, "ops.csv", "summary.json", "trace.json"}));
  EXPECT_EQ(manifest_files(out),
            (std::vector<std::string>{"ops.csv", "trace.json", "summary.json"}));
  // Without a timeline the old trace.json goes with the rest of the old set.
  ASSERT_EQ(example(out, {"--no-timeline"}).status, 0);
  EXPECT_EQ(names_in(out), (std::set<std::string>{kManifest, "ops.csv", "summary.json"}));
  EXPECT_EQ(manifest_files(out), (std::vector<std::string>{"ops.csv", "summary.json"}));
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"out"})) << "a staging folder was left";
}

TEST_F(CliOutputSet, AFolderWithOtherFilesNeedsForceAndKeepsThem) {
  const std::string out = path("out");
  fs::create_directory(out);
  std::ofstream(out + "/notes.txt") << "my notes\n";
  std::ofstream(out + "/ops.csv") << "my own ops.csv\n";
  const ProcessResult refused = example(out);
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find(out + ": the output folder holds files npusim did not write "
                                   "(notes.txt, ops.csv); give a new or empty folder, or --force"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(files_of(out), (Files{{"notes.txt", "my notes\n"}, {"ops.csv", "my own ops.csv\n"}}));

  // Forced: the reports go in, the notes stay; a later forced run drops only its own trace.json.
  ASSERT_EQ(example(out, {"--force"}).status, 0);
  EXPECT_EQ(names_in(out), (std::set<std::string>{kManifest, "notes.txt", "ops.csv", "summary.json",
                                                  "trace.json"}));
  ASSERT_EQ(example(out, {"--force", "--no-timeline"}).status, 0);
  EXPECT_EQ(names_in(out),
            (std::set<std::string>{kManifest, "notes.txt", "ops.csv", "summary.json"}));
  EXPECT_EQ(read_text(out + "/notes.txt"), "my notes\n");
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"out"}));
}

TEST_F(CliOutputSet, AnEmptyFolderIsUsedAndKeepsItsPermissions) {
  const std::string out = path("out");
  fs::create_directory(out);
  ASSERT_EQ(::chmod(out.c_str(), 0750), 0);
  ASSERT_EQ(example(out).status, 0);
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_TRUE(fs::exists(out + "/summary.json"));
}

TEST_F(CliOutputSet, AFailedRunLeavesThePreviousSetUntouched) {
  const std::string out = path("out");
  ASSERT_EQ(example(out).status, 0);
  const Files before = files_of(out);
  const std::string bad =
      write(testing::edit_once(read_text(kTrace), "name: ln1", "name: ln1, rows: 0"));
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", bad, "--out", out});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(files_of(out), before);
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"out", fs::path(bad).filename().string()}));
}

TEST_F(CliOutputSet, ASymbolicLinkKeepsPointingAtTheNewSet) {
  const std::string real = path("real"), link = path("link");
  ASSERT_EQ(example(real).status, 0);
  fs::create_directory_symlink(real, link);
  ASSERT_EQ(example(link, {"--no-timeline"}).status, 0);
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(names_in(real), (std::set<std::string>{kManifest, "ops.csv", "summary.json"}));
}

TEST_F(CliOutputSet, AStoppedRunsStagingFolderIsRemovedByTheNextRun) {
  const std::string out = path("out");
  // What a run killed while writing leaves: its process is gone (no pid is this large).
  const fs::path stale = dir() / ".out.npusim-1073741824-0123456789abcdef";
  fs::create_directory(stale);
  std::ofstream(stale / kManifest) << "{\"npusim\": \"0.1.0\", \"files\": [\"ops.csv\"]}\n";
  std::ofstream(stale / "ops.csv") << "half an ops.csv";
  // A folder of the same shape that is not npusim's (no manifest) is left alone.
  const fs::path other = dir() / ".out.npusim-1073741825-0123456789abcdef";
  fs::create_directory(other);
  std::ofstream(other / "keep.txt") << "keep";
  ASSERT_EQ(example(out).status, 0);
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"out", other.filename().string()}));
}

TEST_F(CliOutputSet, AStoppedForcedRunsStagingFolderIsRemovedByTheNextForcedRun) {
  // Forced, the files are made in a staging folder inside the output folder and moved into
  // place as each is complete (a streamed model run writes ops.csv and trace.json for as long as
  // it simulates). What a forced run killed midway leaves there, the next forced run removes;
  // the user's files stay.
  const std::string out = path("out");
  fs::create_directory(out);
  std::ofstream(out + "/notes.txt") << "mine\n";
  const fs::path stale = fs::path(out) / ".out.npusim-1073741824-0123456789abcdef";
  fs::create_directory(stale);
  std::ofstream(stale / kManifest) << "{\"npusim\": \"0.1.0\", \"files\": [\"ops.csv\"]}\n";
  std::ofstream(stale / "ops.csv") << "half an ops.csv";
  const ProcessResult r =
      npusim({"run", "--arch", kChip, "--model", "llama-3.2-1b", "--prompt", "8", "--tokens", "2",
              "--report", "ops", "--force", "--out", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(names_in(out), (std::set<std::string>{"notes.txt", kManifest, "ops.csv", "trace.json",
                                                  "summary.json"}));
  EXPECT_EQ(read_text(out + "/notes.txt"), "mine\n");
  EXPECT_EQ(manifest_files(out),
            (std::vector<std::string>{"ops.csv", "trace.json", "summary.json"}));
}

TEST_F(CliOutputSet, TraceExportReplacesAFileOnlyWithForce) {
  const std::string file = write("my notes\n");
  const std::vector<std::string> args = {"trace", "export",   "--model", "gpt2",  "--prompt",
                                         "2",     "--tokens", "1",       "--out", file};
  const ProcessResult refused = npusim(args);
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find(file + ": exists; npusim does not overwrite it"), std::string::npos)
      << refused.err;
  EXPECT_EQ(read_text(file), "my notes\n");
  std::vector<std::string> forced = args;
  forced.push_back("--force");
  ASSERT_EQ(npusim(forced).status, 0);
  EXPECT_EQ(read_text(file).rfind("# Op trace", 0), 0u);
}

TEST_F(CliOutputSet, TraceExportNeverReplacesALinkOrWhatIsNotAFile) {
  // Not even with --force: a symbolic link (dangling or not) is not written through or
  // replaced, nor a FIFO or a directory (as root, a device such as /dev/null would be too).
  const std::string target = write("the link's target\n");
  const std::string link = path("link.yaml"), dangling = path("dangling.yaml");
  const std::string fifo = path("fifo"), dir = path("adir");
  fs::create_symlink(target, link);
  fs::create_symlink(path("nothing-here"), dangling);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  fs::create_directory(dir);
  for (const std::string& out : {link, dangling, fifo, dir})
    for (const bool force : {false, true}) {
      std::vector<std::string> args = {"trace", "export",   "--model", "gpt2",  "--prompt",
                                       "2",     "--tokens", "1",       "--out", out};
      if (force) args.push_back("--force");
      const ProcessResult r = npusim(args);
      EXPECT_EQ(r.status, 2) << out << " " << r.err;
      EXPECT_EQ(r.err.rfind(out + ": ", 0), 0u) << r.err;
    }
  EXPECT_EQ(read_text(target), "the link's target\n");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dangling)));
  EXPECT_TRUE(fs::is_fifo(fs::status(fifo)));
  EXPECT_TRUE(fs::is_directory(dir));
}

/// Starts `args` without waiting; stdout and stderr to /dev/null.
pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  const std::string program = NPUSIM_BINARY;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

/// Whether `parent` holds a staging folder of `name`.
bool staging_exists(const fs::path& parent, const std::string& name) {
  const std::string prefix = "." + name + ".npusim-";
  for (const auto& e : fs::directory_iterator(parent))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

TEST_F(CliOutputSet, KilledWhileWritingLeavesTheOldOrTheNewCompleteSet) {
  // The old set: the example block. The new one: a GPT-2 run with a block timeline (a trace.json
  // of ~17 MB, so writing takes a while), run once to a reference folder.
  const std::string out = path("out"), ref = path("ref");
  ASSERT_EQ(example(out).status, 0);
  const Files old_set = files_of(out);
  const std::vector<std::string> big = {"run",  "--arch",     kChip,    "--model",
                                        "gpt2", "--prompt",   "256",    "--tokens",
                                        "16",   "--timeline", "blocks", "-q"};
  auto with_out = [&](const std::string& o) {
    std::vector<std::string> a = big;
    a.insert(a.end(), {"--out", o});
    return a;
  };
  // Time the reference run: start to staging folder, and staging folder to the end.
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t ref_pid = spawn(with_out(ref));
  ASSERT_GT(ref_pid, 0);
  auto staged = t0;
  int st = 0;
  while (waitpid(ref_pid, &st, WNOHANG) == 0) {
    if (staged == t0 && staging_exists(dir(), "ref")) staged = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  const auto t1 = std::chrono::steady_clock::now();
  const Files new_set = files_of(ref);
  ASSERT_NE(old_set, new_set);
  const double run_s = std::chrono::duration<double>(t1 - t0).count();
  const double write_s = staged == t0 ? run_s : std::chrono::duration<double>(t1 - staged).count();

  std::mt19937 rng(20261124);
  const int signals[] = {SIGKILL, SIGKILL, SIGTERM, SIGINT};
  int saw_old = 0, saw_new = 0;
  for (int trial = 0; trial < 16; ++trial) {
    // Three kills in four while the reports are written, the others anywhere in the run.
    const bool while_writing = trial % 4 != 3;
    const double delay =
        std::uniform_real_distribution<double>(0, while_writing ? 1.3 * write_s : run_s)(rng);
    const int sig = signals[trial % 4];
    const pid_t pid = spawn(with_out(out));
    ASSERT_GT(pid, 0);
    if (while_writing)
      while (!staging_exists(dir(), "out") && waitpid(pid, &st, WNOHANG) == 0)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    ::kill(pid, sig);
    waitpid(pid, &st, 0);
    const Files now = files_of(out);
    SCOPED_TRACE("trial " + std::to_string(trial) + ", signal " + std::to_string(sig) + " after " +
                 std::to_string(delay) + " s");
    EXPECT_TRUE(now == old_set || now == new_set)
        << "the folder holds a mix: " << ::testing::PrintToString(names_in(out));
    saw_old += now == old_set;
    saw_new += now == new_set;
    if (now == new_set) {
      ASSERT_EQ(example(out).status, 0);  // back to the old set
    }
  }
  std::cout << "killed 16 runs: " << saw_old << " left the old set, " << saw_new
            << " the new one (run " << run_s << " s, writing " << write_s << " s)\n";
  // The next run clears the staging folders the killed runs left.
  ASSERT_EQ(example(out).status, 0);
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"out", "ref"}));
}

}  // namespace
}  // namespace npu
