// Pieces shared by the experiment commands (sweep, check, point, and `run --set`): the --set
// option, the experiment they load, the binary workers run.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "sim/config/overrides.h"
#include "sim/experiment.h"

namespace npu::cli {

/// Adds `--set KEY=VALUE` (repeatable): chip keys only for a single run (`run`, `serve`), any
/// key of an experiment for the experiment commands.
void add_set_option(po::options_description& d, bool chip_only = false);
/// The --set arguments as given, and parsed.
std::vector<std::string> set_args(const po::variables_map& vm);
std::vector<config::Override> set_overrides(const po::variables_map& vm);

/// Loads the chip an --arch value names with `sets` (chip keys only) applied: `run --set`.
ChipConfig load_chip_arg(const std::string& arg, const std::vector<config::Override>& sets);

/// Loads the experiment named by the positional argument with the --set overrides.
Experiment load_experiment_arg(const po::variables_map& vm);

/// A temporary folder (mkdtemp under $TMPDIR or /tmp), removed with what it holds at the end of
/// the command that made it.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& prefix = "npusim");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

/// The running binary (/proc/self/exe), which sweep workers run.
std::string self_binary();

/// Worker processes by default: the processors online.
size_t default_jobs();

/// Parses `i/N` (0 <= i < N).
void parse_shard(const std::string& text, size_t& shard, size_t& shards);

}  // namespace npu::cli
