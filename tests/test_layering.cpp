// The layers of DESIGN.md, checked on the source tree: every `#include "..."` in arch/,
// workloads/ and sim/ goes down the table below or stays in its layer, and no two units (a .h
// with its .cpp; a `_detail.h` belongs to the unit it details) include each other, directly or
// through others. The CMake libraries (npusim_types, npusim_arch, npusim_workloads,
// npusim_config, npusim_sim) follow the same table. SystemC and ONNX stay in the two parts the
// npusim binary loads only when it needs them (sim/plugins.h): nothing else includes them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace npu {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = NPUSIM_SOURCE_DIR;

/// The layer of a source file (a path relative to the root).
std::string layer_of(const std::string& p) {
  if (p.rfind("arch/types.", 0) == 0) return "types";
  for (const char* l : {"sim/cli/", "sim/config/", "sim/", "arch/", "workloads/"})
    if (p.rfind(l, 0) == 0) {
      const std::string s = l;
      if (s == "sim/cli/") return "cli";
      if (s == "sim/config/") return "config";
      return s.substr(0, s.size() - 1);
    }
  return "";
}

/// What each layer may include besides itself.
const std::map<std::string, std::set<std::string>> kMayInclude = {
    {"types", {}},
    {"arch", {"types"}},
    {"workloads", {"types"}},
    {"config", {"types", "arch", "workloads"}},
    {"sim", {"types", "arch", "workloads", "config"}},
    {"cli", {"types", "arch", "workloads", "config", "sim"}},
};

struct Include {
  std::string from, to;  ///< paths relative to the root
};

/// Every quoted include of the layered folders, resolved as the compiler does (beside the file,
/// then from the root).
std::vector<Include> includes(std::vector<std::string>& unresolved) {
  std::vector<Include> out;
  const std::regex inc(R"(^\s*#\s*include\s+"([^"]+)\")");
  for (const char* dir : {"arch", "workloads", "sim"})
    for (const auto& e : fs::recursive_directory_iterator(kRoot / dir)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
      const std::string from = fs::relative(e.path(), kRoot).generic_string();
      std::ifstream in(e.path());
      for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, inc)) continue;
        fs::path target = (e.path().parent_path() / m[1].str()).lexically_normal();
        if (!fs::exists(target)) target = kRoot / m[1].str();
        if (!fs::exists(target)) {
          unresolved.push_back(from + ": " + m[1].str());
          continue;
        }
        out.push_back({from, fs::relative(target, kRoot).generic_string()});
      }
    }
  return out;
}

/// A file's unit: its path without extension, a `_detail` suffix dropped.
std::string unit_of(const std::string& p) {
  std::string u = p.substr(0, p.rfind('.'));
  const std::string detail = "_detail";
  if (u.size() > detail.size() && u.compare(u.size() - detail.size(), detail.size(), detail) == 0)
    u.resize(u.size() - detail.size());
  return u;
}

TEST(Layering, EveryIncludeGoesDownTheLayers) {
  std::vector<std::string> unresolved;
  const auto edges = includes(unresolved);
  EXPECT_TRUE(unresolved.empty()) << "unresolved includes, first: " << unresolved.front();
  ASSERT_GT(edges.size(), 100u);  // the tree was found
  for (const Include& e : edges) {
    const std::string a = layer_of(e.from), b = layer_of(e.to);
    ASSERT_FALSE(a.empty()) << e.from;
    EXPECT_TRUE(a == b || kMayInclude.at(a).count(b))
        << e.from << " (" << a << ") includes " << e.to << " (" << b << ")";
  }
}

TEST(Layering, NoIncludeCycleBetweenUnits) {
  std::vector<std::string> unresolved;
  std::map<std::string, std::set<std::string>> graph;
  for (const Include& e : includes(unresolved))
    if (unit_of(e.from) != unit_of(e.to)) graph[unit_of(e.from)].insert(unit_of(e.to));
  // Depth-first search; a unit met again while on the path closes a cycle.
  std::map<std::string, int> state;  // 0 unseen, 1 on the path, 2 done
  std::vector<std::string> path;
  std::vector<std::string> cycles;
  std::function<void(const std::string&)> visit = [&](const std::string& u) {
    state[u] = 1;
    path.push_back(u);
    for (const std::string& v : graph[u]) {
      if (state[v] == 1) {
        std::string c;
        for (auto it = std::find(path.begin(), path.end(), v); it != path.end(); ++it)
          c += *it + " -> ";
        cycles.push_back(c + v);
      } else if (state[v] == 0) {
        visit(v);
      }
    }
    path.pop_back();
    state[u] = 2;
  };
  for (const auto& [u, _] : graph)
    if (state[u] == 0) visit(u);
  EXPECT_TRUE(cycles.empty()) << cycles.size() << " cycles, first: " << cycles.front();
}

/// The SystemC engine (NPUSIM_ENGINE_SOURCES in CMakeLists.txt, with their headers): the only
/// files that may include SystemC, TLM or an engine header.
bool in_engine(const std::string& p) {
  for (const char* b :
       {"dma_engine", "memory_factory", "memory_if", "npu_core", "npu_top", "sram", "state_writer",
        "steady_state", "systolic_array", "unified_memory", "vector_unit"})
    for (const char* ext : {".h", ".cpp"})
      if (p == std::string("arch/") + b + ext) return true;
  return p == "sim/scheduler.cpp";
}

TEST(Layering, OnlyTheEngineIncludesSystemCTheImporterOnnxAndExpressionsMuParser) {
  std::vector<std::string> unresolved;
  size_t engine_includes = 0;
  for (const Include& e : includes(unresolved))
    if (in_engine(e.to)) {
      ++engine_includes;
      EXPECT_TRUE(in_engine(e.from)) << e.from << " includes the engine's " << e.to;
    }
  EXPECT_GT(engine_includes, 10u);  // the engine's headers were recognised
  const std::regex system(
      R"(^\s*#\s*include\s+<(systemc|tlm|tlm_utils/|sysc/|onnx/|google/protobuf/|muParser))");
  size_t systemc = 0, onnx = 0, muparser = 0;
  for (const char* dir : {"arch", "workloads", "sim"})
    for (const auto& f : fs::recursive_directory_iterator(kRoot / dir)) {
      if (!f.is_regular_file()) continue;
      const std::string p = fs::relative(f.path(), kRoot).generic_string();
      std::ifstream in(f.path());
      for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, system)) continue;
        const bool is_onnx = m[1].str() == "onnx/" || m[1].str() == "google/protobuf/";
        if (m[1].str() == "muParser") {
          ++muparser;
          EXPECT_EQ(p, "sim/expression.cpp") << p << ": " << line;
        } else if (is_onnx) {
          ++onnx;
          EXPECT_EQ(p, "sim/config/onnx_importer.cpp") << p << ": " << line;
        } else {
          ++systemc;
          EXPECT_TRUE(in_engine(p)) << p << ": " << line;
        }
      }
    }
  EXPECT_GT(systemc, 5u);
  EXPECT_GT(onnx, 0u);
  EXPECT_GT(muparser, 0u);
}

}  // namespace
}  // namespace npu
