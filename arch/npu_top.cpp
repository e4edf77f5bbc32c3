#include "npu_top.h"

namespace npu {

NpuTop::NpuTop(sc_core::sc_module_name name, const ChipConfig& cfg, Timeline* timeline)
    : sc_module(name), m_cfg(cfg), m_memory(make_memory("memory", cfg.memory, timeline)) {
  const MemoryTraits mem = m_memory->traits();
  for (uint32_t i = 0; i < cfg.cores; ++i) {
    const std::string n = "core" + std::to_string(i);
    m_cores.push_back(std::make_unique<NpuCore>(n.c_str(), cfg.core, cfg.clock, mem,
                                                i * cfg.core.dma.channels, timeline));
    m_cores.back()->dma.socket.bind(m_memory->target_socket());
  }
  std::vector<NpuCore*> cores;
  for (auto& c : m_cores) cores.push_back(c.get());
  m_steady = std::make_unique<SteadyState>("steady", std::move(cores), *m_memory);
  if (!timeline)
    for (auto& c : m_cores) c->watch(m_steady.get());
}

}  // namespace npu
