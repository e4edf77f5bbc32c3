// `npusim trace export`: write the op trace of a model's workload; `npusim trace import`: write
// the op trace an ONNX model imports to.
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli.h"
#include "sim/config/trace_writer.h"
#include "sim/output_set.h"

namespace npu::cli {
namespace {

/// Refuses to replace a file that is the user's unless asked to (an empty one is taken as made
/// for this, e.g. by mktemp), and never replaces what is not a regular file (a link, even a
/// dangling one, a directory, a device such as /dev/null, a FIFO), --force or not.
void check_trace_out(const std::string& out, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(out, ec);
  if (ec || !fs::exists(st)) return;
  if (fs::is_symlink(st))
    throw ConfigError(out, 0, 0, "",
                      "is a symbolic link; npusim writes no file through a link or in its place: "
                      "give another --out");
  if (!fs::is_regular_file(st))
    throw ConfigError(out, 0, 0, "",
                      "exists and is not a regular file; npusim replaces only a file it may "
                      "overwrite: give another --out");
  if (!force && fs::file_size(out, ec) != 0)
    throw ConfigError(out, 0, 0, "",
                      "exists; npusim does not overwrite it: give another --out, or --force to "
                      "replace it");
}

/// A note as one comment line: a line break in a name (an op type, a domain) must not end it.
std::string comment_line(std::string note) {
  for (char& c : note)
    if (c == '\n' || c == '\r') c = ' ';
  return "# " + note + "\n";
}

int cmd_trace_import(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim trace import MODEL.onnx --out FILE [--input-shape NAME=DIMS]... [options]\n"
      "\n"
      "Imports an ONNX model (shape-inferred, initializers as weights in DRAM) as an op trace:\n"
      "`npusim run --trace FILE` runs it to the same report as `npusim run --onnx MODEL.onnx`.\n"
      "What each ONNX op becomes: README, \"ONNX models\"; the import's notes are printed and\n"
      "written at the top of FILE.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "out,o", po::value<std::string>()->value_name("FILE"), "the trace file to write")(
      "force", "replace FILE if it exists (npusim does not overwrite a file otherwise)")(
      "quiet,q", "print nothing but errors");
  add_onnx_options(desc, true);
  po::options_description hidden;
  hidden.add_options()("model-file", po::value<std::string>());
  const po::variables_map vm = parse(args, desc, "model-file", 1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  if (!vm.count("model-file")) throw UsageError("trace import: name the model (MODEL.onnx)");
  if (!vm.count("out")) throw UsageError("missing --out");
  const std::string out = vm["out"].as<std::string>();
  check_trace_out(out, vm.count("force") > 0);
  const std::string model = vm["model-file"].as<std::string>();
  const OnnxImport m = import_onnx_arg(model, vm, vm.count("quiet") > 0);
  std::string text = "# Imported from " + std::filesystem::path(model).filename().string() +
                     " by `npusim trace import`.\n";
  for (const auto& note : m.notes) text += comment_line(note);
  write_file_atomic(out, text + trace_yaml(m.ops, m.name));
  return kExitOk;
}

int cmd_trace(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "import") return cmd_trace_import({args.begin() + 1, args.end()});
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
    throw UsageError("trace: the subcommands are `export` and `import`");
  }
  const po::variables_map vm = parse({args.begin() + 1, args.end()}, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"model", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);
  const std::string out = vm["out"].as<std::string>();
  check_trace_out(out, vm.count("force") > 0);
  std::optional<ChipConfig> chip;
  if (vm.count("arch")) chip = load_chip_arg(vm["arch"].as<std::string>());
  const Workload w = workload_from(vm, chip ? &*chip : nullptr);
  write_file_atomic(out, trace_yaml(w.ops, w.model));
  return kExitOk;
}

const bool kRegistered = register_command(
    {"trace",
     "export a model's op trace, or import an ONNX model as one:\n"
     "  npusim trace export --model MODEL [workload options] --out FILE [--force]\n"
     "  npusim trace import MODEL.onnx [--input-shape NAME=DIMS]... [--unsupported refuse|vector]\n"
     "             [--weights F] [--activations F] --out FILE [--force]",
     20, cmd_trace});

}  // namespace
}  // namespace npu::cli
