#include "overrides.h"

#include <algorithm>
#include <cctype>

#include "yaml_reader.h"

namespace npu::config {

namespace {

[[noreturn]] void fail_at(const Origin& o, const std::string& key, const std::string& message) {
  throw ConfigError(o.file, o.line, o.col, key, message);
}

std::string strip_prefix(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0 ? key.substr(prefix.size()) : key;
}

/// Whether `inner` is `outer` or a key below it (`core.array.rows` is below `core.array`; list
/// items `ops[3]` are below `ops`).
bool at_or_under(const std::string& inner, const std::string& outer) {
  if (inner.compare(0, outer.size(), outer) != 0) return false;
  return inner.size() == outer.size() || inner[outer.size()] == '.' || inner[outer.size()] == '[';
}

std::string origin_text(const Origin& o) {
  if (o.line == 0) return o.file;
  return o.file + ":" + std::to_string(o.line) + ":" + std::to_string(o.col);
}

}  // namespace

std::string Override::text() const {
  if (value.IsScalar()) return value.Scalar();
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << value;
  return out.c_str();
}

YAML::Node parse_value(const std::string& text, const Origin& origin) {
  try {
    check_scalars(text, origin.file);  // UTF-8 without NUL, escapes included
  } catch (const ConfigError& e) {
    fail_at(origin, e.key(), e.message());
  }
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_at(origin, "", "YAML syntax error in the value: " + e.msg);
  }
  if (!node.IsDefined() || node.IsNull())
    fail_at(origin, "", "no value (write key.path=value; a null is not a value)");
  return node;
}

std::vector<std::string> split_key(const std::string& key, const Origin& origin) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : key) {
    if (std::isspace(static_cast<unsigned char>(c)))
      fail_at(origin, key, "a key path has no spaces");
    if (c == '.') {
      if (cur.empty()) fail_at(origin, key, "empty key in the path");
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (cur.empty()) fail_at(origin, key, "empty key in the path");
  parts.push_back(cur);
  return parts;
}

Override parse_set_option(const std::string& arg) {
  Override o;
  o.origin.file = "--set " + shown_text(arg);
  if (const std::string problem = text_problem(arg); !problem.empty())
    fail_at(o.origin, "", problem);
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    fail_at(o.origin, "", "expected key.path=value, e.g. --set core.array.rows=64");
  o.key = arg.substr(0, eq);
  split_key(o.key, o.origin);
  o.value.reset(parse_value(arg.substr(eq + 1), o.origin));
  return o;
}

void apply_override(YAML::Node root, const Override& o, const std::string& prefix) {
  const std::vector<std::string> parts = split_key(strip_prefix(o.key, prefix), o.origin);
  // yaml-cpp nodes are references: `cur = cur[k]` would overwrite the node cur refers to, so
  // walk with reset(), and look keys up through a const node (operator[] on a non-const node
  // inserts the key).
  YAML::Node cur;
  cur.reset(root);
  std::string walked = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + parts[i];
    const YAML::Node& view = cur;
    YAML::Node next = view[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      // A fresh node: `next` of an absent key is invalid, and reset() on it throws.
      YAML::Node created = static_cast<const YAML::Node&>(cur)[parts[i]];
      cur.reset(created);
      continue;
    }
    if (!next.IsMap()) {
      fail_at(o.origin, o.key,
              "cannot set a key inside '" + walked + "', which holds a value, not a mapping");
    }
    cur.reset(next);
  }
  // A copy: the same override is applied to many documents, and a later override may edit
  // inside this value (`core.array` set as a mapping, then `core.array.rows`).
  cur[parts.back()] = YAML::Clone(o.value);
}

YAML::Node find_key(const YAML::Node& root, const std::string& key, const std::string& prefix) {
  YAML::Node cur;
  cur.reset(root);
  std::string rest = strip_prefix(key, prefix);
  size_t start = 0;
  while (true) {
    const size_t dot = rest.find('.', start);
    const std::string part = rest.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!cur.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& view = cur;
    YAML::Node next = view[part];
    // Not `next`: a const lookup of an absent key is an invalid node, which throws when reset.
    if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    cur.reset(next);
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

bool caused_by(const ConfigError& e, const std::vector<Override>& applied,
               const std::string& prefix) {
  return std::any_of(applied.begin(), applied.end(), [&](const Override& o) {
    return o.key.compare(0, prefix.size(), prefix) == 0 &&
           at_or_under(e.key(), strip_prefix(o.key, prefix));
  });
}

ConfigError relocate(const ConfigError& e, const std::vector<Override>& applied,
                     const std::string& prefix) {
  const std::string full_key = e.key().empty() ? e.key() : prefix + e.key();
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    if (it->key.compare(0, prefix.size(), prefix) != 0) continue;
    if (at_or_under(e.key(), strip_prefix(it->key, prefix)))
      return ConfigError(it->origin.file, it->origin.line, it->origin.col, full_key, e.message());
  }
  std::string involved;
  for (const Override& o : applied) {
    if (o.key.compare(0, prefix.size(), prefix) != 0 || e.key().empty()) continue;
    if (at_or_under(strip_prefix(o.key, prefix), e.key()))
      involved += (involved.empty() ? "" : ", ") + o.key + "=" + o.text() + " (" +
                  origin_text(o.origin) + ")";
  }
  if (involved.empty() && prefix.empty()) return e;
  return ConfigError(
      e.file(), e.line(), e.col(), full_key,
      involved.empty() ? e.message() : e.message() + " [with overrides " + involved + "]");
}

}  // namespace npu::config
