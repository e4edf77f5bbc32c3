// parse_input_shape (onnx_importer.h): a command-line option's parser, which needs no ONNX
// library, so it is not in the importer's module (sim/plugins.h).
#include <sstream>
#include <stdexcept>

#include "onnx_importer.h"

namespace npu {

std::pair<std::string, std::vector<uint64_t>> parse_input_shape(const std::string& text) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw std::invalid_argument("expected NAME=DIMS such as x=1x3x224x224, got '" + text + "'");
  std::vector<uint64_t> dims;
  // getline drops a trailing empty field: "4x8x" would read as 4x8.
  if (text.back() == 'x')
    throw std::invalid_argument("'" + text.substr(eq + 1) +
                                "' is not positive sizes joined by x (1x3x224x224)");
  std::stringstream s(text.substr(eq + 1));
  for (std::string d; std::getline(s, d, 'x');) {
    if (d.empty() || d.size() > 12 || d.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(d) == 0)
      throw std::invalid_argument("'" + text.substr(eq + 1) +
                                  "' is not positive sizes joined by x (1x3x224x224)");
    dims.push_back(std::stoull(d));
  }
  return {text.substr(0, eq), dims};
}

}  // namespace npu
