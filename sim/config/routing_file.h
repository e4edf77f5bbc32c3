// The routing file of a mixture-of-experts run (`--routing-file FILE.csv`): how a router spread
// its tokens in a real run, as weights per expert and layer. Columns (a header line naming them,
// any order): layer (a layer index from 0, or * for every layer not listed), expert (an index
// from 0), weight (a number >= 0: a share, a count, a fraction of tokens: only the ratios within
// a layer matter). An expert listed twice for a layer adds up. Experts not listed get weight 0:
// they take picks only when the listed ones cannot (at most one pick per token each). The
// model's layers and experts are checked against it when the run is built (build_workload).
#pragma once

#include <memory>
#include <string>

#include "../../workloads/transformer.h"

namespace npu {

/// Reads a routing file; ConfigError at file:line:col for a bad field.
std::shared_ptr<const RoutingWeights> read_routing_file(const std::string& path);

}  // namespace npu
