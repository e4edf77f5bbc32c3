// Lowering: an op and a chip in, one tile program per core out.
//
// GEMM C[M,N] = A[M,K] x B[K,N] (x batch): the output is cut into Mt x Nt tiles and the reduction
// into Kt slices. Operand tiles are double-buffered in the input (A) and weight (B) buffers and
// the accumulator tile in the output buffer, so a tiling must satisfy
//   2 * bytes(Mt x Kt, A) <= input,  2 * bytes(Kt x Nt, B) <= weight,
//   2 * bytes(Mt x Nt, accumulator) <= output.
// Among the tilings that fit (each dimension a power of two or the whole dimension) the planner
// picks the one with the least estimated time: max(per-core array cycles, DRAM bytes / reachable
// bandwidth) plus a DMA setup per step. Output tiles are enumerated batch, m, n (n fastest) and
// dealt to cores in contiguous blocks; a core walks K inside each output tile. An A tile equal to
// the one the previous step used is not reloaded (this is how an A row block stays resident when
// K fits in one slice).
//
// Vector ops are cut into row blocks (whole rows: row-wise ops need them) that fit double-buffered
// in the input and output buffers, dealt to cores in contiguous blocks.
//
// A tiling that cannot fit even at its smallest is a ConfigError naming the op.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "../arch/commands.h"
#include "../arch/npu_top.h"
#include "../workloads/op.h"

namespace npu {

struct TilePlan {
  uint64_t mt = 0, nt = 0, kt = 0;  ///< GEMM tile (vector ops: mt = rows per tile, nt = cols)
  uint64_t steps = 0;               ///< tile steps over all cores
  Format compute = Format::kInt8;   ///< MAC format of a GEMM
};

class Lowering {
 public:
  explicit Lowering(const ChipConfig& chip) : m_chip(chip) {}

  /// Chooses the tiling of `op`, or throws ConfigError if it cannot run on this chip.
  TilePlan plan(const Op& op) const;
  /// Per-core programs for `op` under `plan`; `label` tags the timeline.
  std::vector<CoreProgram> lower(const Op& op, const TilePlan& plan, uint32_t label) const;

 private:
  TilePlan plan_gemm(const Op& op) const;
  TilePlan plan_vector(const Op& op) const;
  void lower_gemm(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const;
  void lower_vector(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const;

  const ChipConfig& m_chip;
  using Key = std::tuple<int, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, int, int,
                         int, int, int, int>;
  mutable std::map<Key, TilePlan> m_cache;  ///< plans by shape, formats and locations
};

/// The format the array multiplies in for a GEMM: the wider of A and B (A on a tie).
Format compute_format(const Op& op);
/// Vector-unit kind of a vector op.
VectorKind vector_kind_of(OpKind k);

}  // namespace npu
