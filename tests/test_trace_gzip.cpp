// `npusim run --trace-gzip`: the trace written gzip-compressed as trace.json.gz, the same bytes
// as the trace.json of the same run once decompressed; it replaces a previous set's trace.json;
// and it is refused where the run writes no trace.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

/// The decompressed content of a gzip file ("" when it is not one).
std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return "";
  std::string out;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

class TraceGzip : public testing::TempFileTest {};

TEST_F(TraceGzip, TheSameTraceCompressed) {
  const std::vector<std::string> run = {"run",  "--arch",   "example-npu", "--model",
                                        "gpt2", "--prompt", "16",          "--tokens",
                                        "2",    "--quiet",  "--out"};
  auto plain = run, zipped = run;
  plain.push_back(path("plain"));
  zipped.push_back(path("zipped"));
  const auto a = testing::npusim(plain);
  ASSERT_EQ(a.status, 0) << a.err;
  // Into the folder of a previous set with trace.json: that file goes with its set.
  auto again = run;
  again.push_back(path("plain2"));
  ASSERT_EQ(testing::npusim(again).status, 0);
  ASSERT_TRUE(std::filesystem::exists(path("plain2") + "/trace.json"));
  zipped.back() = path("plain2");
  zipped.push_back("--trace-gzip");
  const auto b = testing::npusim(zipped);
  ASSERT_EQ(b.status, 0) << b.err;
  const std::string gz = path("plain2") + "/trace.json.gz";
  const std::string raw = testing::read_text(gz);
  ASSERT_GE(raw.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(raw[0]), 0x1f);  // gzip's magic number
  EXPECT_EQ(static_cast<unsigned char>(raw[1]), 0x8b);
  const std::string text = testing::read_text(path("plain") + "/trace.json");
  EXPECT_EQ(gunzip(gz), text);
  EXPECT_LT(raw.size(), text.size() / 4);
  EXPECT_FALSE(std::filesystem::exists(path("plain2") + "/trace.json"));
  // No trace, nothing to compress: refused by name before the run.
  const auto c = testing::npusim({"run", "--arch", "example-npu", "--model", "gpt2", "--report",
                                  "summary", "--trace-gzip", "--out", path("none")});
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.err.find("--trace-gzip: this run writes no trace"), std::string::npos) << c.err;
  EXPECT_FALSE(std::filesystem::exists(path("none")));
}

}  // namespace
}  // namespace npu
