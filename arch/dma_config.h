// DMA engine of one core: `channels` independent channels moving descriptors between the unified
// memory and the core's SRAM through the memory interface (TLM-2.0 initiator socket).
//
// One descriptor moves rows x row_bytes (a 2-D strided block). Its time on a channel is
//   setup_cycles * descriptors + stream + latency
// where descriptors is 1 with 2-D strides (else one per row), stream is the bytes split into
// grants of at most the memory quantum, each finishing no earlier than the memory interface
// grants it and no earlier than the channel's own rate allows, and latency is the memory round
// trip, paid once per descriptor (outstanding bursts pipeline it). The channel's own rate is
//   min(bytes_per_cycle * f_npu, max_outstanding_bursts * max_burst_bytes / latency).
#pragma once

#include <cstdint>

#include "memory_config.h"
#include "types.h"

namespace npu {

struct DmaConfig {
  uint32_t channels = 2;
  uint32_t bytes_per_cycle = 64;  ///< per channel, NPU clock
  uint32_t setup_cycles = 32;     ///< per descriptor
  uint32_t max_burst_bytes = 256;
  uint32_t max_outstanding_bursts = 16;
  bool strides_2d = true;  ///< one descriptor moves a 2-D block; else one per row
};

struct DmaDescriptor {
  uint64_t rows = 1;
  uint64_t row_bytes = 0;
  bool write = false;   ///< SRAM -> memory
  bool gather = false;  ///< rows from scattered addresses (an index list): one descriptor per row
  /// Separately addressed runs of the rows (the pages of a paged KV cache): a 2-D descriptor
  /// each.
  uint64_t pieces = 1;
  uint64_t bytes() const { return rows * row_bytes; }
};

struct DmaCounters {
  uint64_t bytes = 0;
  uint64_t descriptors = 0;  ///< hardware descriptors (rows when strides_2d is false)
  uint64_t busy_ps = 0;      ///< summed over channels
};

/// The rate of one channel, bytes/s: its datapath, capped by Little's law on its own bursts in
/// flight over the memory's round trip. The engine streams at it, and the lowering's estimates
/// use the same number.
uint64_t dma_channel_bytes_per_s(const DmaConfig& cfg, ClockDomain clk, const MemoryTraits& mem);

}  // namespace npu
