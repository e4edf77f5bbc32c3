#include "yaml_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace npu::config {

namespace {

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// [+-]? digits
bool is_integer_text(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(), is_digit);
}

/// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?  -- no hex, inf or nan.
bool is_decimal_text(const std::string& s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t mantissa = digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

/// yaml-cpp's parser refuses deeper nesting (YAML::DepthGuard's default, which it uses).
constexpr int kMaxYamlDepth = 2000;

int one_based(int mark_field) {
  return mark_field < 0 ? 0 : mark_field + 1;
}

/// Where the documents of a YAML stream start, and a check of every scalar's text (UTF-8, no
/// NUL) naming the key path of the first bad one. yaml-cpp 0.7's YAML::LoadAll never returns on a
/// token no document can start with (a ',' outside a flow collection, found by fuzzing): its
/// parser reports an empty document there without consuming the token, again and again, each
/// one a node appended to the result until memory runs out (jbeder/yaml-cpp#1040, fixed
/// upstream by #1319). A document that starts where the previous one did is that token.
class DocumentStarts : public YAML::EventHandler {
 public:
  /// `file` names the document in errors; `nul_at`, when set, is the offset of a NUL byte in
  /// the text, whose key path is looked for (yaml-cpp does not keep the byte in the scalar).
  DocumentStarts(std::string file, std::optional<YAML::Mark> nul_at)
      : m_file(std::move(file)), m_nul_at(nul_at) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    m_stuck = m_count > 0 && mark.pos == m_last.pos;
    if (m_count == 1) m_second = mark;
    m_last = mark;
    ++m_count;
    m_stack.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    first_node(mark);
    node(false);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    first_node(mark);
    node(false);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                const std::string& value) override {
    first_node(mark);
    const bool is_key = node(false);
    // The NUL is in the last scalar to start before it on its line.
    if (m_nul_at && mark.line == m_nul_at->line && mark.pos <= m_nul_at->pos)
      m_nul_path = is_key ? parent_path() : path();
    for (const std::string* text : {&value, &tag}) {
      const std::string problem = text_problem(*text);
      if (!problem.empty())
        throw ConfigError(m_file, one_based(mark.line), one_based(mark.column),
                          is_key ? parent_path() : path(), (is_key ? "a key " : "") + problem);
    }
    if (is_key && !m_stack.empty()) m_stack.back().key = value;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    first_node(mark);
    node(true);
    m_stack.push_back({false, true, 0, ""});
  }
  void OnSequenceEnd() override { m_stack.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    first_node(mark);
    node(true);
    m_stack.push_back({true, true, 0, ""});
  }
  void OnMapEnd() override { m_stack.pop_back(); }

  /// The key path of the scalar holding the NUL byte: the last to start before it on its line.
  const std::optional<std::string>& nul_path() const { return m_nul_path; }

  size_t count() const { return m_count; }
  /// Where the second document's root node starts (its `---` when it has none).
  const YAML::Mark& second() const { return m_second; }
  /// The token the last document did not consume, when it started where the one before did.
  std::optional<YAML::Mark> stuck() const {
    return m_stuck ? std::optional<YAML::Mark>(m_last) : std::nullopt;
  }

 private:
  /// The second document is reported where its root node starts, as a node's Mark() would.
  void first_node(const YAML::Mark& mark) {
    if (m_count == 2 && !m_second_root) {
      m_second = mark;
      m_second_root = true;
    }
  }

  /// One open collection: a mapping (its current key) or a sequence (its next index). Only the
  /// parts are kept, never a whole path per level: nesting may be thousands of levels deep.
  struct Level {
    bool map;
    bool expect_key;  ///< mapping: the next node is a key
    size_t index;     ///< sequence: the next item's index
    std::string key;  ///< mapping: the key whose value comes next
  };

  /// Accounts for a node starting; returns whether it is a mapping key. Its path is path() (a
  /// key's: parent_path()) until the next node; a collection's is kept by the level it pushes.
  bool node(bool collection) {
    m_is_key = false;
    if (m_stack.empty()) return false;
    Level& top = m_stack.back();
    if (top.map) {
      m_is_key = top.expect_key;
      top.expect_key = !top.expect_key;
      if (m_is_key) top.key.clear();  // a collection as a key leaves its value unnamed
    } else {
      ++top.index;
    }
    (void)collection;
    return m_is_key;
  }
  /// The dotted path of the node just started (as MapReader names it: `ops[3].name`).
  std::string path() const { return path_of(m_stack.size()); }
  /// The path of the collection holding the node just started.
  std::string parent_path() const {
    return m_stack.empty() ? std::string() : path_of(m_stack.size() - 1);
  }
  /// The path down to (and including the current member of) the first `levels` levels.
  std::string path_of(size_t levels) const {
    std::string p;
    for (size_t i = 0; i < levels; ++i) {
      const Level& l = m_stack[i];
      if (l.map)
        p += (p.empty() ? "" : ".") + l.key;
      else
        p += "[" + std::to_string(l.index == 0 ? 0 : l.index - 1) + "]";
    }
    return p;
  }

  size_t m_count = 0;
  bool m_stuck = false, m_second_root = false;
  YAML::Mark m_last, m_second;
  std::string m_file;
  std::optional<YAML::Mark> m_nul_at;
  std::optional<std::string> m_nul_path;
  std::vector<Level> m_stack;
  bool m_is_key = false;
};

}  // namespace

std::string text_problem(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = p[i];
    if (c == 0) return "holds a NUL byte";
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Well-formed UTF-8 (Unicode table 3-7): no overlong forms, surrogates or code points above
    // U+10FFFF.
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return "not valid UTF-8";
    }
    if (i + len > n) return "not valid UTF-8";
    for (size_t k = 1; k < len; ++k) {
      const unsigned b = p[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return "not valid UTF-8";
    }
    i += len;
  }
  return "";
}

std::string echo_text(const std::string& s) {
  size_t end = std::min(s.find('\n'), s.size());
  if (end <= kMaxEcho) return end == s.size() ? s : s.substr(0, end) + "...";
  end = kMaxEcho;
  // Not inside a UTF-8 sequence: back up over continuation bytes.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "...";
}

std::string number_text(double v) {
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

// ---------------------------------------------------------------------------------------------
// Value

Value::Value(std::shared_ptr<const std::string> file, YAML::Node node, std::string path,
             YAML::Mark key_mark)
    : m_file(std::move(file)),
      m_node(std::move(node)),
      m_path(std::move(path)),
      m_key_mark(key_mark) {}

// A scalar is reported where it is written; a collection or an empty value where it is named
// (yaml-cpp marks an empty value at the next token, often on the following line).
int Value::line() const {
  const bool own = m_node.IsScalar() && !m_node.Mark().is_null();
  return one_based(own ? m_node.Mark().line : m_key_mark.line);
}

int Value::col() const {
  const bool own = m_node.IsScalar() && !m_node.Mark().is_null();
  return one_based(own ? m_node.Mark().column : m_key_mark.column);
}

void Value::fail(const std::string& message) const {
  throw ConfigError(*m_file, line(), col(), m_path, message);
}

std::string Value::describe() const {
  if (!m_node.IsDefined() || m_node.IsNull()) return "no value";
  if (m_node.IsMap()) return "a mapping";
  if (m_node.IsSequence()) return "a list";
  if (m_node.Tag() == "!") return "the quoted string '" + echo_text(m_node.Scalar()) + "'";
  return "'" + echo_text(m_node.Scalar()) + "'";
}

std::string Value::plain_scalar(const char* expected) const {
  if (!m_node.IsScalar() || m_node.Tag() == "!")
    fail(std::string("expected ") + expected + ", got " + describe());
  if (m_node.Tag() != "?")
    fail(std::string("expected ") + expected + ", got a value tagged '" + m_node.Tag() + "'");
  return m_node.Scalar();
}

uint64_t Value::as_uint(uint64_t min, uint64_t max) const {
  const std::string text = plain_scalar("an integer");
  if (!is_integer_text(text)) {
    if (is_decimal_text(text)) fail("expected an integer, got " + echo_text(text));
    fail("expected an integer, got '" + echo_text(text) + "'");
  }
  const bool negative = text[0] == '-';
  const size_t start = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  uint64_t v = 0;
  bool too_large = false;
  for (size_t i = start; i < text.size() && !too_large; ++i) {
    const auto d = static_cast<uint64_t>(text[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10)
      too_large = true;
    else
      v = v * 10 + d;
  }
  if (negative && v != 0)
    fail("must be at least " + std::to_string(min) + ", got " + echo_text(text));
  if (too_large || v > max)
    fail("must be at most " + std::to_string(max) + ", got " + echo_text(text));
  if (v < min) fail("must be at least " + std::to_string(min) + ", got " + echo_text(text));
  return v;
}

double Value::as_number(double min, bool min_exclusive, double max) const {
  const std::string text = plain_scalar("a number");
  if (!is_decimal_text(text)) fail("expected a number, got '" + echo_text(text) + "'");
  const double v = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(v)) fail("is too large to be a number, got " + echo_text(text));
  const bool below = min_exclusive ? !(v > min) : !(v >= min);
  if (below || v > max) {
    std::string range;
    if (std::isinf(max))
      range = (min_exclusive ? "greater than " : "at least ") + number_text(min);
    else
      range = "in " + std::string(min_exclusive ? "(" : "[") + number_text(min) + ", " +
              number_text(max) + "]";
    fail("must be " + range + ", got " + echo_text(text));
  }
  return v;
}

bool Value::as_bool() const {
  const std::string text = plain_scalar("true or false");
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  fail("expected true or false, got '" + echo_text(text) + "'");
}

std::string Value::as_string() const {
  if (!m_node.IsScalar()) fail("expected a string, got " + describe());
  if (m_node.Scalar().empty()) fail("must not be empty");
  return m_node.Scalar();
}

size_t Value::choose(const std::vector<std::string>& names) const {
  if (!m_node.IsScalar()) fail("expected one of " + join_names(names) + ", got " + describe());
  const std::string text = m_node.Scalar();
  const auto it = std::find(names.begin(), names.end(), text);
  if (it != names.end()) return static_cast<size_t>(it - names.begin());
  std::string message = "unknown value '" + echo_text(text) + "'";
  if (const auto guess = nearest(text, names)) message += "; did you mean '" + *guess + "'?";
  fail(message + " (accepted: " + join_names(names) + ")");
}

MapReader Value::as_map() const {
  return MapReader(*this);
}

MapReader Value::as_map(std::vector<std::string> keys) const {
  MapReader m(*this);
  m.allow(std::move(keys));
  return m;
}

std::vector<Value> Value::as_list() const {
  if (!m_node.IsSequence()) fail("expected a list, got " + describe());
  std::vector<Value> items;
  items.reserve(m_node.size());
  for (const YAML::Node& item : m_node)
    items.emplace_back(m_file, item, m_path + "[" + std::to_string(items.size()) + "]",
                       item.Mark());
  return items;
}

// ---------------------------------------------------------------------------------------------
// MapReader

MapReader::MapReader(const Value& map) : m_self(map) {
  if (!map.m_node.IsMap()) map.fail("expected a mapping, got " + map.describe());
  // By value: yaml-cpp's iterator yields a temporary pair, so `it->first` would dangle.
  for (const auto& kv : map.m_node) {
    const YAML::Node key = kv.first;
    Value key_value(map.m_file, key, map.m_path, key.Mark());
    if (!key.IsScalar() || key.Scalar().empty())
      key_value.fail("a key must be a non-empty string, got " + key_value.describe());
    const std::string name = key.Scalar();
    const std::string path = join_path(map.m_path, name);
    key_value.m_path = path;
    if (const Entry* first = find(name))
      key_value.fail("duplicate key '" + echo_text(name) + "' (first given at line " +
                     std::to_string(first->key.line()) + ")");
    m_entries.push_back({name, key_value, Value(map.m_file, kv.second, path, key.Mark())});
  }
}

const MapReader::Entry* MapReader::find(const std::string& key) const {
  for (const auto& e : m_entries)
    if (e.name == key) return &e;
  return nullptr;
}

void MapReader::allow(std::vector<std::string> keys) {
  m_allowed = std::move(keys);
  for (const auto& e : m_entries) {
    if (std::find(m_allowed.begin(), m_allowed.end(), e.name) != m_allowed.end()) continue;
    std::string message = "unknown key '" + echo_text(e.name) + "'";
    if (const auto guess = nearest(e.name, m_allowed))
      message += "; did you mean '" + *guess + "'?";
    else
      message += " (allowed: " + join_names(m_allowed) + ")";
    e.key.fail(message);
  }
}

void MapReader::check_declared(const std::string& key) const {
  if (!m_allowed.empty() && std::find(m_allowed.begin(), m_allowed.end(), key) == m_allowed.end())
    throw std::logic_error("config loader reads undeclared key '" + key + "' of '" + m_self.path() +
                           "'");
}

std::optional<Value> MapReader::get(const std::string& key) const {
  check_declared(key);
  if (const Entry* e = find(key)) return e->value;
  return std::nullopt;
}

Value MapReader::require(const std::string& key) const {
  if (auto v = get(key)) return *v;
  throw ConfigError(m_self.file(), m_self.line(), m_self.col(), join_path(m_self.path(), key),
                    "missing required key '" + key + "'");
}

std::optional<Value> MapReader::key(const std::string& key) const {
  check_declared(key);
  if (const Entry* e = find(key)) return e->key;
  return std::nullopt;
}

std::vector<std::pair<Value, Value>> MapReader::entries() const {
  std::vector<std::pair<Value, Value>> out;
  out.reserve(m_entries.size());
  for (const auto& e : m_entries) out.emplace_back(e.key, e.value);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Documents

std::string read_input(const std::string& path, const std::string& what) {
  auto fail_file = [&](const std::string& message) { throw ConfigError(path, 0, 0, "", message); };
  auto too_large = [&](uint64_t bytes) {
    fail_file("is " + std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB; " + what +
              " inputs are limited to " + std::to_string(kMaxInputBytes >> 20) +
              " MiB (reading one takes about 80 times its size in memory)");
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular file is read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) fail_file(std::string("cannot open file: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail_file(std::string("cannot read file: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail_file(not_regular_text(st.st_mode));
  if (static_cast<uint64_t>(st.st_size) > kMaxInputBytes)
    too_large(static_cast<uint64_t>(st.st_size));
  // The cap holds while reading too: the file may grow after fstat.
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) fail_file(std::string("cannot read file: ") + std::strerror(errno));
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > kMaxInputBytes)
      too_large(text.size() + static_cast<size_t>(n));
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

void refuse_non_regular(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw ConfigError(path, 0, 0, "", not_regular_text(st.st_mode));
}

std::string not_regular_text(unsigned mode) {
  const char* kind = S_ISCHR(mode)    ? " (a character device)"
                     : S_ISBLK(mode)  ? " (a block device)"
                     : S_ISFIFO(mode) ? " (a FIFO)"
                     : S_ISSOCK(mode) ? " (a socket)"
                     : S_ISDIR(mode)  ? " (a directory)"
                                      : "";
  return std::string("not a regular file") + kind;
}

void check_scalars(const std::string& text, const std::string& file) {
  if (const std::string problem = text_problem(text); !problem.empty())
    throw ConfigError(file, 0, 0, "", problem);
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts check(file, std::nullopt);
  try {
    while (parser.HandleNextDocument(check)) {
      if (check.stuck()) break;
    }
  } catch (const YAML::Exception&) {
    // Syntax errors are the parser's to report.
  }
}

std::string shown_text(const std::string& s) {
  if (text_problem(s).empty()) return s;
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

Value load_document(const std::string& path) {
  return load_document_text(read_input(path, "YAML"), path);
}

Value load_document_text(const std::string& content, const std::string& path) {
  auto fail_file = [&](const std::string& message) { throw ConfigError(path, 0, 0, "", message); };
  // A NUL byte is no YAML text (and yaml-cpp would turn it into another character).
  std::optional<YAML::Mark> nul_at;
  if (const size_t at = content.find('\0'); at != std::string::npos) {
    YAML::Mark m;
    m.pos = static_cast<int>(at);
    m.line = static_cast<int>(std::count(content.begin(), content.begin() + at, '\n'));
    const size_t line_start = content.rfind('\n', at == 0 ? 0 : at - 1);
    m.column =
        static_cast<int>(line_start == std::string::npos || at == 0 ? at : at - line_start - 1);
    nul_at = m;
  }
  YAML::Node doc;
  DocumentStarts starts(path, nul_at);
  auto fail_nul = [&] {
    throw ConfigError(path, one_based(nul_at->line), one_based(nul_at->column),
                      starts.nul_path().value_or(""), "holds a NUL byte");
  };
  try {
    // Not YAML::LoadAll: see DocumentStarts. Every document is parsed (syntax errors anywhere
    // are reported), the first one twice: once for its events, once into nodes.
    std::istringstream events(content);
    YAML::Parser parser(events);
    while (parser.HandleNextDocument(starts)) {
      if (const auto stuck = starts.stuck())
        throw ConfigError(path, one_based(stuck->line), one_based(stuck->column), "",
                          "YAML syntax error: unexpected '" +
                              content.substr(static_cast<size_t>(stuck->pos), 1) + "'");
    }
    if (nul_at) fail_nul();
    if (starts.count() > 1) {
      const YAML::Mark m = starts.second();
      throw ConfigError(
          path, one_based(m.line), one_based(m.column), "",
          "the file holds " + std::to_string(starts.count()) + " YAML documents; expected one");
    }
    if (starts.count() == 1) doc = YAML::Load(content);
  } catch (const YAML::DeepRecursion& e) {
    if (nul_at) fail_nul();
    const int line = e.mark.is_null() ? 0 : one_based(e.mark.line);
    const int col = e.mark.is_null() ? 0 : one_based(e.mark.column);
    throw ConfigError(path, line, col, "",
                      "YAML nesting too deep: more than " + std::to_string(kMaxYamlDepth) +
                          " levels of lists and mappings inside one another");
  } catch (const YAML::Exception& e) {
    if (nul_at) fail_nul();
    const int line = e.mark.is_null() ? 0 : one_based(e.mark.line);
    const int col = e.mark.is_null() ? 0 : one_based(e.mark.column);
    throw ConfigError(path, line, col, "", "YAML syntax error: " + e.msg);
  }
  if (!doc.IsDefined() || doc.IsNull()) fail_file("the file is empty; expected a mapping of keys");
  Value root(std::make_shared<const std::string>(path), doc, "", doc.Mark());
  if (!doc.IsMap()) root.fail("the top level must be a mapping of keys, got " + root.describe());
  return root;
}

// ---------------------------------------------------------------------------------------------
// Suggestions

size_t edit_distance(const std::string& a, const std::string& b) {
  // d[i][j]: distance between a[0..i) and b[0..j), kept as three rolling rows.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates) {
  // Close enough to be a typo: at most max(2, len/3) edits, and fewer edits than the word has
  // characters (otherwise any one-letter key would "suggest" every other one-letter key).
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance && d < word.size()) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace npu::config
