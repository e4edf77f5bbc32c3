// `npusim point`: run one point of an experiment and write its reports. Sweep workers run this
// (one process per point); run by hand it reproduces a point of a sweep, e.g. one that failed.
#include <filesystem>
#include <iostream>

#include "experiment_cli.h"
#include "sim/capacity.h"
#include "sim/output_set.h"
#include "sim/report.h"
#include "sim/scheduler.h"

namespace npu::cli {
namespace {

int cmd_point(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim point EXP.yaml --id N --out DIR [--set KEY=VALUE]... [--reports]\n"
      "\n"
      "Runs point N of the experiment (ids as in results.csv) and writes DIR/summary.json,\n"
      "with --reports also DIR/ops.csv. This is what each sweep worker runs.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")("id", po::value<size_t>()->value_name("N"),
                                                 "the point")(
      "out,o", po::value<std::string>()->value_name("DIR"), "folder for the reports")(
      "reports", "write ops.csv too");
  add_set_option(desc);
  po::options_description hidden;  // the bare argument, not listed by --help
  hidden.add_options()("experiment", po::value<std::string>(), "the experiment");
  const po::variables_map vm = parse(args, desc, "experiment", 1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"id", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);
  const Experiment e = load_experiment_arg(vm);
  const size_t id = vm["id"].as<size_t>();
  if (id >= point_count(e))
    throw UsageError("--id: the experiment has points 0 to " + std::to_string(point_count(e) - 1));
  PointResolver resolver(e);
  // Without --reports a point writes its summary alone: a model's workload is streamed (made a
  // graph call at a time, its records never all kept; the same summary.json).
  const bool reports = vm.count("reports") > 0;
  const PointSetup p = resolver.setup(id, /*streamed=*/!reports);
  // As `run` does: a model that does not fit the device's memory is not simulated (the sweep
  // records the point as failed with this message).
  if (p.workload)
    if (auto why = memory_shortfall(p.chip, *p.workload)) {
      std::cerr << "npusim: " << *why << "\n";
      return kExitBadInput;
    }
  SimOptions opts;
  opts.timeline = TimelineDetail::kNone;
  opts.schedule = p.schedule;
  const Workload* w = p.workload ? &*p.workload : nullptr;
  if (w && w->stream) {
    std::filesystem::create_directories(vm["out"].as<std::string>());
    write_file_atomic(vm["out"].as<std::string>() + "/summary.json",
                      summary_json(p.chip, simulate_totals(p.chip, *w->stream, opts), w));
    return kExitOk;
  }
  const RunResult r = simulate(p.chip, p.ops(), opts);
  if (reports) {
    // In place (force): the folder is the sweep's scratch for this worker, which holds the
    // worker's open stderr.txt; the sweep moves the folder into points/ itself.
    write_reports(vm["out"].as<std::string>(), p.chip, r, w, /*force=*/true);
  } else {
    std::filesystem::create_directories(vm["out"].as<std::string>());
    write_file_atomic(vm["out"].as<std::string>() + "/summary.json", summary_json(p.chip, r, w));
  }
  return kExitOk;
}

const bool kRegistered =
    register_command({"point",
                      "run one point of an experiment (what each sweep worker runs):\n"
                      "  npusim point EXP.yaml --id N --out DIR [--set KEY=VALUE]... [--reports]",
                      34, cmd_point});

}  // namespace
}  // namespace npu::cli
