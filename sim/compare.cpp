#include "compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>

#include "config/error.h"
#include "results.h"

namespace npu {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

/// The node at a dotted path, or null.
const Json* at(const Json& j, const std::string& path) {
  const Json* node = &j;
  std::istringstream in(path);
  std::string key;
  while (std::getline(in, key, '.')) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::optional<double> number(const Json& j, const std::string& path) {
  const Json* n = at(j, path);
  if (!n || !n->is_number()) return std::nullopt;
  return n->get<double>();
}

/// A cell: a number (with its full-precision text for csv) or a word (a bound).
struct Cell {
  std::optional<double> value;
  std::string word;
  bool present() const { return value.has_value() || !word.empty(); }
};

struct Metric {
  std::string name, unit;
  std::function<Cell(const Json&)> get;
};

Metric scaled(std::string name, std::string unit, std::string path, double scale) {
  return {std::move(name), std::move(unit), [path, scale](const Json& j) {
            Cell c;
            if (auto v = number(j, path)) c.value = *v * scale;
            return c;
          }};
}

Metric word(std::string name, std::string path) {
  return {std::move(name), "", [path](const Json& j) {
            Cell c;
            if (const Json* n = at(j, path); n && n->is_string()) c.word = n->get<std::string>();
            return c;
          }};
}

std::vector<Metric> metrics(const std::vector<Json>& runs) {
  std::vector<Metric> m = {
      scaled("time", "ms", "seconds", 1e3),
      scaled("cycles", "", "total_cycles", 1),
      scaled("time to first token", "ms", "workload.time_to_first_token_s", 1e3),
      scaled("prefill tokens/s", "tok/s", "workload.prefill.tokens_per_s", 1),
      scaled("decode tokens/s", "tok/s", "workload.decode.tokens_per_s", 1),
      scaled("prefill energy/token", "mJ", "workload.prefill.joules_per_token", 1e3),
      scaled("decode energy/token", "mJ", "workload.decode.joules_per_token", 1e3),
      scaled("energy", "mJ", "energy_j", 1e3),
      {"DRAM traffic", "GB",
       [](const Json& j) {
         Cell c;
         auto r = number(j, "dram_read_bytes"), w = number(j, "dram_write_bytes");
         if (r && w) c.value = (*r + *w) * 1e-9;
         return c;
       }},
      scaled("achieved bandwidth", "GB/s", "achieved_gbps", 1),
      scaled("achieved TOPS", "TOPS", "achieved_tops", 1),
      word("bound", "bound"),
      word("prefill bound", "workload.prefill.bound"),
      word("decode bound", "workload.decode.bound"),
  };
  std::set<std::string> classes;
  for (const Json& j : runs)
    if (const Json* b = at(j, "by_class"); b && b->is_object())
      for (const auto& item : b->items()) classes.insert(item.key());
  for (const std::string& c : classes)
    m.push_back(scaled("cycles: " + c, "", "by_class." + c + ".cycles", 1));
  return m;
}

/// Whole numbers (cycles) in full, others to 6 significant digits.
std::string short_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

}  // namespace

ComparedRun read_compared_run(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw ConfigError(dir, 0, 0, "",
                      fs::exists(dir, ec) ? "not a folder (give report folders of npusim run)"
                                          : "no such folder");
  const std::string path = (fs::path(dir) / "summary.json").string();
  if (!fs::is_regular_file(path, ec))
    throw ConfigError(dir, 0, 0, "", "no summary.json (not a report folder of npusim run)");
  std::ifstream f(path, std::ios::binary);
  std::ostringstream text;
  text << f.rdbuf();
  if (!f) throw ConfigError(path, 0, 0, "", "cannot be read");
  Json j;
  try {
    j = Json::parse(text.str());
  } catch (const Json::parse_error& e) {
    throw ConfigError(path, 0, 0, "", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw ConfigError(path, 0, 0, "", "not a JSON object");
  if (!j.contains("seconds") || !j["seconds"].is_number())
    throw ConfigError(path, 0, 0, "", "not a summary of npusim run (no 'seconds')");
  return {dir, text.str()};
}

std::string compare_table(const std::vector<ComparedRun>& runs, TableFormat format) {
  std::vector<Json> parsed;
  for (const ComparedRun& r : runs) parsed.push_back(Json::parse(r.summary_json));
  const bool csv = format == TableFormat::kCsv;

  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"metric", "unit"};
  for (size_t i = 0; i < runs.size(); ++i) {
    header.push_back(runs[i].label);
    if (i > 0) header.push_back(csv ? "ratio " + runs[i].label : "ratio");
  }
  table.push_back(header);
  for (const Metric& m : metrics(parsed)) {
    std::vector<Cell> cells;
    for (const Json& j : parsed) cells.push_back(m.get(j));
    if (std::none_of(cells.begin(), cells.end(), [](const Cell& c) { return c.present(); }))
      continue;
    std::vector<std::string> row = {m.name, m.unit};
    for (size_t i = 0; i < cells.size(); ++i) {
      const Cell& c = cells[i];
      if (c.value)
        row.push_back(csv ? fmt::format("{}", *c.value) : short_number(*c.value));
      else
        row.push_back(c.word.empty() ? "-" : c.word);
      if (i == 0) continue;
      const Cell& first = cells[0];
      if (!c.word.empty() || !first.word.empty())
        row.push_back(c.word.empty() || first.word.empty()
                          ? "-"
                          : (c.word == first.word ? "same" : "differs"));
      else if (c.value && first.value && *first.value != 0)
        row.push_back(csv ? fmt::format("{}", *c.value / *first.value)
                          : fmt::format("{:.3g}", *c.value / *first.value));
      else
        row.push_back("-");
    }
    table.push_back(row);
  }

  std::string out;
  if (csv) {
    for (const auto& row : table) out += csv_line(row);
    return out;
  }
  if (format == TableFormat::kMarkdown) {
    for (size_t r = 0; r < table.size(); ++r) {
      out += "|";
      for (const std::string& cell : table[r]) out += " " + cell + " |";
      out += "\n";
      if (r == 0) {
        out += "|";
        for (size_t c = 0; c < table[r].size(); ++c) out += c < 2 ? "---|" : "---:|";
        out += "\n";
      }
    }
    return out;
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : table)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : table) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      line +=
          c < 2 ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("{:>{}}", row[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace npu
