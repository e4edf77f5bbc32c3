// Experiments (schema: configs/SCHEMA.md, "Experiment"): a chip (a preset or a chip file, plus
// overrides by dotted key path), a workload (a model run or an op trace), the metrics to keep,
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
#include <optional>
#include <string>
#include <vector>

#include "../arch/npu_top.h"
#include "../workloads/op.h"
#include "../workloads/transformer.h"
#include "assertions.h"
#include "config/overrides.h"
#include "config/yaml_reader.h"

namespace npu {

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
  size_t points(const std::vector<SweepAxis>& axes) const;
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

  /// 1 without a sweep, else the product of the blocks' points (a grid block: the product of
  /// its axes' lengths; a zip block: their common length).
  size_t point_count() const;
  /// The value each axis takes at point `id` (ids count as nested loops in the order the keys
  /// are written, the last varying fastest; a zip block is one loop).
  std::vector<const config::Override*> point(size_t id) const;
  std::vector<std::string> swept_keys() const;
};

/// Reads an experiment and the command line's `--set` overrides (after the file's `set:`).
/// Checks the experiment's own structure; the overrides are checked by validate_experiment().
/// `configs_root` is where shipped presets and models are (`arch: NAME`).
Experiment load_experiment(const std::string& path, const std::vector<config::Override>& cli_sets,
                           const std::string& configs_root);

/// What a point runs.
struct PointSetup {
  size_t id = 0;
  ChipConfig chip;
  std::string arch;  ///< the arch as given (preset name or path)
  std::optional<Workload> workload;
  std::vector<Op> trace_ops;
  const std::vector<Op>& ops() const { return workload ? workload->ops : trace_ops; }
};

/// Resolves points: their axis values (scale factors applied) and what they run. Caches the
/// documents it reads. Errors are ConfigErrors (a WorkloadError becomes one at the workload key
/// it names), moved to the override that caused them.
class PointResolver {
 public:
  explicit PointResolver(const Experiment& e);
  /// Every override point `id` applies, in order (the experiment's, then the axes' with scale
  /// factors resolved against the point's chip or model).
  std::vector<config::Override> overrides(size_t id);
  /// The text each axis takes at point `id`, as results.csv shows it.
  std::vector<std::string> values(size_t id);
  /// The chip, model and workload of point `id`: everything simulate() needs.
  PointSetup setup(size_t id);
  /// Loads what `applied` describes (used by setup() and validate_experiment()).
  PointSetup setup(const std::vector<config::Override>& applied);

 private:
  const Experiment& m_exp;
  std::map<std::string, std::string> m_arch_paths;  ///< arch value -> file
  std::string arch_path(const config::Override& arch);
  std::string model_path(const config::Value& model);
};

/// Checks, before anything runs, everything that can be checked without simulating:
///  - every override on its own (each `set:` and `--set` entry, and each value of each axis
///    applied alone to the base): an error at the override's key is bad input;
///  - metric names and the keys and selectors of assertions (against the summary.json a point
///    produces, built for each distinct workload without simulating);
/// and returns the metric columns results.csv will have: the listed metrics (or the defaults),
/// then the Pareto objectives and the metrics assertions use, each once.
/// Errors that only a combination of values causes (SRAM buffers above the size, a tile that
/// cannot fit) are left to the points, which record them as failed.
std::vector<std::string> validate_experiment(const Experiment& e);

}  // namespace npu
