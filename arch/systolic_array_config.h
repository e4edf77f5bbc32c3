// Systolic MAC array: rows x cols processing elements, one of three dataflows.
//
// Cycle model (closed form per fold, as in SCALE-Sim v2's compute modules,
// scalesim/compute/systolic_compute_{ws,os,is}.py). A GEMM C[M,N] = A[M,K] x B[K,N] maps onto the
// array as a spatial-rows (Sr) x spatial-cols (Sc) problem streamed over T cycles:
//
//   dataflow | Sr | Sc | T  | cycles of one fold (R x C array)
//   ws       | K' | N  | M  | 2R + C + T - 2   (R cycles to load weights, R+C-2 skew fill/drain)
//   os       | M  | N  | K' | R + C + T - 2    (operands skewed in, outputs drained)
//   is       | K' | M  | N  | 2R + C + T - 2   (R cycles to load inputs, R+C-2 skew fill/drain)
//
// folds = ceil(Sr / R) * ceil(Sc / C). Partial folds are padded to the full array (the padded PEs
// idle), exactly as SCALE-Sim pads its demand matrices. A PE that does p MACs per cycle in a
// format reduces p consecutive K elements per cycle, so K' = ceil(K / p).
//
// Folds back to back (overlap_folds = false): cycles = folds * fold_cycles, the rows of SCALE-Sim
// v2's skewed demand matrices for this GEMM (tests/test_systolic_array.cpp checks it, with the
// fold count and operand reads). SCALE-Sim prints the index of the last cycle (this count - 1),
// and its compute cycles ignore SRAM size, while the lowering (sim/lower.cpp) may cut a GEMM into
// tiles, each paying its own fill and drain: see README, "Systolic array".
// Folds pipelined (overlap_folds = true): the next fold's stationary-operand load and skew fill
// run under this fold's stream and drain, so after the first fold each fold costs max(T, R):
//   cycles = fold_cycles + (folds - 1) * max(T, R).
// The saving is (folds - 1) * (fold_cycles - max(T, R)): for ws with T >= R that is
// (folds - 1) * (2R + C - 2) cycles. With pipelined folds a tile may also be mapped onto the
// array's first R/2, R/4, ... rows when that takes fewer cycles (a short stream on a tall array
// loses more to per-row loads than it saves in folds); gemm_timing takes the fastest, so an array
// with twice the rows is never slower on a tile. Back to back, the whole array is always used.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "types.h"

namespace npu {

enum class Dataflow : uint8_t { kWs, kOs, kIs };
std::string_view dataflow_name(Dataflow d);
std::optional<Dataflow> parse_dataflow(std::string_view s);

struct SystolicArrayConfig {
  uint32_t rows = 32;
  uint32_t cols = 32;
  Dataflow dataflow = Dataflow::kWs;
  /// MACs one PE completes per cycle, per operand format; 0 = format not supported.
  std::array<uint32_t, kAllFormats.size()> macs_per_pe_per_cycle{};
  bool overlap_folds = false;

  uint32_t macs_per_pe(Format f) const { return macs_per_pe_per_cycle[static_cast<size_t>(f)]; }
  bool supports(Format f) const { return macs_per_pe(f) > 0; }
  uint64_t peak_macs_per_cycle(Format f) const {
    return static_cast<uint64_t>(rows) * cols * macs_per_pe(f);
  }
};

/// What one GEMM costs on the array, in array cycles, and the operand traffic it makes in the
/// core's SRAM (elements; the caller converts to bytes by format).
struct ArrayTiming {
  uint64_t sr = 0, sc = 0, t = 0;  ///< spatial rows/cols and temporal extent of the mapping
  uint64_t folds = 0;
  uint64_t fold_cycles = 0;                  ///< cycles of one fold
  uint64_t cycles = 0;                       ///< total compute cycles
  uint64_t macs = 0;                         ///< useful MACs, M*K*N
  uint64_t peak_macs_per_cycle = 0;          ///< rows * cols * MACs per PE per cycle in this format
  uint64_t a_reads = 0, b_reads = 0;         ///< operand elements read from SRAM
  uint64_t psum_reads = 0, psum_writes = 0;  ///< accumulator elements read / written
  double utilization() const;                ///< useful MACs / (peak MACs per cycle * cycles)
};

/// Closed-form timing of C[m,n] = A[m,k] x B[k,n] in format `f` (must be supported).
ArrayTiming gemm_timing(const SystolicArrayConfig& cfg, uint64_t m, uint64_t k, uint64_t n,
                        Format f);

}  // namespace npu
