#include "expression.h"

#include <muParser.h>

#include <algorithm>
#include <memory>

namespace npu {

struct Expression::Impl {
  mu::Parser parser;
  std::vector<double> values;  // the variables' storage: muParser holds their addresses
};

namespace {
ExpressionError error_of(const mu::Parser::exception_type& e) {
  return ExpressionError(e.GetMsg(), e.GetToken());
}
}  // namespace

Expression::Expression(const std::string& expr, const std::vector<std::string>& vars,
                       const std::vector<std::pair<std::string, double>>& constants) {
  auto impl = std::make_unique<Impl>();
  impl->values.resize(vars.size());
  try {
    for (const auto& [name, value] : constants) impl->parser.DefineConst(name, value);
    for (size_t i = 0; i < vars.size(); ++i) impl->parser.DefineVar(vars[i], &impl->values[i]);
    impl->parser.SetExpr(expr);
  } catch (const mu::Parser::exception_type& e) {
    throw error_of(e);
  }
  m_impl = impl.release();
}

Expression::~Expression() {
  delete m_impl;
}

double Expression::eval(const std::vector<double>& values) {
  std::copy_n(values.begin(), std::min(values.size(), m_impl->values.size()),
              m_impl->values.begin());
  try {
    return m_impl->parser.Eval();
  } catch (const mu::Parser::exception_type& e) {
    throw error_of(e);
  }
}

}  // namespace npu
