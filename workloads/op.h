// Ops of a workload: what the model (or a trace file) asks the chip to do, with shapes, number
// formats and where each operand lives. Ops run in order; each one starts when the previous one
// has finished on every core.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
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
  kConv2d,     ///< 2-D convolution (dense or depthwise), NHWC, see ConvShape
  kMaxPool,    ///< max over an r x s window, per channel
  kAvgPool,    ///< average over an r x s window, per channel (r x s = h x w: global)
  kEltwise,    ///< a generic one-input element-wise pass, rows x cols: one ALU op per element
};

/// How an op's shape is given: m, k, n (and batch) for gemm and attention; rows x cols for the
/// vector kinds (rope and gather included); a ConvShape (and batch) for conv2d and the pools.
enum class ShapeClass : uint8_t { kMatrix, kVector, kSpatial };

/// Everything that is said about an op kind in one place: its name (in traces and reports), its
/// shape class, which trace keys beyond its shape class's it takes, and the format of its
/// operands when a trace gives none. The trace loader and writer, the reports and the lowering's
/// kind tests derive from this table; a new kind is an enum value, a row here and its cost model.
struct OpKindInfo {
  OpKind kind;
  const char* name;
  ShapeClass shape;
  bool second_input;  ///< takes B (`b`, `b_format`): weights, K and V, an eltwise's other input
  bool b_group;       ///< `b_group`: B carries group-wise scales (gemm)
  bool query_groups;  ///< `group` and `causal` (attention)
  bool filters;       ///< `filters` and `groups` (conv2d)
  Format default_format;
};

// clang-format off
inline constexpr OpKindInfo kOpKinds[] = {
  // kind                name         shape                second b_group groups filters default
  {OpKind::kGemm,      "gemm",      ShapeClass::kMatrix,  true,  true,  false, false, Format::kInt8},
  {OpKind::kAdd,       "add",       ShapeClass::kVector,  true,  false, false, false, Format::kFp16},
  {OpKind::kMul,       "mul",       ShapeClass::kVector,  true,  false, false, false, Format::kFp16},
  {OpKind::kSoftmax,   "softmax",   ShapeClass::kVector,  false, false, false, false, Format::kFp16},
  {OpKind::kLayerNorm, "layernorm", ShapeClass::kVector,  false, false, false, false, Format::kFp16},
  {OpKind::kRmsNorm,   "rmsnorm",   ShapeClass::kVector,  false, false, false, false, Format::kFp16},
  {OpKind::kGelu,      "gelu",      ShapeClass::kVector,  false, false, false, false, Format::kFp16},
  {OpKind::kSilu,      "silu",      ShapeClass::kVector,  false, false, false, false, Format::kFp16},
  {OpKind::kRope,      "rope",      ShapeClass::kVector,  false, false, false, false, Format::kFp16},
  {OpKind::kGather,    "gather",    ShapeClass::kVector,  false, false, false, false, Format::kFp16},
  {OpKind::kAttention, "attention", ShapeClass::kMatrix,  true,  false, true,  false, Format::kFp16},
  {OpKind::kConv2d,    "conv2d",    ShapeClass::kSpatial, true,  false, false, true,  Format::kInt8},
  {OpKind::kMaxPool,   "maxpool",   ShapeClass::kSpatial, false, false, false, false, Format::kFp16},
  {OpKind::kAvgPool,   "avgpool",   ShapeClass::kSpatial, false, false, false, false, Format::kFp16},
  {OpKind::kEltwise,   "eltwise",   ShapeClass::kVector,  false, false, false, false, Format::kFp16},
};
// clang-format on

constexpr bool op_kinds_in_enum_order() {
  for (size_t i = 0; i < std::size(kOpKinds); ++i)
    if (static_cast<size_t>(kOpKinds[i].kind) != i) return false;
  return std::size(kOpKinds) == static_cast<size_t>(OpKind::kEltwise) + 1;
}
static_assert(op_kinds_in_enum_order(), "kOpKinds: one row per OpKind, in enum order");

constexpr const OpKindInfo& op_kind_info(OpKind k) {
  return kOpKinds[static_cast<size_t>(k)];
}
std::string op_kind_name(OpKind k);
/// The kinds the vector unit runs (rows x cols passes), including rope and gather's copy. The
/// spatial kinds (conv2d, maxpool, avgpool) are not: their shape is a ConvShape.
constexpr bool is_vector_kind(OpKind k) {
  return op_kind_info(k).shape == ShapeClass::kVector;
}
/// conv2d, maxpool and avgpool: ops whose shape is a ConvShape.
constexpr bool is_spatial_kind(OpKind k) {
  return op_kind_info(k).shape == ShapeClass::kSpatial;
}

/// Shape of a spatial op (conv2d, maxpool, avgpool), NHWC: `Op::batch` images of h x w pixels of
/// c channels, an r x s window moved by `stride` over the input padded by `pad` zeros on every
/// side. conv2d has f filters and `groups` 1 (dense) or c == f (depthwise); pools keep the
/// channels (f = 0, groups = 1).
struct ConvShape {
  uint64_t h = 0, w = 0, c = 0, f = 0;
  uint64_t r = 0, s = 0;
  uint64_t stride = 1, pad = 0;
  uint64_t groups = 1;

  /// Output rows and columns: (h + 2 pad - r) / stride + 1 (the window fits the padded input).
  uint64_t out_h() const { return (h + 2 * pad - r) / stride + 1; }
  uint64_t out_w() const { return (w + 2 * pad - s) / stride + 1; }
  bool depthwise() const { return groups > 1; }
};

/// Keys the query positions [p0, p1) of an attention op read (one head): with a causal mask, from
/// the window's start at p0 to p1's own key; without, all n. Positions count from 0 at the first
/// query, which sits after the n - m / group keys of the cache.
uint64_t attention_keys(const struct Op& op, uint64_t p0, uint64_t p1);

/// Input indices in [0, in) read by the windows of outputs [first, first + count) along one
/// axis: output o reads [o * stride - pad, o * stride - pad + kernel). Exact, O(1); padding
/// is not counted (it is never loaded). Needs first + count <= the axis's output size.
uint64_t covered_inputs(uint64_t first, uint64_t count, uint64_t kernel, uint64_t stride,
                        uint64_t pad, uint64_t in);

/// Where a tensor lives before (operand) or after (result) the op.
enum class Location : uint8_t { kDram, kSram };
const char* location_name(Location l);

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
/// - conv2d, maxpool, avgpool: `conv` (ConvShape) with `batch` images; A = the input
///   activations, B = a conv's weights (r x s x c x f dense, r x s x c depthwise), C = the output.
struct Op {
  /// Every member has its initializer below. Provided, so that a new op (the transformer builder
  /// makes hundreds of thousands) is not zero-filled first.
  Op() {}  // not `= default`: `Op()` would then zero the whole op before its initializers
  std::string name;
  OpKind kind = OpKind::kGemm;
  // GEMM and attention shape
  uint64_t m = 0, k = 0, n = 0;
  uint64_t batch = 1;
  uint32_t b_group = 0;  ///< gemm: elements of B per fp16 scale; 0 = no scales
  uint32_t group = 1;    ///< attention: query heads per KV head
  bool causal = false;   ///< attention: causal mask
  /// Attention with a causal mask: a sliding window, each query sees only the latest `window`
  /// keys up to its own position (Mistral, Gemma's local layers); 0 = every key up to it.
  uint64_t window = 0;
  /// Attention: a paged KV cache of `kv_block` positions a page (vLLM's block size): K and V are
  /// read page by page, one DMA transfer per page a block of keys touches; 0 = contiguous.
  uint64_t kv_block = 0;
  /// Attention: the scores pass through c x tanh(x / c) before the softmax (Gemma 2's logit
  /// soft-capping), costed as a GELU pass over them (a tanh and a few multiplies each).
  bool softcap = false;
  Format a_format = Format::kInt8, b_format = Format::kInt8, c_format = Format::kInt8;
  Location a_loc = Location::kDram, b_loc = Location::kDram, c_loc = Location::kDram;
  /// The graph: how many ops back the op that produced A (B) is, 1 = the previous op; 0 = not an
  /// op of this run (a model input, weights, the KV cache). Used by the compiled schedule
  /// (sim/compile.h); an isolated run ignores it.
  uint32_t a_from = 0, b_from = 0;
  // Vector op shape: rows x cols elements; the input in a_format (the second input of add/mul in
  // b_format), the result in c_format.
  uint64_t rows = 0, cols = 0;
  // Spatial op shape (conv2d, maxpool, avgpool); the images are `batch`.
  ConvShape conv;
  // Tags for reports (layer index, op class, phase and decode step); free text, may be empty.
  std::string layer;
  std::string op_class;
  std::string phase;  ///< "prefill", "decode" or empty
  uint32_t step = 0;  ///< decode step (0-based) within the phase
  /// Mixture of experts: the routed expert (0-based) whose FFN the op belongs to; none for
  /// every other op (the router, shared experts, attention, ...).
  std::optional<uint32_t> expert;
  // Where the op was written (trace file, 1-based line/col, key path such as `ops[3]`), so errors
  // found later (a tile that cannot fit) point at it. Empty for generated ops.
  std::string src_file;
  int src_line = 0, src_col = 0;
  std::string src_key;

  /// Useful MACs: the GEMM's, attention's Q x K^T and P x V over the keys each query sees, or a
  /// conv's batch x out_h x out_w x f x r x s x c / groups (pools: 0).
  uint64_t macs() const;
  /// Bytes of B (a GEMM's weights) with its group-wise scales.
  uint64_t b_bytes(uint64_t elems) const;
  /// Elements of A, of B (attention: K and V together; 0 for one-input kinds) and of C.
  uint64_t a_elems() const;
  uint64_t b_elems() const;
  uint64_t c_elems() const;
};

/// Whether a trace op without `a_from` reads the result of `prev`, the op before it: when both are
/// in the same phase and step, `op` is not a gather (its A is a table) and `prev`'s result has
/// A's number of elements (a change of format between them is a conversion the compiler folds
/// into the producer's output stage). The trace reader and writer share this rule.
bool reads_previous_by_default(const Op& prev, const Op& op);

/// Everything about an op that decides its timing — shape, formats, locations — packed into
/// numbers (no text is formatted, so building one costs a few stores). Names, tags and origin
/// are left out: ops with equal signatures cost the same on an idle chip, which is what the
/// lowering's plan cache and the scheduler's replay key on.
struct OpSignature {
  std::array<uint64_t, 19> words{};
  bool operator==(const OpSignature& o) const { return words == o.words; }
  bool operator!=(const OpSignature& o) const { return words != o.words; }
};
/// splitmix64's finaliser: every bit of `w` reaches every bit of the result.
constexpr uint64_t mix64(uint64_t w) {
  w ^= w >> 30;
  w *= 0xbf58476d1ce4e5b9ULL;
  w ^= w >> 27;
  w *= 0x94d049bb133111ebULL;
  return w ^ (w >> 31);
}
/// A hash of numbers: each word times an odd constant of its own position, summed (independent
/// multiplies, no chain through the words), then mixed once. Table keys are compared in full, so
/// this only needs to spread them.
template <size_t N>
size_t hash_words(const std::array<uint64_t, N>& words) {
  static constexpr std::array<uint64_t, N> kFactor = [] {
    std::array<uint64_t, N> f{};
    for (size_t i = 0; i < N; ++i) f[i] = mix64(i + 1) | 1;
    return f;
  }();
  uint64_t h = 0;
  for (size_t i = 0; i < N; ++i) h += words[i] * kFactor[i];
  return static_cast<size_t>(mix64(h));
}
struct OpSignatureHash {
  size_t operator()(const OpSignature& s) const { return hash_words(s.words); }
};
OpSignature op_signature(const Op& op);

/// Whether two ops are the same op: every field equal but where it was written (src_*).
bool same_op(const Op& a, const Op& b);

}  // namespace npu
