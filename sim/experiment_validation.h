// The dry validation of an experiment: what `sweep`, `check` and `point` check before anything
// is simulated.
#pragma once

#include <string>
#include <vector>

#include "config/experiment_loader.h"

namespace npu {

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
