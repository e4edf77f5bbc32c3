// The workload settings of a model run (RunSpec), one row each: how the command line spells it
// (`--prompt`, for `npusim run --model` and `trace export`), how an experiment's `workload:`
// mapping spells it (`prompt`), what it accepts and its help line. Both front ends read their
// values through this table, so a setting's range is written once (the defaults are RunSpec's
// own); errors carry the setting (WorkloadError::setting()) and each front end spells it:
// `npusim: --prompt: ...` on the command line, `file:line:col: workload.prompt: ...` in YAML.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../../workloads/transformer.h"
#include "yaml_reader.h"

namespace npu::config {

enum class SettingKind : uint8_t {
  kName,    ///< a name or a path (the model); not a RunSpec field
  kCount,   ///< an integer in [min, max]
  kChoice,  ///< one of `choices`
  kSwitch,  ///< on or off (a bare option; true/false in YAML)
  kReal,    ///< a finite decimal number in [min, max]
};

struct WorkloadSetting {
  RunField field;
  const char* key;   ///< in an experiment's `workload:` mapping
  const char* flag;  ///< the command line's option, without "--"
  const char* noun;  ///< what messages call the value: "prompt must be 1 to ..."
  const char* help;  ///< the option's help line
  SettingKind kind;
  uint64_t min = 0, max = 0;         ///< kCount and kReal
  std::vector<std::string> choices;  ///< kChoice: the accepted names, in order
  /// The value's text in `s` (the default is its text in RunSpec{}); null for kName.
  std::string (*text)(const RunSpec& s) = nullptr;
  /// Stores an accepted value: the count, the index in `choices`, or 0/1 (kSwitch).
  void (*store)(RunSpec& s, uint64_t v) = nullptr;
  /// Stores an accepted kReal value.
  void (*store_real)(RunSpec& s, double v) = nullptr;
};

/// Every setting, in the order the command line's help lists them.
const std::vector<WorkloadSetting>& workload_settings();
const WorkloadSetting& workload_setting(RunField f);
/// RunSpec{}'s value of a setting, as text ("128", "flash").
std::string default_text(const WorkloadSetting& w);

/// Stores the command line's value of a kCount, kChoice or kReal setting. Throws WorkloadError
/// (the setting, and what is wrong) for text that is not a number, out of range or not a choice.
void set_from_text(RunSpec& s, const WorkloadSetting& w, const std::string& text);

/// The settings present in an experiment's workload mapping (its other keys are left alone),
/// over RunSpec's defaults; a bad value fails at its key (ConfigError).
RunSpec read_run_spec(const MapReader& workload);

/// The keys a workload mapping of a model run may hold, in table order.
std::vector<std::string> workload_keys();

/// A WorkloadError as a ConfigError at the key of `workload` it names (at the mapping when the
/// key is not written there).
[[noreturn]] void fail_at_setting(const Value& workload, const WorkloadError& e);

}  // namespace npu::config
