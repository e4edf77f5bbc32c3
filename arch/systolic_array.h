// The systolic array as a SystemC block (its cycle model: systolic_array_config.h).
#pragma once

#include <systemc>

#include <cstdint>

#include "systolic_array_config.h"

namespace npu {

/// The array as a SystemC block: a core's compute thread occupies it for a tile's cycles (the
/// core's command_cost: the tile's timing, stretched when the SRAM banks cannot keep up).
class SystolicArray : public sc_core::sc_module {
 public:
  SystolicArray(sc_core::sc_module_name name, const SystolicArrayConfig& cfg, ClockDomain clk);

  /// Counts `cycles` array cycles as busy; returns how long they take (the core's compute
  /// thread holds the array that long).
  uint64_t take(uint64_t cycles);

  const SystolicArrayConfig& config() const { return m_cfg; }
  uint64_t busy_cycles() const { return m_busy_cycles; }

 private:
  SystolicArrayConfig m_cfg;
  ClockDomain m_clk;
  uint64_t m_busy_cycles = 0;
};

}  // namespace npu
