// The vector unit as a SystemC block (its cost model: vector_unit_config.h).
#pragma once

#include <systemc>

#include <cstdint>

#include "vector_unit_config.h"

namespace npu {

/// The vector unit as a SystemC block: a core's compute thread occupies it for a pass's cycles
/// (the core's command_cost).
class VectorUnit : public sc_core::sc_module {
 public:
  VectorUnit(sc_core::sc_module_name name, const VectorUnitConfig& cfg, ClockDomain clk);
  /// Counts `cycles` vector cycles as busy; returns how long they take (the core's compute
  /// thread holds the unit that long).
  uint64_t take(uint64_t cycles);
  uint64_t busy_cycles() const { return m_busy_cycles; }
  const VectorUnitConfig& config() const { return m_cfg; }

 private:
  VectorUnitConfig m_cfg;
  ClockDomain m_clk;
  uint64_t m_busy_cycles = 0;
};

}  // namespace npu
