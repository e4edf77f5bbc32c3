// `npusim regress`: compare results with a stored baseline and name every metric that moved.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "sim/config/yaml_reader.h"
#include "sim/results.h"

namespace npu::cli {
namespace {

namespace fs = std::filesystem;

/// A results.csv or a summary.json named directly or through the folder holding it.
std::string results_file(const std::string& arg, const char* option) {
  if (fs::is_directory(arg)) {
    for (const char* name : {"results.csv", "summary.json"})
      if (fs::exists(fs::path(arg) / name)) return (fs::path(arg) / name).string();
    throw UsageError(std::string(option) + ": " + arg + " holds no results.csv or summary.json");
  }
  if (!fs::exists(arg)) throw UsageError(std::string(option) + ": no such file: " + arg);
  return arg;
}

bool is_summary(const std::string& path) {
  return fs::path(path).extension() == ".json";
}

std::string read_all(const std::string& path) {
  config::refuse_non_regular(path);
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

int cmd_regress(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim regress --baseline FILE [--rtol X] [--atol Y] RESULTS\n"
      "\n"
      "Compares RESULTS with the baseline: a sweep's results.csv (point by point) or a run's\n"
      "summary.json (every number in it), each named directly or by its folder. Names every\n"
      "metric that moved by more than rtol x |baseline| + atol, and every point, metric or\n"
      "status that appeared, vanished or changed. Exit 1 if anything did.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "baseline,b", po::value<std::string>()->value_name("FILE"), "the stored results")(
      "rtol", po::value<double>()->default_value(1e-6, "1e-06"), "relative tolerance")(
      "atol", po::value<double>()->default_value(0.0, "0"), "absolute tolerance");
  po::options_description hidden;  // the bare argument, not listed by --help
  hidden.add_options()("results", po::value<std::string>(), "the results to check");
  const po::variables_map vm = parse(args, desc, "results", 1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  if (!vm.count("baseline")) throw UsageError("missing --baseline");
  if (!vm.count("results")) throw UsageError("name the results to compare (RESULTS)");
  const double rtol = vm["rtol"].as<double>(), atol = vm["atol"].as<double>();
  if (rtol < 0 || atol < 0) throw UsageError("--rtol and --atol are at least 0");
  const std::string base = results_file(vm["baseline"].as<std::string>(), "--baseline");
  const std::string cur = results_file(vm["results"].as<std::string>(), "RESULTS");
  if (is_summary(base) != is_summary(cur))
    throw UsageError(
        "compare a results.csv with a results.csv, a summary.json with a summary.json");
  const Comparison c = is_summary(base)
                           ? compare_summaries(read_all(base), read_all(cur), rtol, atol)
                           : compare_results(read_results(base), read_results(cur), rtol, atol);
  for (const auto& line : c.changed) std::cout << "changed  " << line << "\n";
  for (const auto& line : c.moved) std::cout << "moved    " << line << "\n";
  std::cout << fmt::format(
      "regress {} against {}: {} points, {} metrics compared; {}\n", cur, base, c.points, c.metrics,
      c.same() ? fmt::format("none moved beyond rtol {} atol {}", rtol, atol)
               : fmt::format("{} moved, {} changed", c.moved.size(), c.changed.size()));
  return c.same() ? kExitOk : kExitFailure;
}

const bool kRegistered =
    register_command({"regress",
                      "compare results with a baseline, name every metric that moved:\n"
                      "  npusim regress --baseline FILE [--rtol X] [--atol Y] RESULTS",
                      33, cmd_regress});

}  // namespace
}  // namespace npu::cli
