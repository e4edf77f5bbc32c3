// The points of an experiment's sweep: how many there are and which value each swept key takes
// at point `id`. Blocks multiply as a grid, the last one varying fastest; within a grid block
// the last key varies fastest, within a zip block every key takes the same index.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/experiment_loader.h"

namespace npu {

/// The points of one block: a grid block the product of its axes' lengths, a zip block their
/// common length (1 for an empty block).
size_t block_points(const SweepBlock& block, const std::vector<SweepAxis>& axes);

/// 1 without a sweep, else the product of the blocks' points.
size_t point_count(const Experiment& e);

/// The value each axis takes at point `id` (ids count as nested loops in the order the keys
/// are written, the last varying fastest; a zip block is one loop).
std::vector<const config::Override*> point_values(const Experiment& e, size_t id);

/// The swept keys, in the order written (results.csv's columns after `point`).
std::vector<std::string> swept_keys(const Experiment& e);

}  // namespace npu
