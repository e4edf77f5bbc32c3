// The chip: N cores sharing one unified-memory interface. Each core's DMA engine binds to the
// interface's multi-passthrough target socket.
#pragma once

#include <systemc>

#include <memory>
#include <string>
#include <vector>

#include "compiler_config.h"
#include "energy.h"
#include "memory_factory.h"
#include "npu_core.h"
#include "timeline.h"
#include "types.h"

namespace npu {

struct ChipConfig {
  std::string name = "chip";
  ClockDomain clock;  ///< the NPU clock of every core
  uint32_t cores = 1;
  CoreConfig core;
  MemoryConfig memory;
  EnergyConfig energy;
  /// Fixed cost of dispatching one op (driver, firmware and command-queue work before the op's
  /// first tile can start), picoseconds; paid at each op's start and counted in the op. 0 = none.
  uint64_t dispatch_overhead_ps = 0;
  /// What the vendor's compiler does (used by the compiled schedule only).
  CompilerConfig compiler;

  /// Peak MACs per second of the chip in a format.
  double peak_macs_per_s(Format f) const {
    return static_cast<double>(cores) * core.array.peak_macs_per_cycle(f) * clock.freq_hz();
  }
};

class NpuTop : public sc_core::sc_module {
 public:
  NpuTop(sc_core::sc_module_name name, const ChipConfig& cfg, Timeline* timeline);

  const ChipConfig& config() const { return m_cfg; }
  NpuCore& core(size_t i) { return *m_cores[i]; }
  size_t num_cores() const { return m_cores.size(); }
  MemoryIf& memory() { return *m_memory; }

 private:
  ChipConfig m_cfg;
  std::unique_ptr<MemoryIf> m_memory;
  std::vector<std::unique_ptr<NpuCore>> m_cores;
};

}  // namespace npu
