// A sweep's results as a table (results.csv: one row per point) and what is computed from it:
// the Pareto front, the merge of shards, and the comparison with a baseline (`regress`).
//
// results.csv columns: `point` (the id), one column per swept key (its value at the point),
// `status` (ok, failed, crashed, timeout), one column per metric, and `message` (why a point
// did not run). Fields are quoted as RFC 4180 says when they need it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace npu {

struct ResultTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  std::optional<size_t> column(const std::string& name) const;
  /// The header and every row, each line ending in '\n'.
  std::string csv() const;
  /// The point id of row `i` (the `point` column).
  size_t id(size_t row) const;
  /// Rows sorted by point id.
  void sort_by_id();
};

/// One CSV line (fields quoted when they hold a comma, a quote or a line break), ending in '\n'.
std::string csv_line(const std::vector<std::string>& fields);

/// Reads results.csv. Only complete lines count: a last line without its '\n' (a row cut short)
/// is left out and `*partial_bytes`, when given, says how long it was. Throws std::runtime_error
/// naming the file on a row with the wrong number of fields or a bad point id.
ResultTable read_results(const std::string& path, size_t* partial_bytes = nullptr);

/// The scalar leaves of a summary.json as dotted paths (`workload.decode.tokens_per_s`) and
/// their text (integers as integers, other numbers with 12 significant digits, strings as they
/// are, bools as true/false). Lists are left out. Throws std::runtime_error on bad JSON.
std::map<std::string, std::string> flatten_summary(const std::string& summary_json);

/// Text of a number for results.csv (12 significant digits, as flatten_summary() writes).
std::string metric_text(double v);

/// The numeric value of a cell: a decimal number, else NaN (empty, text).
double cell_number(const std::string& text);

/// Rows (indices into t.rows) of the Pareto front: points with status ok whose objectives are
/// all numbers and that no other such point dominates (no worse in every objective and better
/// in one). `minimize` and `maximize` name columns. Ties (equal in every objective) all stay.
std::vector<size_t> pareto_front(const ResultTable& t, const std::vector<std::string>& minimize,
                                 const std::vector<std::string>& maximize);

/// A table with only the rows `rows` of `t`, in that order.
ResultTable select_rows(const ResultTable& t, const std::vector<size_t>& rows);

/// How a result compares with its baseline.
struct Comparison {
  std::vector<std::string> moved;    ///< one line per metric beyond the tolerance
  std::vector<std::string> changed;  ///< points, columns or statuses that differ in kind
  size_t points = 0, metrics = 0;    ///< compared
  bool same() const { return moved.empty() && changed.empty(); }
};

/// Compares two result tables point by point (matched by id; the swept values must agree):
/// a metric moved when |current - baseline| > rtol x |baseline| + atol. Text metrics must be
/// equal. A point or metric column present in one table only, or a status that changed, is a
/// change too.
Comparison compare_results(const ResultTable& baseline, const ResultTable& current, double rtol,
                           double atol);

/// Compares the scalar leaves of two summary.json files (see flatten_summary) the same way.
Comparison compare_summaries(const std::string& baseline_json, const std::string& current_json,
                             double rtol, double atol);

}  // namespace npu
