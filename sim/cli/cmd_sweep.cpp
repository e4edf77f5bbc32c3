// `npusim sweep`: run every point of an experiment in worker processes into a results folder
// (results.csv, pareto.csv); resumable, shardable. See sim/sweep.h.
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>

#include "experiment_cli.h"
#include "sim/experiment_validation.h"
#include "sim/sweep.h"

namespace npu::cli {
namespace {

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim sweep EXP.yaml --out DIR [--jobs N] [--resume] [--shard i/N]\n"
      "                    [--set KEY=VALUE]... [options]\n"
      "\n"
      "Runs every point of the experiment's sweep, each in its own worker process, and writes\n"
      "DIR/results.csv (one row per point: its swept values, status, metrics, message) and\n"
      "DIR/pareto.csv (the points no other beats in every objective). A point that fails is\n"
      "recorded with its exit status and message; the others go on. Rows are appended whole:\n"
      "after a kill, --resume runs the points not yet recorded. Schema: configs/SCHEMA.md.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "out,o", po::value<std::string>()->value_name("DIR"), "the results folder")(
      "jobs,j", po::value<size_t>()->value_name("N"), "workers at once (default: processors)")(
      "resume", "finish the sweep already in DIR: skip the points it recorded")(
      "retry-failed", "with --resume: run again the points recorded as not ok")(
      "shard", po::value<std::string>()->value_name("i/N"),
      "run only the points whose id % N == i (0 <= i < N); join shards with npusim merge")(
      "keep-reports", "keep each point's summary.json and ops.csv in DIR/points/ID/")(
      "timeout", po::value<double>()->value_name("S"), "kill a point running longer than S s")(
      "dry-run", "list the points (id and swept values) and run nothing")(
      "quiet,q", "no progress line or summary");
  add_set_option(desc);
  po::options_description hidden;  // the bare argument, not listed by --help
  hidden.add_options()("experiment", po::value<std::string>(), "the experiment");
  const po::variables_map vm = parse(args, desc, "experiment", 1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  const Experiment e = load_experiment_arg(vm);
  const std::vector<std::string> metrics = validate_experiment(e);
  SweepOptions o;
  if (vm.count("shard")) parse_shard(vm["shard"].as<std::string>(), o.shard, o.shards);
  if (vm.count("dry-run")) {
    PointResolver r(e);
    std::vector<std::string> header{"point"};
    for (const auto& k : swept_keys(e)) header.push_back(k);
    std::cout << csv_line(header);
    for (size_t id = o.shard; id < point_count(e); id += o.shards) {
      std::vector<std::string> row{std::to_string(id)};
      for (auto& v : r.values(id)) row.push_back(v);
      std::cout << csv_line(row);
    }
    return kExitOk;
  }
  if (!vm.count("out")) throw UsageError("missing --out");
  o.out = vm["out"].as<std::string>();
  o.jobs = vm.count("jobs") ? vm["jobs"].as<size_t>() : default_jobs();
  if (o.jobs == 0) throw UsageError("--jobs: at least 1");
  o.resume = vm.count("resume") > 0;
  o.retry_failed = vm.count("retry-failed") > 0;
  if (o.retry_failed && !o.resume) throw UsageError("--retry-failed goes with --resume");
  o.keep_reports = vm.count("keep-reports") > 0;
  if (vm.count("timeout")) o.timeout_s = vm["timeout"].as<double>();
  o.worker = self_binary();
  o.set_args = set_args(vm);
  const bool quiet = vm.count("quiet") > 0;
  o.progress = !quiet && ::isatty(STDERR_FILENO);

  const SweepResult r = run_sweep(e, metrics, o);
  if (!quiet) {
    std::cout << fmt::format(
        "sweep {}: {} points{}; this run {} ({} ok, {} failed) in {:.1f} s with {} jobs", e.name,
        r.in_shard,
        o.shards > 1 ? fmt::format(" in shard {}/{} (of {})", o.shard, o.shards, r.points) : "",
        r.ran, r.ok, r.failed, r.wall_s, o.jobs);
    if (r.ran > 0)
      std::cout << fmt::format(", {:.3f} s per point per worker",
                               r.worker_s / static_cast<double>(r.ran));
    std::cout << "\n";
    if (r.already > 0) std::cout << "  " << r.already << " points were recorded before\n";
    std::cout << "  results  " << o.out << "/results.csv\n";
    if (r.complete)
      std::cout << "  pareto   " << o.out << "/pareto.csv (" << r.pareto << " points)\n";
  }
  if (r.interrupted) {
    std::cerr << "npusim: interrupted; `npusim sweep ... --resume` runs the points left\n";
    return 130;
  }
  return kExitOk;
}

int cmd_merge(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim merge OUT DIR... [--partial] [--force]\n"
      "\n"
      "Joins the results folders of a sweep's shards (npusim sweep --shard i/N) into OUT:\n"
      "OUT/results.csv with every point once, in point order (what one unsharded run writes),\n"
      "and OUT/pareto.csv. An OUT holding a results.csv, pareto.csv or sweep.json that is not\n"
      "of this sweep is refused unless --force.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "partial", "write what the folders hold even if some points are in none")(
      "force", "replace OUT's results.csv, pareto.csv and sweep.json even if not this sweep's");
  po::options_description hidden;  // the bare arguments, not listed by --help
  hidden.add_options()("dirs", po::value<std::vector<std::string>>()->composing(),
                       "OUT, then the folders");
  const po::variables_map vm = parse(args, desc, "dirs", -1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  std::vector<std::string> dirs;
  if (vm.count("dirs")) dirs = vm["dirs"].as<std::vector<std::string>>();
  if (dirs.size() < 2) throw UsageError("merge: give OUT and at least one results folder");
  const std::string out = dirs[0];
  dirs.erase(dirs.begin());
  const MergeResult r = merge_results(out, dirs, vm.count("partial") > 0, vm.count("force") > 0);
  std::cout << fmt::format(
      "merged {} folders: {} of {} points{}\n  results  {}/results.csv\n"
      "  pareto   {}/pareto.csv ({} points)\n",
      dirs.size(), r.rows, r.points, r.missing ? fmt::format(" ({} missing)", r.missing) : "", out,
      out, r.pareto);
  return kExitOk;
}

const bool kSweep = register_command(
    {"sweep",
     "run an experiment's points in worker processes (resumable, shardable):\n"
     "  npusim sweep EXP.yaml --out DIR [--jobs N] [--resume] [--shard i/N]\n"
     "               [--set KEY=VALUE]... [--keep-reports] [--timeout S] [--dry-run]",
     30, cmd_sweep});
const bool kMerge = register_command(
    {"merge",
     "join the results of a sweep's shards:\n  npusim merge OUT DIR... [--partial] [--force]", 31,
     cmd_merge});

}  // namespace
}  // namespace npu::cli
