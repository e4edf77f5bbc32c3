#include "memory_factory.h"

#include "unified_memory.h"

namespace npu {

std::unique_ptr<MemoryIf> make_memory(const char* name, const MemoryConfig& cfg,
                                      Timeline* timeline) {
  switch (cfg.model) {
    case MemoryModel::kUnified:
      return std::make_unique<UnifiedMemory>(name, cfg, timeline);
  }
  return nullptr;
}

}  // namespace npu
