#include "commands.h"

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

}  // namespace npu
