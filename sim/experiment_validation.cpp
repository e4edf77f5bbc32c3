#include "experiment_validation.h"

#include <algorithm>
#include <map>
#include <set>

#include "assertions.h"
#include "config/yaml_reader.h"
#include "experiment.h"
#include "report.h"
#include "sweep_space.h"

namespace npu {

namespace {

using config::Origin;
using config::Override;

/// summary.json's scalar leaves for a point, without simulating: every op recorded with zero
/// cycles, so the structure (classes, phases, bounds) is the real one; a compiled point's
/// `compiled` totals too.
std::map<std::string, std::string> skeleton(const PointSetup& p) {
  RunResult r;
  const auto& ops = p.ops();
  r.ops.resize(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) r.ops[i].op = &ops[i];
  if (p.schedule == Schedule::kCompiled) r.graph = std::make_shared<const CompiledGraph>();
  return flatten_summary(summary_json(p.chip, r, p.workload ? &*p.workload : nullptr));
}

bool error_at(const ConfigError& err, const Override& o) {
  return err.file() == o.origin.file && err.line() == o.origin.line && err.col() == o.origin.col;
}

/// Whether an error sits at a key the sweep varies (or under it, or above it).
bool at_swept_key(const ConfigError& err, const Experiment& e) {
  const std::string& at = err.key();
  for (const auto& axis : e.axes) {
    const std::string& k = axis.key;
    if (at == k || at.rfind(k + ".", 0) == 0 || (!at.empty() && k.rfind(at + ".", 0) == 0))
      return true;
  }
  return false;
}

/// The checks of validate_experiment(), in order; `leaves` collects the summary.json names the
/// points report.
class Validation {
 public:
  explicit Validation(const Experiment& e) : m_e(e), m_resolver(e) {}

  std::vector<std::string> run() {
    check_base();
    for (const auto& axis : m_e.axes) check_axis(axis);
    for (const auto& [k, v] : m_leaves) m_leaf_names.push_back(k);
    add_metric_columns();
    add_assertion_columns();
    return m_names;
  }

 private:
  void learn(const PointSetup& p) {
    for (auto& [k, v] : skeleton(p)) m_leaves.emplace(k, v);
  }

  /// The base: the experiment's own overrides, without the sweep. An error is bad input,
  /// unless a swept key is at fault (the sweep replaces what the base has) and no override of
  /// the experiment's own is.
  void check_base() {
    try {
      learn(m_resolver.setup(m_e.set));
    } catch (const ConfigError& err) {
      for (const auto& o : m_e.set)
        if (error_at(err, o)) throw;
      if (!at_swept_key(err, m_e)) throw;
    }
  }

  /// Whether a point of the sweep that gives `value` to its axis loads: the value is then right
  /// in combination with other swept values (an encoder's head format beside lm_head_all: true).
  /// The first kMaxTries such points among the first kMaxScanned are tried, so that a huge sweep
  /// is checked in bounded time (past them, the value is refused as before).
  bool loads_in_some_point(const Override& value) {
    constexpr size_t kMaxTries = 256, kMaxScanned = 1'000'000;
    const size_t n = std::min(point_count(m_e), kMaxScanned);
    size_t tries = 0;
    for (size_t id = 0; id < n && tries < kMaxTries; ++id) {
      const auto at = point_values(m_e, id);
      if (std::find(at.begin(), at.end(), &value) == at.end()) continue;
      ++tries;
      try {
        learn(m_resolver.setup(id));
        return true;
      } catch (const ConfigError&) {
      }
    }
    return false;
  }

  /// Each value of an axis on its own: an error at the value is bad input, unless a point
  /// combining it with other swept values loads (the other points record the error).
  void check_axis(const SweepAxis& axis) {
    if (key_space(axis.key) == KeySpace::kLabel) return;
    for (size_t v = 0; v < axis.values.size(); ++v) {
      std::vector<Override> applied = m_e.set;
      Override resolved = axis.values[v];
      try {
        if (axis.scale) {
          // The factor applied to the base: a sweep of this axis alone.
          Experiment single = m_e;
          single.axes = {axis};
          single.blocks = {SweepBlock{SweepMode::kZip, 0, 1}};
          PointResolver r1(single);
          applied = r1.overrides(v);
          resolved = applied.back();
        } else {
          applied.push_back(axis.values[v]);
        }
        learn(m_resolver.setup(applied));
      } catch (const ConfigError& err) {
        if (error_at(err, resolved) &&
            (m_e.axes.size() < 2 || !loads_in_some_point(axis.values[v])))
          throw;
      }
    }
  }

  void add(const std::string& m) {
    if (std::find(m_names.begin(), m_names.end(), m) == m_names.end()) m_names.push_back(m);
  }

  void check_metric(const std::string& m, const Origin& o, const std::string& key) const {
    if (m_leaves.empty() || m_leaves.count(m)) return;
    std::string msg = "unknown metric '" + m + "'";
    if (auto guess = config::nearest(m, m_leaf_names)) msg += "; did you mean '" + *guess + "'?";
    msg +=
        " (metrics are summary.json's values by dotted path, e.g. seconds, energy_j, "
        "workload.decode.tokens_per_s, by_class.ffn.bound)";
    throw ConfigError(o.file, o.line, o.col, key, msg);
  }

  /// The listed metrics (or the defaults), then the Pareto objectives.
  void add_metric_columns() {
    if (m_e.metrics.empty()) {
      for (const char* m : {"seconds", "energy_j", "workload.time_to_first_token_s",
                            "workload.prefill.tokens_per_s", "workload.decode.tokens_per_s",
                            "workload.decode.joules_per_token"})
        if (m_leaves.count(m) || m_leaves.empty()) add(m);
    }
    for (size_t i = 0; i < m_e.metrics.size(); ++i) {
      check_metric(m_e.metrics[i], m_e.metric_origins[i], "metrics[" + std::to_string(i) + "]");
      add(m_e.metrics[i]);
    }
    for (const auto& m : m_e.minimize)
      check_metric(m, m_e.pareto_origin, "pareto.minimize"), add(m);
    for (const auto& m : m_e.maximize)
      check_metric(m, m_e.pareto_origin, "pareto.maximize"), add(m);
  }

  /// Assertions: compiled against the metric names and the values the axes take; the metrics
  /// they read become columns. Listing every point's values takes ~100 bytes a point: a larger
  /// sweep (up to 10^8 points, 10 GB) has its selectors' values checked when its results are
  /// evaluated instead.
  void add_assertion_columns() {
    constexpr size_t kMaxListedPoints = 1'000'000;
    std::vector<std::vector<std::string>> values;
    const size_t n = point_count(m_e);
    if (!m_e.asserts.empty() && n <= kMaxListedPoints) {
      values.reserve(n);
      for (size_t id = 0; id < n; ++id) values.push_back(m_resolver.values(id));
    }
    const std::set<std::string> known(m_leaf_names.begin(), m_leaf_names.end());
    for (const auto& spec : m_e.asserts) {
      const Assertion a(spec, swept_keys(m_e), values, known);
      for (const auto& m : a.metrics()) add(m);
    }
  }

  const Experiment& m_e;
  PointResolver m_resolver;
  std::map<std::string, std::string> m_leaves;
  std::vector<std::string> m_leaf_names;
  std::vector<std::string> m_names;  ///< the metric columns
};

}  // namespace

std::vector<std::string> validate_experiment(const Experiment& e) {
  return Validation(e).run();
}

}  // namespace npu
