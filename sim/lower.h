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
// K fits in one slice). The compiled schedule's mapping search also tries the other loop order,
// n-major (m fastest), in which a B column block stays instead, and keeps the faster estimate.
//
// Vector ops are cut into row blocks (whole rows: row-wise ops need them) that fit double-buffered
// in the input and output buffers, dealt to cores in contiguous blocks.
//
// Convolutions and pools (sim/lower_conv.cpp): a dense conv2d is the implicit GEMM
// M = batch x out_h x out_w, K = r x s x c, N = f on the array, tiled into output tiles of whole
// output rows or blocks of them (out_rows x out_cols pixels of one image, or whole images) x
// filter blocks, and channel slices of K (kt = r x s x channels). What a tile loads from DRAM is
// the input region its windows read (covered_inputs: the rows and columns under the tile's
// windows, halo included, padding excluded) for its channel slice, never the im2col matrix.
// Depthwise convs and pools run on the vector unit over the same output tiles x channel blocks.
//
// A tiling that cannot fit even at its smallest is a ConfigError naming the op, and so is an op
// no tiling of at most kMaxPlanSteps steps fits (lower() holds every step of an op in memory).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "../arch/chip_config.h"
#include "../arch/commands.h"
#include "../arch/memory_config.h"
#include "../workloads/op.h"

namespace npu {

struct TilePlan {
  /// GEMM tile (Mt, Nt, Kt); vector ops: mt rows per tile, nt = cols; attention: mt query rows
  /// and nt keys per block, kt = head dimension.
  uint64_t mt = 0, nt = 0, kt = 0;
  uint64_t steps = 0;              ///< tile steps over all cores
  Format compute = Format::kInt8;  ///< MAC format of a GEMM or attention
  bool dequant_b = false;          ///< B (weights, or K and V) converted on the vector unit first
  /// conv2d, maxpool, avgpool: an output tile is `images` whole images, or (images = 1)
  /// out_rows x out_cols output pixels of one image; mt = images x out_rows x out_cols. Dense
  /// conv: nt filters, kt = r x s x the channels of a slice (the implicit GEMM's tile). Window
  /// kinds (depthwise conv, pools, on the vector unit): nt channels, kt = r x s.
  uint64_t images = 0, out_rows = 0, out_cols = 0;
  /// GEMM, dense conv: the cores the output tiles are dealt over (the first `cores`; the others
  /// idle); 0: all of the chip's. Fewer cores can be faster: each loads the rows of A (input
  /// regions) its tiles read, so a memory-bound op split over more cores moves more bytes.
  uint64_t cores = 0;
  /// GEMM loop order. false: output tiles row block by row block (n fastest), so an A row block
  /// stays in SRAM while K is one slice. true (the compiled schedule's mapping search): column
  /// block by column block (m fastest), so a B column block stays instead.
  bool n_major = false;
};

/// Tile steps of one op at most: the planner considers only tilings within it. lower() holds all
/// the steps of an op at once (about 464 bytes each: 2 GB at the limit), and each step costs a
/// few microseconds to simulate.
inline constexpr uint64_t kMaxPlanSteps = uint64_t{1} << 22;

/// The mapping search's budget: a GEMM's n-major tiling is simulated beside its m-major one only
/// when it has at most this many tile steps (a prefill of a large batch would otherwise simulate
/// millions of extra steps per GEMM). A budget on steps alone, so more SRAM (bigger tiles) only
/// ever brings a GEMM into the search.
inline constexpr uint64_t kMaxSearchSteps = uint64_t{1} << 16;
/// The near-ties' budget: the tilings the estimate cannot tell from the chosen one (within 10 %)
/// are simulated only while their steps together stay within this, or twice this for tilings of
/// equal estimate (a decode step's GEMMs, a short prefill's: where a tie moves a run the most
/// and costs the least to settle). Larger ops keep the planner's choice (the fewest steps among
/// the tilings within 1 %).
inline constexpr uint64_t kMaxTieSteps = uint64_t{1} << 12;

/// Upper bounds on what simulating an op under a plan costs (Lowering::bound), in doubles: for
/// absurd ops they exceed 64 bits.
struct CostBound {
  double steps = 0;   ///< tile steps (the plan's)
  double grants = 0;  ///< memory grants: each DMA descriptor's bytes in quantum-sized pieces
  double bytes = 0;   ///< DRAM bytes moved
  /// Cycles if every step's loads, commands and stores ran one after the other at the slowest
  /// rate the chip allows (one DMA channel or the memory, whichever is slower), with every DMA
  /// setup and memory round trip paid; plus the dispatch overhead.
  double cycles = 0;
};

/// The format the array multiplies an op in, and whether B must be converted first.
struct MacFormat {
  Format compute = Format::kInt8;
  bool dequant_b = false;
};

class Lowering {
 public:
  /// `search`: planning a GEMM or a dense conv also keeps its other candidates, for
  /// alternatives(): the compiled schedule's mapping search (compiler.mapping: search) simulates
  /// them beside plan()'s choice and keeps the fastest. They are a GEMM's fastest n-major tiling
  /// (TilePlan::n_major; within kMaxSearchSteps), and the tilings the estimate cannot tell from
  /// the chosen one (near_ties in lower_detail.h; their steps together within kMaxTieSteps).
  /// plan() is m-major always.
  explicit Lowering(const ChipConfig& chip, bool search = false);

  /// Chooses the tiling of `op`, or throws ConfigError if it cannot run on this chip.
  TilePlan plan(const Op& op) const;
  /// The same, for an op whose signature the caller has built.
  TilePlan plan(const Op& op, const OpSignature& signature) const;
  /// After plan(): the op's other candidates for the mapping search (none without `search`).
  const std::vector<TilePlan>& alternatives(const OpSignature& signature) const;
  /// Per-core programs for `op` under `plan`; `label` tags the timeline.
  std::vector<CoreProgram> lower(const Op& op, const TilePlan& plan, uint32_t label) const;
  /// The same into `programs`, whose memory is reused (a run lowers op after op into one
  /// set: no allocation, no fresh pages, once the largest program has been made).
  void lower(const Op& op, const TilePlan& plan, uint32_t label,
             std::vector<CoreProgram>& programs) const;
  /// What simulating `op` under `plan` costs at most (see CostBound), without lowering it.
  CostBound bound(const Op& op, const TilePlan& plan) const;
  /// SRAM bytes one core's tile buffers take under `plan`, at their largest: what the planner
  /// checked against the input, weight and output buffers (double-buffered tiles, the
  /// accumulator; attention's K and V blocks and its fp32 scores and output).
  uint64_t tile_sram_bytes(const Op& op, const TilePlan& plan) const;
  const ChipConfig& chip() const { return m_chip; }

 private:
  TilePlan plan_gemm(const Op& op, const OpSignature& key) const;
  TilePlan plan_vector(const Op& op) const;
  TilePlan plan_attention(const Op& op) const;
  TilePlan plan_conv(const Op& op, const OpSignature& key) const;  // dense conv2d, lower_conv.cpp
  /// fastest(fits), keeping the mapping search's other candidates for `key` (with `search`).
  TilePlan choose(const OpSignature& key, const std::vector<std::pair<double, TilePlan>>& fits,
                  const std::vector<std::pair<double, TilePlan>>& fits_n_major = {}) const;
  TilePlan plan_window(const Op& op) const;  // depthwise conv2d, maxpool, avgpool
  MacFormat mac_format(const Op& op, const char* what) const;
  void lower_gemm(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const;
  void lower_vector(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const;
  void lower_attention(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const;
  void lower_spatial(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const;
  uint64_t spatial_tile_sram_bytes(const Op& op, const TilePlan& p) const;  // lower_conv.cpp
  /// A step of a spatial op with its tiles at their largest (for bound()).
  TileStep largest_spatial_step(const Op& op, const TilePlan& p) const;
  /// The planners' estimates: DRAM bytes per clock cycle that `cores` cores reach, each with
  /// `streams` transfers in flight (a core's loader waits for a step's loads before it issues the
  /// next step's, so a step of one load keeps one channel busy) — the reachable bandwidth, or
  /// less when the channels cannot pull it (cores x min(channels, streams) x one channel's rate) —
  /// and the cycles of one array step (an mt x kt x nt GEMM in `mf`'s format, after converting
  /// its B tile on the vector unit when `mf` says so).
  double dram_bytes_per_cycle(uint64_t cores, uint64_t streams) const;
  /// The exposed cycles of a tile's first loads and last store (`bytes` in all, its largest
  /// transfer `largest`) when `cores` cores move theirs at once: they share the channels and the
  /// memory, and one transfer runs on one channel.
  double edge_cycles(double bytes, double largest, uint64_t cores) const;
  /// A tiling's estimated cycles: each step's loads precede its compute, which precedes its
  /// store, and loads, compute and stores of different steps overlap. So the op takes at least
  /// the first step's loads (`load_bytes`, the largest `largest_load`), all of a core's compute
  /// and the last store (`store_bytes`) — compute bound — and at least all the DRAM traffic
  /// (`memory` cycles) and then the last step's compute (`step`) — memory bound: the last store
  /// waits for it — and at least a core's `steps` each waiting a round trip and its largest load
  /// (`step_load`) on one channel, as its loader does. Each step adds its DMA setup; `cores`
  /// cores run at once. Every term falls as bandwidth, clock or array rate grows, and the first
  /// loads are not charged on top of `memory`.
  double pipelined_cycles(double compute, double step, double memory, double load_bytes,
                          double largest_load, double step_load, double store_bytes, double steps,
                          uint64_t cores) const;
  uint64_t array_step_cycles(const MacFormat& mf, uint64_t mt, uint64_t kt, uint64_t nt) const;

  const ChipConfig& m_chip;
  bool m_search;
  const MemoryTraits m_mem;          ///< what the lowering may know of the memory
  double m_channel_bytes_per_cycle;  ///< one DMA channel (arch/dma_config.h)
  mutable std::unordered_map<OpSignature, TilePlan, OpSignatureHash> m_cache;
  mutable std::unordered_map<OpSignature, std::vector<TilePlan>, OpSignatureHash> m_alternatives;
};

/// The wider of A's and B's formats (A on a tie). When the array takes B's format natively it
/// multiplies in this one (the narrower operand is widened in the datapath); otherwise B is
/// converted on the vector unit to A's format and the array multiplies in A's.
Format compute_format(const Op& op);
/// Vector-unit kind of a vector op.
VectorKind vector_kind_of(OpKind k);

/// The cycles the busiest core's compute commands take back to back in `programs` (each as
/// arch/core_config.h's command_cost says): a core's compute thread runs them one after the
/// other, so the op's cores take at least this long -- exactly its busiest core's array and
/// vector busy cycles. Summed over each program's runs of equal steps.
uint64_t compute_floor_cycles(const CoreConfig& core, const std::vector<CoreProgram>& programs);
/// The same for `op` lowered under `plan`.
uint64_t compute_floor_cycles(const Lowering& lowering, const Op& op, const TilePlan& plan);

}  // namespace npu
