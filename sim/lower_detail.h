// Helpers the lowering's files share (sim/lower.cpp, sim/lower_conv.cpp); not an API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "config/error.h"
#include "lower.h"

namespace npu::lower_detail {

/// Estimates within this factor of the best are treated as ties (see plan_gemm).
inline constexpr double kPlanTolerance = 1.01;
/// The mapping search simulates tilings estimated within this factor of the best (near_ties):
/// the estimate misses the engine by a few percent on small convs (MobileNetV2's features.0 on
/// intel-npu-3720: a tiling estimated over 1 % slower ran 4 % faster), so a 1 % window let a
/// faster memory pick a slower tiling.
inline constexpr double kSearchTolerance = 1.10;

[[noreturn]] inline void fail(const Op& op, const std::string& message) {
  const std::string key = op.src_key.empty() ? "op '" + op.name + "'" : op.src_key;
  // Ops read from a trace are reported where they were written (`ops[3]`), and named.
  throw ConfigError(op.src_file.empty() ? "<workload>" : op.src_file, op.src_line, op.src_col, key,
                    op.src_key.empty() ? message : "op '" + op.name + "': " + message);
}

/// Candidate tile extents of a dimension: powers of two below it, and the dimension itself.
inline std::vector<uint64_t> candidates(uint64_t dim) {
  std::vector<uint64_t> c;
  for (uint64_t v = 1; v < dim; v *= 2) c.push_back(v);
  c.push_back(dim);
  return c;
}

/// Splits `count` items into `parts` contiguous blocks; block i is [begin, end).
inline std::pair<uint64_t, uint64_t> block_of(uint64_t count, uint64_t parts, uint64_t i) {
  const uint64_t q = count / parts, r = count % parts;
  const uint64_t begin = i * q + std::min(i, r);
  return {begin, begin + q + (i < r ? 1 : 0)};
}

/// Row blocks of A that cores load when K fits one slice: output tiles are dealt in contiguous
/// blocks with n fastest, and a core reloads A only when its row block changes.
inline uint64_t row_blocks_loaded(uint64_t out_tiles, uint64_t tn, uint64_t cores) {
  uint64_t loads = 0;
  for (uint64_t c = 0; c < cores; ++c) {
    const auto [b, e] = block_of(out_tiles, cores, c);
    if (e > b) loads += (e - 1) / tn - b / tn + 1;
  }
  return loads;
}

/// The lowest estimate among `fits`.
inline double best_estimate(const std::vector<std::pair<double, TilePlan>>& fits) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& f : fits) best = std::min(best, f.first);
  return best;
}

/// Tilings within kPlanTolerance of the fastest estimate count as equally fast; of those, the one
/// with the fewest steps wins (fewer descriptors and synchronisations, as a compiler would choose),
/// and of equal steps (the same tiling over more or fewer cores) the lower estimate.
inline TilePlan fastest(const std::vector<std::pair<double, TilePlan>>& fits) {
  const double best_cost = best_estimate(fits);
  const std::pair<double, TilePlan>* best = nullptr;
  for (const auto& f : fits)
    if (f.first <= best_cost * kPlanTolerance &&
        (!best || f.second.steps < best->second.steps ||
         (f.second.steps == best->second.steps && f.first < best->first)))
      best = &f;
  return best->second;
}

/// The same tiling (steps and format follow from these).
inline bool same_tiling(const TilePlan& a, const TilePlan& b) {
  return a.mt == b.mt && a.nt == b.nt && a.kt == b.kt && a.cores == b.cores &&
         a.images == b.images && a.out_rows == b.out_rows && a.out_cols == b.out_cols &&
         a.n_major == b.n_major;
}

/// The tilings fastest() passed over that the estimate cannot tell from it: within
/// kSearchTolerance of the best estimate, best estimate first, while their steps together stay
/// within `budget`. Tilings of equal estimate are one group that the budget does not split (up
/// to twice the budget): more SRAM or bandwidth adds candidates ahead of them, and a group cut
/// at the budget would drop the one the smaller chip ran. The mapping search simulates them
/// beside the chosen one and keeps the fastest, so which of them runs is the engine's choice.
inline std::vector<TilePlan> near_ties(const std::vector<std::pair<double, TilePlan>>& fits,
                                       const TilePlan& chosen, uint64_t budget) {
  const double best_cost = best_estimate(fits);
  std::vector<const std::pair<double, TilePlan>*> ties;
  for (const auto& f : fits)
    if (f.first <= best_cost * kSearchTolerance && !same_tiling(f.second, chosen))
      ties.push_back(&f);
  std::stable_sort(ties.begin(), ties.end(),
                   [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<TilePlan> out;
  uint64_t steps = 0;
  for (size_t i = 0; i < ties.size(); ++i) {
    const uint64_t after = steps + ties[i]->second.steps;
    const bool same_group = i > 0 && ties[i]->first == ties[i - 1]->first;
    if (after > budget && (!same_group || after > 2 * budget)) break;
    steps = after;
    out.push_back(ties[i]->second);
  }
  return out;
}

/// The core counts a GEMM or dense conv planner tries, ascending: the chip's, halved until 1
/// (6: 1, 3, 6). A chip with twice the cores keeps every choice it had.
inline std::vector<uint64_t> core_choices(uint64_t chip_cores) {
  std::vector<uint64_t> c;
  for (uint64_t n = chip_cores; n >= 1; n /= 2) c.insert(c.begin(), n);
  return c;
}

/// The cores a plan deals its output tiles over (TilePlan::cores; 0: all of the chip's).
inline uint64_t cores_used(const TilePlan& p, uint64_t chip_cores) {
  return p.cores == 0 ? chip_cores : std::min(p.cores, chip_cores);
}

inline std::string bytes_text(uint64_t bytes) {
  return std::to_string(bytes) + " B";
}

[[noreturn]] inline void fail_steps(const Op& op, const std::string& what) {
  fail(op, "this " + what +
               " is too large to simulate on this chip: every tiling that fits the "
               "core's SRAM takes more than " +
               std::to_string(kMaxPlanSteps) +
               " tile steps (npusim's limit for one op); give the core more SRAM or split the op");
}

}  // namespace npu::lower_detail
