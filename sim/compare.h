// `npusim compare`: the headline metrics of several runs' summary.json side by side, with each
// run's ratio to the first: time, time to first token, tokens/s and J/token per phase, DRAM
// traffic, achieved GB/s and TOPS, what bound the run and each phase, and cycles by op class.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace npu {

/// One run: a label (the folder as the user named it) and its summary.json, parsed.
struct ComparedRun {
  std::string label;
  std::string summary_json;  ///< the text of summary.json
};

/// Reads DIR/summary.json of a report folder of `npusim run`. Throws ConfigError on `dir` when
/// it is not a folder or has no summary.json, and on DIR/summary.json when it is not a JSON
/// object.
ComparedRun read_compared_run(const std::string& dir);

enum class TableFormat { kText, kMarkdown, kCsv };

/// The comparison table: a row per metric (rows no run has are left out), columns metric, unit,
/// then per run its value and, after the first, its ratio to the first. A metric a run lacks is
/// '-', and so is its ratio (also when the first run's value is 0 or missing). text: aligned
/// columns, whole numbers in full, others to 6 significant digits, ratios to 3; md: the same as a
/// Markdown table; csv: values and ratios at full precision (RFC 4180).
std::string compare_table(const std::vector<ComparedRun>& runs, TableFormat format);

}  // namespace npu
