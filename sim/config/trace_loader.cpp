// load_trace: an op trace YAML (schema: configs/SCHEMA.md) to the ops it lists, in order.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "loaders.h"
#include "yaml_reader.h"

namespace npu {

namespace {

using config::EnumTable;
using config::MapReader;
using config::Value;

// Caps on shapes: each dimension fits 32 bits, and the products the engine forms stay well inside
// 64 bits (MACs, and elements x 32 bits when sizing a tensor in bytes).
constexpr uint64_t kMaxDim = uint64_t{1} << 32;
constexpr double kMaxMacs = 0x1p62;
constexpr double kMaxElems = 0x1p56;
constexpr uint32_t kMaxBGroup = uint32_t{1} << 20;  ///< elements of B per scale
constexpr uint32_t kMaxGroup = 65536;               ///< query heads per KV head
constexpr uint32_t kMaxStep = 0xFFFFFFFFu;          ///< Op::step is 32 bits

constexpr OpKind kKinds[] = {OpKind::kGemm,    OpKind::kAdd,       OpKind::kMul,
                             OpKind::kSoftmax, OpKind::kLayerNorm, OpKind::kRmsNorm,
                             OpKind::kGelu,    OpKind::kSilu,      OpKind::kRope,
                             OpKind::kGather,  OpKind::kAttention};
constexpr Location kLocations[] = {Location::kDram, Location::kSram};

// Keys by the ops they belong to.
const std::vector<std::string> kCommonKeys = {
    "name", "kind", "a", "c", "format", "a_format", "c_format", "layer", "class", "phase", "step"};
const std::vector<std::string> kMatrixKeys = {"m", "k", "n", "batch"};  // gemm and attention
const std::vector<std::string> kVectorKeys = {"rows", "cols"};
const std::vector<std::string> kSecondInputKeys = {"b", "b_format"};
const std::vector<std::string> kGemmOnlyKeys = {"b_group"};
const std::vector<std::string> kAttentionOnlyKeys = {"group", "causal"};

/// Ops with a second operand B: a GEMM's weights, attention's K and V, an eltwise add's or mul's
/// other input.
bool has_second_input(OpKind k) {
  return k == OpKind::kGemm || k == OpKind::kAttention || k == OpKind::kAdd || k == OpKind::kMul;
}

/// Fails at the first of `keys` present in `m`, explaining why it does not belong.
void reject_keys(const MapReader& m, const std::vector<std::string>& keys, const std::string& why) {
  for (const auto& key : keys)
    if (auto k = m.key(key)) k->fail("'" + key + "' does not apply to " + why);
}

void append(std::vector<std::string>& to, const std::vector<std::string>& keys) {
  to.insert(to.end(), keys.begin(), keys.end());
}

/// Where an op's name must be unique: its phase and step (a generated workload repeats its
/// names in every decode step).
using NameScope = std::tuple<std::string, uint32_t, std::string>;

std::string scope_text(const Op& op) {
  if (op.phase.empty() && op.step == 0) return "";
  return " in " + (op.phase.empty() ? std::string() : op.phase + " ") + "step " +
         std::to_string(op.step);
}

Op read_op(const Value& item, std::map<NameScope, int>& first_line_of_name) {
  static const EnumTable<OpKind> kinds = config::enum_table(kKinds, op_kind_name);
  static const EnumTable<Location> locations = config::enum_table(kLocations, location_name);
  static const EnumTable<Format> formats = config::enum_table(kAllFormats, format_name);
  static const EnumTable<std::string> phases = {{"prefill", "prefill"}, {"decode", "decode"}};

  MapReader m = item.as_map();
  Op op;
  // Where the op was written, so errors found later (the lowering) point at it.
  op.src_file = item.file();
  op.src_line = item.line();
  op.src_col = item.col();
  op.src_key = item.path();
  op.kind = m.require("kind").as_enum(kinds);
  const std::string kind = op_kind_name(op.kind);
  const std::string a_kind_op = (kind[0] == 'a' ? "an " : "a ") + kind + " op";  // "an add op"
  const bool gemm = op.kind == OpKind::kGemm;
  const bool attention = op.kind == OpKind::kAttention;
  const bool matrix = gemm || attention;
  const bool second = has_second_input(op.kind);

  // Keys of another kind are named as such, before the generic unknown-key check.
  const char* const shape = gemm        ? " (a gemm's shape is m, k, n and batch)"
                            : attention ? " (an attention op's shape is batch, m, n, k and group)"
                                        : " (a vector op's shape is rows and cols)";
  reject_keys(m, matrix ? kVectorKeys : kMatrixKeys, a_kind_op + shape);
  if (!gemm)
    reject_keys(m, kGemmOnlyKeys, a_kind_op + " (only a gemm's B carries group-wise scales)");
  if (!attention)
    reject_keys(m, kAttentionOnlyKeys,
                a_kind_op + " (only attention has query groups and a causal mask)");
  if (!second)
    reject_keys(m, kSecondInputKeys,
                a_kind_op + ": it has one input, 'a' (only gemm, attention, add and mul take 'b')");
  std::vector<std::string> keys = kCommonKeys;
  append(keys, matrix ? kMatrixKeys : kVectorKeys);
  if (gemm) append(keys, kGemmOnlyKeys);
  if (attention) append(keys, kAttentionOnlyKeys);
  if (second) append(keys, kSecondInputKeys);
  m.allow(keys);

  // Tags first: they scope the name's uniqueness.
  if (auto x = m.get("layer")) op.layer = x->as_string();
  if (auto x = m.get("class")) op.op_class = x->as_string();
  if (auto x = m.get("phase")) op.phase = x->as_enum(phases);
  if (auto x = m.get("step")) op.step = x->as_u32(0, kMaxStep);

  const Value name = m.require("name");
  op.name = name.as_string();
  const auto [first, inserted] =
      first_line_of_name.emplace(NameScope{op.phase, op.step, op.name}, name.line());
  if (!inserted)
    name.fail("duplicate op name '" + op.name + "'" + scope_text(op) + " (first used at line " +
              std::to_string(first->second) + ")");

  auto dim = [&](const char* key) { return m.require(key).as_uint(1, kMaxDim); };
  if (matrix) {
    op.m = dim("m");
    op.k = dim("k");
    op.n = dim("n");
    if (auto x = m.get("batch")) op.batch = x->as_uint(1, kMaxDim);
    const double b = static_cast<double>(op.batch);
    const double mm = static_cast<double>(op.m), k = static_cast<double>(op.k),
                 n = static_cast<double>(op.n);
    if (gemm) {
      if (auto x = m.get("b_group")) op.b_group = x->as_u32(1, kMaxBGroup);
      if (b * mm * k * n > kMaxMacs)
        item.fail("gemm too large: batch x m x k x n exceeds 2^62 MACs");
      if (b * mm * k > kMaxElems || b * k * n > kMaxElems || b * mm * n > kMaxElems)
        item.fail("gemm too large: an operand exceeds 2^56 elements");
    } else {
      if (auto x = m.get("group")) {
        op.group = x->as_u32(1, kMaxGroup);
        if (op.m % op.group != 0)
          x->fail("group (" + std::to_string(op.group) + ") must divide m (" +
                  std::to_string(op.m) + "): m is group query heads x the query positions");
      }
      if (auto x = m.get("causal")) op.causal = x->as_bool();
      const uint64_t positions = op.m / op.group;
      if (op.causal && positions > op.n)
        m.require("n").fail("with causal: true, n (" + std::to_string(op.n) +
                            " keys) must be at least m / group (" + std::to_string(positions) +
                            " query positions): the last query sees all n keys");
      // Q x K^T and P x V over at most every key.
      if (2 * b * mm * k * n > kMaxMacs)
        item.fail("attention too large: 2 x batch x m x n x k exceeds 2^62 MACs");
      if (b * mm * k > kMaxElems || 2 * b * n * k > kMaxElems)
        item.fail("attention too large: Q, K and V or O exceed 2^56 elements");
    }
  } else {
    op.rows = dim("rows");
    const Value cols = m.require("cols");
    op.cols = cols.as_uint(1, kMaxDim);
    if (op.kind == OpKind::kRope && op.cols % 2 != 0)
      cols.fail("a rope op rotates pairs of elements: cols must be even, got " +
                std::to_string(op.cols));
    if (static_cast<double>(op.rows) * static_cast<double>(op.cols) > kMaxElems)
      item.fail(kind + " too large: rows x cols exceeds 2^56 elements");
  }

  // `format` sets all three operands; a_format/b_format/c_format override one each.
  Format all = gemm ? Format::kInt8 : Format::kFp16;
  if (auto x = m.get("format")) all = x->as_enum(formats);
  auto format = [&](const char* key) {
    auto x = m.get(key);
    return x ? x->as_enum(formats) : all;
  };
  auto location = [&](const char* key) {
    auto x = m.get(key);
    return x ? x->as_enum(locations) : Location::kDram;
  };
  op.a_format = format("a_format");
  op.b_format = second ? format("b_format") : op.a_format;
  op.c_format = format("c_format");
  op.a_loc = location("a");
  if (op.kind == OpKind::kGather && op.a_loc != Location::kDram)
    m.require("a").fail("a gather picks its rows from a table in DRAM: 'a' must be dram");
  if (second) op.b_loc = location("b");
  op.c_loc = location("c");
  return op;
}

}  // namespace

std::vector<Op> load_trace(const std::string& path) {
  MapReader top = config::load_document(path).as_map({"name", "description", "ops"});
  if (auto x = top.get("name")) x->as_string();
  if (auto x = top.get("description")) x->as_string();
  const Value ops = top.require("ops");
  const std::vector<Value> items = ops.as_list();
  if (items.empty()) ops.fail("must list at least one op");
  std::map<NameScope, int> first_line_of_name;
  std::vector<Op> out;
  out.reserve(items.size());
  for (const Value& item : items) out.push_back(read_op(item, first_line_of_name));
  return out;
}

}  // namespace npu
