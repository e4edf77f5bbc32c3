#include "systolic_array.h"

namespace npu {

SystolicArray::SystolicArray(sc_core::sc_module_name name, const SystolicArrayConfig& cfg,
                             ClockDomain clk)
    : sc_module(name), m_cfg(cfg), m_clk(clk) {}

uint64_t SystolicArray::take(uint64_t cycles) {
  m_busy_cycles += cycles;
  return m_clk.cycles_to_ps(cycles);
}

}  // namespace npu
