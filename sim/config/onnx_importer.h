// Importing an ONNX model (a .onnx protobuf, read with Debian's libonnx) as npusim ops: the graph
// is shape-inferred (onnx::shape_inference, with the input shapes given on the command line for
// symbolic dimensions), then each node maps to an op with its real shapes, or is free, or is an
// op npusim has no model for (listed by type and count, then refused or costed as one vector
// pass over its output). The mapping, and what each choice costs, is in README.md, "ONNX models".
// Errors are ConfigErrors on the model file (`MODEL.onnx: message`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../workloads/op.h"

namespace npu {

struct OnnxImportOptions {
  /// Shapes of graph inputs, replacing the model's (`--input-shape name=1x3x224x224`).
  std::vector<std::pair<std::string, std::vector<uint64_t>>> input_shapes;
  /// Formats of the weights (initializers feeding MatMul/Gemm/Conv) and of every other tensor;
  /// unset: from the tensor's ONNX element type (README, "ONNX models").
  std::optional<Format> weights, activations;
  /// Ops npusim cannot model: false refuses the model naming them; true costs each as an
  /// `eltwise` op (one read, one vector ALU op and one write per element of its output).
  bool cost_unsupported = false;
};

struct OnnxImport {
  std::string name;                ///< the graph's name, or the file's stem
  std::vector<Op> ops;             ///< in the graph's (topological) order
  std::vector<std::string> notes;  ///< what the import assumed: fused, free, approximated ops
};

/// Imports the model at `path`. Throws ConfigError(path, ...) for a file that is not an ONNX
/// model, an input shape it cannot take, a failed shape inference, a tensor whose shape is
/// still unknown, a node whose attributes npusim cannot express (a grouped conv, dilations), or
/// unsupported ops when `cost_unsupported` is false.
OnnxImport import_onnx(const std::string& path, const OnnxImportOptions& options);

/// Parses `name=1x3x224x224` (the dimensions positive integers); throws std::invalid_argument.
std::pair<std::string, std::vector<uint64_t>> parse_input_shape(const std::string& text);

}  // namespace npu
