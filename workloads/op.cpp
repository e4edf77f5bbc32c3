#include "op.h"

#include <tuple>

namespace npu {

std::string op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::kGemm:
      return "gemm";
    case OpKind::kAdd:
      return "add";
    case OpKind::kMul:
      return "mul";
    case OpKind::kSoftmax:
      return "softmax";
    case OpKind::kLayerNorm:
      return "layernorm";
    case OpKind::kRmsNorm:
      return "rmsnorm";
    case OpKind::kGelu:
      return "gelu";
    case OpKind::kSilu:
      return "silu";
    case OpKind::kRope:
      return "rope";
    case OpKind::kGather:
      return "gather";
    case OpKind::kAttention:
      return "attention";
  }
  return "?";
}

bool is_vector_kind(OpKind k) {
  return k != OpKind::kGemm && k != OpKind::kAttention;
}

namespace {
/// Keys seen by the m query rows of one attention group, summed over the rows.
uint64_t visible_keys(const Op& op) {
  if (!op.causal) return op.m * op.n;
  const uint64_t positions = op.m / op.group;
  const uint64_t offset = op.n - positions;  // keys before the first query (the cache)
  // each of the group's heads: sum over p of (offset + p + 1)
  return op.group * (positions * offset + positions * (positions + 1) / 2);
}
}  // namespace

uint64_t Op::macs() const {
  switch (kind) {
    case OpKind::kGemm:
      return batch * m * k * n;
    case OpKind::kAttention:
      return batch * 2 * k * visible_keys(*this);
    default:
      return 0;
  }
}

uint64_t Op::b_bytes(uint64_t elems) const {
  return bytes_of(elems, b_format) + (b_group > 0 ? ceil_div(elems, b_group) * 2 : 0);
}

bool same_op(const Op& a, const Op& b) {
  auto fields = [](const Op& o) {
    return std::tie(o.name, o.kind, o.m, o.k, o.n, o.batch, o.b_group, o.group, o.causal,
                    o.a_format, o.b_format, o.c_format, o.a_loc, o.b_loc, o.c_loc, o.rows, o.cols,
                    o.layer, o.op_class, o.phase, o.step);
  };
  return fields(a) == fields(b);
}

std::string location_name(Location l) {
  return l == Location::kDram ? "dram" : "sram";
}

}  // namespace npu
