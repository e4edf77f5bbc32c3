// scripts/validate reproduces the committed validation tables (validation/*.csv): the accuracy
// figures README quotes are those of the code as built. A change to the engine, a preset or a
// model that moves a prediction fails here until `scripts/validate` is rerun and its tables (and
// README's) are updated with it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "cli_runner.h"
#include "sanitizers.h"
#include "temp_files.h"

namespace npu {
namespace {

class Validation : public testing::TempFileTest {};

TEST_F(Validation, CommittedTablesAreWhatTheScriptComputes) {
#ifdef NPUSIM_ASAN
  GTEST_SKIP()
      << "checked in the normal build: under ASan its ~80 runs of 7-8B models take minutes";
#endif
  const std::string src = NPUSIM_SOURCE_DIR;
  const testing::ProcessResult r =
      testing::run_process("/usr/bin/python3",
                           {src + "/scripts/validate", "--npusim", NPUSIM_BINARY, "--out",
                            dir().string(), "--jobs", "2", "--no-plot"},
                           std::chrono::seconds(110));
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  for (const char* table : {"results.csv", "skipped.csv", "summary.csv"}) {
    const std::string committed = testing::read_text(src + "/validation/" + table);
    ASSERT_FALSE(committed.empty()) << table;
    EXPECT_EQ(testing::read_text(path(table)), committed)
        << "validation/" << table << " is stale: rerun scripts/validate";
  }
}

}  // namespace
}  // namespace npu
