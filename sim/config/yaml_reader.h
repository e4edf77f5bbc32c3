// A strict reader over yaml-cpp, shared by every loader in sim/config/. It never guesses: a value
// must have the type asked for, sit inside the range given, and every key of a mapping must be
// one the loader declared. Each failure is a ConfigError naming the file, the 1-based line and
// column (yaml-cpp marks are 0-based) and the dotted key path (`core.array.rows`, `ops[3].m`).
//
// Scalars are parsed from their text here rather than with yaml-cpp's as<T>(), which accepts YAML
// 1.1 spellings (`yes`, `on`) and, for unsigned types, may wrap "-5". Quoted scalars are strings:
// `rows: "32"` is a type error, not 32.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "error.h"

namespace npu::config {

/// Accepted spellings of an enumeration and the value each one stands for.
template <class E>
using EnumTable = std::vector<std::pair<std::string, E>>;

/// The table of `values` spelt by `name` (e.g. enum_table(kAllFormats, format_name)).
template <class Range, class NameFn>
auto enum_table(const Range& values, NameFn name) {
  using E = std::decay_t<decltype(*std::begin(values))>;
  EnumTable<E> table;
  for (const E& v : values) table.emplace_back(std::string(name(v)), v);
  return table;
}

class MapReader;

/// One node of a document, with where it came from. Cheap to copy.
class Value {
 public:
  Value(std::shared_ptr<const std::string> file, YAML::Node node, std::string path,
        YAML::Mark key_mark);
  Value(const Value&) = default;
  /// Rebinds to `v`'s node (yaml-cpp's Node::operator= would overwrite the node this one
  /// refers to, inside its document).
  Value& operator=(const Value& v) {
    m_file = v.m_file;
    m_node.reset(v.m_node);
    m_path = v.m_path;
    m_key_mark = v.m_key_mark;
    return *this;
  }

  const std::string& path() const { return m_path; }
  const std::string& file() const { return *m_file; }
  /// 1-based location reported for this value: a scalar's own; a collection's or an empty
  /// value's is its key's (a list item's: where the item starts).
  int line() const;
  int col() const;

  /// A decimal integer in [min, max].
  uint64_t as_uint(uint64_t min, uint64_t max) const;
  uint32_t as_u32(uint32_t min, uint32_t max) const {
    return static_cast<uint32_t>(as_uint(min, max));
  }
  /// A finite decimal number: > min when `min_exclusive`, else >= min; and <= max.
  double as_number(double min, bool min_exclusive, double max) const;
  /// `true` or `false` (YAML 1.2 core spellings only; `yes`/`on` are rejected).
  bool as_bool() const;
  /// Any non-empty scalar, plain or quoted, as written.
  std::string as_string() const;
  /// A plain scalar that is one of the table's names.
  template <class E>
  E as_enum(const EnumTable<E>& table) const {
    std::vector<std::string> names;
    names.reserve(table.size());
    for (const auto& [name, value] : table) names.push_back(name);
    return table[choose(names)].second;
  }
  /// A mapping, to read key by key.
  MapReader as_map() const;
  /// A mapping that may hold only `keys` (see MapReader::allow).
  MapReader as_map(std::vector<std::string> keys) const;
  /// A sequence; items are named `path[i]`.
  std::vector<Value> as_list() const;

  /// How the value reads in a message: 'text', the quoted string 'text', a mapping, no value.
  std::string describe() const;
  /// Throws ConfigError at this value.
  [[noreturn]] void fail(const std::string& message) const;
  /// The underlying node (shared with the document: editing a copy of it edits the document, as
  /// overrides do before a loader reads it; see sim/config/overrides.h).
  const YAML::Node& node() const { return m_node; }

 private:
  /// The text of a plain (unquoted, untagged) scalar, or a type error naming `expected`.
  std::string plain_scalar(const char* expected) const;
  /// Index of the scalar's text in `names`, or an error listing them.
  size_t choose(const std::vector<std::string>& names) const;
  friend class MapReader;

  std::shared_ptr<const std::string> m_file;
  YAML::Node m_node;
  std::string m_path;
  YAML::Mark m_key_mark;  ///< mark of the key naming this value (root: the node's own mark)
};

/// Reads a mapping key by key. allow() declares the keys the mapping may hold (its schema) and
/// rejects any other at once, suggesting the nearest allowed one; a key not declared is never
/// read silently.
class MapReader {
 public:
  /// Fails unless `map` is a mapping with distinct, non-empty scalar keys.
  explicit MapReader(const Value& map);

  /// Declares the allowed keys; fails at the first other key present. Once called, get() and
  /// require() only accept declared keys (asking for another is a loader bug: std::logic_error).
  void allow(std::vector<std::string> keys);
  /// The value of an optional key.
  std::optional<Value> get(const std::string& key) const;
  /// The value of a required key; fails at this mapping when it is absent.
  Value require(const std::string& key) const;
  /// Whether the key is present.
  bool has(const std::string& key) const { return find(key) != nullptr; }
  /// The key node of a present key (to fail at the key rather than its value).
  std::optional<Value> key(const std::string& key) const;
  /// Every entry as (key, value), in document order, for mappings whose keys are data (e.g.
  /// formats); keys are Values so they can be parsed and failed at.
  std::vector<std::pair<Value, Value>> entries() const;

  /// The mapping itself (reported at its key).
  const Value& self() const { return m_self; }

 private:
  struct Entry {
    std::string name;
    Value key, value;
  };
  const Entry* find(const std::string& key) const;
  void check_declared(const std::string& key) const;

  Value m_self;
  std::vector<Entry> m_entries;
  std::vector<std::string> m_allowed;  ///< empty until allow()
};

/// Input files larger than this are refused before they are parsed: yaml-cpp holds about 80 bytes
/// of memory per byte of YAML (a 16 MiB trace, about 120,000 ops, takes 1.4 GB and 15 s to read).
inline constexpr uint64_t kMaxInputBytes = uint64_t{16} << 20;

/// The content of an input file, `what` naming its kind in messages ("YAML"). Fails (ConfigError
/// at the file, line 0) when it is not a regular file (a directory, a device such as /dev/zero,
/// a FIFO: refused at once, without waiting for a writer), cannot be read, or exceeds
/// kMaxInputBytes (checked from its size, and again while reading).
std::string read_input(const std::string& path, const std::string& what);

/// Fails (ConfigError at the file, line 0: not_regular_text) when `path` exists and is not a
/// regular file; for inputs read whole by other means (results.csv, sweep.json, summary.json).
void refuse_non_regular(const std::string& path);

/// "not a regular file (a FIFO)": how messages name a file of st_mode `mode` that is not regular.
std::string not_regular_text(unsigned mode);

/// Loads a file holding exactly one YAML document whose root is a mapping. Fails when the file
/// cannot be read (line 0), on a syntax error (at its mark), nesting deeper than yaml-cpp takes,
/// a scalar that is not UTF-8 or holds a NUL byte (text_problem, at the scalar, with its key
/// path), when it is empty, holds several documents, or its root is not a mapping.
Value load_document(const std::string& path);
/// load_document of text already in memory, `path` naming it in messages.
Value load_document_text(const std::string& content, const std::string& path);

/// What is wrong with a string read from input: "not valid UTF-8", "holds a NUL byte", or ""
/// when it is well-formed UTF-8 without NUL. Every scalar of a document (load_document), every
/// `--set` value and every string field of a config.json is checked at load, so reports (JSON)
/// never meet a string they cannot write.
std::string text_problem(const std::string& s);

/// Checks every scalar of the YAML text `text` (a value written on a command line) with
/// text_problem; throws ConfigError at `file` (line and column within `text`, key path) for the
/// first bad one. Syntax errors are left to the parser.
void check_scalars(const std::string& text, const std::string& file);

/// `s` as a message may show it: itself when text_problem finds nothing, else with every byte
/// outside printable ASCII written \xNN.
std::string shown_text(const std::string& s);

/// How many bytes of a value an error message repeats (echo_text).
inline constexpr size_t kMaxEcho = 60;
/// `s` as an error message repeats it: up to its first line break and kMaxEcho bytes (whole UTF-8
/// characters), "..." marking a cut. A message names where a value is; it need not repeat it
/// whole (a 10 MB scalar, a whole file read as one scalar).
std::string echo_text(const std::string& s);

/// A number as messages show it: up to 10 significant digits (54.4, not 54.400000000000006).
std::string number_text(double v);

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).
size_t edit_distance(const std::string& a, const std::string& b);
/// The candidate nearest to `word` when close enough to be a likely typo, else nullopt.
std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates);

}  // namespace npu::config
