#include "csv_input.h"

#include <cmath>
#include <cstdlib>

#include "error.h"
#include "yaml_reader.h"

namespace npu::config {

namespace {

std::vector<CsvField> split(const std::string& line) {
  std::vector<CsvField> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    const size_t end = comma == std::string::npos ? line.size() : comma;
    size_t a = start, b = end;
    while (a < b && (line[a] == ' ' || line[a] == '\t')) ++a;
    while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r')) --b;
    out.push_back({line.substr(a, b - a), static_cast<int>(a) + 1});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string list(const std::vector<std::string>& columns) {
  std::string s;
  for (size_t i = 0; i < columns.size(); ++i) s += (i ? ", " : "") + columns[i];
  return s;
}

}  // namespace

std::vector<CsvRecord> read_csv_records(const std::string& path,
                                        const std::vector<std::string>& columns,
                                        uint64_t max_records) {
  const std::string text = read_input(path, "CSV");
  if (const std::string why = text_problem(text); !why.empty())
    throw ConfigError(path, 0, 0, "", "the file is " + why);
  std::vector<int> order(columns.size(), -1);  // the field index of each column
  bool header = false;
  std::vector<CsvRecord> out;
  int ln = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::vector<CsvField> f = split(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++ln;
    if ((f.size() == 1 && f[0].text.empty()) || (!f[0].text.empty() && f[0].text[0] == '#'))
      continue;
    if (!header) {
      for (size_t i = 0; i < f.size(); ++i) {
        size_t c = 0;
        while (c < columns.size() && f[i].text != columns[c]) ++c;
        if (c == columns.size())
          throw ConfigError(path, ln, f[i].col, "",
                            "'" + f[i].text.substr(0, 40) + "' is not a column of this file (" +
                                list(columns) + ")");
        if (order[c] >= 0)
          throw ConfigError(path, ln, f[i].col, "", columns[c] + " is named twice");
        order[c] = static_cast<int>(i);
      }
      for (size_t c = 0; c < columns.size(); ++c)
        if (order[c] < 0)
          throw ConfigError(path, ln, 1, "",
                            "the header names no " + columns[c] +
                                " column (the first line names the columns: " + list(columns) +
                                ")");
      header = true;
      continue;
    }
    if (f.size() != columns.size())
      throw ConfigError(path, ln, 1, "",
                        "expected " + std::to_string(columns.size()) + " fields (" + list(columns) +
                            "), got " + std::to_string(f.size()));
    if (out.size() == max_records)
      throw ConfigError(path, ln, 1, "", "more than " + std::to_string(max_records) + " records");
    CsvRecord r{ln, {}};
    for (size_t c = 0; c < columns.size(); ++c)
      r.fields.push_back(f[static_cast<size_t>(order[c])]);
    out.push_back(std::move(r));
  }
  if (!header) throw ConfigError(path, 0, 0, "", "the file is empty (no header line)");
  if (out.empty()) throw ConfigError(path, ln, 0, "", "no records after the header");
  return out;
}

uint64_t csv_count(const std::string& path, int line, const CsvField& f, const std::string& column,
                   uint64_t lo, uint64_t hi) {
  const bool digits = !f.text.empty() && f.text.size() <= 18 &&
                      f.text.find_first_not_of("0123456789") == std::string::npos;
  const uint64_t v = digits ? std::strtoull(f.text.c_str(), nullptr, 10) : 0;
  if (!digits || v < lo || v > hi)
    throw ConfigError(path, line, f.col, column,
                      "'" + f.text.substr(0, 40) + "' is not a whole number from " +
                          std::to_string(lo) + " to " + std::to_string(hi));
  return v;
}

double csv_number(const std::string& path, int line, const CsvField& f, const std::string& column,
                  double lo, double hi, const std::string& what) {
  char* end = nullptr;
  const double v = f.text.empty() ? NAN : std::strtod(f.text.c_str(), &end);
  if (f.text.empty() || *end != '\0' || !std::isfinite(v) || v < lo || v > hi)
    throw ConfigError(path, line, f.col, column, "'" + f.text.substr(0, 40) + "' is not " + what);
  return v;
}

}  // namespace npu::config
