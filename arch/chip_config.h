// A chip as its YAML describes it: N identical cores, the memory behind their shared port, the
// energy table, the dispatch cost and what the vendor's compiler does.
#pragma once

#include <cstdint>
#include <string>

#include "compiler_config.h"
#include "core_config.h"
#include "energy.h"
#include "memory_config.h"
#include "types.h"

namespace npu {

struct ChipConfig {
  std::string name = "chip";
  ClockDomain clock;  ///< the NPU clock of every core
  uint32_t cores = 1;
  CoreConfig core;
  MemoryConfig memory;
  EnergyConfig energy;
  /// Fixed cost of dispatching one op (driver, firmware and command-queue work before the op's
  /// first tile can start), picoseconds; paid at each op's start and counted in the op. 0 = none.
  uint64_t dispatch_overhead_ps = 0;
  /// What the vendor's compiler does (used by the compiled schedule only).
  CompilerConfig compiler;

  /// Peak MACs per second of the chip in a format.
  double peak_macs_per_s(Format f) const {
    return static_cast<double>(cores) * core.array.peak_macs_per_cycle(f) * clock.freq_hz();
  }
};

}  // namespace npu
