#include "vector_unit_config.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace npu {

namespace {
// Operation counts per kind. These are the usual decompositions (an assumption, not measured):
// softmax = max, subtract, exp, sum, multiply by the row's reciprocal; layernorm = sum, sub,
// square-accumulate, sub, mul, mul, add plus one rsqrt per row; RMSNorm = square-accumulate, mul,
// mul plus one rsqrt per row; GELU (tanh form) = 7 ALU ops and one tanh; SiLU = exp, add,
// reciprocal, mul; RoPE = two multiplies and an add per element with cos/sin tables resident.
// Window kinds, per output element of a `taps`-input window: depthwise = one multiply-accumulate
// per tap (an FMA-class vector instruction, as HVX's vmpa/vrmpy; an assumption); max pool = one
// max per tap; average pool = one add per tap and one multiply by 1 / taps.
struct KindCost {
  VectorKind kind;
  std::string_view name;
  uint32_t inputs;  ///< the window kinds' second input is the depthwise weights
  uint32_t alu_per_elem;
  uint32_t sfu_per_elem;
  uint32_t sfu_per_row;
  uint32_t alu_per_tap = 0;  ///< window kinds: ALU ops per input of the window
};
constexpr std::array<KindCost, 12> kCosts = {{
    {VectorKind::kAdd, "add", 2, 1, 0, 0},
    {VectorKind::kMul, "mul", 2, 1, 0, 0},
    {VectorKind::kSoftmax, "softmax", 1, 4, 1, 1},
    {VectorKind::kLayerNorm, "layernorm", 1, 7, 0, 1},
    {VectorKind::kRmsNorm, "rmsnorm", 1, 3, 0, 1},
    {VectorKind::kGelu, "gelu", 1, 7, 1, 0},
    {VectorKind::kSilu, "silu", 1, 2, 2, 0},
    {VectorKind::kCopy, "copy", 1, 1, 0, 0},
    {VectorKind::kRope, "rope", 1, 3, 0, 0},
    {VectorKind::kDepthwise, "depthwise", 2, 0, 0, 0, 1},
    {VectorKind::kMaxPool, "maxpool", 1, 0, 0, 0, 1},
    {VectorKind::kAvgPool, "avgpool", 1, 1, 0, 0, 1},
}};
static_assert(kCosts.size() == kAllVectorKinds.size());

const KindCost& cost_of(VectorKind k) {
  return kCosts[static_cast<size_t>(k)];
}
}  // namespace

std::string_view vector_kind_name(VectorKind k) {
  return cost_of(k).name;
}
uint32_t vector_kind_inputs(VectorKind k) {
  return cost_of(k).inputs;
}

std::optional<VectorKind> parse_vector_kind(std::string_view s) {
  for (const auto& c : kCosts)
    if (c.name == s) return c.kind;
  return std::nullopt;
}

VectorTiming vector_timing(const VectorUnitConfig& cfg, VectorKind kind, uint64_t rows,
                           uint64_t cols, uint64_t taps) {
  const KindCost& c = cost_of(kind);
  VectorTiming t;
  const uint64_t elems = rows * cols;
  t.alu_ops = elems * (c.alu_per_elem + (c.alu_per_tap > 0 ? c.alu_per_tap * taps : 0));
  if (kind == VectorKind::kDepthwise) t.macs = elems * taps;
  t.sfu_ops = elems * c.sfu_per_elem + rows * c.sfu_per_row;
  if (elems == 0) return t;
  if (const double measured = cfg.cycles_per_element[static_cast<size_t>(kind)]; measured > 0) {
    // Clamped far above any run the limits let through (sim/run_limits.h), never past 2^62.
    const double cycles = std::ceil(static_cast<double>(elems) * measured);
    constexpr double kCap = 0x1p62;
    t.cycles = cfg.pipeline_latency_cycles +
               (cycles >= kCap ? uint64_t{1} << 62 : static_cast<uint64_t>(cycles));
    return t;
  }
  const uint64_t alu_cycles =
      ceil_div(t.alu_ops, static_cast<uint64_t>(cfg.lanes) * cfg.ops_per_lane_per_cycle);
  const uint64_t sfu_cycles = t.sfu_ops == 0 ? 0 : ceil_div(t.sfu_ops, cfg.sfu_ops_per_cycle);
  t.cycles = cfg.pipeline_latency_cycles + std::max(alu_cycles, sfu_cycles);
  return t;
}

}  // namespace npu
