#include "commands.h"

#include <algorithm>

namespace npu {

// A field added to these structs must be compared below (and then the size updated here).
static_assert(sizeof(DmaDescriptor) == 32 && sizeof(ArrayCommand) == 32 &&
              sizeof(VectorCommand) == 56 && sizeof(TileStep) == 608);

namespace {

bool same_descriptor(const DmaDescriptor& x, const DmaDescriptor& y) {
  return x.rows == y.rows && x.row_bytes == y.row_bytes && x.write == y.write &&
         x.gather == y.gather && x.pieces == y.pieces;
}

template <class T, size_t N, class Same>
bool same_list(const InlineList<T, N>& x, const InlineList<T, N>& y, Same same) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (!same(x[i], y[i])) return false;
  return true;
}

}  // namespace

bool operator==(const ArrayCommand& x, const ArrayCommand& y) {
  return x.m == y.m && x.k == y.k && x.n == y.n && x.compute == y.compute && x.a == y.a &&
         x.b == y.b;
}

bool operator==(const VectorCommand& x, const VectorCommand& y) {
  return x.kind == y.kind && x.rows == y.rows && x.cols == y.cols && x.in == y.in &&
         x.out == y.out && x.in2 == y.in2 && x.taps == y.taps && x.in_elems == y.in_elems &&
         x.in2_elems == y.in2_elems;
}

bool operator==(const Command& x, const Command& y) {
  if (x.unit != y.unit) return false;
  return x.unit == Unit::kArray ? x.array == y.array : x.vector == y.vector;
}

bool operator==(const TileStep& x, const TileStep& y) {
  const auto same_command = [](const Command& a, const Command& b) { return a == b; };
  return x.starts_output == y.starts_output && x.ends_output == y.ends_output &&
         same_list(x.loads, y.loads, same_descriptor) &&
         same_list(x.commands, y.commands, same_command) &&
         same_list(x.stores, y.stores, same_descriptor);
}

void StepRuns::push_back(const TileStep& s, uint64_t count) {
  if (count == 0) return;
  m_size += count;
  if (!m_runs.empty() && m_steps[m_runs.back().id] == s) {
    m_runs.back().count += count;
    return;
  }
  // An equal run among the last few (a GEMM's output tile: its first, middle and last k steps).
  constexpr size_t kLookBack = 4;
  auto id = static_cast<uint32_t>(m_steps.size());
  for (size_t j = 2; j <= std::min(kLookBack, m_runs.size()); ++j)
    if (m_steps[m_runs[m_runs.size() - j].id] == s) {
      id = m_runs[m_runs.size() - j].id;
      break;
    }
  if (id == m_steps.size()) m_steps.push_back(s);
  m_runs.push_back({count, m_size - count, id});
}

size_t StepRuns::run_at(uint64_t x) const {
  const auto it = std::upper_bound(m_runs.begin(), m_runs.end(), x,
                                   [](uint64_t v, const Run& r) { return v < r.first; });
  return static_cast<size_t>(it - m_runs.begin()) - 1;
}

uint64_t StepRuns::periodic_until(uint64_t from, uint64_t d) const {
  if (d == 0 || from + d >= m_size) return from;
  // Two cursors, at x and at x + d, move from run to run together.
  size_t a = run_at(from), b = run_at(from + d);
  uint64_t x = from;
  for (;;) {
    if (m_runs[a].id != m_runs[b].id) return x;
    const uint64_t a_end = m_runs[a].first + m_runs[a].count;
    const uint64_t b_end = m_runs[b].first + m_runs[b].count - d;  // as a position of x
    x = std::min(a_end, b_end);
    if (x + d >= m_size) return m_size - d;
    if (x == a_end) ++a;
    if (x == b_end) ++b;
  }
}

}  // namespace npu
