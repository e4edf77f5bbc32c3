// On-chip SRAM of one core: a capacity split into operand buffers (input, weight, output) and a
// set of banks, each moving `bank_bytes_per_cycle` bytes per cycle.
//
// Bank contention is modelled in closed form: a command that moves B bytes through the SRAM
// (array operand reads, partial-sum traffic, vector reads and writes) cannot finish in fewer than
// ceil(B / (banks * bank_bytes_per_cycle)) cycles; when the compute unit asks for more than the
// banks supply, the excess is stall.
#pragma once

#include <cstdint>

#include "types.h"

namespace npu {

struct SramConfig {
  uint64_t size_bytes = 1 << 20;
  uint32_t banks = 16;
  uint32_t bank_bytes_per_cycle = 64;
  /// Split between operand buffers; the sum must not exceed size_bytes.
  uint64_t input_bytes = 384 << 10;
  uint64_t weight_bytes = 384 << 10;
  uint64_t output_bytes = 256 << 10;

  uint64_t bytes_per_cycle() const { return static_cast<uint64_t>(banks) * bank_bytes_per_cycle; }
  /// Cycles the banks need to move `bytes`.
  uint64_t cycles_for(uint64_t bytes) const { return ceil_div(bytes, bytes_per_cycle()); }
};

struct SramCounters {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
};

}  // namespace npu
