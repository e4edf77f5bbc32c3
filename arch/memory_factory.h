// The one place that elaborates every memory model: `memory.model` (MemoryConfig::model) to the
// block that serves the NPU. What the lowering may know of it before elaboration is
// memory_traits (memory_config.h).
#pragma once

#include <memory>

#include "memory_if.h"

namespace npu {

/// The one factory: the model `cfg.model` names, elaborated as a child module `name`.
std::unique_ptr<MemoryIf> make_memory(const char* name, const MemoryConfig& cfg,
                                      Timeline* timeline);

}  // namespace npu
