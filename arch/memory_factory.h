// The one place that knows every memory model: `memory.model` (MemoryConfig::model) to the block
// that serves the NPU, and to what the lowering may know of it before elaboration.
#pragma once

#include <memory>

#include "memory_if.h"

namespace npu {

/// The one factory: the model `cfg.model` names, elaborated as a child module `name`.
std::unique_ptr<MemoryIf> make_memory(const char* name, const MemoryConfig& cfg,
                                      Timeline* timeline);
/// The traits of that model, known before elaboration (the lowering plans before simulating).
MemoryTraits memory_traits(const MemoryConfig& cfg);

}  // namespace npu
