// The vocabularies that are tables in the code and lists in configs/SCHEMA.md stay in step:
// ops.csv's columns (sim/report.cpp, kOpsColumns) against SCHEMA.md's "ops.csv" table, name,
// unit and order (and steps.csv's and distinct_ops.csv's against theirs); every op kind
// (workloads/op.h, kOpKinds) named in SCHEMA.md's `kind` row.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "arch/core_config.h"
#include "sim/report.h"
#include "workloads/op.h"

namespace npu {
namespace {

std::string schema() {
  std::ifstream in(std::string(NPUSIM_SOURCE_DIR) + "/configs/SCHEMA.md");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The rows of the markdown table under the heading that starts with `heading`: first and
/// second cells, backticks and the "–" for no unit dropped.
std::vector<ReportColumn> table_under(const std::string& text, const std::string& heading) {
  std::vector<ReportColumn> rows;
  size_t at = text.find("\n" + heading);
  if (at == std::string::npos) return rows;
  std::istringstream in(text.substr(at + 1));
  std::string line;
  std::getline(in, line);  // the heading
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) break;
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    std::vector<std::string> cells;
    std::istringstream cs(line.substr(1));
    for (std::string c; std::getline(cs, c, '|');) {
      std::string t;
      for (char ch : c)
        if (ch != '`') t += ch;
      t.erase(0, t.find_first_not_of(' '));
      t.erase(t.find_last_not_of(' ') + 1);
      cells.push_back(t);
    }
    if (cells.size() < 2 || cells[0] == "column" || cells[0].rfind("---", 0) == 0) continue;
    rows.push_back({cells[0], cells[1] == "–" ? "" : cells[1]});
  }
  return rows;
}

TEST(ReportColumns, OpsCsvColumnsAreTheSchemaTable) {
  const auto documented = table_under(schema(), "### `ops.csv`");
  const auto columns = ops_csv_columns();
  ASSERT_GT(columns.size(), 30u);
  ASSERT_EQ(documented.size(), columns.size())
      << "SCHEMA.md's ops.csv table has " << documented.size() << " rows";
  for (size_t i = 0; i < columns.size(); ++i) {
    EXPECT_EQ(documented[i].name, columns[i].name) << "column " << i;
    EXPECT_EQ(documented[i].unit, columns[i].unit) << columns[i].name;
  }
}

TEST(ReportColumns, CompiledColumnsAreTheirSchemaTable) {
  const auto documented = table_under(schema(), "### `ops.csv` of a compiled run");
  const auto all = ops_csv_columns(true);
  const size_t base = ops_csv_columns().size();
  ASSERT_GT(all.size(), base);
  ASSERT_EQ(documented.size(), all.size() - base);
  for (size_t i = 0; i < documented.size(); ++i) {
    EXPECT_EQ(documented[i].name, all[base + i].name) << "compiled column " << i;
    EXPECT_EQ(documented[i].unit, all[base + i].unit) << all[base + i].name;
  }
}

TEST(ReportColumns, StepAndDistinctColumnsAreTheirSchemaTables) {
  const std::string text = schema();
  const std::pair<const char*, const std::vector<ReportColumn>*> tables[] = {
      {"### `steps.csv`", &steps_csv_columns()},
      {"### `distinct_ops.csv`", &distinct_ops_csv_columns()}};
  for (const auto& [heading, columns] : tables) {
    const auto documented = table_under(text, heading);
    ASSERT_EQ(documented.size(), columns->size()) << heading;
    for (size_t i = 0; i < columns->size(); ++i) {
      EXPECT_EQ(documented[i].name, (*columns)[i].name) << heading << " column " << i;
      EXPECT_EQ(documented[i].unit, (*columns)[i].unit) << (*columns)[i].name;
    }
  }
  // And the files' headers are those columns.
  TextSink steps, distinct;
  write_steps_csv(steps, ChipConfig{}, RunTotals{}, nullptr);
  write_distinct_ops_csv(distinct, RunTotals{});
  const auto header = [](const std::vector<ReportColumn>& cs) {
    std::string h;
    for (const ReportColumn& c : cs) h += (h.empty() ? "" : ",") + c.name;
    return h + "\n";
  };
  EXPECT_EQ(steps.buf(), header(steps_csv_columns()));
  EXPECT_EQ(distinct.buf(), header(distinct_ops_csv_columns()));
}

TEST(ReportColumns, OpsCsvHeaderIsTheColumnTable) {
  const RunResult none;
  const std::string csv = ops_csv(ChipConfig{}, none);
  std::string header;
  for (const ReportColumn& c : ops_csv_columns()) header += (header.empty() ? "" : ",") + c.name;
  EXPECT_EQ(csv, header + "\n");
}

TEST(OpKinds, EveryKindIsInTheTraceSchema) {
  const std::string text = schema();
  const size_t row = text.find("| `kind` | all |");
  ASSERT_NE(row, std::string::npos);
  const std::string line = text.substr(row, text.find('\n', row) - row);
  for (const OpKindInfo& k : kOpKinds)
    EXPECT_NE(line.find("`" + std::string(k.name) + "`"), std::string::npos) << k.name;
}

TEST(Counters, EachVisitsEveryCoreCounter) {
  // Every member is a uint64_t counter: the visitor must reach each one once, so a diff or a
  // sum over it misses none.
  CoreCounters c;
  size_t visits = 0;
  CoreCounters::each([&](uint64_t& x) { x = ++visits; }, c);
  EXPECT_EQ(visits, sizeof(CoreCounters) / sizeof(uint64_t));
  CoreCounters twice = c;
  twice += c;
  const CoreCounters back = twice.since(c);
  CoreCounters::each([](uint64_t a, uint64_t b) { EXPECT_EQ(a, b); }, back, c);
  EXPECT_EQ(c.dma_descriptors, visits);  // the last one declared is visited last
}

}  // namespace
}  // namespace npu
