// load_trace: an op trace YAML (schema: configs/SCHEMA.md) to the ops it lists, in order.
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
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

constexpr Location kLocations[] = {Location::kDram, Location::kSram};

// Keys by the ops they belong to.
const std::vector<std::string> kCommonKeys = {"name",     "kind",     "a",     "c",     "format",
                                              "a_format", "c_format", "layer", "class", "phase",
                                              "step",     "a_from",   "expert"};
const std::vector<std::string> kMatrixKeys = {"m", "k", "n", "batch"};  // gemm and attention
const std::vector<std::string> kVectorKeys = {"rows", "cols"};
const std::vector<std::string> kSecondInputKeys = {"b", "b_format", "b_from"};
const std::vector<std::string> kGemmOnlyKeys = {"b_group"};
const std::vector<std::string> kAttentionOnlyKeys = {"group", "causal", "window", "kv_block",
                                                     "softcap"};
// Spatial ops (conv2d, maxpool, avgpool) have `batch` and these; a conv also filters and groups.
const std::vector<std::string> kSpatialKeys = {"h", "w", "channels", "r", "s", "stride", "pad"};
const std::vector<std::string> kConvOnlyKeys = {"filters", "groups"};
const std::vector<std::string> kMatrixOnlyKeys = {"m", "k", "n"};

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

/// The shape of a conv2d, maxpool or avgpool (ConvShape and batch), checked: positive sizes,
/// the window inside the padded input, groups 1 or depthwise, and the caps.
void read_spatial(const MapReader& m, const Value& item, Op& op) {
  ConvShape& c = op.conv;
  const bool conv = op.kind == OpKind::kConv2d;
  const std::string kind = op_kind_name(op.kind);
  auto dim = [&](const char* key) { return m.require(key).as_uint(1, kMaxDim); };
  if (auto x = m.get("batch")) op.batch = x->as_uint(1, kMaxDim);
  c.h = dim("h");
  c.w = dim("w");
  c.c = dim("channels");
  if (conv) c.f = dim("filters");
  const Value r = m.require("r"), s = m.require("s");
  c.r = r.as_uint(1, kMaxDim);
  c.s = s.as_uint(1, kMaxDim);
  if (auto x = m.get("stride")) c.stride = x->as_uint(1, kMaxDim);
  std::optional<Value> pad = m.get("pad");
  if (pad) c.pad = pad->as_uint(0, kMaxDim);
  // The window must fit the padded input: then out_h, out_w >= 1.
  const std::string padded = c.pad > 0 ? " + 2 x pad (" + std::to_string(c.pad) + ")" : "";
  if (c.r > c.h + 2 * c.pad)
    r.fail("the kernel (r = " + std::to_string(c.r) + ") is taller than the padded input: h (" +
           std::to_string(c.h) + ")" + padded + " = " + std::to_string(c.h + 2 * c.pad) +
           " rows, so there is no output row");
  if (c.s > c.w + 2 * c.pad)
    s.fail("the kernel (s = " + std::to_string(c.s) + ") is wider than the padded input: w (" +
           std::to_string(c.w) + ")" + padded + " = " + std::to_string(c.w + 2 * c.pad) +
           " columns, so there is no output column");
  if (conv) {
    if (auto x = m.get("groups")) {
      c.groups = x->as_uint(1, kMaxDim);
      if (c.groups != 1 && (c.groups != c.c || c.groups != c.f))
        x->fail(
            "groups must be 1 (a dense conv) or equal channels and filters (a depthwise "
            "conv, here " +
            std::to_string(c.c) + " and " + std::to_string(c.f) + "); got " +
            std::to_string(c.groups) + " (other grouped convs are not modelled)");
    }
  }
  // Caps, in doubles (products of 2^32 dimensions leave 64 bits): the implicit GEMM's
  // dimensions as a gemm's, its MACs (or a pool's window reads), and every tensor.
  const double b = static_cast<double>(op.batch), oh = static_cast<double>(c.out_h()),
               ow = static_cast<double>(c.out_w()), ch = static_cast<double>(c.c),
               f = static_cast<double>(conv ? c.f : c.c),
               taps = static_cast<double>(c.r) * static_cast<double>(c.s);
  const double per_filter = conv && c.groups == 1 ? ch : 1.0;
  if (b * oh * ow > static_cast<double>(kMaxDim) ||
      taps * per_filter > static_cast<double>(kMaxDim))
    item.fail(kind + " too large: batch x out_h x out_w or r x s x channels exceeds 2^32");
  if (b * oh * ow * f * taps * per_filter > kMaxMacs)
    item.fail(kind + " too large: batch x out_h x out_w x " + (conv ? "filters" : "channels") +
              " x r x s" + (conv && c.groups == 1 ? " x channels" : "") + " exceeds 2^62");
  if (b * static_cast<double>(c.h) * static_cast<double>(c.w) * ch > kMaxElems ||
      b * oh * ow * f > kMaxElems || taps * per_filter * f > kMaxElems)
    item.fail(kind + " too large: the input, the output or the weights exceed 2^56 elements");
}

/// The facts of an op's kind that its keys and shape depend on.
struct KindFacts {
  explicit KindFacts(OpKind k)
      : info(op_kind_info(k)),
        kind(info.name),
        a_kind_op((kind[0] == 'a' ? "an " : "a ") + kind + " op"),  // "an add op"
        gemm(info.b_group),
        attention(info.query_groups),
        matrix(info.shape == ShapeClass::kMatrix),
        conv(info.filters),
        spatial(info.shape == ShapeClass::kSpatial),
        second(info.second_input) {}
  const OpKindInfo& info;
  std::string kind, a_kind_op;
  bool gemm, attention, matrix, conv, spatial, second;
};

/// Allows the keys of the op's kind; a key of another kind fails naming what the kind takes.
void check_keys(MapReader& m, const KindFacts& f) {
  const std::string& a_kind_op = f.a_kind_op;
  const bool gemm = f.gemm, attention = f.attention, matrix = f.matrix, conv = f.conv,
             spatial = f.spatial, second = f.second;
  // Keys of another kind are named as such, before the generic unknown-key check.
  const char* const shape =
      gemm        ? " (a gemm's shape is m, k, n and batch)"
      : attention ? " (an attention op's shape is batch, m, n, k and group)"
      : conv      ? " (a conv2d's shape is batch, h, w, channels, filters, r, s, stride, pad and "
                    "groups)"
      : spatial   ? " (a pool's shape is batch, h, w, channels, r, s, stride and pad)"
                  : " (a vector op's shape is rows and cols)";
  if (spatial) {
    reject_keys(m, kMatrixOnlyKeys, a_kind_op + shape);
    reject_keys(m, kVectorKeys, a_kind_op + shape);
    // `c` is where the result goes, as on every op; `f` is no key. Say what was meant.
    if (auto x = m.get("c"); x && x->node().IsScalar() && !x->as_string().empty() &&
                             std::isdigit(static_cast<unsigned char>(x->as_string()[0])))
      x->fail("'c' is where the result goes (dram or sram); the input channels are 'channels'");
    if (auto k = m.key("f"))
      k->fail(conv ? "unknown key 'f'; a conv2d's output channels are 'filters'"
                   : "unknown key 'f'; a pool keeps its channels ('channels')");
  } else {
    reject_keys(m, matrix ? kVectorKeys : kMatrixKeys, a_kind_op + shape);
    reject_keys(m, kSpatialKeys, a_kind_op + shape);
  }
  if (!conv) reject_keys(m, kConvOnlyKeys, a_kind_op + " (only a conv2d has filters and groups)");
  if (!gemm)
    reject_keys(m, kGemmOnlyKeys, a_kind_op + " (only a gemm's B carries group-wise scales)");
  if (!attention)
    reject_keys(
        m, kAttentionOnlyKeys,
        a_kind_op + " (only attention has query groups, a causal mask, a window and KV pages)");
  if (!second)
    reject_keys(m, kSecondInputKeys,
                a_kind_op + ": it has one input, 'a' (only gemm, attention, add and mul take 'b')");
  std::vector<std::string> keys = kCommonKeys;
  if (spatial) {
    keys.push_back("batch");
    append(keys, kSpatialKeys);
    if (conv) append(keys, kConvOnlyKeys);
  } else {
    append(keys, matrix ? kMatrixKeys : kVectorKeys);
  }
  if (gemm) append(keys, kGemmOnlyKeys);
  if (attention) append(keys, kAttentionOnlyKeys);
  if (second) append(keys, kSecondInputKeys);
  m.allow(keys);
}

/// The tags (they scope the name's uniqueness), then the name.
void read_tags_and_name(MapReader& m, Op& op, std::map<NameScope, int>& first_line_of_name) {
  static const EnumTable<std::string> phases = {{"prefill", "prefill"},
                                                {"decode", "decode"},
                                                {"draft_prefill", "draft_prefill"},
                                                {"draft", "draft"}};
  if (auto x = m.get("layer")) op.layer = x->as_string();
  if (auto x = m.get("class")) op.op_class = x->as_string();
  if (auto x = m.get("phase")) op.phase = x->as_enum(phases);
  if (auto x = m.get("step")) op.step = x->as_u32(0, kMaxStep);
  if (auto x = m.get("expert")) op.expert = x->as_u32(0, kMaxStep);

  const Value name = m.require("name");
  op.name = name.as_string();
  const auto [first, inserted] =
      first_line_of_name.emplace(NameScope{op.phase, op.step, op.name}, name.line());
  if (!inserted)
    name.fail("duplicate op name '" + op.name + "'" + scope_text(op) + " (first used at line " +
              std::to_string(first->second) + ")");
}

/// A gemm's or attention's m, k, n, batch and their kind's own keys, within the caps.
void read_matrix(const MapReader& m, const Value& item, const KindFacts& f, Op& op) {
  const bool gemm = f.gemm;
  auto dim = [&](const char* key) { return m.require(key).as_uint(1, kMaxDim); };
  op.m = dim("m");
  op.k = dim("k");
  op.n = dim("n");
  if (auto x = m.get("batch")) op.batch = x->as_uint(1, kMaxDim);
  const double b = static_cast<double>(op.batch);
  const double mm = static_cast<double>(op.m), k = static_cast<double>(op.k),
               n = static_cast<double>(op.n);
  if (gemm) {
    if (auto x = m.get("b_group")) op.b_group = x->as_u32(1, kMaxBGroup);
    if (b * mm * k * n > kMaxMacs) item.fail("gemm too large: batch x m x k x n exceeds 2^62 MACs");
    if (b * mm * k > kMaxElems || b * k * n > kMaxElems || b * mm * n > kMaxElems)
      item.fail("gemm too large: an operand exceeds 2^56 elements");
  } else {
    if (auto x = m.get("group")) {
      op.group = x->as_u32(1, kMaxGroup);
      if (op.m % op.group != 0)
        x->fail("group (" + std::to_string(op.group) + ") must divide m (" + std::to_string(op.m) +
                "): m is group query heads x the query positions");
    }
    if (auto x = m.get("causal")) op.causal = x->as_bool();
    if (auto x = m.get("window")) {
      op.window = x->as_uint(1, uint64_t{1} << 56);
      if (!op.causal)
        x->fail(
            "a sliding window needs causal: true (each query sees the latest window keys "
            "up to its own position)");
    }
    if (auto x = m.get("kv_block")) op.kv_block = x->as_uint(1, uint64_t{1} << 32);
    if (auto x = m.get("softcap")) op.softcap = x->as_bool();
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
}

/// A vector op's rows and cols.
void read_vector(const MapReader& m, const Value& item, const KindFacts& f, Op& op) {
  op.rows = m.require("rows").as_uint(1, kMaxDim);
  const Value cols = m.require("cols");
  op.cols = cols.as_uint(1, kMaxDim);
  if (op.kind == OpKind::kRope && op.cols % 2 != 0)
    cols.fail("a rope op rotates pairs of elements: cols must be even, got " +
              std::to_string(op.cols));
  if (static_cast<double>(op.rows) * static_cast<double>(op.cols) > kMaxElems)
    item.fail(f.kind + " too large: rows x cols exceeds 2^56 elements");
}

/// Formats (`format` for all three operands, a_format/b_format/c_format each) and locations.
void read_formats_and_locations(const MapReader& m, const KindFacts& f, Op& op) {
  static const EnumTable<Location> locations = config::enum_table(kLocations, location_name);
  static const EnumTable<Format> formats = config::enum_table(kAllFormats, format_name);
  const bool second = f.second;
  Format all = f.info.default_format;
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
}

/// Which earlier op produced A and B (`a_from`, `b_from`: a name in the op's phase and step, or
/// `none`). Without `a_from`, A is the previous op's result when that op is in the same phase and
/// step and its result has A's elements and format (a gather's A is its table: never).
void read_edges(const MapReader& m, const std::vector<Op>& earlier,
                const std::map<NameScope, size_t>& index_of_name, Op& op) {
  auto edge = [&](const char* key, uint32_t& out) {
    auto x = m.get(key);
    if (!x) return false;
    const std::string name = x->as_string();
    if (name == "none") return true;
    const auto it = index_of_name.find(NameScope{op.phase, op.step, name});
    if (it == index_of_name.end())
      x->fail("no earlier op named '" + name + "'" + scope_text(op) +
              " (an op reads the result of an op listed before it in its phase and step, or "
              "'none')");
    out = static_cast<uint32_t>(earlier.size() - it->second);
    return true;
  };
  if (op.kind == OpKind::kGather) {
    if (auto k = m.key("a_from"))
      k->fail("a gather picks its rows from a table in DRAM: no 'a_from'");
  } else if (!edge("a_from", op.a_from) && !earlier.empty() &&
             reads_previous_by_default(earlier.back(), op)) {
    op.a_from = 1;
  }
  if (op_kind_info(op.kind).second_input) edge("b_from", op.b_from);
}

Op read_op(const Value& item, std::map<NameScope, int>& first_line_of_name,
           const std::vector<Op>& earlier, const std::map<NameScope, size_t>& index_of_name) {
  static const EnumTable<OpKind> kinds = [] {
    EnumTable<OpKind> t;
    for (const OpKindInfo& i : kOpKinds) t.emplace_back(i.name, i.kind);
    return t;
  }();
  MapReader m = item.as_map();
  Op op;
  // Where the op was written, so errors found later (the lowering) point at it.
  op.src_file = item.file();
  op.src_line = item.line();
  op.src_col = item.col();
  op.src_key = item.path();
  op.kind = m.require("kind").as_enum(kinds);
  const KindFacts f(op.kind);
  check_keys(m, f);
  read_tags_and_name(m, op, first_line_of_name);
  if (f.matrix)
    read_matrix(m, item, f, op);
  else if (f.spatial)
    read_spatial(m, item, op);
  else
    read_vector(m, item, f, op);
  read_formats_and_locations(m, f, op);
  read_edges(m, earlier, index_of_name, op);
  return op;
}

}  // namespace

namespace {
std::vector<Op> read_trace(const Value& root) {
  MapReader top = root.as_map({"name", "description", "ops"});
  if (auto x = top.get("name")) x->as_string();
  if (auto x = top.get("description")) x->as_string();
  const Value ops = top.require("ops");
  const std::vector<Value> items = ops.as_list();
  if (items.empty()) ops.fail("must list at least one op");
  std::map<NameScope, int> first_line_of_name;
  std::vector<Op> out;
  out.reserve(items.size());
  std::map<NameScope, size_t> index_of_name;
  for (const Value& item : items) {
    out.push_back(read_op(item, first_line_of_name, out, index_of_name));
    const Op& op = out.back();
    index_of_name[NameScope{op.phase, op.step, op.name}] = out.size() - 1;
  }
  return out;
}
}  // namespace

std::vector<Op> load_trace(const std::string& path) {
  return read_trace(config::load_document(path));
}

std::vector<Op> load_trace_text(const std::string& text, const std::string& path) {
  return read_trace(config::load_document_text(text, path));
}

}  // namespace npu
