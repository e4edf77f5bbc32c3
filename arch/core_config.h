// What a core is made of (its blocks' configurations) and what it counts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "commands.h"
#include "dma_config.h"
#include "sram_config.h"
#include "systolic_array_config.h"
#include "types.h"
#include "vector_unit_config.h"

namespace npu {

struct CoreConfig {
  SystolicArrayConfig array;
  VectorUnitConfig vector;
  SramConfig sram;
  DmaConfig dma;
};

/// What one compute command costs a core, worked out from the command alone: the unit's own
/// cycles, the SRAM bytes it reads and writes, and the cycles it takes -- the unit's, or the SRAM
/// banks' when they cannot feed it that fast. A core's compute thread runs its commands one
/// after the other, each for `cycles`.
struct CommandCost {
  uint64_t unit_cycles = 0;
  uint64_t cycles = 0;
  uint64_t sram_read_bytes = 0, sram_write_bytes = 0;
  uint64_t macs = 0;  ///< array MACs, or a depthwise pass's on the vector unit
  uint64_t alu_ops = 0, sfu_ops = 0;
};
CommandCost command_cost(const CoreConfig& core, const Command& cmd);

/// command_cost with the last few commands' costs kept: a program's steps mostly repeat one
/// tile, of up to InlineList's 4 commands (flash attention's Q K^T, softmax, P V).
class CommandCosts {
 public:
  explicit CommandCosts(const CoreConfig& core) : m_core(core) {}
  const CommandCost& operator()(const Command& cmd);

 private:
  static constexpr size_t kKept = 4;
  const CoreConfig& m_core;
  size_t m_size = 0, m_next = 0;  ///< entries filled; the one replaced next
  std::array<Command, kKept> m_commands;
  std::array<CommandCost, kKept> m_costs;
};

/// Activity a core counts; the scheduler takes differences around each op.
struct CoreCounters {
  uint64_t array_busy_cycles = 0;
  uint64_t vector_busy_cycles = 0;
  uint64_t stall_cycles = 0;  ///< cycles compute waited for SRAM banks beyond its own time
  uint64_t macs = 0;
  uint64_t macs_by_format[kAllFormats.size()] = {};
  uint64_t alu_ops = 0;
  uint64_t sfu_ops = 0;
  uint64_t sram_read_bytes = 0;
  uint64_t sram_write_bytes = 0;
  uint64_t dma_bytes = 0;
  uint64_t dma_descriptors = 0;

  /// Calls f(x.field, y.field, ...) for every counter of the given CoreCounters, in declaration
  /// order: differences, sums and comparisons are one loop, and a new counter is one line here.
  template <class F, class... C>
  static void each(F&& f, C&... c) {
    f(c.array_busy_cycles...);
    f(c.vector_busy_cycles...);
    f(c.stall_cycles...);
    f(c.macs...);
    for (size_t i = 0; i < kAllFormats.size(); ++i) f(c.macs_by_format[i]...);
    f(c.alu_ops...);
    f(c.sfu_ops...);
    f(c.sram_read_bytes...);
    f(c.sram_write_bytes...);
    f(c.dma_bytes...);
    f(c.dma_descriptors...);
  }
  /// What was counted between `before` and this.
  CoreCounters since(const CoreCounters& before) const {
    CoreCounters d;
    each([](uint64_t& out, uint64_t now, uint64_t then) { out = now - then; }, d, *this, before);
    return d;
  }
  CoreCounters& operator+=(const CoreCounters& o) {
    each([](uint64_t& sum, uint64_t x) { sum += x; }, *this, o);
    return *this;
  }
};

}  // namespace npu
