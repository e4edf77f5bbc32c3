#include "op.h"

#include <algorithm>
#include <tuple>

namespace npu {

std::string op_kind_name(OpKind k) {
  return op_kind_info(k).name;
}

uint64_t covered_inputs(uint64_t first, uint64_t count, uint64_t kernel, uint64_t stride,
                        uint64_t pad, uint64_t in) {
  if (count == 0) return 0;
  // Signed: windows start up to `pad` before the input. o * stride <= in + 2 pad - kernel for
  // every output o, so nothing here leaves 64 bits for dimensions of at most 2^32.
  const auto k = static_cast<int64_t>(kernel), st = static_cast<int64_t>(stride),
             p = static_cast<int64_t>(pad), n = static_cast<int64_t>(in);
  const auto o0 = static_cast<int64_t>(first), o1 = static_cast<int64_t>(first + count - 1);
  if (st <= k) {  // windows overlap or touch: their union is one interval
    const int64_t lo = std::max<int64_t>(o0 * st - p, 0);
    const int64_t hi = std::min<int64_t>(o1 * st - p + k, n);
    return hi > lo ? static_cast<uint64_t>(hi - lo) : 0;
  }
  // Disjoint windows (stride > kernel, e.g. a 1x1 conv of stride 2): g(x) counts the indices
  // below x that some window reads; the answer is g(in) - g(0).
  auto g = [&](int64_t x) {
    // Windows ending at or before x are whole: o * st - p + k <= x.
    const int64_t num = x + p - k;
    const int64_t last_whole = num >= 0 ? num / st : -((-num + st - 1) / st);  // floor
    const int64_t whole = std::clamp<int64_t>(last_whole - o0 + 1, 0, o1 - o0 + 1);
    int64_t sum = whole * k;
    const int64_t o = o0 + whole;  // the next window may straddle x (only one can)
    if (o <= o1) sum += std::clamp<int64_t>(x - (o * st - p), 0, k);
    return sum;
  };
  return static_cast<uint64_t>(g(n) - g(0));
}

uint64_t attention_keys(const Op& op, uint64_t p0, uint64_t p1) {
  if (!op.causal) return op.n;
  const uint64_t offset = op.n - op.m / op.group;  // keys before the first query (the cache)
  const uint64_t end = offset + p1;                // the last position's keys end here
  const uint64_t first = offset + p0 + 1;          // the first position sees [0, first)
  const uint64_t start = op.window > 0 && first > op.window ? first - op.window : 0;
  return end - start;
}

namespace {
/// Keys seen by the m query rows of one attention group, summed over the rows.
uint64_t visible_keys(const Op& op) {
  if (!op.causal) return op.m * op.n;
  const uint64_t positions = op.m / op.group;
  const uint64_t offset = op.n - positions;  // keys before the first query (the cache)
  // each of the group's heads: sum over p of (offset + p + 1), each at most the window
  uint64_t full = positions * offset + positions * (positions + 1) / 2;
  if (op.window > 0 && offset + positions > op.window) {
    // Positions whose keys exceed the window (offset + p + 1 > w, p >= w - offset - 1) see w.
    const uint64_t p0 = op.window > offset ? op.window - offset : 0;  // first capped position
    const uint64_t capped = positions - std::min(positions, p0);
    // Their full counts, offset + p + 1 for p in [p0, positions), less w each.
    const uint64_t sum_full = capped * offset + (positions * (positions + 1) - p0 * (p0 + 1)) / 2;
    full -= sum_full - capped * op.window;
  }
  return op.group * full;
}
}  // namespace

uint64_t Op::macs() const {
  switch (kind) {
    case OpKind::kGemm:
      return batch * m * k * n;
    case OpKind::kAttention:
      return batch * 2 * k * visible_keys(*this);
    case OpKind::kConv2d:
      // c / groups input channels per filter: c dense, 1 depthwise.
      return batch * conv.out_h() * conv.out_w() * conv.f * conv.r * conv.s *
             (conv.c / conv.groups);
    default:
      return 0;
  }
}

uint64_t Op::b_bytes(uint64_t elems) const {
  return bytes_of(elems, b_format) + (b_group > 0 ? ceil_div(elems, b_group) * 2 : 0);
}

uint64_t Op::a_elems() const {
  switch (op_kind_info(kind).shape) {
    case ShapeClass::kMatrix:
      return batch * m * k;
    case ShapeClass::kVector:
      return rows * cols;
    case ShapeClass::kSpatial:
      return batch * conv.h * conv.w * conv.c;
  }
  return 0;
}

uint64_t Op::b_elems() const {
  if (!op_kind_info(kind).second_input) return 0;
  switch (kind) {
    case OpKind::kGemm:
      return batch * k * n;
    case OpKind::kAttention:
      return 2 * batch * n * k;
    case OpKind::kConv2d:
      return conv.r * conv.s * conv.c * (conv.depthwise() ? 1 : conv.f);
    default:
      return rows * cols;
  }
}

uint64_t Op::c_elems() const {
  switch (op_kind_info(kind).shape) {
    case ShapeClass::kMatrix:
      return batch * m * (kind == OpKind::kAttention ? k : n);
    case ShapeClass::kVector:
      return rows * cols;
    case ShapeClass::kSpatial:
      return batch * conv.out_h() * conv.out_w() * (kind == OpKind::kConv2d ? conv.f : conv.c);
  }
  return 0;
}

bool reads_previous_by_default(const Op& prev, const Op& op) {
  return op.kind != OpKind::kGather && prev.phase == op.phase && prev.step == op.step &&
         prev.c_elems() == op.a_elems();
}

OpSignature op_signature(const Op& op) {
  const ConvShape& c = op.conv;
  // The small fields share one word: kind, causal, three formats and three locations.
  const uint64_t small = static_cast<uint64_t>(op.kind) | uint64_t{op.causal} << 8 |
                         uint64_t{op.softcap} << 9 |
                         uint64_t{static_cast<uint8_t>(op.a_format)} << 16 |
                         uint64_t{static_cast<uint8_t>(op.b_format)} << 24 |
                         uint64_t{static_cast<uint8_t>(op.c_format)} << 32 |
                         uint64_t{static_cast<uint8_t>(op.a_loc)} << 40 |
                         uint64_t{static_cast<uint8_t>(op.b_loc)} << 48 |
                         uint64_t{static_cast<uint8_t>(op.c_loc)} << 56;
  return {{small, op.batch, op.m, op.k, op.n, op.rows, op.cols,
           uint64_t{op.b_group} << 32 | op.group, c.h, c.w, c.c, c.f, c.r, c.s, c.stride, c.pad,
           c.groups, op.window, op.kv_block}};
}

bool same_op(const Op& a, const Op& b) {
  auto fields = [](const Op& o) {
    return std::tie(o.name, o.kind, o.m, o.k, o.n, o.batch, o.b_group, o.group, o.causal, o.window,
                    o.kv_block, o.softcap, o.a_format, o.b_format, o.c_format, o.a_loc, o.b_loc,
                    o.c_loc, o.rows, o.cols, o.conv.h, o.conv.w, o.conv.c, o.conv.f, o.conv.r,
                    o.conv.s, o.conv.stride, o.conv.pad, o.conv.groups, o.layer, o.op_class,
                    o.phase, o.step, o.expert, o.a_from, o.b_from);
  };
  return fields(a) == fields(b);
}

const char* location_name(Location l) {
  return l == Location::kDram ? "dram" : "sram";
}

}  // namespace npu
