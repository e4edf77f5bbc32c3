// `npusim check`: run an experiment and evaluate its `assert:` lines (sim/assertions.h).
// Exit 0 when every assertion holds (or fails only where `xfail` records it as a finding), 1
// listing each failing line with the values it read.
#include <stdlib.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "experiment_cli.h"
#include "sim/assertions.h"
#include "sim/experiment_validation.h"
#include "sim/sweep.h"

namespace npu::cli {
namespace {

namespace fs = std::filesystem;

std::string title(const AssertSpec& s) {
  return s.name.empty() ? s.key + ": " + s.expr : s.name + ": " + s.expr;
}

/// What `check` prints, and how many assertions failed.
struct Report {
  std::string text;
  size_t failed = 0;
};

size_t ok_points(const ResultTable& t) {
  size_t ok = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) ok += t.rows[r][*t.column("status")] == "ok";
  return ok;
}

/// Each assertion evaluated on `t`: ok, XFAIL (fails on an arch its xfail lists) or FAIL (fails
/// elsewhere, or holds where xfail lists a finding), then the tally.
Report check_report(const Experiment& e, const std::vector<Assertion>& asserts,
                    const ResultTable& t, const std::string& arch, bool quiet) {
  std::string report = fmt::format("check {} (arch {}): {} points, {} ran\n", e.name, arch,
                                   t.rows.size(), ok_points(t));
  size_t held = 0, failed = 0, expected = 0;
  for (const auto& a : asserts) {
    const auto out = a.evaluate(t, arch_name(arch));
    const AssertSpec& s = a.spec();
    std::vector<std::string> fails, xfails, xpasses;
    for (const auto& ar : out.archs) {
      const auto finding = s.xfail.find(ar);
      const bool bad = out.failed_archs.count(ar) > 0;
      if (bad && finding != s.xfail.end())
        xfails.push_back(ar + ": " + finding->second);
      else if (bad)
        fails.push_back(ar);
      else if (finding != s.xfail.end())
        xpasses.push_back(ar);
    }
    if (!fails.empty() || !xpasses.empty()) {
      ++failed;
      report += "  FAIL   " + title(s) + "\n";
      if (!fails.empty())
        for (const auto& f : out.failures) report += "           " + f + "\n";
      for (const auto& ar : xpasses)
        report += "           holds on " + ar +
                  ", which xfail lists as a finding: update the finding (" + s.key + ".xfail)\n";
    } else if (!xfails.empty()) {
      ++expected;
      if (!quiet) {
        report += "  XFAIL  " + title(s) + "\n";
        for (const auto& x : xfails) report += "           finding on " + x + "\n";
        for (const auto& f : out.failures) report += "           " + f + "\n";
      }
    } else {
      ++held;
      if (!quiet) report += "  ok     " + title(s) + "\n";
    }
  }
  report += fmt::format("{} of {} assertions hold{}{}\n", held, asserts.size(),
                        expected ? fmt::format(", {} fail as recorded findings", expected) : "",
                        failed ? fmt::format(", {} FAIL", failed) : "");
  return {report, failed};
}

int cmd_check(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim check EXP.yaml [--set KEY=VALUE]... [--jobs N] [--out DIR [--resume]]\n"
      "       npusim check EXP.yaml --results DIR\n"
      "\n"
      "Runs the experiment (as npusim sweep does) and evaluates its assert: lines. Exit 0 when\n"
      "all hold, 1 listing each that fails with the values it read, 2 on bad input (a malformed\n"
      "assertion is reported before anything runs). --results evaluates a finished sweep's\n"
      "folder (e.g. merged shards) without running anything.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "out,o", po::value<std::string>()->value_name("DIR"),
      "keep the sweep's results in DIR (default: a temporary folder)")(
      "resume", "finish the sweep already in DIR")(
      "results", po::value<std::string>()->value_name("DIR"), "evaluate this finished sweep")(
      "jobs,j", po::value<size_t>()->value_name("N"), "workers at once (default: processors)")(
      "quiet,q", "print only failures");
  add_set_option(desc);
  po::options_description hidden;  // the bare argument, not listed by --help
  hidden.add_options()("experiment", po::value<std::string>(), "the experiment");
  const po::variables_map vm = parse(args, desc, "experiment", 1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  const Experiment e = load_experiment_arg(vm);
  if (e.asserts.empty()) throw UsageError(e.path + " has no assert: lines to check");
  const std::vector<std::string> metrics = validate_experiment(e);
  std::vector<Assertion> asserts;
  {
    PointResolver r(e);
    std::vector<std::vector<std::string>> values;
    for (size_t id = 0; id < point_count(e); ++id) values.push_back(r.values(id));
    // validate_experiment() compiled them against the metric names; compile for use.
    for (const auto& spec : e.asserts)
      asserts.emplace_back(spec, swept_keys(e), values, std::set<std::string>{});
  }
  std::string arch;
  for (const auto& o : e.set)
    if (o.key == "arch") arch = o.text();

  std::optional<TempDir> temp;
  std::string dir;
  if (vm.count("results")) {
    if (vm.count("out")) throw UsageError("--results evaluates a folder; --out runs into one");
    dir = vm["results"].as<std::string>();
    const SweepManifest m = read_manifest(dir);
    if (m.fingerprint != experiment_fingerprint(e, result_columns(e, metrics)))
      throw std::runtime_error(dir + " holds the results of another sweep than " + e.path);
  } else {
    SweepOptions o;
    if (vm.count("out")) {
      o.out = vm["out"].as<std::string>();
    } else {
      temp.emplace("npusim_check");
      o.out = temp->path;
    }
    dir = o.out;
    o.resume = vm.count("resume") > 0;
    o.jobs = vm.count("jobs") ? vm["jobs"].as<size_t>() : default_jobs();
    o.worker = self_binary();
    o.set_args = set_args(vm);
    o.progress = !vm.count("quiet") && ::isatty(STDERR_FILENO);
    const SweepResult r = run_sweep(e, metrics, o);
    if (r.interrupted) {
      std::cerr << "npusim: interrupted\n";
      return 130;
    }
  }
  const ResultTable t = read_results(dir + "/results.csv");
  if (t.rows.size() != point_count(e))
    throw std::runtime_error(fmt::format("{}/results.csv holds {} of the {} points", dir,
                                         t.rows.size(), point_count(e)));
  const Report r = check_report(e, asserts, t, arch, vm.count("quiet") > 0);
  std::cout << r.text;
  return r.failed ? kExitFailure : kExitOk;
}

const bool kRegistered = register_command(
    {"check",
     "run an experiment and evaluate its assertions (exit 1 if one fails):\n"
     "  npusim check EXP.yaml [--set KEY=VALUE]... [--jobs N] [--out DIR] [--results DIR]",
     32, cmd_check});

}  // namespace
}  // namespace npu::cli
