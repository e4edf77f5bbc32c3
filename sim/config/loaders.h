// Reading the user's YAML: chips and op traces. YAML is read only here (sim/config/); the
// loaders check every key (type, range, unknown keys with a suggestion of the nearest known one)
// and throw ConfigError naming file, line, column and key path. They return resolved, typed
// configs: units converted once, defaults applied, derived quantities cross-checked.
#pragma once

#include <string>
#include <vector>

#include "../../arch/chip_config.h"
#include "../../workloads/op.h"
#include "error.h"

namespace npu {

namespace config {
class Value;
}

/// Loads a chip description (schema: configs/SCHEMA.md).
ChipConfig load_chip(const std::string& path);
/// Loads a chip from a document already read (config::load_document), e.g. one that overrides
/// edited first (sim/config/overrides.h).
ChipConfig load_chip(const config::Value& root);
/// Loads an op trace (schema: configs/SCHEMA.md).
std::vector<Op> load_trace(const std::string& path);
/// load_trace of a trace's text (trace_yaml), `path` naming it in messages.
std::vector<Op> load_trace_text(const std::string& text, const std::string& path);

}  // namespace npu
