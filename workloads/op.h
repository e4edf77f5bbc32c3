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
  kRope,       ///< rotary position embedding over rows x cols (cols even): x*cos + rot(x)*sin
  kGather,     ///< rows rows of cols elements picked from a table in DRAM (embedding lookup)
  kAttention,  ///< fused (flash) attention, see below
};
std::string op_kind_name(OpKind k);
/// The kinds the vector unit runs (rows x cols passes), including rope and gather's copy.
bool is_vector_kind(OpKind k);

/// Where a tensor lives before (operand) or after (result) the op.
enum class Location : uint8_t { kDram, kSram };
std::string location_name(Location l);

/// One op. Shapes by kind:
/// - gemm: C[m,n] = A[m,k] x B[k,n], `batch` independent instances. B may carry group-wise
///   scales: one fp16 scale per `b_group` elements (0 = none), whose bytes count (int4 weights
///   with group 32 are 4.5 bits per weight).
/// - vector kinds and gather: rows x cols elements.
/// - attention (flash-style, fused): `batch` independent groups (sequence x KV head), each with
///   `m` query rows (`group` query heads sharing the KV head x the query positions, ordered
///   position-major: row r is position r / group), `n` keys and values, head dimension `k`.
///   A = Q and C = O in a_format/c_format, K and V in b_format. With `causal`, query position p
///   (of m / group) sees the first n - m/group + p + 1 keys.
struct Op {
  std::string name;
  OpKind kind = OpKind::kGemm;
  // GEMM and attention shape
  uint64_t m = 0, k = 0, n = 0;
  uint64_t batch = 1;
  uint32_t b_group = 0;  ///< gemm: elements of B per fp16 scale; 0 = no scales
  uint32_t group = 1;    ///< attention: query heads per KV head
  bool causal = false;   ///< attention: causal mask
  Format a_format = Format::kInt8, b_format = Format::kInt8, c_format = Format::kInt8;
  Location a_loc = Location::kDram, b_loc = Location::kDram, c_loc = Location::kDram;
  // Vector op shape: rows x cols elements; the input in a_format (the second input of add/mul in
  // b_format), the result in c_format.
  uint64_t rows = 0, cols = 0;
  // Tags for reports (layer index, op class, phase and decode step); free text, may be empty.
  std::string layer;
  std::string op_class;
  std::string phase;  ///< "prefill", "decode" or empty
  uint32_t step = 0;  ///< decode step (0-based) within the phase
  // Where the op was written (trace file, 1-based line/col, key path such as `ops[3]`), so errors
  // found later (a tile that cannot fit) point at it. Empty for generated ops.
  std::string src_file;
  int src_line = 0, src_col = 0;
  std::string src_key;

  /// Useful MACs: the GEMM's, or attention's Q x K^T and P x V over the keys each query sees.
  uint64_t macs() const;
  /// Bytes of B (a GEMM's weights) with its group-wise scales.
  uint64_t b_bytes(uint64_t elems) const;
};

/// Whether two ops are the same op: every field equal but where it was written (src_*).
bool same_op(const Op& a, const Op& b);

}  // namespace npu
