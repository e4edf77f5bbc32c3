// load_trace: an op trace YAML (schema: configs/SCHEMA.md) to the ops it lists, in order.
#include <string>
#include <unordered_map>
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

constexpr OpKind kKinds[] = {OpKind::kGemm,      OpKind::kAdd,     OpKind::kMul,  OpKind::kSoftmax,
                             OpKind::kLayerNorm, OpKind::kRmsNorm, OpKind::kGelu, OpKind::kSilu};
constexpr Location kLocations[] = {Location::kDram, Location::kSram};

// Keys by the ops they belong to.
const std::vector<std::string> kCommonKeys = {"name",     "kind",     "a",     "c",    "format",
                                              "a_format", "c_format", "layer", "class"};
const std::vector<std::string> kGemmKeys = {"m", "k", "n", "batch"};
const std::vector<std::string> kVectorKeys = {"rows", "cols"};
const std::vector<std::string> kSecondInputKeys = {"b", "b_format"};

/// Ops with a second operand B: a GEMM's weights, an eltwise add's or mul's other input.
bool has_second_input(OpKind k) {
  return k == OpKind::kGemm || k == OpKind::kAdd || k == OpKind::kMul;
}

/// Fails at the first of `keys` present in `m`, explaining why it does not belong.
void reject_keys(const MapReader& m, const std::vector<std::string>& keys, const std::string& why) {
  for (const auto& key : keys)
    if (auto k = m.key(key)) k->fail("'" + key + "' does not apply to " + why);
}

Op read_op(const Value& item, std::unordered_map<std::string, int>& first_line_of_name) {
  static const EnumTable<OpKind> kinds = config::enum_table(kKinds, op_kind_name);
  static const EnumTable<Location> locations = config::enum_table(kLocations, location_name);
  static const EnumTable<Format> formats = config::enum_table(kAllFormats, format_name);

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
  const bool second = has_second_input(op.kind);

  // Keys of another kind are named as such, before the generic unknown-key check.
  const auto& shape_keys = gemm ? kGemmKeys : kVectorKeys;
  reject_keys(m, gemm ? kVectorKeys : kGemmKeys,
              a_kind_op + (gemm ? " (a gemm's shape is m, k, n and batch)"
                                : " (a vector op's shape is rows and cols)"));
  if (!second)
    reject_keys(m, kSecondInputKeys,
                a_kind_op + ": it has one input, 'a' (only gemm, add and mul take 'b')");
  std::vector<std::string> keys = kCommonKeys;
  keys.insert(keys.end(), shape_keys.begin(), shape_keys.end());
  if (second) keys.insert(keys.end(), kSecondInputKeys.begin(), kSecondInputKeys.end());
  m.allow(keys);

  const Value name = m.require("name");
  op.name = name.as_string();
  const auto [first, inserted] = first_line_of_name.emplace(op.name, name.line());
  if (!inserted)
    name.fail("duplicate op name '" + op.name + "' (first used at line " +
              std::to_string(first->second) + ")");

  auto dim = [&](const char* key) { return m.require(key).as_uint(1, kMaxDim); };
  if (gemm) {
    op.m = dim("m");
    op.k = dim("k");
    op.n = dim("n");
    if (auto x = m.get("batch")) op.batch = x->as_uint(1, kMaxDim);
    const double b = static_cast<double>(op.batch);
    const double mm = static_cast<double>(op.m), k = static_cast<double>(op.k),
                 n = static_cast<double>(op.n);
    if (b * mm * k * n > kMaxMacs) item.fail("gemm too large: batch x m x k x n exceeds 2^62 MACs");
    if (b * mm * k > kMaxElems || b * k * n > kMaxElems || b * mm * n > kMaxElems)
      item.fail("gemm too large: an operand exceeds 2^56 elements");
  } else {
    op.rows = dim("rows");
    op.cols = dim("cols");
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
  if (second) op.b_loc = location("b");
  op.c_loc = location("c");

  if (auto x = m.get("layer")) op.layer = x->as_string();
  if (auto x = m.get("class")) op.op_class = x->as_string();
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
  std::unordered_map<std::string, int> first_line_of_name;
  std::vector<Op> out;
  out.reserve(items.size());
  for (const Value& item : items) out.push_back(read_op(item, first_line_of_name));
  return out;
}

}  // namespace npu
