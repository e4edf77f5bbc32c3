// Finding a config the user named on the command line: a path, or the name of a file shipped in
// the repository's configs/ folder (`--model llama-3.1-8b` -> configs/models/llama-3.1-8b.yaml).
// The configs root is a parameter: the library does not know where the repository is; the
// caller (the CLI, a test) decides, e.g. from an environment variable or its own location.
#pragma once

#include <string>
#include <vector>

#include "error.h"

namespace npu {

/// The path `arg` stands for:
///  - `arg` itself when it is an existing file;
///  - `arg`/config.json when `arg` is a folder holding one (a downloaded Hugging Face model);
///  - else, when `arg` has no '/', the shipped `<configs_root>/<kind_folder>/<arg>.yaml` (or
///    `<configs_root>/<kind_folder>/<arg>` when `arg` already ends in .yaml or .json).
/// Otherwise a ConfigError on `arg` (no line) that lists the shipped names and suggests the
/// nearest one.
std::string resolve_config_path(const std::string& arg, const std::string& kind_folder,
                                const std::string& configs_root);

/// The shipped names in `<configs_root>/<kind_folder>/`: the stems of its .yaml files, sorted.
/// Empty when the folder does not exist.
std::vector<std::string> shipped_config_names(const std::string& kind_folder,
                                              const std::string& configs_root);

}  // namespace npu
