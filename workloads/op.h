// Ops of a workload: what the model (or a trace file) asks the chip to do, with shapes, number
// formats and where each operand lives. Ops run in order; each one starts when the previous one
// has finished on every core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../arch/types.h"  // number formats: the shared vocabulary, no hardware

namespace npu {

enum class OpKind : uint8_t {
  kGemm,       ///< C[m,n] = A[m,k] x B[k,n], `batch` independent instances
  kAdd,        ///< eltwise, rows x cols
  kMul,        ///< eltwise, rows x cols
  kSoftmax,    ///< row-wise over cols
  kLayerNorm,  ///< row-wise over cols
  kRmsNorm,    ///< row-wise over cols
  kGelu,       ///< eltwise
  kSilu,       ///< eltwise
};
std::string op_kind_name(OpKind k);
bool is_vector_kind(OpKind k);

/// Where a tensor lives before (operand) or after (result) the op.
enum class Location : uint8_t { kDram, kSram };
std::string location_name(Location l);

struct Op {
  std::string name;
  OpKind kind = OpKind::kGemm;
  // GEMM shape
  uint64_t m = 0, k = 0, n = 0;
  uint64_t batch = 1;
  Format a_format = Format::kInt8, b_format = Format::kInt8, c_format = Format::kInt8;
  Location a_loc = Location::kDram, b_loc = Location::kDram, c_loc = Location::kDram;
  // Vector op shape: rows x cols elements; the input in a_format (the second input of add/mul in
  // b_format), the result in c_format.
  uint64_t rows = 0, cols = 0;
  // Tags for reports (layer index, op class); free text, may be empty.
  std::string layer;
  std::string op_class;
  // Where the op was written (trace file, 1-based line/col, key path such as `ops[3]`), so errors
  // found later (a tile that cannot fit) point at it. Empty for generated ops.
  std::string src_file;
  int src_line = 0, src_col = 0;
  std::string src_key;

  uint64_t macs() const { return kind == OpKind::kGemm ? batch * m * k * n : 0; }
};

}  // namespace npu
