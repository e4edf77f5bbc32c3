// Golden reports: shipped runs (a trace, LLM runs on two presets, a CNN, a sweep, a check) whose
// every output file is committed under tests/golden/CASE/. Each case reruns and must reproduce
// every byte of every file (and the console output where the run prints one) — the guard that
// keeps a refactor a refactor. The cases are tests/golden/cases.txt; a deliberate change of the
// reports is recorded with scripts/update_golden.sh (NPUSIM_UPDATE_GOLDEN=1 rewrites the files).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;

const std::string kSource = NPUSIM_SOURCE_DIR;
const fs::path kGolden = fs::path(kSource) / "tests" / "golden";

struct GoldenCase {
  std::string name;
  std::vector<std::string> args;  ///< with @SRC@ and @OUT@ still in them
};

std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> cases;
  std::ifstream in(kGolden / "cases.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    GoldenCase c;
    words >> c.name;
    for (std::string w; words >> w;) c.args.push_back(w);
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

/// Every file a run left under `out` (relative path -> content, paths of the source tree and of
/// `out` written as @SRC@ and @OUT@), and its stdout as "stdout.txt" when it printed any.
std::map<std::string, std::string> outputs(const fs::path& out, const std::string& stdout_text) {
  std::map<std::string, std::string> files;
  const auto normalise = [&](const std::string& text) {
    return replace_all(replace_all(text, out.string(), "@OUT@"), kSource, "@SRC@");
  };
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (!e.is_regular_file() || e.path().filename() == ".lock") continue;
    files[fs::relative(e.path(), out).string()] = normalise(testing::read_text(e.path().string()));
  }
  if (!stdout_text.empty()) files["stdout.txt"] = normalise(stdout_text);
  return files;
}

std::map<std::string, std::string> committed(const fs::path& dir) {
  std::map<std::string, std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      files[fs::relative(e.path(), dir).string()] = testing::read_text(e.path().string());
  return files;
}

/// The first line on which two texts differ, for the failure message.
std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ha = static_cast<bool>(std::getline(a, la));
    const bool hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "texts differ only in their last newline";
    if (!ha || !hb || la != lb)
      return "line " + std::to_string(line) + "\n  golden: " + (ha ? la : "<end>") +
             "\n  now:    " + (hb ? lb : "<end>");
  }
}

class Golden : public testing::TempFileTest, public ::testing::WithParamInterface<GoldenCase> {};

TEST_P(Golden, ReportsAreByteIdentical) {
  const GoldenCase& c = GetParam();
  const fs::path out = dir() / "out";
  std::vector<std::string> args;
  for (const std::string& a : c.args)
    args.push_back(replace_all(replace_all(a, "@SRC@", kSource), "@OUT@", out.string()));
  const testing::ProcessResult r = testing::npusim(args, std::chrono::seconds(120));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto now = outputs(out, r.out);
  const fs::path golden = kGolden / c.name;

  if (const char* update = std::getenv("NPUSIM_UPDATE_GOLDEN"); update && *update == '1') {
    fs::remove_all(golden);
    for (const auto& [name, text] : now) {
      fs::create_directories((golden / name).parent_path());
      std::ofstream(golden / name, std::ios::binary) << text;
    }
    GTEST_SKIP() << "rewrote " << golden;
  }

  const auto want = committed(golden);
  ASSERT_FALSE(want.empty()) << "no golden files in " << golden
                             << " (scripts/update_golden.sh writes them)";
  for (const auto& [name, text] : want) {
    const auto it = now.find(name);
    if (it == now.end()) {
      ADD_FAILURE() << c.name << ": the run no longer writes " << name;
      continue;
    }
    EXPECT_TRUE(it->second == text)
        << c.name << "/" << name << " differs at " << first_difference(text, it->second);
  }
  for (const auto& [name, text] : now)
    EXPECT_TRUE(want.count(name)) << c.name << ": the run writes " << name
                                  << ", which has no golden copy";
}

INSTANTIATE_TEST_SUITE_P(Shipped, Golden, ::testing::ValuesIn(golden_cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                           return replace_all(info.param.name, "-", "_");
                         });

}  // namespace
}  // namespace npu
