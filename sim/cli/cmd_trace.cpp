// `npusim trace export`: write the op trace of a model's workload.
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli.h"
#include "sim/config/trace_writer.h"
#include "sim/output_set.h"

namespace npu::cli {
namespace {

int cmd_trace(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim trace export --model MODEL [workload options] [--arch CHIP] --out FILE\n"
      "\n"
      "Writes the op trace a model's workload produces as YAML. `npusim run --trace FILE`\n"
      "runs it to the same report as `npusim run --model`. --arch sets the on-chip SRAM\n"
      "standard attention may keep its scores in (as `run` does).\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "arch,a", po::value<std::string>()->value_name("CHIP"), "the chip (optional)")(
      "out,o", po::value<std::string>()->value_name("FILE"), "the trace file to write")(
      "force", "replace FILE if it exists (npusim does not overwrite a file otherwise)");
  add_workload_options(desc);
  if (args.empty() || args[0] != "export") {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      std::cout << desc << "\n";
      return kExitOk;
    }
    throw UsageError("trace: the only subcommand is `export`");
  }
  const po::variables_map vm = parse({args.begin() + 1, args.end()}, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"model", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);
  // The file may be the user's: replaced only when asked to (an empty one is taken as made for
  // this, e.g. by mktemp).
  const std::string out = vm["out"].as<std::string>();
  std::error_code ec;
  if (!vm.count("force") && std::filesystem::exists(out, ec) &&
      !(std::filesystem::is_regular_file(out, ec) && std::filesystem::file_size(out, ec) == 0))
    throw ConfigError(out, 0, 0, "",
                      "exists; npusim does not overwrite it: give another --out, or --force to "
                      "replace it");
  std::optional<ChipConfig> chip;
  if (vm.count("arch")) chip = load_chip_arg(vm["arch"].as<std::string>());
  const Workload w = workload_from(vm, chip ? &*chip : nullptr);
  write_file_atomic(out, trace_yaml(w.ops, w.model));
  return kExitOk;
}

const bool kRegistered = register_command({"trace",
                                           "export a model's op trace:\n  npusim trace export "
                                           "--model MODEL [workload options] --out FILE [--force]",
                                           20, cmd_trace});

}  // namespace
}  // namespace npu::cli
