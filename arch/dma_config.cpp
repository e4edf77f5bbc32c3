#include "dma_config.h"

#include <algorithm>

namespace npu {

uint64_t dma_channel_bytes_per_s(const DmaConfig& cfg, ClockDomain clk, const MemoryTraits& mem) {
  // Its datapath, capped by Little's law on its own bursts in flight.
  double bw = static_cast<double>(cfg.bytes_per_cycle) * clk.freq_hz();
  if (mem.latency_ps > 0) {
    const double little = static_cast<double>(cfg.max_outstanding_bursts) * cfg.max_burst_bytes *
                          1e12 / static_cast<double>(mem.latency_ps);
    bw = std::min(bw, little);
  }
  return std::max<uint64_t>(1, static_cast<uint64_t>(bw));
}

}  // namespace npu
