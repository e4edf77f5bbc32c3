// The chip: N cores sharing one unified-memory interface. Each core's DMA engine binds to the
// interface's multi-passthrough target socket.
#pragma once

#include <systemc>

#include <memory>
#include <string>
#include <vector>

#include "chip_config.h"
#include "memory_factory.h"
#include "npu_core.h"
#include "steady_state.h"
#include "timeline.h"
#include "types.h"

namespace npu {

class NpuTop : public sc_core::sc_module {
 public:
  NpuTop(sc_core::sc_module_name name, const ChipConfig& cfg, Timeline* timeline);

  const ChipConfig& config() const { return m_cfg; }
  NpuCore& core(size_t i) { return *m_cores[i]; }
  size_t num_cores() const { return m_cores.size(); }
  MemoryIf& memory() { return *m_memory; }
  /// Skips the periods of a steady state (never when the blocks record a timeline).
  SteadyState& steady() { return *m_steady; }

 private:
  ChipConfig m_cfg;
  std::unique_ptr<MemoryIf> m_memory;
  std::vector<std::unique_ptr<NpuCore>> m_cores;
  std::unique_ptr<SteadyState> m_steady;
};

}  // namespace npu
