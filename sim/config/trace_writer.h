// Writing an op trace (schema: configs/SCHEMA.md) that load_trace reads back to the same ops:
// every field but the src_* ones, tags (layer, class, phase, step) included. Each op is one
// flow-style mapping on one line (`- {name: L0.q_proj, kind: gemm, m: 128, ...}`), holding only
// the keys whose values differ from the defaults of its kind, so a 100k-op workload stays compact.
#pragma once

#include <string>
#include <vector>

#include "../../workloads/op.h"

namespace npu {

/// The trace YAML listing `ops` in order; `name` is the trace's name (omitted when empty).
/// Throws std::invalid_argument for no ops, or an op the format cannot express: an empty name, or a
/// field that does not apply to the op's kind holding anything but its default (e.g. rows on a
/// gemm, group on a softmax, b_format other than a_format on a single-input kind), which the loader
/// would not give back. Values the loader checks (ranges, a name used twice in one phase and
/// step, group dividing m) are written as they are and reported when the trace is loaded.
std::string trace_yaml(const std::vector<Op>& ops, const std::string& name);

}  // namespace npu
