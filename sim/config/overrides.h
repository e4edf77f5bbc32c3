// Overrides: a value set at a dotted key path of a document (`core.array.rows: 64`) before the
// strict loader reads it. They come from an experiment (`set:`, a sweep point) or from the
// command line (`--set core.array.rows=64`). Editing the parsed tree, rather than the typed
// config, keeps one loader and one set of checks: an override is held to the same rules as the
// file (unknown keys with a suggestion, exact types, ranges, cross-checks).
//
// A loader's ConfigError names the place in the file it read; when the key at fault is one an
// override set, relocate() moves the error to where the override was written (the experiment's
// line, or the `--set` option), so the message points at what the user has to change.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "error.h"

namespace npu::config {

/// Where an override was written: a file position, or a command-line option (`line` 0).
struct Origin {
  std::string file;  ///< the experiment file, or the option as typed: "--set core.array.rows=64"
  int line = 0;      ///< 1-based; 0 for the command line
  int col = 0;
};

struct Override {
  std::string key;   ///< dotted key path: core.array.rows, workload.batch, model.kv_heads, arch
  YAML::Node value;  ///< as YAML (a plain scalar, a list or a mapping)
  Origin origin;

  Override() = default;
  Override(std::string k, YAML::Node v, Origin o)
      : key(std::move(k)), value(std::move(v)), origin(std::move(o)) {}
  Override(const Override&) = default;
  /// Rebinds `value`: yaml-cpp's Node::operator= would overwrite the node it refers to, which
  /// other overrides (and the document it came from) share.
  Override& operator=(const Override& o) {
    key = o.key;
    value.reset(o.value);
    origin = o.origin;
    return *this;
  }

  /// The value as one line of YAML (flow style): 64, int4, [1, 2], {int8: 1}.
  std::string text() const;
};

/// Parses one YAML value written on a command line or computed: `64` is an integer, `"64"` a
/// string, `[1, 2]` a list. Throws ConfigError at `origin` on a syntax error or an empty value.
YAML::Node parse_value(const std::string& text, const Origin& origin);

/// Parses a `--set` argument: `key.path=value`. Throws ConfigError naming the option.
Override parse_set_option(const std::string& arg);

/// Splits a key path at its dots; fails (at `origin`) on an empty segment or whitespace.
std::vector<std::string> split_key(const std::string& key, const Origin& origin);

/// Sets `o.key` with `prefix` removed (e.g. "model.") in the document `root` to `o.value`,
/// creating the mappings on the way that are missing; a key on the way that holds something
/// other than a mapping is an error at the override's origin.
void apply_override(YAML::Node root, const Override& o, const std::string& prefix = "");

/// The node at `key` (prefix removed) in `root`, or an undefined node; never inserts.
YAML::Node find_key(const YAML::Node& root, const std::string& key, const std::string& prefix = "");

/// `e`, a loader's error, moved to the override responsible for it: the last of `applied` whose
/// key (with `prefix` removed) is `e.key()` or contains it (`core.array` set as a mapping and
/// `core.array.rows` wrong). When instead an override sits under the key at fault (a cross-check
/// of a mapping: `core.sram` after `core.sram.size_kib` was set), the error stays where it is
/// and names the overrides involved. Other errors are returned unchanged. Keys in the returned
/// error carry `prefix`.
ConfigError relocate(const ConfigError& e, const std::vector<Override>& applied,
                     const std::string& prefix = "");

/// Whether `e` sits at (or under) one of the keys of `applied` (see relocate()).
bool caused_by(const ConfigError& e, const std::vector<Override>& applied,
               const std::string& prefix = "");

}  // namespace npu::config
