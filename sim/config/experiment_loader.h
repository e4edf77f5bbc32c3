// Reading experiments (schema: configs/SCHEMA.md, "Experiment"): a chip (a preset or a chip file,
// plus overrides by dotted key path), a workload (a model run or an op trace), the metrics to keep,
// and optionally a sweep over any chip, model or workload key (a grid or zipped lists), the
// objectives of a Pareto front, and assertions over the results.
//
// A point of the sweep is a list of overrides applied, in order, after the experiment's own
// (`arch`, `set:`, then `--set` from the command line). Each is applied to the parsed YAML of the
// document it belongs to before the strict loader reads it (sim/config/overrides.h), so an
// override is checked exactly as the same key in a file would be, and an error points at the
// line of the experiment (or the `--set` option) that caused it.
//
// Key namespaces: `arch` (the chip file or preset), `workload.<key>` (the experiment's workload
// mapping), `model.<key>` (the model YAML's keys, e.g. model.kv_heads), `label` (sweeps only: a
// tag carried into the results, applied to nothing), anything else a chip key (core.array.rows,
// memory.peak_gbps, cores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "overrides.h"

namespace npu {

/// An `assert:` line.
struct AssertSpec {
  std::string name;  ///< optional, for reports
  std::string expr;
  std::vector<std::string> for_each;  ///< swept keys: the assertion is evaluated per their values
  /// Known findings: an arch name (preset name or chip file stem) on which the assertion is
  /// known not to hold, and why. `check` reports those as expected failures, and a listed arch
  /// where the assertion does hold as an error (the finding is stale).
  std::map<std::string, std::string> xfail;
  config::Origin origin;  ///< of the expression
  std::string key;        ///< `assert[2]`
};

/// Which document a key belongs to.
enum class KeySpace : uint8_t { kArch, kLabel, kWorkload, kModel, kChip };
KeySpace key_space(const std::string& key);

/// The overrides of `all` in `space`, in order.
std::vector<config::Override> in_space(const std::vector<config::Override>& all, KeySpace space);

enum class SweepMode : uint8_t { kGrid, kZip };

/// One key a sweep varies.
struct SweepAxis {
  std::string key;
  /// The values in order. For a scale axis, the factors (the key's value in the point's chip or
  /// model before the sweep, times the factor, is the value set).
  std::vector<config::Override> values;
  bool scale = false;
  config::Origin origin;  ///< of the key
};

/// A block of the sweep: its axes (axes[first, first + count)) combine as a grid or zipped.
/// Blocks multiply as a grid.
struct SweepBlock {
  SweepMode mode = SweepMode::kGrid;
  size_t first = 0, count = 0;
};

struct Experiment {
  std::string path;  ///< the experiment file
  std::string configs_root;
  std::string name, description;
  /// `arch` (first), the file's `set:` in order, then the command line's `--set` in order.
  std::vector<config::Override> set;
  size_t cli_sets = 0;  ///< how many of `set` (the last ones) came from the command line
  std::vector<std::string> metrics;  ///< as listed (empty: defaults, see default_metrics())
  std::vector<config::Origin> metric_origins;
  std::vector<SweepAxis> axes;                  ///< every swept key, in the order written
  std::vector<SweepBlock> blocks;               ///< empty without a sweep
  std::vector<std::string> minimize, maximize;  ///< Pareto objectives
  config::Origin pareto_origin;
  std::vector<AssertSpec> asserts;
};

/// Reads an experiment and the command line's `--set` overrides (after the file's `set:`).
/// Checks the experiment's own structure; the overrides are checked by validate_experiment().
/// `configs_root` is where shipped presets and models are (`arch: NAME`).
Experiment load_experiment(const std::string& path, const std::vector<config::Override>& cli_sets,
                           const std::string& configs_root);

}  // namespace npu
