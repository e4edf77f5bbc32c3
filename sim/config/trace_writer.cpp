#include "trace_writer.h"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace npu {

namespace {

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '/' || c == '+';
}

/// `s` as a YAML scalar that reads back as the same text in a flow mapping: plain when it is
/// a safe word (letters, digits and `_.-/+`, starting with a letter, digit or `_`, and not a null
/// spelling), else double-quoted with `\` and `"` escaped and control bytes as `\xNN`.
void append_scalar(std::string& out, const std::string& s) {
  const auto is_null = s == "null" || s == "Null" || s == "NULL";
  bool plain = !s.empty() && !is_null &&
               (is_plain_char(s[0]) && s[0] != '.' && s[0] != '-' && s[0] != '/' && s[0] != '+');
  for (size_t i = 0; plain && i < s.size(); ++i) plain = is_plain_char(s[i]);
  if (plain) {
    out += s;
    return;
  }
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;  // UTF-8 passes through
    }
  }
  out += '"';
}

/// Writes `, key: value` pairs of one op's flow mapping.
class OpLine {
 public:
  explicit OpLine(std::string& out) : m_out(out) {}
  void text(const char* key, const std::string& value) {
    begin(key);
    append_scalar(m_out, value);
  }
  void word(const char* key, std::string_view value) {
    begin(key);
    m_out += value;
  }
  void number(const char* key, uint64_t value) {
    begin(key);
    m_out += std::to_string(value);
  }

 private:
  void begin(const char* key) {
    m_out += m_first ? "" : ", ";
    m_first = false;
    m_out += key;
    m_out += ": ";
  }
  std::string& m_out;
  bool m_first = true;
};

bool takes_b(OpKind k) {
  return op_kind_info(k).second_input;
}

[[noreturn]] void cannot_write(size_t i, const Op& op, const std::string& what) {
  throw std::invalid_argument("trace_yaml: ops[" + std::to_string(i) + "] '" + op.name + "' (" +
                              op_kind_name(op.kind) + "): " + what + "; a trace cannot express it");
}

bool same_conv(const ConvShape& a, const ConvShape& b) {
  return a.h == b.h && a.w == b.w && a.c == b.c && a.f == b.f && a.r == b.r && a.s == b.s &&
         a.stride == b.stride && a.pad == b.pad && a.groups == b.groups;
}

/// Fails unless every field that does not apply to the op's kind holds its default.
void check_expressible(size_t i, const Op& op) {
  const Op d;
  const bool gemm = op.kind == OpKind::kGemm, attention = op.kind == OpKind::kAttention;
  if (op.name.empty()) cannot_write(i, op, "the name is empty");
  const bool spatial = is_spatial_kind(op.kind);
  if (!spatial && !same_conv(op.conv, d.conv)) cannot_write(i, op, "a conv shape is set");
  if (spatial) {
    if (op.m != d.m || op.k != d.k || op.n != d.n || op.rows != d.rows || op.cols != d.cols)
      cannot_write(i, op, "m, k, n, rows or cols is set");
    if (op.kind != OpKind::kConv2d && (op.conv.f != d.conv.f || op.conv.groups != d.conv.groups))
      cannot_write(i, op, "filters or groups is set (conv2d only)");
  } else if (gemm || attention) {
    if (op.rows != d.rows || op.cols != d.cols) cannot_write(i, op, "rows or cols is set");
  } else if (op.m != d.m || op.k != d.k || op.n != d.n || op.batch != d.batch) {
    cannot_write(i, op, "m, k, n or batch is set");
  }
  if (!gemm && op.b_group != d.b_group) cannot_write(i, op, "b_group is set (gemm only)");
  if (!attention && (op.group != d.group || op.causal != d.causal || op.window != d.window ||
                     op.kv_block != d.kv_block || op.softcap != d.softcap))
    cannot_write(i, op, "group, causal, window, kv_block or softcap is set (attention only)");
  if (!takes_b(op.kind) && op.b_format != op.a_format)
    cannot_write(i, op, "b_format differs from a_format on a single-input kind");
  if (!takes_b(op.kind) && op.b_loc != Location::kDram)
    cannot_write(i, op, "b is sram on a single-input kind");
}

/// The formats of one op: the `format` shorthand when it saves keys, then the overrides.
void write_formats(OpLine& line, const Op& op) {
  const Format kind_default = op_kind_info(op.kind).default_format;
  const bool b = takes_b(op.kind);
  auto keys_with = [&](Format all) {
    return (op.a_format != all) + (b && op.b_format != all) + (op.c_format != all);
  };
  Format all = kind_default;
  int best = keys_with(all);
  for (const Format f : {op.a_format, op.b_format, op.c_format}) {
    if (f == all) continue;
    const int keys = 1 + keys_with(f);
    if (keys < best) {
      all = f;
      best = keys;
    }
  }
  if (all != kind_default) line.word("format", format_name(all));
  if (op.a_format != all) line.word("a_format", format_name(op.a_format));
  if (b && op.b_format != all) line.word("b_format", format_name(op.b_format));
  if (op.c_format != all) line.word("c_format", format_name(op.c_format));
}

/// The producer of A a reader infers without `a_from` (reads_previous_by_default).
uint32_t inferred_a_from(const std::vector<Op>& ops, size_t i) {
  return i > 0 && reads_previous_by_default(ops[i - 1], ops[i]) ? 1 : 0;
}

/// The name an `a_from` / `b_from` of `back` ops gives: the producer, in the op's phase and step.
std::string producer_name(const std::vector<Op>& ops, size_t i, uint32_t back, const char* key) {
  const Op& op = ops[i];
  if (back > i) cannot_write(i, op, std::string(key) + " points before the first op");
  const Op& p = ops[i - back];
  if (p.phase != op.phase || p.step != op.step)
    cannot_write(i, op, std::string(key) + " names an op of another phase or step");
  if (p.name == "none") cannot_write(i, op, std::string(key) + " names an op called 'none'");
  return p.name;
}

void write_op(std::string& out, const std::vector<Op>& ops, size_t i) {
  const Op& op = ops[i];
  check_expressible(i, op);
  const Op d;
  out += "  - {";
  OpLine line(out);
  line.text("name", op.name);
  line.word("kind", op_kind_name(op.kind));
  if (op.kind == OpKind::kGemm || op.kind == OpKind::kAttention) {
    if (op.batch != d.batch) line.number("batch", op.batch);
    line.number("m", op.m);
    line.number("k", op.k);
    line.number("n", op.n);
    if (op.b_group != d.b_group) line.number("b_group", op.b_group);
    if (op.group != d.group) line.number("group", op.group);
    if (op.causal) line.word("causal", "true");
    if (op.window != d.window) line.number("window", op.window);
    if (op.kv_block != d.kv_block) line.number("kv_block", op.kv_block);
    if (op.softcap) line.word("softcap", "true");
  } else if (is_spatial_kind(op.kind)) {
    const ConvShape& c = op.conv;
    if (op.batch != d.batch) line.number("batch", op.batch);
    line.number("h", c.h);
    line.number("w", c.w);
    line.number("channels", c.c);
    if (op.kind == OpKind::kConv2d) line.number("filters", c.f);
    line.number("r", c.r);
    line.number("s", c.s);
    if (c.stride != d.conv.stride) line.number("stride", c.stride);
    if (c.pad != d.conv.pad) line.number("pad", c.pad);
    if (c.groups != d.conv.groups) line.number("groups", c.groups);
  } else {
    line.number("rows", op.rows);
    line.number("cols", op.cols);
  }
  write_formats(line, op);
  if (op.a_loc != Location::kDram) line.word("a", location_name(op.a_loc));
  if (takes_b(op.kind) && op.b_loc != Location::kDram) line.word("b", location_name(op.b_loc));
  if (op.c_loc != Location::kDram) line.word("c", location_name(op.c_loc));
  if (op.a_from != inferred_a_from(ops, i))
    line.text("a_from", op.a_from == 0 ? "none" : producer_name(ops, i, op.a_from, "a_from"));
  if (op.b_from != 0) {
    if (!takes_b(op.kind)) cannot_write(i, op, "b_from is set on a single-input kind");
    line.text("b_from", producer_name(ops, i, op.b_from, "b_from"));
  }
  if (!op.layer.empty()) line.text("layer", op.layer);
  if (!op.op_class.empty()) line.text("class", op.op_class);
  if (!op.phase.empty()) line.text("phase", op.phase);
  if (op.step != d.step) line.number("step", op.step);
  if (op.expert) line.number("expert", *op.expert);
  out += "}\n";
}

}  // namespace

std::string trace_yaml(const std::vector<Op>& ops, const std::string& name) {
  if (ops.empty()) throw std::invalid_argument("trace_yaml: a trace lists at least one op");
  std::string out = "# Op trace (schema: configs/SCHEMA.md), " + std::to_string(ops.size()) +
                    " ops, one per line; keys at their defaults are left out.\n";
  out.reserve(out.size() + ops.size() * 120);
  if (!name.empty()) {
    out += "name: ";
    append_scalar(out, name);
    out += '\n';
  }
  out += "ops:\n";
  for (size_t i = 0; i < ops.size(); ++i) write_op(out, ops, i);
  return out;
}

}  // namespace npu
