#include "preset_check.h"

#include "yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

namespace npu {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool is_number(const std::string& v) {
  static const std::regex kNumber(R"(^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$)");
  return std::regex_match(v, kNumber);
}

}  // namespace

const std::vector<std::string>& source_markers() {
  static const std::vector<std::string> kMarkers = {
      // what the number is
      "assumption", "derived", "calibrated", "not hardware",
      // where it comes from
      "hardware.md", "measured-tuning", "arxiv", "://", "datasheet", "npu_compiler", "soc_table",
      "horowitz", "chips and cheese", "maderix", "anemll", "eiln", "bryngelson", "tinygrad",
      "llama.cpp", "geektopia", "tech tour"};
  return kMarkers;
}

bool comment_names_source(const std::string& comment) {
  const std::string c = lower(comment);
  for (const std::string& m : source_markers())
    if (c.find(m) != std::string::npos) return true;
  return false;
}

std::vector<std::string> unsourced_numbers(const std::string& text, const std::string& file) {
  std::vector<std::string> problems;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    // `key: value  # comment` (a '#' starts a comment at the line start or after a blank).
    std::string body = line, comment;
    bool has_comment = false;
    for (size_t i = 0; i < line.size(); ++i)
      if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        body = line.substr(0, i);
        comment = line.substr(i + 1);
        has_comment = true;
        break;
      }
    const size_t colon = body.find(':');
    if (colon == std::string::npos) continue;
    std::string key = trim(body.substr(0, colon));
    if (!key.empty() && key[0] == '-') key = trim(key.substr(1));
    const std::string value = trim(body.substr(colon + 1));
    if (!is_number(value)) continue;
    const size_t col = line.find_first_not_of(" \t") + 1;
    const std::string where =
        file + ":" + std::to_string(n) + ":" + std::to_string(col) + ": " + key + ": ";
    if (!has_comment || trim(comment).empty())
      problems.push_back(where + "the number " + value +
                         " has no comment; say where it comes from or that it is an assumption "
                         "and why (`# assumption: ...`)");
    else if (!comment_names_source(comment))
      problems.push_back(where + "the comment on " + value +
                         " names no source; cite one (hardware.md, a datasheet, a paper, a URL, "
                         "vendor code, a write-up) or write 'assumption: why', 'derived: how' or "
                         "'calibrated: on what'");
  }
  return problems;
}

std::vector<std::string> unsourced_numbers_in_file(const std::string& path) {
  std::string text;
  try {
    text = config::read_input(path, "YAML");  // never a device or a FIFO, at most 16 MiB
  } catch (const ConfigError& e) {
    return {e.what()};
  }
  return unsourced_numbers(text, path);
}

}  // namespace npu
