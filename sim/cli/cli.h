// Shared pieces of the npusim command line: exit codes, usage errors, the configs root, the
// workload options of `run --model` and `trace export`, and the registry of commands. Each command
// lives in its own sim/cli/cmd_*.cpp and registers itself; main.cpp dispatches.
#pragma once

#include <boost/program_options.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/config/loaders.h"
#include "sim/config/onnx_importer.h"
#include "workloads/transformer.h"

namespace npu::cli {

namespace po = boost::program_options;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

/// A wrong or missing option: exit status 2, with a pointer to --help.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Where the shipped configs are, the first of: $NPUSIM_CONFIGS (which `--configs DIR` sets);
/// the configs of the install the binary belongs to (`<exe dir>/../share/npusim/configs`, found
/// from /proc/self/exe), when that folder exists; the source tree the binary was built from.
std::string configs_root();

/// The installed configs folder beside the running binary, or "" when there is none.
std::string installed_configs_dir();

/// `--configs DIR`: checks that DIR is a folder (else a ConfigError on DIR) and makes it the
/// configs root of this process and of the workers it starts ($NPUSIM_CONFIGS).
void use_configs_dir(const std::string& dir);

/// Options that describe a model workload (shared by `run --model` and `trace export`).
void add_workload_options(po::options_description& d);

/// --routing-file FILE (part of the workload options; `serve` adds it beside its own).
void add_routing_file_option(po::options_description& d);
/// Reads --routing-file into `s` (routing file, with its weights); a UsageError beside an
/// explicit --routing.
void read_routing_file_option(const po::variables_map& vm, RunSpec& s);

/// The workload the options describe; `chip`, when given, sets the SRAM standard attention may
/// keep its scores in.
Workload workload_from(const po::variables_map& vm, const ChipConfig* chip, bool streamed = false);

/// Options of an ONNX import (`run --onnx`, `trace import`): --input-shape and --unsupported;
/// with `formats`, also --weights and --activations (`run` has them as workload options).
void add_onnx_options(po::options_description& d, bool formats);

/// Imports the ONNX model at `path` with the options of add_onnx_options (and --weights and
/// --activations when given explicitly); prints its notes (`onnx: ...`) unless `quiet`.
OnnxImport import_onnx_arg(const std::string& path, const po::variables_map& vm, bool quiet);

/// Loads the chip named by an --arch value: a path, or a shipped preset name.
ChipConfig load_chip_arg(const std::string& arg);

/// Parses `args` against the options of `d` and of `hidden` (options that --help does not list,
/// such as the one taking bare arguments); bare arguments go to the option `positional` (at most
/// `max_count`, -1: any). A negative number given to an unsigned option is a UsageError naming
/// it (Boost would wrap -1 to 18446744073709551615).
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& d,
                        const char* positional = nullptr, int max_count = 1,
                        const po::options_description* hidden = nullptr);

struct Command {
  std::string name;
  std::string synopsis;  ///< lines for `npusim --help`, each indented by the caller
  int order;             ///< position in `npusim --help`
  std::function<int(const std::vector<std::string>&)> run;
};
/// Adds a command; call from a static initialiser in its cmd_*.cpp.
bool register_command(Command c);
/// Every registered command, in `order`.
std::vector<Command> commands();

}  // namespace npu::cli
