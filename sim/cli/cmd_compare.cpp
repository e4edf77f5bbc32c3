// `npusim compare`: the headline metrics of report folders side by side (sim/compare.h), or of
// runs it makes itself, one per --arch, with the same `run` options.
#include <spawn.h>
#include <sys/wait.h>

#include <iostream>

#include "cli.h"
#include "experiment_cli.h"
#include "sim/assertions.h"  // arch_name
#include "sim/compare.h"

extern char** environ;

namespace npu::cli {
namespace {

TableFormat table_format(const std::string& f) {
  if (f == "text") return TableFormat::kText;
  if (f == "md") return TableFormat::kMarkdown;
  if (f == "csv") return TableFormat::kCsv;
  throw UsageError("--format: '" + f + "' is not text, md or csv");
}

/// Runs `npusim run ARGS` (this binary) and waits; its exit status (stderr goes to ours).
int run_child(const std::vector<std::string>& args) {
  const std::string self = self_binary();
  std::vector<char*> argv{const_cast<char*>(self.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("compare: cannot start " + self);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("compare: lost a run");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/// `compare --arch A,B[,...] [--format F] [--keep DIR] RUN-OPTIONS...`: one `npusim run` per
/// chip with the other options as they are, each into DIR/<chip> (a temporary folder unless
/// --keep), then the table with the chips' names as labels.
int compare_archs(const std::vector<std::string>& args) {
  std::string archs, format = "text", keep;
  std::vector<std::string> run_args;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& name, std::string& into) {
      if (a == name) {
        if (i + 1 == args.size()) throw UsageError(name + ": give a value");
        into = args[++i];
        return true;
      }
      if (a.rfind(name + "=", 0) == 0) {
        into = a.substr(name.size() + 1);
        return true;
      }
      return false;
    };
    if (value("--arch", archs) || value("--format", format) || value("--keep", keep)) continue;
    if (a == "--out" || a.rfind("--out=", 0) == 0 || a == "-o")
      throw UsageError("--out: compare --arch writes each run to --keep DIR/<chip>");
    run_args.push_back(a);
  }
  const TableFormat f = table_format(format);
  std::vector<std::string> chips;
  for (size_t at = 0; at <= archs.size();) {
    const size_t comma = std::min(archs.find(',', at), archs.size());
    if (comma > at) chips.push_back(archs.substr(at, comma - at));
    at = comma + 1;
  }
  if (chips.size() < 2) throw UsageError("--arch: give at least two chips, e.g. --arch a,b");
  for (const std::string& chip : chips) load_chip_arg(chip, {});  // every chip, before any run
  std::optional<TempDir> temp;
  if (keep.empty()) temp.emplace("npusim_compare");
  const std::string dir = keep.empty() ? temp->path : keep;
  std::vector<ComparedRun> runs;
  for (const std::string& chip : chips) {
    const std::string out = dir + "/" + arch_name(chip);
    std::vector<std::string> a{"run", "--arch", chip, "--out", out, "--quiet"};
    a.insert(a.end(), run_args.begin(), run_args.end());
    if (const int rc = run_child(a); rc != kExitOk) return rc;
    ComparedRun r = read_compared_run(out);
    r.label = arch_name(chip);
    runs.push_back(std::move(r));
  }
  std::cout << compare_table(runs, f);
  return kExitOk;
}

int cmd_compare(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim compare DIR_A DIR_B [DIR...] [--format text|md|csv]\n"
      "       npusim compare --arch A,B[,...] [--keep DIR] [--format F] RUN-OPTIONS...\n"
      "\n"
      "Reads DIR/summary.json of each report folder (written by `npusim run`, or a sweep's\n"
      "points/ with --keep-reports) and prints the headline metrics side by side, each run\n"
      "with its ratio to the first (DIR_A): time, cycles, time to first token, tokens/s and\n"
      "energy per token by phase, energy, DRAM traffic, achieved GB/s and TOPS, what bound the\n"
      "run and each phase, and cycles by op class. A metric a run lacks is '-'; a metric no run\n"
      "has is left out. csv prints the values at full precision.\n"
      "With --arch, runs `npusim run --arch CHIP RUN-OPTIONS` for each chip (e.g. --model\n"
      "llama-3.2-1b --weights int4) and compares those runs; --keep DIR keeps their reports in\n"
      "DIR/CHIP.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "format,f", po::value<std::string>()->default_value("text"), "text, md or csv")(
      "arch", po::value<std::string>()->value_name("A,B"), "run these chips and compare them")(
      "keep", po::value<std::string>()->value_name("DIR"), "with --arch: keep the reports");
  for (const std::string& a : args)
    if (a == "--arch" || a.rfind("--arch=", 0) == 0) return compare_archs(args);
  po::options_description hidden;  // the bare arguments, not listed by --help
  hidden.add_options()("dirs", po::value<std::vector<std::string>>()->multitoken(), "folders");
  const po::variables_map vm = parse(args, desc, "dirs", -1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  const TableFormat format = table_format(vm["format"].as<std::string>());
  if (!vm.count("dirs") || vm["dirs"].as<std::vector<std::string>>().size() < 2)
    throw UsageError("compare: give at least two report folders, or --arch A,B to run them");
  std::vector<ComparedRun> runs;
  for (const std::string& d : vm["dirs"].as<std::vector<std::string>>())
    runs.push_back(read_compared_run(d));
  std::cout << compare_table(runs, format);
  return kExitOk;
}

const bool kRegistered =
    register_command({"compare",
                      "headline metrics of report folders side by side, with ratios to the first:\n"
                      "  npusim compare DIR_A DIR_B [DIR...] [--format text|md|csv]\n"
                      "  npusim compare --arch A,B [--keep DIR] --model M [run options]",
                      25, cmd_compare});

}  // namespace
}  // namespace npu::cli
