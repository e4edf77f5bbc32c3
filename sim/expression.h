// A compiled arithmetic expression over named variables, evaluated with muParser (the
// assertions of an experiment, sim/assertions.h). Only sim/expression.cpp includes muParser: the
// npusim binary loads it with libnpusim_expression.so the first time an expression is compiled
// (sim/plugins.h), so commands that evaluate none never load libmuparser and its libgomp.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace npu {

/// muParser's message when it rejects or cannot evaluate an expression, and the token it names
/// (empty when none).
struct ExpressionError : std::runtime_error {
  ExpressionError(const std::string& message, std::string near)
      : std::runtime_error(message), token(std::move(near)) {}
  std::string token;
};

class Expression {
 public:
  /// Compiles `expr`, which may name `constants` and `vars`. Throws ExpressionError.
  Expression(const std::string& expr, const std::vector<std::string>& vars,
             const std::vector<std::pair<std::string, double>>& constants);
  ~Expression();
  Expression(const Expression&) = delete;
  Expression& operator=(const Expression&) = delete;

  /// The value with vars[i] = values[i]. Throws ExpressionError.
  double eval(const std::vector<double>& values);

 private:
  struct Impl;  // sim/expression.cpp; in the binary, the module's Expression (sim/cli/plugins.cpp)
  Impl* m_impl;
};

}  // namespace npu
