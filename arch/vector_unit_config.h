// Vector unit: `lanes` SIMD lanes, each doing `ops_per_lane_per_cycle` ALU ops per cycle, and a
// special-function unit (exp, rsqrt, reciprocal, tanh) with its own throughput.
//
// A vector pass over a rows x cols tile costs
//   cycles = pipeline_latency + max(ceil(alu_ops / (lanes * ops_per_lane)),
//                                   ceil(sfu_ops / sfu_ops_per_cycle))
// where alu_ops and sfu_ops come from the per-element and per-row costs of the kind (table in
// vector_unit_config.cpp), or, for a kind the chip gives a measured kernel cost,
//   cycles = pipeline_latency + ceil(elements x cycles_per_element[kind]).
// The core further bounds a pass by its SRAM bandwidth.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "types.h"

namespace npu {

enum class VectorKind : uint8_t {
  kAdd,        ///< eltwise a + b
  kMul,        ///< eltwise a * b
  kSoftmax,    ///< row-wise softmax (max, sub, exp, sum, reciprocal, scale)
  kLayerNorm,  ///< row-wise (x - mean) * rsqrt(var + eps) * gamma + beta
  kRmsNorm,    ///< row-wise x * rsqrt(mean(x^2) + eps) * gamma
  kGelu,       ///< tanh-approximated GELU
  kSilu,       ///< x * sigmoid(x)
  kCopy,       ///< format conversion / (de)quantisation pass
  kRope,       ///< rotary embedding: x * cos + rotate(x) * sin (tables resident in SRAM)
  // Window kinds: each output element reduces `taps` inputs (an r x s window of its channel).
  kDepthwise,  ///< depthwise convolution: `taps` multiply-accumulates per output element
  kMaxPool,    ///< max over `taps` inputs per output element
  kAvgPool,    ///< sum over `taps` inputs, then one multiply by 1 / taps
};
inline constexpr std::array<VectorKind, 12> kAllVectorKinds = {
    VectorKind::kAdd,     VectorKind::kMul,       VectorKind::kSoftmax, VectorKind::kLayerNorm,
    VectorKind::kRmsNorm, VectorKind::kGelu,      VectorKind::kSilu,    VectorKind::kCopy,
    VectorKind::kRope,    VectorKind::kDepthwise, VectorKind::kMaxPool, VectorKind::kAvgPool};
std::string_view vector_kind_name(VectorKind k);
std::optional<VectorKind> parse_vector_kind(std::string_view s);
/// Number of input tensors of the kind (2 for add/mul, else 1).
uint32_t vector_kind_inputs(VectorKind k);

struct VectorUnitConfig {
  uint32_t lanes = 64;
  uint32_t ops_per_lane_per_cycle = 1;
  uint32_t sfu_ops_per_cycle = 4;
  uint32_t pipeline_latency_cycles = 8;
  /// Per kind (indexed as kAllVectorKinds), a measured kernel's cycles per output element on this
  /// vector unit, replacing the operation counts above for its time (not for its energy); 0: not
  /// given. For vector units whose kernels a vendor has characterised (Intel's SHAVE DSPs).
  std::array<double, kAllVectorKinds.size()> cycles_per_element{};
};

struct VectorTiming {
  uint64_t alu_ops = 0;
  uint64_t sfu_ops = 0;
  uint64_t macs = 0;  ///< multiply-accumulates among the ALU ops (depthwise only)
  uint64_t cycles = 0;
};

/// `taps` (inputs per output element) applies to the window kinds only.
VectorTiming vector_timing(const VectorUnitConfig& cfg, VectorKind kind, uint64_t rows,
                           uint64_t cols, uint64_t taps = 1);

}  // namespace npu
