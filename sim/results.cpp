#include "results.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "config/yaml_reader.h"

namespace npu {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// Splits CSV text into records (RFC 4180: quoted fields may hold commas, quotes, newlines).
/// `complete` is the length of the text up to the end of the last record that ended in '\n'.
std::vector<std::vector<std::string>> parse_csv(const std::string& text, size_t& complete) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  complete = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      fields.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(fields));
      fields.clear();
      complete = i + 1;
    } else if (c != '\r') {
      field += c;
    }
  }
  return records;
}

bool parse_id(const std::string& s, size_t& id) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
  id = static_cast<size_t>(std::stoull(s));
  return true;
}

std::string percent(double cur, double base) {
  if (base == 0) return "";
  return fmt::format(" ({:+.3g} %)", (cur - base) / std::fabs(base) * 100);
}

void flatten(const nlohmann::json& j, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const auto& v = it.value();
    if (v.is_object())
      flatten(v, key, out);
    else if (v.is_number_unsigned())
      out[key] = std::to_string(v.get<uint64_t>());
    else if (v.is_number_integer())
      out[key] = std::to_string(v.get<int64_t>());
    else if (v.is_number_float())
      out[key] = metric_text(v.get<double>());
    else if (v.is_string())
      out[key] = v.get<std::string>();
    else if (v.is_boolean())
      out[key] = v.get<bool>() ? "true" : "false";
  }
}

}  // namespace

std::optional<size_t> ResultTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  return std::nullopt;
}

std::string ResultTable::csv() const {
  std::string out = csv_line(columns);
  for (const auto& r : rows) out += csv_line(r);
  return out;
}

size_t ResultTable::id(size_t row) const {
  size_t id = 0;
  parse_id(rows.at(row).at(0), id);
  return id;
}

void ResultTable::sort_by_id() {
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return id(a) < id(b); });
  std::vector<std::vector<std::string>> sorted;
  sorted.reserve(rows.size());
  for (size_t i : order) sorted.push_back(std::move(rows[i]));
  rows = std::move(sorted);
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

ResultTable read_results(const std::string& path, size_t* partial_bytes) {
  config::refuse_non_regular(path);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  size_t complete = 0;
  auto records = parse_csv(text, complete);
  if (partial_bytes) *partial_bytes = text.size() - complete;
  ResultTable t;
  if (records.empty()) return t;
  t.columns = std::move(records[0]);
  if (t.columns.empty() || t.columns[0] != "point")
    throw std::runtime_error(path + ": not a results table (the first column is not 'point')");
  for (size_t i = 1; i < records.size(); ++i) {
    size_t id = 0;
    if (records[i].size() != t.columns.size() || !parse_id(records[i][0], id))
      throw std::runtime_error(fmt::format("{}: row {} has {} fields, the header {}", path, i,
                                           records[i].size(), t.columns.size()));
    t.rows.push_back(std::move(records[i]));
  }
  return t;
}

std::map<std::string, std::string> flatten_summary(const std::string& summary_json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(summary_json);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("summary.json: ") + e.what());
  }
  std::map<std::string, std::string> out;
  if (j.is_object()) flatten(j, "", out);
  return out;
}

std::string metric_text(double v) {
  return fmt::format("{:.12g}", v);
}

double cell_number(const std::string& text) {
  if (text.empty()) return kNaN;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return kNaN;
  return v;
}

std::vector<size_t> pareto_front(const ResultTable& t, const std::vector<std::string>& minimize,
                                 const std::vector<std::string>& maximize) {
  std::vector<std::pair<size_t, bool>> objectives;  // column, maximize
  for (const auto& m : minimize)
    if (auto c = t.column(m)) objectives.emplace_back(*c, false);
  for (const auto& m : maximize)
    if (auto c = t.column(m)) objectives.emplace_back(*c, true);
  const auto status = t.column("status");
  std::vector<size_t> candidates;
  std::vector<std::vector<double>> costs;  // to minimise
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (status && t.rows[r][*status] != "ok") continue;
    std::vector<double> c;
    for (const auto& [col, max] : objectives)
      c.push_back((max ? -1 : 1) * cell_number(t.rows[r][col]));
    if (std::any_of(c.begin(), c.end(), [](double x) { return std::isnan(x); })) continue;
    candidates.push_back(r);
    costs.push_back(std::move(c));
  }
  std::vector<size_t> front;
  for (size_t i = 0; i < candidates.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < candidates.size() && !dominated; ++j) {
      if (i == j) continue;
      bool no_worse = true, better = false;
      for (size_t k = 0; k < costs[i].size(); ++k) {
        if (costs[j][k] > costs[i][k]) no_worse = false;
        if (costs[j][k] < costs[i][k]) better = true;
      }
      dominated = no_worse && better;
    }
    if (!dominated) front.push_back(candidates[i]);
  }
  return front;
}

ResultTable select_rows(const ResultTable& t, const std::vector<size_t>& rows) {
  ResultTable out;
  out.columns = t.columns;
  for (size_t r : rows) out.rows.push_back(t.rows.at(r));
  return out;
}

namespace {

/// Whether two cells differ beyond the tolerance; numbers by value, text exactly.
bool moved(const std::string& base, const std::string& cur, double rtol, double atol) {
  const double b = cell_number(base), c = cell_number(cur);
  if (std::isnan(b) || std::isnan(c)) return base != cur;
  return std::fabs(c - b) > rtol * std::fabs(b) + atol;
}

std::string move_text(const std::string& what, const std::string& base, const std::string& cur) {
  const double b = cell_number(base), c = cell_number(cur);
  if (std::isnan(b) || std::isnan(c)) return fmt::format("{}: '{}' -> '{}'", what, base, cur);
  return fmt::format("{}: {} -> {}{}", what, base, cur, percent(c, b));
}

}  // namespace

Comparison compare_results(const ResultTable& baseline, const ResultTable& current, double rtol,
                           double atol) {
  Comparison cmp;
  const auto bstatus = baseline.column("status"), cstatus = current.column("status");
  const auto bmsg = baseline.column("message");
  // Columns before `status` are the point id and the swept keys; those after are metrics.
  auto metric_columns = [](const ResultTable& t) {
    std::vector<std::string> m;
    const auto s = t.column("status");
    for (size_t i = s ? *s + 1 : 1; i < t.columns.size(); ++i)
      if (t.columns[i] != "message") m.push_back(t.columns[i]);
    return m;
  };
  auto key_columns = [](const ResultTable& t) {
    std::vector<std::string> k;
    const auto s = t.column("status");
    for (size_t i = 1; i < (s ? *s : 1); ++i) k.push_back(t.columns[i]);
    return k;
  };
  const auto bmetrics = metric_columns(baseline), cmetrics = metric_columns(current);
  for (const auto& m : bmetrics)
    if (!current.column(m)) cmp.changed.push_back("metric " + m + " is in the baseline only");
  for (const auto& m : cmetrics)
    if (!baseline.column(m)) cmp.changed.push_back("metric " + m + " is new (not in the baseline)");
  if (key_columns(baseline) != key_columns(current))
    cmp.changed.push_back("the swept keys differ from the baseline's");

  std::map<size_t, size_t> crow;
  for (size_t r = 0; r < current.rows.size(); ++r) crow[current.id(r)] = r;
  std::set<size_t> seen;
  for (size_t br = 0; br < baseline.rows.size(); ++br) {
    const size_t id = baseline.id(br);
    seen.insert(id);
    const auto it = crow.find(id);
    if (it == crow.end()) {
      cmp.changed.push_back(fmt::format("point {} is in the baseline only", id));
      continue;
    }
    const auto& b = baseline.rows[br];
    const auto& c = current.rows[it->second];
    std::string where = fmt::format("point {}", id);
    std::string values;
    for (const auto& k : key_columns(baseline))
      if (auto ci = current.column(k)) {
        const std::string& bv = b[*baseline.column(k)];
        values += (values.empty() ? "" : ", ") + k + "=" + bv;
        if (bv != c[*ci])
          cmp.changed.push_back(
              fmt::format("point {}: {} is {} in the baseline, {} now", id, k, bv, c[*ci]));
      }
    if (!values.empty()) where += " (" + values + ")";
    ++cmp.points;
    if (bstatus && cstatus && b[*bstatus] != c[*cstatus]) {
      std::string why;
      if (auto cm = current.column("message"); cm && !c[*cm].empty()) why = ": " + c[*cm];
      if (bmsg && !b[*bmsg].empty() && why.empty()) why = " (baseline: " + b[*bmsg] + ")";
      cmp.changed.push_back(
          fmt::format("{}: status {} -> {}{}", where, b[*bstatus], c[*cstatus], why));
      continue;
    }
    for (const auto& m : bmetrics) {
      const auto ci = current.column(m);
      if (!ci) continue;
      ++cmp.metrics;
      const std::string& bv = b[*baseline.column(m)];
      if (moved(bv, c[*ci], rtol, atol))
        cmp.moved.push_back(move_text(where + ": " + m, bv, c[*ci]));
    }
  }
  for (const auto& [id, r] : crow)
    if (!seen.count(id))
      cmp.changed.push_back(fmt::format("point {} is new (not in the baseline)", id));
  return cmp;
}

Comparison compare_summaries(const std::string& baseline_json, const std::string& current_json,
                             double rtol, double atol) {
  const auto b = flatten_summary(baseline_json), c = flatten_summary(current_json);
  Comparison cmp;
  cmp.points = 1;
  for (const auto& [k, bv] : b) {
    const auto it = c.find(k);
    if (it == c.end()) {
      cmp.changed.push_back("metric " + k + " is in the baseline only");
      continue;
    }
    ++cmp.metrics;
    if (moved(bv, it->second, rtol, atol)) cmp.moved.push_back(move_text(k, bv, it->second));
  }
  for (const auto& [k, cv] : c)
    if (!b.count(k)) cmp.changed.push_back("metric " + k + " is new (not in the baseline)");
  return cmp;
}

}  // namespace npu
