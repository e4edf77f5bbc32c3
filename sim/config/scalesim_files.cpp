#include "scalesim_files.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "error.h"
#include "yaml_reader.h"

namespace npu {
namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

[[noreturn]] void fail(const std::string& file, int line, const std::string& message) {
  throw ConfigError(file, line, 0, "", message);
}

std::vector<std::string> read_lines(const std::string& path) {
  // A regular file within the size cap (a device, FIFO or directory is refused at once).
  std::istringstream f(config::read_input(path, "SCALE-Sim"));
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(f, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.find('\0') != std::string::npos)
      fail(path, static_cast<int>(lines.size()) + 1, "not a text file (NUL byte)");
    lines.push_back(l);
  }
  return lines;
}

/// A decimal integer as Python's int() takes it (sign allowed, surrounding spaces stripped).
bool parse_int(const std::string& text, int64_t& out) {
  const std::string s = trim(text);
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    if (v > (static_cast<uint64_t>(INT64_MAX) - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

struct IniValue {
  std::string value;
  int line = 0;
};
struct IniSection {
  int line = 0;
  std::map<std::string, IniValue> keys;  ///< lower-cased key -> value
};

std::map<std::string, IniSection> parse_ini(const std::string& path) {
  const std::vector<std::string> lines = read_lines(path);
  std::map<std::string, IniSection> out;
  IniSection* current = nullptr;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int ln = static_cast<int>(i) + 1;
    const std::string t = trim(lines[i]);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      if (t.back() != ']') fail(path, ln, "section header '" + t + "' has no closing ']'");
      const std::string name = t.substr(1, t.size() - 2);
      if (out.count(name)) fail(path, ln, "section [" + name + "] given twice");
      current = &out[name];
      current->line = ln;
      continue;
    }
    if (!current) fail(path, ln, "'" + t + "' is outside any [section]");
    const size_t sep = t.find_first_of("=:");
    if (sep == std::string::npos || sep == 0)
      fail(path, ln, "expected 'key: value' or 'key = value', got '" + t + "'");
    const std::string key = lower(trim(t.substr(0, sep)));
    if (current->keys.count(key))
      fail(path, ln, "key '" + trim(t.substr(0, sep)) + "' given twice");
    current->keys[key] = {trim(t.substr(sep + 1)), ln};
  }
  return out;
}

}  // namespace

ScaleSimConfig read_scalesim_config(const std::string& path) {
  const std::map<std::string, IniSection> ini = parse_ini(path);
  auto section = [&](const std::string& name) -> const IniSection& {
    auto it = ini.find(name);
    if (it == ini.end()) fail(path, 0, "missing section [" + name + "]");
    return it->second;
  };
  auto get = [&](const std::string& sec, const std::string& key) -> const IniValue& {
    const IniSection& s = section(sec);
    auto it = s.keys.find(lower(key));
    if (it == s.keys.end()) fail(path, s.line, "[" + sec + "] has no key " + key);
    return it->second;
  };
  auto get_int = [&](const std::string& sec, const std::string& key, int64_t min, int64_t max) {
    const IniValue& v = get(sec, key);
    int64_t x = 0;
    if (!parse_int(v.value, x)) fail(path, v.line, key + ": '" + v.value + "' is not an integer");
    if (x < min)
      fail(path, v.line,
           key + ": " + v.value + " is below the least allowed, " + std::to_string(min));
    if (x > max)
      fail(path, v.line,
           key + ": " + v.value + " is above the most allowed, " + std::to_string(max));
    return x;
  };
  // Every key npusim reads, by section; any other key or section is refused by name (a
  // setting of another SCALE-Sim branch, Ramulator's or sparsity's, changes the work).
  const std::map<std::string, std::set<std::string>> known = {
      {"general", {"run_name"}},
      {"architecture_presets",
       {"arrayheight", "arraywidth", "ifmapsramszkb", "filtersramszkb", "ofmapsramszkb",
        "ifmapoffset", "filteroffset", "ofmapoffset", "dataflow", "bandwidth", "memorybanks"}},
      {"run_presets", {"interfacebandwidth", "useramulatortrace"}}};
  for (const auto& [name, sec] : ini) {
    const auto k = known.find(name);
    if (k == known.end())
      fail(path, sec.line,
           "section [" + name +
               "] is not one npusim models (it reads [general], "
               "[architecture_presets] and [run_presets])");
    for (const auto& [key, v] : sec.keys)
      if (!k->second.count(key)) {
        const std::vector<std::string> names(k->second.begin(), k->second.end());
        const auto guess = config::nearest(key, names);
        fail(path, v.line,
             "[" + name + "] key '" + key + "' is not one npusim models" +
                 (guess ? "; did you mean '" + *guess + "'?" : std::string()));
      }
  }
  ScaleSimConfig c;
  c.run_name = get("general", "run_name").value;
  {
    const IniValue& v = get("general", "run_name");
    if (c.run_name.empty() || c.run_name == "." || c.run_name == ".." ||
        c.run_name.find('/') != std::string::npos || c.run_name.size() > 200)
      fail(path, v.line, "run_name: '" + c.run_name + "' is not a folder name");
  }
  {
    const IniValue& v = get("run_presets", "InterfaceBandwidth");
    if (v.value == "USER")
      c.user_bandwidth = true;
    else if (v.value != "CALC")
      fail(path, v.line, "InterfaceBandwidth: '" + v.value + "' is not USER or CALC");
  }
  const std::string arch = "architecture_presets";
  // Bounds: an array of up to 65,536 x 65,536 PEs, SRAMs up to 2^32 kB, offsets up to 2^48
  // words, so that no count or address the reports hold overflows.
  constexpr int64_t kMaxArray = 65536, kMaxSramKb = int64_t{1} << 32, kMaxOffset = int64_t{1} << 48;
  c.array_rows = static_cast<uint64_t>(get_int(arch, "ArrayHeight", 1, kMaxArray));
  c.array_cols = static_cast<uint64_t>(get_int(arch, "ArrayWidth", 1, kMaxArray));
  c.ifmap_sram_kb = static_cast<uint64_t>(get_int(arch, "IfmapSramSzkB", 1, kMaxSramKb));
  c.filter_sram_kb = static_cast<uint64_t>(get_int(arch, "FilterSramSzkB", 1, kMaxSramKb));
  c.ofmap_sram_kb = static_cast<uint64_t>(get_int(arch, "OfmapSramSzkB", 1, kMaxSramKb));
  c.ifmap_offset = get_int(arch, "IfmapOffset", 0, kMaxOffset);
  c.filter_offset = get_int(arch, "FilterOffset", 0, kMaxOffset);
  c.ofmap_offset = get_int(arch, "OfmapOffset", 0, kMaxOffset);
  {
    const IniValue& v = get(arch, "Dataflow");
    c.dataflow = v.value;
    if (c.dataflow != "ws" && c.dataflow != "os" && c.dataflow != "is")
      fail(path, v.line, "Dataflow: '" + v.value + "' is not ws, os or is");
  }
  if (c.user_bandwidth) {
    const IniValue& v = get(arch, "Bandwidth");
    std::stringstream ss(v.value);
    std::string item;
    while (std::getline(ss, item, ',')) {
      int64_t x = 0;
      if (!parse_int(item, x) || x < 1 || x > (int64_t{1} << 32))
        fail(path, v.line, "Bandwidth: '" + trim(item) + "' is not an integer from 1 to 2^32");
      c.bandwidths.push_back(static_cast<uint64_t>(x));
    }
    if (c.bandwidths.empty()) fail(path, v.line, "Bandwidth: no value");
  }
  if (section(arch).keys.count("memorybanks"))
    c.memory_banks = static_cast<uint64_t>(get_int(arch, "MemoryBanks", 1, kMaxArray));
  if (section("run_presets").keys.count("useramulatortrace")) {
    const IniValue& v = get("run_presets", "UseRamulatorTrace");
    const std::string b = lower(v.value);
    if (b == "true" || b == "yes" || b == "1" || b == "on")
      fail(path, v.line,
           "UseRamulatorTrace: True (stalls from a Ramulator DRAM trace) is not modelled: "
           "npusim computes CALC's stall-free memory; set it False");
    else if (!(b == "false" || b == "no" || b == "0" || b == "off"))
      fail(path, v.line, "UseRamulatorTrace: '" + v.value + "' is not True or False");
  }
  return c;
}

std::vector<ScaleSimLayer> read_scalesim_topology(const std::string& path, bool gemm) {
  const std::vector<std::string> lines = read_lines(path);
  std::vector<ScaleSimLayer> out;
  for (size_t i = 1; i < lines.size(); ++i) {  // line 1 is the header
    const int ln = static_cast<int>(i) + 1;
    if (trim(lines[i]).empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(lines[i]);
    std::string item;
    while (std::getline(ss, item, ',')) f.push_back(trim(item));
    while (!f.empty() && f.back().empty()) f.pop_back();  // trailing commas (and spaces)
    const size_t want = gemm ? 4 : 8;
    if (f.size() < want || f.size() > want + (gemm ? 0 : 1))
      fail(path, ln,
           gemm ? "expected 4 fields (Layer, M, N, K), got " + std::to_string(f.size())
                : "expected 8 or 9 fields (Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                  "Filter Width, Channels, Num Filter, Strides[, Stride width]), got " +
                      std::to_string(f.size()));
    std::vector<uint64_t> v;
    for (size_t k = 1; k < f.size(); ++k) {
      int64_t x = 0;
      if (!parse_int(f[k], x))
        fail(path, ln, "field " + std::to_string(k + 1) + ": '" + f[k] + "' is not an integer");
      if (x < 1)
        fail(path, ln, "field " + std::to_string(k + 1) + ": " + f[k] + " is not positive");
      if (x > (int64_t{1} << 32))
        fail(path, ln, "field " + std::to_string(k + 1) + ": " + f[k] + " is too large");
      v.push_back(static_cast<uint64_t>(x));
    }
    ScaleSimLayer l;
    l.name = f[0];
    l.line = ln;
    if (gemm) {
      const uint64_t m = v[0], n = v[1], k = v[2];
      l.ifmap_h = m, l.ifmap_w = k, l.filter_h = 1, l.filter_w = k, l.channels = 1;
      l.num_filters = n, l.stride_h = 1, l.stride_w = 1;
      out.push_back(l);
      continue;
    }
    l.ifmap_h = v[0], l.ifmap_w = v[1], l.filter_h = v[2], l.filter_w = v[3];
    l.channels = v[4], l.num_filters = v[5], l.stride_h = v[6];
    l.stride_w = v.size() > 7 ? v[7] : v[6];
    if (l.filter_h > l.ifmap_h) fail(path, ln, "Filter Height is larger than IFMAP Height");
    if (l.filter_w > l.ifmap_w) fail(path, ln, "Filter Width is larger than IFMAP Width");
    if (l.name.find("DP") != std::string::npos) {
      const uint64_t ch = l.channels;
      if (ch > 1'000'000) fail(path, ln, "depth-wise layer with more than 1000000 channels");
      l.channels = 1;
      for (uint64_t c = 0; c < ch; ++c) {
        ScaleSimLayer d = l;
        d.name = l.name + "Channel_" + std::to_string(c);
        out.push_back(d);
      }
    } else {
      out.push_back(l);
    }
  }
  if (out.empty()) fail(path, static_cast<int>(lines.size()), "no layers (line 1 is the header)");
  return out;
}

}  // namespace npu
