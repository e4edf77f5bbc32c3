// libnpusim_expression.so's entry point (sim/plugins.h).
#include "../plugins.h"

extern "C" const npu::ExpressionApi* npusim_expression_api() {
  static const npu::ExpressionApi api = {
      npu::kPluginLayout, NPUSIM_VERSION,
      [](const std::string& expr, const std::vector<std::string>& vars,
         const std::vector<std::pair<std::string, double>>& constants) -> void* {
        return new npu::Expression(expr, vars, constants);
      },
      [](void* e, const std::vector<double>& values) {
        return static_cast<npu::Expression*>(e)->eval(values);
      },
      [](void* e) { delete static_cast<npu::Expression*>(e); }};
  return &api;
}
