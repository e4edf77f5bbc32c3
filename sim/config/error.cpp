#include "error.h"

namespace npu {

namespace {
std::string format_error(const std::string& file, int line, int col, const std::string& key,
                         const std::string& message) {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  if (line > 0 && col > 0) s += ":" + std::to_string(col);
  s += ": ";
  if (!key.empty()) s += key + ": ";
  return s + message;
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, int col, std::string key, std::string message)
    : std::runtime_error(format_error(file, line, col, key, message)),
      m_file(std::move(file)),
      m_line(line),
      m_col(col),
      m_key(std::move(key)),
      m_message(std::move(message)) {}

}  // namespace npu
