// The one error type for bad input. It carries where the problem is (file, 1-based line and
// column, dotted key path) and what is wrong; the CLI prints `file:line:col: key.path: message`
// (`:col` left out when it is 0) and exits with status 2. Nothing else catches it.
#pragma once

#include <stdexcept>
#include <string>

namespace npu {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int col, std::string key, std::string message);
  const std::string& file() const { return m_file; }
  int line() const { return m_line; }  ///< 1-based; 0 when unknown
  int col() const { return m_col; }    ///< 1-based; 0 when unknown
  const std::string& key() const { return m_key; }
  const std::string& message() const { return m_message; }

 private:
  std::string m_file;
  int m_line, m_col;
  std::string m_key, m_message;
};

}  // namespace npu
