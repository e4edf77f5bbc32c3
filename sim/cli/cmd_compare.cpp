// `npusim compare`: the headline metrics of report folders side by side (sim/compare.h).
#include <iostream>

#include "cli.h"
#include "sim/compare.h"

namespace npu::cli {
namespace {

int cmd_compare(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim compare DIR_A DIR_B [DIR...] [--format text|md|csv]\n"
      "\n"
      "Reads DIR/summary.json of each report folder (written by `npusim run`, or a sweep's\n"
      "points/ with --keep-reports) and prints the headline metrics side by side, each run\n"
      "with its ratio to the first (DIR_A): time, cycles, time to first token, tokens/s and\n"
      "energy per token by phase, energy, DRAM traffic, achieved GB/s and TOPS, what bound the\n"
      "run and each phase, and cycles by op class. A metric a run lacks is '-'; a metric no run\n"
      "has is left out. csv prints the values at full precision.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "format,f", po::value<std::string>()->default_value("text"), "text, md or csv")(
      "dirs", po::value<std::vector<std::string>>()->multitoken(), "report folders");
  const po::variables_map vm = parse(args, desc, "dirs", -1);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  const std::string f = vm["format"].as<std::string>();
  TableFormat format = TableFormat::kText;
  if (f == "md")
    format = TableFormat::kMarkdown;
  else if (f == "csv")
    format = TableFormat::kCsv;
  else if (f != "text")
    throw UsageError("--format: '" + f + "' is not text, md or csv");
  if (!vm.count("dirs") || vm["dirs"].as<std::vector<std::string>>().size() < 2)
    throw UsageError("compare: give at least two report folders");
  std::vector<ComparedRun> runs;
  for (const std::string& d : vm["dirs"].as<std::vector<std::string>>())
    runs.push_back(read_compared_run(d));
  std::cout << compare_table(runs, format);
  return kExitOk;
}

const bool kRegistered =
    register_command({"compare",
                      "headline metrics of report folders side by side, with ratios to the "
                      "first:\n  npusim compare DIR_A DIR_B [DIR...] [--format text|md|csv]",
                      25, cmd_compare});

}  // namespace
}  // namespace npu::cli
