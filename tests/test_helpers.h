// Helpers shared by the tests: small chips built in code, and running the CLI.
#pragma once

#include <cstdint>
#include <string>

#include "arch/chip_config.h"
#include "workloads/op.h"

namespace npu::testing {

/// A 1-core chip with an R x C int8 array at 1 GHz (1000 ps period), SRAM large and wide enough
/// not to bind, one DMA channel, 8 GB/s memory at full reachable fraction, no latency, no setup.
/// Tests change what they exercise.
inline ChipConfig tiny_chip(uint32_t rows = 4, uint32_t cols = 4, Dataflow df = Dataflow::kWs) {
  ChipConfig c;
  c.name = "tiny";
  c.clock.period_ps = 1000;
  c.cores = 1;
  c.core.array.rows = rows;
  c.core.array.cols = cols;
  c.core.array.dataflow = df;
  c.core.array.macs_per_pe_per_cycle[static_cast<size_t>(Format::kInt8)] = 1;
  c.core.array.macs_per_pe_per_cycle[static_cast<size_t>(Format::kInt4)] = 2;
  c.core.sram.size_bytes = 64 << 20;
  c.core.sram.input_bytes = c.core.sram.weight_bytes = c.core.sram.output_bytes = 16 << 20;
  c.core.sram.banks = 64;
  c.core.sram.bank_bytes_per_cycle = 1024;
  c.core.dma.channels = 1;
  c.core.dma.bytes_per_cycle = 1024;
  c.core.dma.setup_cycles = 0;
  c.core.dma.max_outstanding_bursts = 1 << 20;
  c.memory.peak_bytes_per_s = 8'000'000'000;
  c.memory.achievable_fraction = 1.0;
  c.memory.latency_ps = 0;
  c.memory.max_outstanding = 1 << 20;
  return c;
}

/// An int8 vector op over rows x cols with A and the result where given (B, for add and mul:
/// `b`).
inline Op int8_vector_op(std::string name, OpKind kind, uint64_t rows, uint64_t cols, Location a,
                         Location c, Location b = Location::kSram) {
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.rows = rows, op.cols = cols;
  op.a_format = op.b_format = op.c_format = Format::kInt8;
  op.a_loc = a, op.b_loc = b, op.c_loc = c;
  return op;
}

/// tiny_chip() (1 GHz, 8 GB/s memory = 8 B/cycle) with 10 cycles of DMA setup and a 50 ns
/// memory round trip. Neither Little's-law cap binds: 2^20 requests in flight.
inline ChipConfig dma_chip(uint32_t cores = 1) {
  ChipConfig c = tiny_chip();
  c.cores = cores;
  c.core.dma.setup_cycles = 10;
  c.memory.latency_ps = 50'000;
  return c;
}

inline Op gemm(std::string name, uint64_t m, uint64_t k, uint64_t n, Location a = Location::kSram,
               Location b = Location::kSram, Location c = Location::kSram) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kGemm;
  op.m = m, op.k = k, op.n = n;
  op.a_loc = a, op.b_loc = b, op.c_loc = c;
  return op;
}

}  // namespace npu::testing
