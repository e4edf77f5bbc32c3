// What the chip's own compiler does with a graph (the chip YAML's `compiler:` section): a
// property of the platform as the vendor ships it, read by sim::compile. Documented in
// configs/SCHEMA.md; every preset says what its vendor's compiler does and cites it.
#pragma once

#include <cstdint>
#include <optional>

namespace npu {

/// How the runtime starts work: one dispatch per compiled graph call (an inference, a prefill or
/// a decode step), or one per kernel (a fused group of ops) where the runtime really issues
/// kernels one by one.
enum class DispatchModel : uint8_t { kPerGraph, kPerOp };

/// The deepest prefetch a chip may ask for (compiler.prefetch_depth).
inline constexpr uint32_t kMaxPrefetchDepth = 16;

struct CompilerConfig {
  /// Fusions the compiler applies (sim/compile.h names each rule and its source).
  bool fuse_epilogue = true;      ///< element-wise work into the producing op's output stage
  bool fuse_prologue = true;      ///< a norm into the consuming GEMM's input stage
  bool fuse_shared_input = true;  ///< GEMMs reading one activation (Q/K/V, gate/up) as one kernel
  bool fuse_pool = true;          ///< a pool into the producing convolution
  /// Keep a tensor in SRAM from its producer to its consumers when it fits beside their tile
  /// buffers (sim/compile.h); false: every tensor between kernels goes through DRAM.
  bool residency = true;
  /// How far the DMA queue runs ahead of compute across ops: 0 = never (every op starts its
  /// loads when the previous op has finished), 1 = the next op's first loads start as soon as
  /// the previous op's last transfer has finished, D >= 2 = also a matrix op's weights load
  /// while any of the D - 1 ops before it leaves the memory idle, into the SRAM they leave free
  /// (sim/scheduler.cpp, the compiled schedule's timing). At most kMaxPrefetchDepth.
  uint32_t prefetch_depth = 1;
  /// GEMM mapping: search the loop order too (which operand stays in SRAM across output tiles,
  /// sim/lower.h), or keep the heuristic m-major order an isolated run uses.
  bool mapping_search = true;
  DispatchModel dispatch = DispatchModel::kPerGraph;
  /// per_graph: the fixed cost of one graph call, picoseconds; unset = the chip's
  /// dispatch_overhead_ps (a one-op program's measured dispatch is a graph call's).
  std::optional<uint64_t> call_overhead_ps;
};

}  // namespace npu
