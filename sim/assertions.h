// Assertions over a sweep's results (configs/SCHEMA.md, "Assertions"), evaluated with muParser.
//
// An expression names metrics (summary.json paths: `workload.decode.tokens_per_s`) and swept
// keys (`memory.peak_gbps`) by their dotted names; muParser does the arithmetic, comparisons
// (== != < <= > >=), logic (&& ||), `c ? a : b` and its functions (abs, min, max, log, ...).
// The bound names `compute`, `memory`, `vector`, `latency` are constants, so a bound metric
// compares with them: `workload.decode.bound == memory`.
//
//  - Without reductions the assertion is about one point and must hold on every point.
//  - Reductions compare points: `at(key=value, ..., E)` is E at the one point whose swept keys
//    have those values; `all(E)`, `any(E)`, `min_of(E)`, `max_of(E)`, `mean(E)`, `sum_of(E)`
//    reduce E over the points, optionally those matching selectors given first
//    (`all(workload.batch=1, E)`). Every metric then sits inside a reduction. The points are
//    all of the sweep's, or with `for_each: [keys]` each group of points sharing those keys'
//    values (the assertion must hold in every group; its for_each keys may appear outside
//    reductions).
// A point that did not run fails every assertion that reads it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/experiment_loader.h"
#include "config/overrides.h"
#include "results.h"

namespace npu {

class Assertion {
 public:
  /// Compiles `spec`. `swept` are the experiment's swept keys, `point_values` the value of each
  /// at every point (results.csv's text), `metrics` the metric names a point reports. Throws
  /// ConfigError at the assertion for a malformed expression, an unknown name (with the nearest
  /// known one), a reduction inside a reduction, a metric outside reductions in an assertion
  /// that has them, or a selector on a key the sweep does not vary or a value it never takes.
  Assertion(const AssertSpec& spec, const std::vector<std::string>& swept,
            const std::vector<std::vector<std::string>>& point_values,
            const std::set<std::string>& metrics);

  /// Metric names the expression reads (not swept keys).
  std::vector<std::string> metrics() const;

  struct Outcome {
    /// One line per point (or group) where the assertion does not hold, with the values read.
    std::vector<std::string> failures;
    std::set<std::string> archs;         ///< the arch names of the points evaluated
    std::set<std::string> failed_archs;  ///< those with a failure
  };
  /// Evaluates on `t` (results.csv). `arch` is the arch of points whose table has no `arch`
  /// column; arch names are file stems (configs/presets/example-npu.yaml -> example-npu).
  Outcome evaluate(const ResultTable& t, const std::string& arch) const;

  const AssertSpec& spec() const { return m_spec; }

 private:
  struct Selector {
    std::string key, value;
  };
  struct Reduction {
    std::string kind;  ///< at, all, any, min_of, max_of, mean, sum_of
    std::vector<Selector> selectors;
    std::string expr;                ///< for muParser, names replaced by v<i>
    std::vector<std::string> names;  ///< v<i> -> dotted name
    std::string text;                ///< as written
  };
  class Evaluator;  ///< a compiled muParser expression (assertions.cpp)
  struct Rows;      ///< results.csv as evaluate() reads it (assertions.cpp)
  /// A reduction over the selected points of one group: its value and its report line, or the
  /// problem that keeps it from having one (a point that did not run, no point selected).
  struct Reduced {
    double value = 0;
    std::string line, problem;
  };

  // evaluate(), step by step.
  /// Without reductions: the expression on every point.
  void evaluate_points(const Rows& rows, Outcome& out) const;
  /// With reductions: the expression on every group, its reductions over the group's points.
  void evaluate_groups(const Rows& rows, Outcome& out) const;
  /// Selection: the rows sharing the for_each keys' values ("k=v, " each), in order of their
  /// first point.
  std::vector<std::pair<std::string, std::vector<size_t>>> groups(const Rows& rows) const;
  /// Selection: the rows of `group` that a reduction's selectors match.
  static std::vector<size_t> select(const Rows& rows, const Reduction& r,
                                    const std::vector<size_t>& group);
  /// Reduction: `r` (compiled as `ev`) over the selected rows.
  static Reduced reduce(const Rows& rows, const Reduction& r, Evaluator& ev,
                        const std::vector<size_t>& selected);

  AssertSpec m_spec;
  std::vector<std::string> m_swept;
  std::string m_expr;                ///< top level, for muParser
  std::vector<std::string> m_names;  ///< its v<i>
  std::vector<Reduction> m_reductions;

  std::string rewrite(const std::string& text, size_t offset, bool top,
                      std::vector<std::string>& names);
  /// Reads the reduction `fn(...)` whose name starts at `start` and '(' is at `open`, appends it
  /// to m_reductions; returns the index after its ')'.
  size_t read_reduction(const std::string& text, size_t start, size_t open, const std::string& fn,
                        size_t offset);
  /// `arg` as a selector key=value of `fn`, or nothing when it is the expression.
  std::optional<Selector> selector(const std::string& arg, const std::string& fn) const;
  [[noreturn]] void fail(const std::string& message) const;
};

/// The arch name of an --arch / `arch:` value: the file stem.
std::string arch_name(const std::string& arch);

}  // namespace npu
