// A core's SRAM as a SystemC block: it counts the bytes moved (its model: sram_config.h).
#pragma once

#include <systemc>

#include <cstdint>

#include "sram_config.h"

namespace npu {

class Sram : public sc_core::sc_module {
 public:
  Sram(sc_core::sc_module_name name, const SramConfig& cfg) : sc_module(name), m_cfg(cfg) {}
  const SramConfig& config() const { return m_cfg; }
  void count(uint64_t read_bytes, uint64_t write_bytes) {
    m_counters.read_bytes += read_bytes;
    m_counters.write_bytes += write_bytes;
  }
  const SramCounters& counters() const { return m_counters; }

 private:
  SramConfig m_cfg;
  SramCounters m_counters;
};

}  // namespace npu
