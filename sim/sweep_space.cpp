#include "sweep_space.h"

namespace npu {

size_t block_points(const SweepBlock& block, const std::vector<SweepAxis>& axes) {
  if (block.count == 0) return 1;
  if (block.mode == SweepMode::kZip) return axes[block.first].values.size();
  size_t n = 1;
  for (size_t i = block.first; i < block.first + block.count; ++i) n *= axes[i].values.size();
  return n;
}

size_t point_count(const Experiment& e) {
  size_t n = 1;
  for (const auto& b : e.blocks) n *= block_points(b, e.axes);
  return n;
}

std::vector<const config::Override*> point_values(const Experiment& e, size_t id) {
  std::vector<const config::Override*> out(e.axes.size());
  for (size_t b = e.blocks.size(); b-- > 0;) {
    const SweepBlock& block = e.blocks[b];
    const size_t n = block_points(block, e.axes);
    size_t local = id % n;
    id /= n;
    if (block.mode == SweepMode::kZip) {
      for (size_t i = block.first; i < block.first + block.count; ++i)
        out[i] = &e.axes[i].values.at(local);
      continue;
    }
    for (size_t i = block.first + block.count; i-- > block.first;) {
      const size_t m = e.axes[i].values.size();
      out[i] = &e.axes[i].values[local % m];
      local /= m;
    }
  }
  return out;
}

std::vector<std::string> swept_keys(const Experiment& e) {
  std::vector<std::string> k;
  for (const auto& a : e.axes) k.push_back(a.key);
  return k;
}

}  // namespace npu
