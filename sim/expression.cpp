#include "expression.h"

#include <muParser.h>

#include <algorithm>

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
                       const std::vector<std::pair<std::string, double>>& constants)
    : m_impl(new Impl) {
  try {
    m_impl->values.resize(vars.size());
    for (const auto& [name, value] : constants) m_impl->parser.DefineConst(name, value);
    for (size_t i = 0; i < vars.size(); ++i) m_impl->parser.DefineVar(vars[i], &m_impl->values[i]);
    m_impl->parser.SetExpr(expr);
  } catch (const mu::Parser::exception_type& e) {
    delete m_impl;
    throw error_of(e);
  } catch (...) {
    delete m_impl;
    throw;
  }
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
