#include "op.h"

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
  }
  return "?";
}

bool is_vector_kind(OpKind k) {
  return k != OpKind::kGemm;
}

std::string location_name(Location l) {
  return l == Location::kDram ? "dram" : "sram";
}

}  // namespace npu
