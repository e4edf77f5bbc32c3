#include "core_config.h"

#include <algorithm>

namespace npu {

CommandCost command_cost(const CoreConfig& core, const Command& cmd) {
  CommandCost c;
  if (cmd.unit == Unit::kArray) {
    const ArrayCommand& a = cmd.array;
    const ArrayTiming t = gemm_timing(core.array, a.m, a.k, a.n, a.compute);
    const Format acc = accumulator_of(a.compute);
    c.sram_read_bytes =
        bytes_of(t.a_reads, a.a) + bytes_of(t.b_reads, a.b) + bytes_of(t.psum_reads, acc);
    c.sram_write_bytes = bytes_of(t.psum_writes, acc);
    c.unit_cycles = t.cycles;
    c.macs = t.macs;
  } else {
    const VectorCommand& v = cmd.vector;
    const VectorTiming t = vector_timing(core.vector, v.kind, v.rows, v.cols, v.taps);
    const uint64_t elems = v.rows * v.cols;
    c.sram_read_bytes =
        bytes_of(v.in_elems > 0 ? v.in_elems : elems, v.in) +
        (vector_kind_inputs(v.kind) > 1 ? bytes_of(v.in2_elems > 0 ? v.in2_elems : elems, v.in2)
                                        : 0);
    c.sram_write_bytes = bytes_of(elems, v.out);
    c.unit_cycles = t.cycles;
    c.macs = t.macs;
    c.alu_ops = t.alu_ops;
    c.sfu_ops = t.sfu_ops;
  }
  c.cycles = std::max(c.unit_cycles, core.sram.cycles_for(c.sram_read_bytes + c.sram_write_bytes));
  return c;
}

const CommandCost& CommandCosts::operator()(const Command& cmd) {
  for (size_t i = 0; i < m_size; ++i)
    if (m_commands[i] == cmd) return m_costs[i];
  const size_t i = m_next;
  m_next = (m_next + 1) % kKept;
  m_size = std::max(m_size, i + 1);
  m_commands[i] = cmd;
  m_costs[i] = command_cost(m_core, cmd);
  return m_costs[i];
}

}  // namespace npu
