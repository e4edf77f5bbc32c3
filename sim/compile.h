// sim::compile: what the NPU's own compiler does with a graph before it runs, as the chip's
// `compiler:` section says (arch/compiler_config.h). Its decisions are reports, not hidden.
//
// Input: the ops in run order with their producers (Op::a_from, b_from). Output: the same ops
// with the locations the compiler chose, grouped into kernels and graph calls. Nothing else of
// an op changes (a streamed run's source updates the ops of the call before: OpSource).
//
// - Graph calls: a run of ops with one phase and step (the prefill, one decode step, a trace) is
//   one call of the compiled graph: dispatch `per_graph` pays the chip's dispatch overhead once
//   per call, `per_op` once per kernel.
// - Kernels (fusion): consecutive ops of one call join the open kernel by these rules, each
//   switchable in `compiler.fusion`:
//   * epilogue: an element-wise op (add, mul, gelu, silu, rope, eltwise) reading, element for
//     element, the result of an op of a kernel that holds a matrix op (gemm, conv2d, attention):
//     bias, activation, residual add and RoPE in the output stage (QNN, OpenVINO's NPU compiler
//     and Core ML all fuse element-wise ops into the producing convolution or matmul);
//   * prologue: a gemm reading a norm that opens the kernel (the norm in the GEMM's input stage);
//   * shared_input: a gemm reading the same activation as a gemm of the kernel (Q/K/V, gate/up:
//     one pass over the activation, as the concatenated-weight projections of deployed LLMs);
//   * pool: a maxpool or avgpool reading the convolution just before it.
//   A tensor passed inside a kernel never leaves the chip: it is consumed tile by tile as it is
//   produced, so it needs no room beyond the tile buffers.
// - Residency: a tensor read by a later kernel stays in SRAM from its producer to its last
//   consumer when, at every op of that span, it fits with the other resident tensors in what the
//   op's tile buffers leave: the core's SRAM less the input buffer (when A is streamed from DRAM),
//   the weight buffer (when B is; a vector op's two inputs share the input buffer), and the output
//   buffer (always: accumulators and results pass through it). A resident tensor is held once,
//   split over the cores (ceil(bytes / cores) each; assumption: cores reach each other's part over
//   the on-chip fabric, not DRAM). Tensors are decided in producer order, taking tensors not yet
//   decided as resident (so their consumers stream nothing); one that does not fit spills: written
//   to DRAM and read back, as an isolated run does, and the report says so. A spill makes its
//   consumers stream it; where that leaves too little room, the resident tensor used farthest ahead
//   spills too, until every op fits. Locations a trace gives as sram stay sram.
// - Prefetch and pipelining are timing, not placement: sim/scheduler.cpp composes them from
//   each op's simulated head (first loads) and tail (after its last transfer).
#pragma once

#include <cstdint>
#include <vector>

#include "../arch/chip_config.h"
#include "../workloads/op.h"

namespace npu {

enum class Fusion : uint8_t { kNone, kEpilogue, kPrologue, kSharedInput, kPool };
const char* fusion_name(Fusion f);

/// What the compiler decided for one op.
struct CompiledOp {
  uint32_t kernel = 0;           ///< index of its kernel in the run
  uint32_t call = 0;             ///< index of its graph call in the run
  Fusion fused = Fusion::kNone;  ///< the rule that joined it to the previous op's kernel
  bool spilled = false;          ///< its result is read by a later kernel but did not fit: DRAM
  /// SRAM bytes per core its tile buffers and the tensors kept resident at it leave free (where
  /// a deeper prefetch parks later ops' weights: compiler.prefetch_depth, sim/scheduler.cpp).
  uint64_t sram_free_bytes = 0;
};

struct CompiledGraph {
  std::vector<Op> ops;  ///< the ops with the locations the compiler chose
  std::vector<CompiledOp> info;
  uint64_t kernels = 0, calls = 0;
  uint64_t resident_tensors = 0;  ///< kept in SRAM for a later kernel
  uint64_t fused_tensors = 0;     ///< passed inside a kernel
  uint64_t spilled_tensors = 0;   ///< read by a later kernel, did not fit
  /// Tensor bytes that did not go to DRAM and back: for each tensor kept on chip, its write and
  /// one read per consumer (tiles an op re-reads are not counted: the reports' DRAM bytes are
  /// the measured totals).
  uint64_t dram_bytes_avoided = 0;
};

/// Whether an op runs on the array (gemm, attention, dense conv2d) rather than the vector unit.
bool runs_on_array(const Op& op);

CompiledGraph compile(const ChipConfig& chip, std::vector<Op> ops);

}  // namespace npu
