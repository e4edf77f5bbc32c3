// Resolving the points of an experiment (sim/config/experiment_loader.h): the overrides each
// point applies, in order, after the experiment's own (`arch`, `set:`, then `--set` from the
// command line), and what it runs: the chip, the model and the workload. Each override is
// applied to the parsed YAML of the document it belongs to before the strict loader reads it
// (sim/config/overrides.h), so it is checked exactly as the same key in a file would be, and an
// error points at the line of the experiment (or the `--set` option) that caused it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../arch/chip_config.h"
#include "../workloads/op.h"
#include "../workloads/transformer.h"
#include "config/experiment_loader.h"
#include "config/yaml_reader.h"
#include "sim_options.h"
#include "sweep_space.h"

namespace npu {

/// What a point runs.
struct PointSetup {
  size_t id = 0;
  ChipConfig chip;
  std::string arch;  ///< the arch as given (preset name or path)
  std::optional<Workload> workload;
  std::vector<Op> trace_ops;
  Schedule schedule = Schedule::kCompiled;  ///< `workload.schedule`
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
  /// The chip, model and workload of point `id`: everything simulate() needs. `streamed`: a
  /// model's workload is built streamed (Workload::stream, for simulate_stream).
  PointSetup setup(size_t id, bool streamed = false);
  /// Loads what `applied` describes (used by setup() and validate_experiment(),
  /// sim/experiment_validation.h).
  PointSetup setup(const std::vector<config::Override>& applied, bool streamed = false);

 private:
  const Experiment& m_exp;
  std::map<std::string, std::string> m_arch_paths;  ///< arch value -> file
  std::string arch_path(const config::Override& arch);
  std::string model_path(const config::Value& model);
};

}  // namespace npu
