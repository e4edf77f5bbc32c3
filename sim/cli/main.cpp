// npusim: the command line. main.cpp dispatches to the commands of sim/cli/cmd_*.cpp, which
// parse their options and call the library. Exit status: 0 success, 2 bad input or usage
// (nothing written), 1 any other failure.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "sim/config/workload_settings.h"

namespace {

std::string usage() {
  std::string u = "npusim " NPUSIM_VERSION
                  " -- a cycle-approximate NPU simulator\n\nUsage: npusim <command> [options]\n\n"
                  "Commands:\n";
  for (const auto& c : npu::cli::commands()) {
    std::string text = c.synopsis;
    u += "  " + c.name + std::string(c.name.size() < 9 ? 9 - c.name.size() : 1, ' ');
    for (size_t i = 0; i < text.size(); ++i) {
      u += text[i];
      if (text[i] == '\n') u += "           ";
    }
    u += "\n";
  }
  return u +
         "\nGlobal options (before or after the command):\n"
         "  --configs DIR  the folder of shipped configs that names resolve in (--arch NAME:\n"
         "                 DIR/presets/NAME.yaml; --model, --trace likewise). Default:\n"
         "                 $NPUSIM_CONFIGS, else the installed share/npusim/configs beside\n"
         "                 bin/npusim, else the source tree's configs/.\n"
         "\nRun `npusim <command> --help` for the options of a command.\n";
}

/// Removes the global `--configs DIR` (or `--configs=DIR`) from `args`, wherever it is, and
/// makes DIR the configs root.
void take_configs_option(std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size();) {
    const std::string& a = args[i];
    if (a == "--configs") {
      if (i + 1 >= args.size()) throw npu::cli::UsageError("--configs needs a folder");
      npu::cli::use_configs_dir(args[i + 1]);
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    } else if (a.rfind("--configs=", 0) == 0) {
      npu::cli::use_configs_dir(a.substr(10));
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

int run(int argc, char** argv) {
  using namespace npu::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    take_configs_option(args);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      // Asked for, the usage is the output; without a command it is an error message.
      (args.empty() ? std::cerr : std::cout) << usage();
      return args.empty() ? kExitBadInput : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "npusim " << NPUSIM_VERSION << "\n";
      return kExitOk;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    for (const auto& c : commands())
      if (c.name == cmd) return c.run(args);
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const npu::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  } catch (const npu::WorkloadError& e) {
    // The setting as the command line spells it: `--prompt`.
    std::cerr << "npusim: --" << npu::config::workload_setting(e.setting()).flag << ": "
              << e.message() << "\n";
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

}  // namespace

// SystemC is not linked: the engine's module (sim/plugins.h) brings it when a command simulates.
// Its banner, printed when its kernel first starts, is silenced here (unless asked for).
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return run(argc, argv);
}
