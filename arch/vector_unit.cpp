#include "vector_unit.h"

namespace npu {

VectorUnit::VectorUnit(sc_core::sc_module_name name, const VectorUnitConfig& cfg, ClockDomain clk)
    : sc_module(name), m_cfg(cfg), m_clk(clk) {}

uint64_t VectorUnit::take(uint64_t cycles) {
  m_busy_cycles += cycles;
  return m_clk.cycles_to_ps(cycles);
}

}  // namespace npu
