#include "request_file.h"

#include <cmath>
#include <cstdlib>

#include "error.h"
#include "yaml_reader.h"

namespace npu {

namespace {

const char* const kColumns[] = {"arrival_s", "prompt_tokens", "output_tokens"};

/// A field of a line: its text (spaces trimmed) and its 1-based column.
struct Field {
  std::string text;
  int col;
};

std::vector<Field> split(const std::string& line) {
  std::vector<Field> out;
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

}  // namespace

std::vector<Request> read_requests(const std::string& path) {
  const std::string text = config::read_input(path, "CSV");
  if (const std::string why = config::text_problem(text); !why.empty())
    throw ConfigError(path, 0, 0, "", "the file is " + why);
  std::vector<Request> out;
  int order[3] = {-1, -1, -1};  // the field index of each of kColumns
  bool header = false;
  int ln = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++ln;
    const std::vector<Field> f = split(line);
    if ((f.size() == 1 && f[0].text.empty()) || (!f[0].text.empty() && f[0].text[0] == '#'))
      continue;
    if (!header) {
      for (size_t i = 0; i < f.size(); ++i) {
        int c = 0;
        while (c < 3 && f[i].text != kColumns[c]) ++c;
        if (c == 3)
          throw ConfigError(path, ln, f[i].col, "",
                            "'" + f[i].text +
                                "' is not a column of a request file (arrival_s, prompt_tokens, "
                                "output_tokens)");
        if (order[c] >= 0)
          throw ConfigError(path, ln, f[i].col, "", std::string(kColumns[c]) + " is named twice");
        order[c] = static_cast<int>(i);
      }
      for (int c = 0; c < 3; ++c)
        if (order[c] < 0)
          throw ConfigError(path, ln, 1, "",
                            "the header names no " + std::string(kColumns[c]) +
                                " column (a request file's first line names its columns: "
                                "arrival_s,prompt_tokens,output_tokens)");
      header = true;
      continue;
    }
    if (f.size() != 3)
      throw ConfigError(path, ln, 1, "",
                        "expected 3 fields (arrival_s, prompt_tokens, output_tokens), got " +
                            std::to_string(f.size()));
    if (out.size() == kMaxServeRequests)
      throw ConfigError(path, ln, 1, "",
                        "more than " + std::to_string(kMaxServeRequests) + " requests");
    Request r;
    r.line = ln;
    for (int c = 0; c < 3; ++c) {
      const Field& x = f[static_cast<size_t>(order[c])];
      const auto bad = [&](const std::string& what) {
        throw ConfigError(path, ln, x.col, kColumns[c], "'" + x.text.substr(0, 40) + "' " + what);
      };
      char* end = nullptr;
      if (c == 0) {
        const double v = x.text.empty() ? NAN : std::strtod(x.text.c_str(), &end);
        if (x.text.empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v > 1e9)
          bad("is not a time in seconds from 0 to 1e9");
        r.arrival_s = v;
        continue;
      }
      const bool digits = !x.text.empty() && x.text.size() <= 9 &&
                          x.text.find_first_not_of("0123456789") == std::string::npos;
      const uint64_t v = digits ? std::strtoull(x.text.c_str(), &end, 10) : 0;
      if (!digits || v < 1 || v > kMaxPositions) bad("is not a token count from 1 to 16777216");
      (c == 1 ? r.prompt : r.output) = v;
    }
    out.push_back(r);
  }
  if (!header) throw ConfigError(path, 0, 0, "", "the file is empty (no header line)");
  if (out.empty()) throw ConfigError(path, ln, 0, "", "no requests after the header");
  return out;
}

}  // namespace npu
