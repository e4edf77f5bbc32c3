// The fuzz targets (tests/fuzz/fuzz_targets.h) over their seeds and kept regressions, in the
// normal suite (no clang needed): every input a fuzzer once crashed, hung or tripped a sanitizer
// with (tests/fuzz/regressions/<target>/) must now be accepted or rejected as bad input, quickly
// and within a memory limit; every seed (the shipped configs, pairs of shipped chips and traces)
// must be accepted. scripts/fuzz.sh seeds the fuzzers from the same files (and the `set`
// target from tests/fuzz/seeds/set/: --set options, one per line).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "fuzz/fuzz_targets.h"
#include "sanitizers.h"

namespace npu {
namespace fuzz {
// gtest names the parameter in test names and messages.
void PrintTo(const Target& t, std::ostream* os) {
  *os << t.name;
}
}  // namespace fuzz

namespace {

namespace fs = std::filesystem;
using fuzz::Outcome;

const fs::path kSource = NPUSIM_SOURCE_DIR;
/// An input that takes longer than this is as good as a hang.
constexpr double kMaxSecondsPerInput = 10;
#ifndef NPUSIM_ASAN
/// Address space for the test process (not under ASan, whose shadow memory needs terabytes).
constexpr rlim_t kMaxAddressSpace = rlim_t{4} << 30;
#endif

/// The regular files of `dir` (none if it does not exist), sorted, those ending in `ext` only
/// when `ext` is given.
std::vector<fs::path> files_in(const fs::path& dir, const std::string& ext = "") {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && (ext.empty() || it->path().extension() == ext))
      out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

struct Input {
  std::string label;  ///< for messages: the file(s) it came from
  std::string data;
};

/// The seeds of a target: what scripts/fuzz.sh seeds it with.
std::vector<Input> seeds(const std::string& target) {
  std::vector<Input> out;
  auto add_files = [&](const std::vector<fs::path>& files) {
    for (const fs::path& f : files) out.push_back({f.string(), testing::read_text(f.string())});
  };
  if (target == "chip") add_files(files_in(kSource / "configs/presets", ".yaml"));
  if (target == "trace") add_files(files_in(kSource / "configs/traces", ".yaml"));
  if (target == "model_yaml") add_files(files_in(kSource / "configs/models", ".yaml"));
  if (target == "model_json")
    for (const fs::path& d : std::vector<fs::path>{kSource / "tests/data/hf"}) {
      std::error_code ec;
      for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
        add_files(files_in(it->path(), ".json"));
    }
  if (target == "set") add_files(files_in(kSource / "tests/fuzz/seeds/set"));
  if (target == "experiment") {
    add_files(files_in(kSource / "configs/experiments", ".yaml"));
    add_files(files_in(kSource / "configs/experiments/assumptions", ".yaml"));
  }
  if (target == "lower")
    for (const fs::path& c : files_in(kSource / "configs/presets", ".yaml"))
      for (const fs::path& t : files_in(kSource / "configs/traces", ".yaml"))
        out.push_back({c.string() + " + " + t.string(), testing::read_text(c.string()) +
                                                            std::string(fuzz::kPairSeparator) +
                                                            testing::read_text(t.string())});
  return out;
}

/// Inputs kept because a fuzzer found a bug with them, and the minimised corpus, if kept.
std::vector<Input> kept(const std::string& target) {
  std::vector<Input> out;
  for (const char* folder : {"tests/fuzz/regressions/", "tests/fuzz/corpus/"})
    for (const fs::path& f : files_in(kSource / (folder + target)))
      out.push_back({f.string(), testing::read_text(f.string())});
  return out;
}

class FuzzInputs : public ::testing::TestWithParam<fuzz::Target> {
 protected:
  void SetUp() override {
#ifndef NPUSIM_ASAN
    const rlimit limit{kMaxAddressSpace, kMaxAddressSpace};
    ASSERT_EQ(setrlimit(RLIMIT_AS, &limit), 0);
#endif
  }

  /// Runs `in` through the target; a finding fails the test, naming the input.
  Outcome run(const Input& in) {
    SCOPED_TRACE(in.label);
    std::cerr << "input " << in.label << "\n";  // the last one named, should it crash
    const auto t0 = std::chrono::steady_clock::now();
    Outcome outcome = Outcome::kRejected;
    try {
      outcome = GetParam().run(in.data);
    } catch (const std::exception& e) {
      ADD_FAILURE() << GetParam().name << " target, input " << in.label << ": " << e.what();
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(secs, kMaxSecondsPerInput) << in.label;
    return outcome;
  }
};

TEST_P(FuzzInputs, SeedsAreAccepted) {
  const std::vector<Input> inputs = seeds(GetParam().name);
  ASSERT_FALSE(inputs.empty());
  for (const Input& in : inputs) EXPECT_EQ(run(in), Outcome::kAccepted) << in.label;
}

TEST_P(FuzzInputs, KeptInputsAreAcceptedOrRejected) {
  for (const Input& in : kept(GetParam().name)) run(in);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputs, ::testing::ValuesIn(fuzz::kTargets),
                         [](const ::testing::TestParamInfo<fuzz::Target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace npu
