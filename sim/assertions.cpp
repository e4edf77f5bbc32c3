#include "assertions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "config/yaml_reader.h"
#include "expression.h"

namespace npu {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// At most this many failing points are listed per assertion.
constexpr size_t kMaxListed = 8;

/// The bound names as constants, so `workload.decode.bound == memory` compares codes.
const std::vector<std::pair<std::string, double>>& bound_constants() {
  static const std::vector<std::pair<std::string, double>> c = {
      {"compute", 1}, {"memory", 2}, {"vector", 3}, {"latency", 4}};
  return c;
}

const std::vector<std::string>& reduction_names() {
  static const std::vector<std::string> r = {"at",     "all",  "any",   "min_of",
                                             "max_of", "mean", "sum_of"};
  return r;
}

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

/// A cell as a number: decimal text, a bound name's code, true/false; else NaN.
double value_of(const std::string& text) {
  const double v = cell_number(text);
  if (!std::isnan(v)) return v;
  for (const auto& [name, code] : bound_constants())
    if (text == name) return code;
  if (text == "true") return 1;
  if (text == "false") return 0;
  return kNaN;
}

bool cell_matches(const std::string& cell, const std::string& value) {
  if (cell == value) return true;
  const double a = cell_number(cell), b = cell_number(value);
  return !std::isnan(a) && !std::isnan(b) && a == b;
}

std::vector<std::string> var_names(const std::string& prefix, size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

}  // namespace

/// An expression over named variables and the bound constants; values are set at each eval().
class Assertion::Evaluator : public Expression {
 public:
  Evaluator(const std::string& expr, const std::vector<std::string>& vars)
      : Expression(expr, vars, bound_constants()) {}
};

std::string arch_name(const std::string& arch) {
  return std::filesystem::path(arch).stem().string();
}

void Assertion::fail(const std::string& message) const {
  throw ConfigError(m_spec.origin.file, m_spec.origin.line, m_spec.origin.col, m_spec.key,
                    message + " in `" + m_spec.expr + "`");
}

namespace {

/// The end of the number that starts at `i` (digits and points, an optional exponent).
size_t number_end(const std::string& text, size_t i) {
  auto digit = [&](size_t p) {
    return p < text.size() && std::isdigit(static_cast<unsigned char>(text[p]));
  };
  while (digit(i) || (i < text.size() && text[i] == '.')) ++i;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (digit(j)) {
      i = j;
      while (digit(i)) ++i;
    }
  }
  return i;
}

/// A call's arguments: from the '(' at `open` to its matching ')', split at top-level commas,
/// with the offset of each in `text`. `close` is npos when the parenthesis is not closed.
struct CallArgs {
  std::vector<std::string> args;
  std::vector<size_t> offsets;
  size_t close = std::string::npos;
};
CallArgs call_args(const std::string& text, size_t open) {
  CallArgs c;
  size_t depth = 0, start = open + 1;
  for (size_t k = open; k < text.size(); ++k) {
    if (text[k] == '(') ++depth;
    if (text[k] == ')' && --depth == 0) {
      c.close = k;
      break;
    }
    if (text[k] == ',' && depth == 1) {
      c.args.push_back(text.substr(start, k - start));
      c.offsets.push_back(start);
      start = k + 1;
    }
  }
  if (c.close != std::string::npos) {
    c.args.push_back(text.substr(start, c.close - start));
    c.offsets.push_back(start);
  }
  return c;
}

/// Whether the '=' at `p` is a comparison's (==, <=, >=, !=), not a selector's.
bool comparison_eq(const std::string& s, size_t p) {
  return (p + 1 < s.size() && s[p + 1] == '=') ||
         (p > 0 && std::string("=<>!").find(s[p - 1]) != std::string::npos);
}

}  // namespace

std::optional<Assertion::Selector> Assertion::selector(const std::string& arg,
                                                       const std::string& fn) const {
  // key=value (one '='), else the expression.
  size_t eq = std::string::npos;
  for (size_t p = 0; p < arg.size(); ++p) {
    if (arg[p] != '=') continue;
    if (!comparison_eq(arg, p)) eq = p;
    break;
  }
  if (eq == std::string::npos) return std::nullopt;
  Selector s{trim(arg.substr(0, eq)), trim(arg.substr(eq + 1))};
  if (s.value.size() >= 2 && (s.value[0] == '\'' || s.value[0] == '"') &&
      s.value.back() == s.value[0])
    s.value = s.value.substr(1, s.value.size() - 2);
  if (s.key.empty() || s.value.empty())
    fail("selector `" + arg + "` of " + fn + "() needs key=value");
  return s;
}

size_t Assertion::read_reduction(const std::string& text, size_t start, size_t open,
                                 const std::string& fn, size_t offset) {
  const CallArgs c = call_args(text, open);
  if (c.close == std::string::npos) fail("unbalanced parentheses after " + fn);
  Reduction r;
  r.kind = fn;
  r.text = text.substr(start, c.close + 1 - start);
  std::optional<size_t> expr_arg;
  for (size_t a = 0; a < c.args.size(); ++a) {
    if (auto s = selector(trim(c.args[a]), fn)) {
      r.selectors.push_back(std::move(*s));
    } else {
      if (expr_arg) fail(fn + "() takes selectors (key=value) and one expression");
      expr_arg = a;
    }
  }
  if (!expr_arg) fail(fn + "() needs an expression after its selectors");
  if (fn == "at" && r.selectors.empty())
    fail("at() needs at least one selector: at(key=value, expression)");
  r.expr = rewrite(c.args[*expr_arg], offset + c.offsets[*expr_arg], false, r.names);
  if (trim(r.expr).empty()) fail(fn + "() has an empty expression");
  m_reductions.push_back(std::move(r));
  return c.close + 1;
}

std::string Assertion::rewrite(const std::string& text, size_t offset, bool top,
                               std::vector<std::string>& names) {
  std::string out;
  auto var_of = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    const size_t i = static_cast<size_t>(it - names.begin());
    if (it == names.end()) names.push_back(name);
    return "v" + std::to_string(i);
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      const size_t end = number_end(text, i);
      out += text.substr(i, end - i);
      i = end;
      continue;
    }
    if (is_ident_start(c)) {
      const size_t start = i;
      while (i < text.size() && (is_ident_char(text[i]) || (text[i] == '.' && i + 1 < text.size() &&
                                                            is_ident_char(text[i + 1]))))
        ++i;
      const std::string ident = text.substr(start, i - start);
      size_t j = i;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      const bool call = j < text.size() && text[j] == '(';
      if (call && std::count(reduction_names().begin(), reduction_names().end(), ident) > 0) {
        if (!top) fail("a reduction (" + ident + ") inside another one");
        out += "r" + std::to_string(m_reductions.size());
        i = read_reduction(text, start, j, ident, offset);
        continue;
      }
      if (call) {
        out += ident;  // a muParser function: it checks the name
        continue;
      }
      const bool constant = ident == "_pi" || ident == "_e" ||
                            std::any_of(bound_constants().begin(), bound_constants().end(),
                                        [&](const auto& bc) { return bc.first == ident; });
      out += constant ? ident : var_of(ident);
      continue;
    }
    if (c == '=' && !comparison_eq(text, i))
      fail("a single '=' at character " + std::to_string(offset + i + 1) +
           ": compare with ==; key=value selects points only inside at(), all(), ...");
    out += c;
    ++i;
  }
  return out;
}

Assertion::Assertion(const AssertSpec& spec, const std::vector<std::string>& swept,
                     const std::vector<std::vector<std::string>>& point_values,
                     const std::set<std::string>& metrics)
    : m_spec(spec), m_swept(swept) {
  if (trim(spec.expr).empty()) fail("empty expression");
  m_expr = rewrite(spec.expr, 0, true, m_names);

  auto is_swept = [&](const std::string& k) {
    return std::find(swept.begin(), swept.end(), k) != swept.end();
  };
  std::vector<std::string> known(metrics.begin(), metrics.end());
  known.insert(known.end(), swept.begin(), swept.end());
  auto check_name = [&](const std::string& name) {
    if (name == "point" || is_swept(name) || metrics.empty() || metrics.count(name)) return;
    std::string msg = "unknown name '" + name + "'";
    if (auto guess = config::nearest(name, known)) msg += "; did you mean '" + *guess + "'?";
    msg +=
        " (names are summary.json metrics, swept keys, or the constants compute, memory, "
        "vector, latency)";
    fail(msg);
  };
  for (const auto& k : spec.for_each)
    if (!is_swept(k)) fail("for_each key '" + k + "' is not swept by the experiment");
  for (const auto& n : m_names) {
    check_name(n);
    if (!m_reductions.empty() &&
        std::find(spec.for_each.begin(), spec.for_each.end(), n) == spec.for_each.end())
      fail("'" + n +
           "' is outside a reduction in an assertion that compares points: put it inside at(), "
           "all(), ..., or list its key in for_each");
  }
  for (const auto& r : m_reductions) {
    for (const auto& n : r.names) check_name(n);
    for (const auto& s : r.selectors) {
      const auto it = std::find(swept.begin(), swept.end(), s.key);
      if (s.key == "point") continue;
      if (it == swept.end())
        fail("selector key '" + s.key + "' of " + r.kind + "() is not swept by the experiment" +
             (swept.empty() ? "" : " (swept: " + fmt::format("{}", fmt::join(swept, ", ")) + ")"));
      if (point_values.empty()) continue;
      const size_t col = static_cast<size_t>(it - swept.begin());
      std::vector<std::string> taken;
      bool found = false;
      for (const auto& pv : point_values) {
        found |= cell_matches(pv[col], s.value);
        if (std::find(taken.begin(), taken.end(), pv[col]) == taken.end()) taken.push_back(pv[col]);
      }
      if (!found)
        fail("no point has " + s.key + "=" + s.value +
             " (its values: " + fmt::format("{}", fmt::join(taken, ", ")) + ")");
    }
  }
  // Syntax: let muParser parse both levels with every variable at 1.
  auto check = [&](const std::string& expr, const std::vector<std::string>& vars,
                   const std::string& what) {
    try {
      Evaluator ev(expr, vars);
      ev.eval(std::vector<double>(vars.size(), 1.0));
    } catch (const ExpressionError& e) {
      // muParser counts positions in the rewritten text (names replaced): leave them out.
      std::string msg = e.what();
      for (const char* at : {" found at position ", " at position "}) {
        const size_t p = msg.find(at);
        if (p == std::string::npos) continue;
        size_t q = p + std::strlen(at);
        while (q < msg.size() && std::isdigit(static_cast<unsigned char>(msg[q]))) ++q;
        msg = msg.substr(0, p) + (std::strstr(at, "found") ? " found" : "") + msg.substr(q);
        break;
      }
      while (!msg.empty() && msg.back() == '.') msg.pop_back();
      const std::string& token = e.token;
      fail("malformed " + what + ": " + msg + (token.empty() ? "" : " (near '" + token + "')"));
    }
  };
  std::vector<std::string> top_vars = var_names("v", m_names.size());
  const auto rs = var_names("r", m_reductions.size());
  top_vars.insert(top_vars.end(), rs.begin(), rs.end());
  check(m_expr, top_vars, "expression");
  for (const auto& r : m_reductions)
    check(r.expr, var_names("v", r.names.size()), "expression in " + r.text);
}

std::vector<std::string> Assertion::metrics() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& n) {
    if (n == "point" || std::find(m_swept.begin(), m_swept.end(), n) != m_swept.end()) return;
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  for (const auto& n : m_names) add(n);
  for (const auto& r : m_reductions)
    for (const auto& n : r.names) add(n);
  return out;
}

struct Assertion::Rows {
  Rows(const ResultTable& table, const std::vector<std::string>& swept_keys, std::string a)
      : t(table),
        swept(swept_keys),
        arch(std::move(a)),
        status_col(t.column("status")),
        message_col(t.column("message")),
        arch_col(t.column("arch")) {}

  std::string cell(size_t row, const std::string& name) const {
    if (name == "point") return t.rows[row][0];
    if (auto c = t.column(name)) return t.rows[row][*c];
    return "";
  }
  bool ok(size_t row) const { return !status_col || t.rows[row][*status_col] == "ok"; }
  std::string arch_of(size_t row) const {
    return arch_col ? arch_name(t.rows[row][*arch_col]) : arch;
  }
  /// "point 3 (key=value, ...)".
  std::string describe(size_t row) const {
    std::string s = "point " + t.rows[row][0];
    std::string kv;
    for (const auto& k : swept) kv += (kv.empty() ? "" : ", ") + k + "=" + cell(row, k);
    return kv.empty() ? s : s + " (" + kv + ")";
  }
  std::string not_run(size_t row) const {
    std::string why = message_col ? t.rows[row][*message_col] : "";
    return describe(row) + " did not run (" + (status_col ? t.rows[row][*status_col] : "") +
           (why.empty() ? "" : ": " + why) + ")";
  }
  /// The values of `names` at `row`; `shown` lists them ("name = value, ..."), `missing` is set
  /// when one is not a number.
  std::vector<double> read(size_t row, const std::vector<std::string>& names, std::string& shown,
                           bool& missing) const {
    std::vector<double> v;
    for (const auto& n : names) {
      const std::string text = cell(row, n);
      v.push_back(value_of(text));
      if (std::isnan(v.back())) missing = true;
      shown += (shown.empty() ? "" : ", ") + n + " = " + (text.empty() ? "(missing)" : text);
    }
    return v;
  }

  const ResultTable& t;
  const std::vector<std::string>& swept;
  std::string arch;
  std::optional<size_t> status_col, message_col, arch_col;
};

namespace {

/// Reporting: a failure line (at most kMaxListed, then "...").
void add_failure(Assertion::Outcome& out, const std::string& line, const std::string& arch) {
  if (out.failures.size() == kMaxListed) out.failures.push_back("...");
  if (out.failures.size() < kMaxListed) out.failures.push_back(line);
  out.failed_archs.insert(arch);
}

}  // namespace

Assertion::Outcome Assertion::evaluate(const ResultTable& t, const std::string& arch) const {
  const Rows rows(t, m_swept, arch);
  Outcome out;
  try {
    if (m_reductions.empty())
      evaluate_points(rows, out);
    else
      evaluate_groups(rows, out);
  } catch (const ExpressionError& e) {
    add_failure(out, std::string("cannot evaluate: ") + e.what(), arch);
  }
  return out;
}

void Assertion::evaluate_points(const Rows& rows, Outcome& out) const {
  Evaluator ev(m_expr, var_names("v", m_names.size()));
  for (size_t row = 0; row < rows.t.rows.size(); ++row) {
    out.archs.insert(rows.arch_of(row));
    if (!rows.ok(row)) {
      add_failure(out, rows.not_run(row), rows.arch_of(row));
      continue;
    }
    std::string shown;
    bool missing = false;
    const auto v = rows.read(row, m_names, shown, missing);
    const double result = ev.eval(v);
    if (missing || std::isnan(result) || result == 0)
      add_failure(out, rows.describe(row) + ": " + shown, rows.arch_of(row));
  }
}

std::vector<std::pair<std::string, std::vector<size_t>>> Assertion::groups(const Rows& rows) const {
  std::vector<std::pair<std::string, std::vector<size_t>>> groups;
  for (size_t row = 0; row < rows.t.rows.size(); ++row) {
    std::string key;
    for (const auto& k : m_spec.for_each) key += k + "=" + rows.cell(row, k) + ", ";
    const auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end())
      groups.push_back({key, {row}});
    else
      it->second.push_back(row);
  }
  return groups;
}

void Assertion::evaluate_groups(const Rows& rows, Outcome& out) const {
  std::vector<std::string> top_vars = var_names("v", m_names.size());
  const auto rs = var_names("r", m_reductions.size());
  top_vars.insert(top_vars.end(), rs.begin(), rs.end());
  Evaluator top(m_expr, top_vars);
  // Evaluators hold the addresses of their variables: keep each in one place.
  std::vector<std::unique_ptr<Evaluator>> inner;
  for (const auto& r : m_reductions)
    inner.push_back(std::make_unique<Evaluator>(r.expr, var_names("v", r.names.size())));

  for (const auto& [key, group] : groups(rows)) {
    const std::string garch = rows.arch_of(group[0]);
    out.archs.insert(garch);
    const std::string where = key.empty() ? "" : "for " + key.substr(0, key.size() - 2) + ": ";
    std::vector<double> values;
    for (const auto& n : m_names) values.push_back(value_of(rows.cell(group[0], n)));
    std::string shown, problem;
    for (size_t ri = 0; ri < m_reductions.size(); ++ri) {
      const Reduction& r = m_reductions[ri];
      const Reduced red = reduce(rows, r, *inner[ri], select(rows, r, group));
      problem = red.problem;
      if (!problem.empty()) break;
      values.push_back(red.value);
      shown += (shown.empty() ? "" : "; ") + red.line;
    }
    if (!problem.empty()) {
      add_failure(out, where + problem, garch);
      continue;
    }
    const double result = top.eval(values);
    if (std::isnan(result) || result == 0) add_failure(out, where + shown, garch);
  }
}

std::vector<size_t> Assertion::select(const Rows& rows, const Reduction& r,
                                      const std::vector<size_t>& group) {
  std::vector<size_t> selected;
  for (size_t row : group) {
    bool match = true;
    for (const auto& s : r.selectors) match = match && cell_matches(rows.cell(row, s.key), s.value);
    if (match) selected.push_back(row);
  }
  return selected;
}

Assertion::Reduced Assertion::reduce(const Rows& rows, const Reduction& r, Evaluator& ev,
                                     const std::vector<size_t>& selected) {
  Reduced out;
  if (selected.empty()) {
    out.problem = r.text + " selects no point";
    return out;
  }
  if (r.kind == "at" && selected.size() > 1) {
    out.problem = r.text + " selects " + std::to_string(selected.size()) +
                  " points: add the other swept keys to its selectors, or to for_each";
    return out;
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double acc = r.kind == "all" ? 1 : r.kind == "min_of" ? kInf : r.kind == "max_of" ? -kInf : 0;
  std::string detail, false_points;
  size_t falses = 0;
  for (size_t row : selected) {
    if (!rows.ok(row)) {
      out.problem = rows.not_run(row);
      return out;
    }
    std::string s;
    bool missing = false;
    const double v = ev.eval(rows.read(row, r.names, s, missing));
    if (missing || std::isnan(v)) {
      out.problem = rows.describe(row) + ": " + s;
      return out;
    }
    if (r.kind == "at") {
      acc = v;
      detail = s;
    } else if (r.kind == "all") {
      if (v == 0) {
        acc = 0;
        if (falses++ < 3)
          false_points += (false_points.empty() ? "" : "; ") + rows.describe(row) + ": " + s;
      }
    } else if (r.kind == "any") {
      if (v != 0) acc = 1;
    } else if (r.kind == "min_of") {
      acc = std::min(acc, v);
    } else if (r.kind == "max_of") {
      acc = std::max(acc, v);
    } else {
      acc += v;  // mean, sum_of
    }
  }
  if (r.kind == "mean") acc /= static_cast<double>(selected.size());
  out.value = acc;
  // Reporting: the value, the point an at() read, the points where all() was false.
  out.line = r.text + " = " + metric_text(acc);
  if (r.kind == "at")
    out.line += " (point " + rows.t.rows[selected[0]][0] +
                (r.names.size() > 1 || trim(r.expr) != "v0" ? ": " + detail : "") + ")";
  if (r.kind == "all" && falses > 0)
    out.line += " [false at " + std::to_string(falses) + " of " + std::to_string(selected.size()) +
                " points: " + false_points + (falses > 3 ? "; ..." : "") + "]";
  return out;
}

}  // namespace npu
