// Energy: an action table (pJ per action) times the actions the blocks counted, plus static power
// times time. Computed after the run, in one place.
#pragma once

#include <array>
#include <cstdint>

#include "types.h"

namespace npu {

struct EnergyConfig {
  std::array<double, kAllFormats.size()> mac_pj{};  ///< per MAC, by compute format
  double sram_read_pj_per_byte = 0;
  double sram_write_pj_per_byte = 0;
  double dram_pj_per_byte = 0;  ///< at the unified-memory interface (DRAM + PHY)
  double dma_pj_per_byte = 0;   ///< the DMA engine's own datapath
  double vector_op_pj = 0;      ///< per ALU lane op
  double sfu_op_pj = 0;         ///< per special-function op
  // Static (leakage + clock tree) power, mW. Per core for the core blocks, per chip for the
  // memory interface.
  double array_static_mw = 0;
  double vector_static_mw = 0;
  double sram_static_mw = 0;
  double dma_static_mw = 0;
  double memory_static_mw = 0;

  double mac(Format f) const { return mac_pj[static_cast<size_t>(f)]; }
  /// Static power of the whole chip, mW.
  double chip_static_mw(uint32_t cores) const {
    return cores * (array_static_mw + vector_static_mw + sram_static_mw + dma_static_mw) +
           memory_static_mw;
  }
};

/// Actions of one op (or a whole run), summed over cores.
struct ActionCounts {
  std::array<uint64_t, kAllFormats.size()> macs_by_format{};
  uint64_t sram_read_bytes = 0, sram_write_bytes = 0;
  uint64_t dram_bytes = 0;
  uint64_t dma_bytes = 0;
  uint64_t alu_ops = 0, sfu_ops = 0;

  ActionCounts& operator+=(const ActionCounts& o) {
    for (size_t f = 0; f < macs_by_format.size(); ++f) macs_by_format[f] += o.macs_by_format[f];
    sram_read_bytes += o.sram_read_bytes;
    sram_write_bytes += o.sram_write_bytes;
    dram_bytes += o.dram_bytes;
    dma_bytes += o.dma_bytes;
    alu_ops += o.alu_ops;
    sfu_ops += o.sfu_ops;
    return *this;
  }
};

/// Energy by component, pJ.
struct EnergyBreakdown {
  double mac = 0, sram = 0, dram = 0, dma = 0, vector = 0, static_ = 0;
  double total() const { return mac + sram + dram + dma + vector + static_; }
  EnergyBreakdown& operator+=(const EnergyBreakdown& o);
};

/// Energy of `a` over `duration_ps` on a chip of `cores` cores.
EnergyBreakdown energy_of(const EnergyConfig& cfg, const ActionCounts& a, uint64_t duration_ps,
                          uint32_t cores);

}  // namespace npu
