#include "energy.h"

namespace npu {

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
  mac += o.mac;
  sram += o.sram;
  dram += o.dram;
  dma += o.dma;
  vector += o.vector;
  static_ += o.static_;
  return *this;
}

EnergyBreakdown energy_of(const EnergyConfig& cfg, const ActionCounts& a, uint64_t duration_ps,
                          uint32_t cores) {
  EnergyBreakdown e;
  for (size_t i = 0; i < a.macs_by_format.size(); ++i)
    e.mac += static_cast<double>(a.macs_by_format[i]) * cfg.mac_pj[i];
  e.sram = static_cast<double>(a.sram_read_bytes) * cfg.sram_read_pj_per_byte +
           static_cast<double>(a.sram_write_bytes) * cfg.sram_write_pj_per_byte;
  e.dram = static_cast<double>(a.dram_bytes) * cfg.dram_pj_per_byte;
  e.dma = static_cast<double>(a.dma_bytes) * cfg.dma_pj_per_byte;
  e.vector = static_cast<double>(a.alu_ops) * cfg.vector_op_pj +
             static_cast<double>(a.sfu_ops) * cfg.sfu_op_pj;
  // mW x ps = 1e-3 W x 1e-12 s = 1e-15 J = 1e-3 pJ.
  e.static_ = cfg.chip_static_mw(cores) * static_cast<double>(duration_ps) * 1e-3;
  return e;
}

}  // namespace npu
