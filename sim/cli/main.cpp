// npusim: the command line. It parses options and calls the library; nothing else lives here.
// Exit status: 0 success, 2 bad input or usage (nothing written), 1 any other failure.
#include <boost/program_options.hpp>
#include <systemc>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sim/config/loaders.h"
#include "sim/report.h"
#include "sim/scheduler.h"

namespace po = boost::program_options;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

const char* const kUsage = "npusim " NPUSIM_VERSION
                           " -- a cycle-approximate NPU simulator\n"
                           "\n"
                           "Usage: npusim <command> [options]\n"
                           "\n"
                           "Commands:\n"
                           "  run      simulate an op trace on a chip and write per-op reports:\n"
                           "           npusim run --arch CHIP.yaml --trace OPS.yaml --out DIR\n"
                           "                      [--no-timeline] [--quiet]\n"
                           "\n"
                           "Run `npusim <command> --help` for the options of a command.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int cmd_run(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim run --arch CHIP.yaml --trace OPS.yaml --out DIR [options]\n"
      "\n"
      "Simulates the ops of OPS.yaml, in order, on the chip of CHIP.yaml and writes\n"
      "DIR/ops.csv (one row per op), DIR/summary.json and DIR/trace.json (open in\n"
      "https://ui.perfetto.dev or chrome://tracing). Schemas: configs/SCHEMA.md.\n"
      "Bad input stops with file:line:col: key: message and exit status 2, before\n"
      "anything is simulated or written.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "arch,a", po::value<std::string>()->value_name("FILE"),
      "chip description (YAML), e.g. configs/presets/example-npu.yaml")(
      "trace,t", po::value<std::string>()->value_name("FILE"), "op trace (YAML)")(
      "out,o", po::value<std::string>()->value_name("DIR"),
      "folder for the reports (created if missing)")(
      "no-timeline", "do not record or write trace.json (faster on very long traces)")(
      "quiet,q", "print nothing but errors");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"arch", "trace", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);

  const npu::ChipConfig chip = npu::load_chip(vm["arch"].as<std::string>());
  const std::vector<npu::Op> ops = npu::load_trace(vm["trace"].as<std::string>());
  npu::SimOptions opts;
  opts.timeline = !vm.count("no-timeline");

  const auto t0 = std::chrono::steady_clock::now();
  const npu::RunResult result = npu::simulate(chip, ops, opts);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string out = vm["out"].as<std::string>();
  npu::write_reports(out, chip, result);
  if (!vm.count("quiet")) {
    std::cout << npu::summary_text(chip, result) << "  reports  " << out << "/ops.csv, " << out
              << "/summary.json" << (opts.timeline ? ", " + out + "/trace.json" : "") << "\n"
              << "  simulated in " << wall << " s\n";
  }
  return kExitOk;
}

}  // namespace

int sc_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      // Asked for, the usage is the output; without a command it is an error message.
      (args.empty() ? std::cerr : std::cout) << kUsage;
      return args.empty() ? kExitBadInput : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "npusim " << NPUSIM_VERSION << "\n";
      return kExitOk;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "run") return cmd_run(args);
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const npu::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  } catch (const po::error& e) {
    std::cerr << "npusim: " << e.what() << " (see npusim --help)\n";
    return kExitBadInput;
  } catch (const UsageError& e) {
    std::cerr << "npusim: " << e.what() << " (see npusim --help)\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "npusim: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

// Our own main (the executable's definition wins over libsystemc's): silence SystemC's banner,
// which its main prints before sc_main runs, then hand over to the kernel as usual.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
