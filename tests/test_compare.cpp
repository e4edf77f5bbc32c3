// `npusim compare`, run as the real executable: two model runs and a trace run compared, the
// table's numbers and ratios checked against their summary.json; formats; bad input (exit 2,
// `path: message`).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::npusim;
using testing::ProcessResult;
using testing::read_text;

const std::string kSourceDir = NPUSIM_SOURCE_DIR;

/// csv rows by metric name (the first field); no field of these tables needs quoting.
std::map<std::string, std::vector<std::string>> csv_rows(const std::string& text) {
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::istringstream l(line);
    std::string f;
    while (std::getline(l, f, ',')) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    rows[fields.at(0)] = fields;
  }
  return rows;
}

/// A ratio as the text table prints it: three significant digits.
std::string fmt_ratio(double r) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", r);
  return buf;
}

class Compare : public testing::TempFileTest {
 protected:
  /// Runs gpt2 (prompt 8, 2 tokens) on `arch` into `name`; returns the folder.
  std::string model_run(const std::string& name, const std::string& arch) {
    const std::string out = path(name);
    const ProcessResult r = npusim({"run", "--arch", arch, "--model", "gpt2", "--prompt", "8",
                                    "--tokens", "2", "--no-timeline", "--out", out, "--quiet"});
    EXPECT_EQ(r.status, 0) << r.err;
    return out;
  }
  static nlohmann::json summary(const std::string& dir) {
    return nlohmann::json::parse(read_text(dir + "/summary.json"));
  }
};

TEST_F(Compare, CsvValuesAndRatiosAreTheSummaries) {
  const std::string a = model_run("a", "example-npu"), b = model_run("b", "hexagon-v75");
  const std::string t = path("t");
  ASSERT_EQ(npusim({"run", "--arch", "example-npu", "--trace", "example", "--no-timeline", "--out",
                    t, "-q"})
                .status,
            0);
  const ProcessResult r = npusim({"compare", a, b, t, "--format", "csv"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = csv_rows(r.out);
  ASSERT_EQ(rows.count("metric"), 1u) << r.out;
  EXPECT_EQ(rows.at("metric"),
            (std::vector<std::string>{"metric", "unit", a, b, "ratio " + b, t, "ratio " + t}));
  const auto sa = summary(a), sb = summary(b), st = summary(t);
  // Each number row: a's value, b's value and b/a, t's value and t/a, in the row's unit.
  auto expect_row = [&](const std::string& metric, double va, double vb, double vt) {
    ASSERT_EQ(rows.count(metric), 1u) << metric << "\n" << r.out;
    const auto& row = rows.at(metric);
    ASSERT_EQ(row.size(), 7u) << metric;
    EXPECT_DOUBLE_EQ(std::stod(row[2]), va) << metric;
    EXPECT_DOUBLE_EQ(std::stod(row[3]), vb) << metric;
    EXPECT_DOUBLE_EQ(std::stod(row[4]), vb / va) << metric;
    if (vt < 0) {
      EXPECT_EQ(row[5], "-") << metric;
      EXPECT_EQ(row[6], "-") << metric;
    } else {
      EXPECT_DOUBLE_EQ(std::stod(row[5]), vt) << metric;
      EXPECT_DOUBLE_EQ(std::stod(row[6]), vt / va) << metric;
    }
  };
  auto seconds = [](const nlohmann::json& s) { return s.at("seconds").get<double>(); };
  expect_row("time", seconds(sa) * 1e3, seconds(sb) * 1e3, seconds(st) * 1e3);
  EXPECT_EQ(rows.at("time")[1], "ms");
  expect_row("cycles", sa.at("total_cycles").get<double>(), sb.at("total_cycles").get<double>(),
             st.at("total_cycles").get<double>());
  auto w = [](const nlohmann::json& s, const char* phase, const char* key) {
    return s.at("workload").at(phase).at(key).get<double>();
  };
  expect_row("time to first token", sa["workload"]["time_to_first_token_s"].get<double>() * 1e3,
             sb["workload"]["time_to_first_token_s"].get<double>() * 1e3, -1);
  expect_row("decode tokens/s", w(sa, "decode", "tokens_per_s"), w(sb, "decode", "tokens_per_s"),
             -1);
  expect_row("prefill tokens/s", w(sa, "prefill", "tokens_per_s"), w(sb, "prefill", "tokens_per_s"),
             -1);
  expect_row("decode energy/token", w(sa, "decode", "joules_per_token") * 1e3,
             w(sb, "decode", "joules_per_token") * 1e3, -1);
  auto dram = [](const nlohmann::json& s) {
    return (s.at("dram_read_bytes").get<double>() + s.at("dram_write_bytes").get<double>()) * 1e-9;
  };
  expect_row("DRAM traffic", dram(sa), dram(sb), dram(st));
  expect_row("achieved bandwidth", sa.at("achieved_gbps").get<double>(),
             sb.at("achieved_gbps").get<double>(), st.at("achieved_gbps").get<double>());
  expect_row("achieved TOPS", sa.at("achieved_tops").get<double>(),
             sb.at("achieved_tops").get<double>(), st.at("achieved_tops").get<double>());
  expect_row("cycles: ffn", sa["by_class"]["ffn"]["cycles"].get<double>(),
             sb["by_class"]["ffn"]["cycles"].get<double>(),
             st["by_class"]["ffn"]["cycles"].get<double>());
  // Bounds are words: the ratio column says whether they are the same as the first run's.
  const auto& bound = rows.at("decode bound");
  EXPECT_EQ(bound[2], sa["workload"]["decode"]["bound"].get<std::string>());
  EXPECT_EQ(bound[3], sb["workload"]["decode"]["bound"].get<std::string>());
  EXPECT_EQ(bound[4], bound[2] == bound[3] ? "same" : "differs");
  EXPECT_EQ(bound[5], "-");
  // Every op class of any run has a row.
  for (const auto& item : sa.at("by_class").items())
    EXPECT_EQ(rows.count("cycles: " + item.key()), 1u) << item.key();
}

TEST_F(Compare, TextAndMarkdownTables) {
  const std::string a = model_run("a", "example-npu"), b = model_run("b", "hexagon-v75");
  const ProcessResult text = npusim({"compare", a, b});
  ASSERT_EQ(text.status, 0) << text.err;
  std::istringstream in(text.out);
  std::string header, time;
  std::getline(in, header);
  std::getline(in, time);
  EXPECT_EQ(header.rfind("metric", 0), 0u) << header;
  EXPECT_NE(header.find(a), std::string::npos) << header;
  EXPECT_NE(header.find("ratio"), std::string::npos) << header;
  const double ratio =
      summary(b).at("seconds").get<double>() / summary(a).at("seconds").get<double>();
  EXPECT_EQ(time.rfind("time ", 0), 0u) << time;
  EXPECT_NE(time.find(fmt_ratio(ratio)), std::string::npos) << time << " ratio " << ratio;
  const ProcessResult md = npusim({"compare", a, b, "--format", "md"});
  ASSERT_EQ(md.status, 0) << md.err;
  EXPECT_EQ(md.out.rfind("| metric | unit | " + a + " | " + b + " | ratio |\n|---|---|---:|", 0),
            0u)
      << md.out;
  EXPECT_NE(md.out.find("| decode tokens/s | tok/s | "), std::string::npos) << md.out;
}

TEST_F(Compare, ArchRunsEachChipWithTheSameOptions) {
  // The same table as comparing the two runs made by hand, labelled by chip.
  const std::string a = model_run("example-npu", "example-npu");
  const std::string b = model_run("hexagon-v75", "hexagon-v75");
  const ProcessResult by_hand = npusim({"compare", a, b, "--format", "csv"});
  ASSERT_EQ(by_hand.status, 0) << by_hand.err;
  const std::string keep = path("keep");
  const ProcessResult r =
      npusim({"compare", "--arch", "example-npu,hexagon-v75", "--model", "gpt2", "--prompt", "8",
              "--tokens", "2", "--no-timeline", "--format", "csv", "--keep", keep});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string expected = by_hand.out;
  for (const std::string& dir : {a, b}) {
    const std::string name = fs::path(dir).filename().string();
    ASSERT_NE(expected.find(dir), std::string::npos);
    for (size_t at = expected.find(dir); at != std::string::npos; at = expected.find(dir, at))
      expected.replace(at, dir.size(), name);
  }
  EXPECT_EQ(r.out, expected);
  EXPECT_TRUE(fs::exists(keep + "/hexagon-v75/summary.json"));
  // A chip that does not exist is bad input before anything runs.
  const ProcessResult bad =
      npusim({"compare", "--arch", "example-npu,nosuch", "--model", "gpt2", "--keep", path("bad")});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("nosuch"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(path("bad")));
}

TEST_F(Compare, BadInputNamesThePath) {
  const std::string a = path("a");
  ASSERT_EQ(npusim({"run", "--arch", "example-npu", "--trace", "example", "--no-timeline", "--out",
                    a, "-q"})
                .status,
            0);
  const std::string file = write_file("file.txt", "x");
  ProcessResult r = npusim({"compare", a, file});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind(file + ": not a folder", 0), 0u) << r.err;
  EXPECT_EQ(r.out, "");
  fs::create_directories(path("empty"));
  r = npusim({"compare", a, path("empty")});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind(path("empty") + ": no summary.json", 0), 0u) << r.err;
  fs::create_directories(path("bad"));
  write_file("bad/summary.json", "{\"seconds\": 1,");
  r = npusim({"compare", a, path("bad")});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind(path("bad/summary.json") + ": not valid JSON", 0), 0u) << r.err;
  r = npusim({"compare", a, path("missing")});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind(path("missing") + ": no such folder", 0), 0u) << r.err;
  r = npusim({"compare", a});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("at least two"), std::string::npos) << r.err;
  r = npusim({"compare", a, a, "--format", "xml"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--format"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace npu
