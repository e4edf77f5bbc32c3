#include "lower.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "config/error.h"
#include "lower_detail.h"

namespace npu {

using namespace lower_detail;

Format compute_format(const Op& op) {
  return format_bits(op.b_format) > format_bits(op.a_format) ? op.b_format : op.a_format;
}

VectorKind vector_kind_of(OpKind k) {
  switch (k) {
    case OpKind::kAdd:
      return VectorKind::kAdd;
    case OpKind::kMul:
      return VectorKind::kMul;
    case OpKind::kSoftmax:
      return VectorKind::kSoftmax;
    case OpKind::kLayerNorm:
      return VectorKind::kLayerNorm;
    case OpKind::kRmsNorm:
      return VectorKind::kRmsNorm;
    case OpKind::kGelu:
      return VectorKind::kGelu;
    case OpKind::kSilu:
      return VectorKind::kSilu;
    case OpKind::kRope:
      return VectorKind::kRope;
    case OpKind::kGather:
    case OpKind::kEltwise:  // an op with no model of its own: one read, one ALU op, one write
    case OpKind::kGemm:
    case OpKind::kAttention:
    case OpKind::kConv2d:
    case OpKind::kMaxPool:
    case OpKind::kAvgPool:
      break;
  }
  return VectorKind::kCopy;  // gather moves rows and converts their format; eltwise likewise
}

TilePlan Lowering::plan(const Op& op) const {
  return plan(op, op_signature(op));
}

uint64_t Lowering::tile_sram_bytes(const Op& op, const TilePlan& p) const {
  // The same sums the planners check against the buffers (plan_gemm, plan_attention,
  // plan_vector; the spatial kinds in lower_conv.cpp).
  if (op.kind == OpKind::kGemm)
    return 2 * bytes_of(p.mt * p.kt, op.a_format) + 2 * op.b_bytes(p.kt * p.nt) +
           2 * bytes_of(p.mt * p.nt, accumulator_of(p.compute));
  if (op.kind == OpKind::kAttention)
    return 2 * bytes_of(p.mt * op.k, op.a_format) + 4 * bytes_of(p.nt * op.k, op.b_format) +
           bytes_of(2 * p.mt * op.k + p.mt * p.nt, Format::kFp32);
  if (is_spatial_kind(op.kind)) return spatial_tile_sram_bytes(op, p);
  const bool two = vector_kind_inputs(vector_kind_of(op.kind)) > 1;
  const uint64_t in_row =
      bytes_of(op.cols, op.a_format) + (two ? bytes_of(op.cols, op.b_format) : 0);
  return 2 * p.mt * (in_row + bytes_of(op.cols, op.c_format));
}

TilePlan Lowering::plan(const Op& op, const OpSignature& key) const {
  if (auto it = m_cache.find(key); it != m_cache.end()) return it->second;
  // Every estimate divides by the bandwidth, and so does the memory interface.
  if (m_mem.bytes_per_s == 0)
    fail(op,
         "the NPU reaches no memory bandwidth on this chip: background traffic takes all of "
         "peak x achievable_fraction (memory.background_gbps)");
  TilePlan p;
  if (op.kind == OpKind::kGemm)
    p = plan_gemm(op, key);
  else if (op.kind == OpKind::kAttention)
    p = plan_attention(op);
  else if (op.kind == OpKind::kConv2d && !op.conv.depthwise())
    p = plan_conv(op, key);
  else if (is_spatial_kind(op.kind))
    p = plan_window(op);
  else
    p = plan_vector(op);
  m_cache.emplace(key, p);
  return p;
}

MacFormat Lowering::mac_format(const Op& op, const char* what) const {
  const SystolicArrayConfig& arr = m_chip.core.array;
  MacFormat f;
  if (arr.supports(op.b_format)) {
    f.compute = compute_format(op);
  } else {  // B is converted on the vector unit to A's format, then multiplied in it
    f.compute = op.a_format;
    f.dequant_b = true;
  }
  if (!arr.supports(f.compute))
    fail(op, "the array has no MAC rate for " + std::string(format_name(f.compute)) +
                 " (core.array.macs_per_pe_per_cycle); it cannot run this " + what);
  return f;
}

Lowering::Lowering(const ChipConfig& chip, bool search)
    : m_chip(chip),
      m_search(search),
      m_mem(memory_traits(chip.memory)),
      m_channel_bytes_per_cycle(
          static_cast<double>(dma_channel_bytes_per_s(chip.core.dma, chip.clock, m_mem)) /
          chip.clock.freq_hz()) {}

double Lowering::dram_bytes_per_cycle(uint64_t cores, uint64_t streams) const {
  const double reachable = static_cast<double>(m_mem.bytes_per_s) / m_chip.clock.freq_hz();
  const uint64_t busy =
      std::max<uint64_t>(1, std::min<uint64_t>(m_chip.core.dma.channels, streams));
  return std::min(reachable, static_cast<double>(cores * busy) * m_channel_bytes_per_cycle);
}

double Lowering::edge_cycles(double bytes, double largest, uint64_t cores) const {
  const double one = std::min(static_cast<double>(m_mem.bytes_per_s) / m_chip.clock.freq_hz(),
                              m_channel_bytes_per_cycle);
  return std::max(static_cast<double>(cores) * bytes / dram_bytes_per_cycle(cores, UINT64_MAX),
                  largest / one);
}

double Lowering::pipelined_cycles(double compute, double step, double memory, double load_bytes,
                                  double largest_load, double step_load, double store_bytes,
                                  double steps, uint64_t cores) const {
  // A core's loader issues a step's loads only when the previous step's have arrived: each step
  // waits a round trip and its largest load on one channel.
  const double one = std::min(static_cast<double>(m_mem.bytes_per_s) / m_chip.clock.freq_hz(),
                              m_channel_bytes_per_cycle);
  const double round_trip =
      static_cast<double>(m_mem.latency_ps) / static_cast<double>(m_chip.clock.period_ps);
  const double loader = step_load > 0 ? steps * (round_trip + step_load / one) : 0.0;
  const double bound = std::max({edge_cycles(load_bytes, largest_load, cores) + compute +
                                     edge_cycles(store_bytes, store_bytes, cores),
                                 memory + step, loader});
  return bound + steps * m_chip.core.dma.setup_cycles;
}

uint64_t Lowering::array_step_cycles(const MacFormat& mf, uint64_t mt, uint64_t kt,
                                     uint64_t nt) const {
  const uint64_t dequant =
      mf.dequant_b ? vector_timing(m_chip.core.vector, VectorKind::kCopy, kt, nt).cycles : 0;
  return gemm_timing(m_chip.core.array, mt, kt, nt, mf.compute).cycles + dequant;
}

TilePlan Lowering::plan_gemm(const Op& op, const OpSignature& key) const {
  const SramConfig& sram = m_chip.core.sram;
  const MacFormat mf = mac_format(op, "GEMM");
  const Format fmt = mf.compute;
  const Format acc = accumulator_of(fmt);
  const bool a_dram = op.a_loc == Location::kDram, b_dram = op.b_loc == Location::kDram;

  // Every tiling that fits, on each of core_choices(), with its estimated cycles.
  std::vector<std::pair<double, TilePlan>> fits, fits_n;  // m-major, n-major
  bool too_many_steps = false;  // a tiling fitted the SRAM but had more than kMaxPlanSteps
  const auto ms = candidates(op.m), ns = candidates(op.n), ks = candidates(op.k);
  for (const uint64_t cores : core_choices(m_chip.cores)) {
    for (uint64_t mt : ms) {
      if (2 * bytes_of(mt * 1, op.a_format) > sram.input_bytes) break;
      for (uint64_t nt : ns) {
        if (2 * bytes_of(mt * nt, acc) > sram.output_bytes) break;
        for (uint64_t kt : ks) {
          if (2 * bytes_of(mt * kt, op.a_format) > sram.input_bytes ||
              2 * op.b_bytes(kt * nt) > sram.weight_bytes)
            break;
          const uint64_t tm = ceil_div(op.m, mt), tn = ceil_div(op.n, nt), tk = ceil_div(op.k, kt);
          const uint64_t out_tiles = op.batch * tm * tn;  // <= C's elements: no overflow
          if (out_tiles > kMaxPlanSteps / tk) {
            too_many_steps = true;
            continue;
          }
          const uint64_t per_core = ceil_div(out_tiles, cores);
          const double step = static_cast<double>(array_step_cycles(mf, mt, kt, nt));
          const double compute = static_cast<double>(per_core * tk) * step;
          // DRAM traffic: B once per output tile, C once, A once per output tile when K is cut
          // into slices, else once per row block a core touches (see lower_gemm).
          const double a_bytes =
              a_dram ? static_cast<double>(bytes_of(op.batch * op.m * op.k, op.a_format)) *
                           (tk > 1 ? static_cast<double>(tn)
                                   : static_cast<double>(row_blocks_loaded(out_tiles, tn, cores)) /
                                         static_cast<double>(op.batch * tm))
                     : 0.0;
          const double b_bytes =
              b_dram ? static_cast<double>(op.b_bytes(op.batch * op.k * op.n)) * tm : 0.0;
          const double c_bytes =
              op.c_loc == Location::kDram
                  ? static_cast<double>(bytes_of(op.batch * op.m * op.n, op.c_format))
                  : 0.0;
          // A step loads B, and A too when K is cut; outputs are stored as the next loads run.
          const uint64_t streams = (b_dram ? 1 : 0) + (a_dram && tk > 1 ? 1 : 0) +
                                   (op.c_loc == Location::kDram && tk == 1 ? 1 : 0);
          const double memory =
              (a_bytes + b_bytes + c_bytes) / dram_bytes_per_cycle(cores, streams);
          // Exposed prologue and epilogue: the first tile's loads and the last tile's store do not
          // overlap compute.
          const double a_tile = a_dram ? static_cast<double>(bytes_of(mt * kt, op.a_format)) : 0;
          const double b_tile = b_dram ? static_cast<double>(op.b_bytes(kt * nt)) : 0;
          const double c_tile =
              op.c_loc == Location::kDram ? static_cast<double>(bytes_of(mt * nt, op.c_format)) : 0;
          const double cost =
              pipelined_cycles(compute, step, memory, a_tile + b_tile, std::max(a_tile, b_tile),
                               std::max(b_tile, tk > 1 ? a_tile : 0.0), c_tile,
                               static_cast<double>(per_core * tk), std::min(cores, out_tiles));
          TilePlan p{mt, nt, kt, out_tiles * tk, fmt, mf.dequant_b};
          p.cores = cores;
          fits.push_back({cost, p});
          // The other loop order, when a B column block can stay (K in one slice): A then moves
          // once per output tile, B once per column block a core touches.
          if (m_search && tk == 1 && b_dram) {
            const double a_n =
                a_dram ? static_cast<double>(bytes_of(op.batch * op.m * op.k, op.a_format)) *
                             static_cast<double>(tn)
                       : 0.0;
            const double b_n = static_cast<double>(op.b_bytes(op.batch * op.k * op.n)) *
                               static_cast<double>(row_blocks_loaded(out_tiles, tm, cores)) /
                               static_cast<double>(op.batch * tn);
            const uint64_t streams_n = (a_dram ? 1 : 0) + (op.c_loc == Location::kDram ? 1 : 0);
            const double memory_n = (a_n + b_n + c_bytes) / dram_bytes_per_cycle(cores, streams_n);
            const double cost_n =
                pipelined_cycles(compute, step, memory_n, a_tile + b_tile, std::max(a_tile, b_tile),
                                 std::max(a_tile, b_tile), c_tile,
                                 static_cast<double>(per_core * tk), std::min(cores, out_tiles));
            p.n_major = true;
            fits_n.push_back({cost_n, p});
          }
        }
      }
    }
  }
  if (fits.empty() && too_many_steps) fail_steps(op, "GEMM");
  if (fits.empty()) {
    fail(op, "no tile fits the core's SRAM: even a 1x1x1 tile needs " +
                 bytes_text(2 * bytes_of(1, op.a_format)) + " of the " +
                 bytes_text(sram.input_bytes) + " input buffer, " + bytes_text(2 * op.b_bytes(1)) +
                 " of the " + bytes_text(sram.weight_bytes) + " weight buffer and " +
                 bytes_text(2 * bytes_of(1, acc)) + " of the " + bytes_text(sram.output_bytes) +
                 " output buffer (double-buffered)");
  }
  return choose(key, fits, fits_n);
}

TilePlan Lowering::choose(const OpSignature& key,
                          const std::vector<std::pair<double, TilePlan>>& fits,
                          const std::vector<std::pair<double, TilePlan>>& fits_n_major) const {
  const TilePlan chosen = fastest(fits);
  if (!m_search) return chosen;
  std::vector<TilePlan> others;
  if (!fits_n_major.empty()) {
    const TilePlan alt = fastest(fits_n_major);
    if (alt.steps <= kMaxSearchSteps) others.push_back(alt);
  }
  for (const TilePlan& p : near_ties(fits, chosen, kMaxTieSteps)) others.push_back(p);
  if (!others.empty()) m_alternatives.emplace(key, std::move(others));
  return chosen;
}

const std::vector<TilePlan>& Lowering::alternatives(const OpSignature& key) const {
  static const std::vector<TilePlan> kNone;
  const auto it = m_alternatives.find(key);
  return it == m_alternatives.end() ? kNone : it->second;
}

TilePlan Lowering::plan_vector(const Op& op) const {
  const SramConfig& sram = m_chip.core.sram;
  const uint64_t inputs = vector_kind_inputs(vector_kind_of(op.kind));
  // Input row bytes of all inputs; the second input of add/mul is in b_format.
  const uint64_t in_row =
      bytes_of(op.cols, op.a_format) + (inputs > 1 ? bytes_of(op.cols, op.b_format) : 0);
  const uint64_t out_row = bytes_of(op.cols, op.c_format);
  const uint64_t fit_in = sram.input_bytes / (2 * in_row);
  const uint64_t fit_out = sram.output_bytes / (2 * out_row);
  const uint64_t fit = std::min(fit_in, fit_out);
  if (fit == 0)
    fail(op, "a row of " + std::to_string(op.cols) + " elements does not fit the core's SRAM: " +
                 "double-buffered it needs " + bytes_text(2 * in_row) + " of the " +
                 bytes_text(sram.input_bytes) + " input buffer and " + bytes_text(2 * out_row) +
                 " of the " + bytes_text(sram.output_bytes) + " output buffer");
  // Row blocks: small enough that each core's blocks pipeline (load, compute, store overlap),
  // large enough that per-step costs stay small. Same estimate and tie rule as for GEMMs.
  const uint64_t rows_per_core = ceil_div(op.rows, m_chip.cores);
  const uint64_t streams = (op.a_loc == Location::kDram ? 1 : 0) +
                           (inputs > 1 && op.b_loc == Location::kDram ? 1 : 0) +
                           (op.c_loc == Location::kDram ? 1 : 0);
  const double bytes_per_cycle =
      dram_bytes_per_cycle(std::min<uint64_t>(m_chip.cores, op.rows), streams);
  const uint64_t dram_row =
      (op.a_loc == Location::kDram ? bytes_of(op.cols, op.a_format) : 0) +
      (inputs > 1 && op.b_loc == Location::kDram ? bytes_of(op.cols, op.b_format) : 0) +
      (op.c_loc == Location::kDram ? out_row : 0);
  std::vector<std::pair<double, TilePlan>> fits;
  for (uint64_t rt : candidates(std::min(fit, rows_per_core))) {
    const uint64_t steps_per_core = ceil_div(rows_per_core, rt);
    const double step = static_cast<double>(
        vector_timing(m_chip.core.vector, vector_kind_of(op.kind), rt, op.cols).cycles);
    const double compute = static_cast<double>(steps_per_core) * step;
    const double memory = static_cast<double>(op.rows * dram_row) / bytes_per_cycle;
    const double load_row =
        static_cast<double>(dram_row - (op.c_loc == Location::kDram ? out_row : 0));
    const double rows = static_cast<double>(rt);
    const double cost = pipelined_cycles(
        compute, step, memory, rows * load_row, rows * load_row, rows * load_row,
        op.c_loc == Location::kDram ? rows * static_cast<double>(out_row) : 0.0,
        static_cast<double>(steps_per_core), std::min<uint64_t>(m_chip.cores, op.rows));
    TilePlan p;
    p.mt = rt;
    p.nt = op.cols;
    p.kt = 1;
    for (uint64_t c = 0; c < m_chip.cores; ++c) {
      const auto [b, e] = block_of(op.rows, m_chip.cores, c);
      p.steps += ceil_div(e - b, rt);
    }
    if (p.steps <= kMaxPlanSteps) fits.push_back({cost, p});
  }
  if (fits.empty()) fail_steps(op, "vector op");
  return fastest(fits);
}

namespace {
/// Keys the query rows [r0, r1) of an attention group read (rows are positions x heads of the
/// group; all n without a causal mask; a sliding window drops the keys before it).
uint64_t visible_keys(const Op& op, uint64_t r0, uint64_t r1) {
  return attention_keys(op, r0 / op.group, (r1 - 1) / op.group + 1);
}

/// The first key query rows from r0 on read: the window's start (0 without a window).
uint64_t first_key(const Op& op, uint64_t r0) {
  if (!op.causal || op.window == 0) return 0;
  const uint64_t first = op.n - op.m / op.group + r0 / op.group + 1;  // keys position r0 sees
  return first > op.window ? first - op.window : 0;
}

/// Loads keys [k0, k0 + count) of K or of V (`row_bytes` a key): one transfer, in as many pieces
/// as the pages of a paged cache (op.kv_block) it touches, the first and last possibly partial.
void load_keys(TileStep& s, const Op& op, uint64_t k0, uint64_t count, uint64_t row_bytes) {
  DmaDescriptor d{count, row_bytes};
  if (op.kv_block > 0 && count > 0)
    d.pieces = (k0 + count - 1) / op.kv_block - k0 / op.kv_block + 1;
  s.loads.push_back(d);
}
}  // namespace

TilePlan Lowering::plan_attention(const Op& op) const {
  const SramConfig& sram = m_chip.core.sram;
  const MacFormat mf = mac_format(op, "attention");
  const uint64_t hd = op.k;
  const bool q_dram = op.a_loc == Location::kDram, kv_dram = op.b_loc == Location::kDram;
  std::vector<std::pair<double, TilePlan>> fits;
  bool too_many_steps = false;   // a tiling fitted the SRAM but had more than kMaxPlanSteps
  std::vector<uint64_t> before;  // causal: the steps of query blocks [0, i) of a group
  for (uint64_t br : candidates(op.m)) {
    // Q block (double-buffered) in the input buffer.
    if (2 * bytes_of(br * hd, op.a_format) > sram.input_bytes) break;
    for (uint64_t bc : candidates(op.n)) {
      // K and V blocks (double-buffered) in the weight buffer; the O accumulator (double-
      // buffered) and the S/P block in the output buffer, at fp32.
      if (4 * bytes_of(bc * hd, op.b_format) > sram.weight_bytes ||
          bytes_of(2 * br * hd + br * bc, Format::kFp32) > sram.output_bytes)
        break;
      // Every query block takes at least one step: tilings over the limit are skipped before
      // their steps are counted (a loop over the query blocks).
      const uint64_t tq = ceil_div(op.m, br);
      const uint64_t max_steps = kMaxPlanSteps / op.batch;  // per group
      uint64_t steps = 0, kv_rows = 0;
      before.assign(1, 0);
      if (tq > max_steps) {
        steps = max_steps + 1;
      } else if (!op.causal) {  // every query block sees all n keys
        steps = tq * ceil_div(op.n, bc);
        kv_rows = tq * op.n;
      } else {
        for (uint64_t qi = 0; qi < tq && steps <= max_steps; ++qi) {
          const uint64_t vis = visible_keys(op, qi * br, std::min(op.m, (qi + 1) * br));
          steps += ceil_div(vis, bc);
          kv_rows += vis;
          before.push_back(steps);
        }
      }
      if (steps > max_steps) {
        too_many_steps = true;
        continue;
      }
      // The engine deals (group, query block) pairs to the cores in contiguous blocks: the
      // busiest core's steps, not an even share, bound the compute (a core may idle).
      uint64_t busiest = 0;
      const uint64_t out_tiles = op.batch * tq, cores = std::min<uint64_t>(m_chip.cores, out_tiles);
      if (!op.causal || out_tiles > (uint64_t{1} << 16)) {
        busiest =
            ceil_div(out_tiles, m_chip.cores) * (op.causal ? ceil_div(steps, tq) : steps / tq);
      } else {
        // Tile t is query block t % tq of its group: the steps of tiles [0, t) are whole
        // groups' and the first t % tq blocks of the next.
        const auto steps_to = [&](uint64_t t) { return t / tq * steps + before[t % tq]; };
        for (uint64_t c = 0; c < cores; ++c) {
          const auto [b, e] = block_of(out_tiles, m_chip.cores, c);
          busiest = std::max(busiest, steps_to(e) - steps_to(b));
        }
      }
      steps *= op.batch;
      kv_rows *= op.batch;
      const SystolicArrayConfig& arr = m_chip.core.array;
      const uint64_t step_cycles =
          gemm_timing(arr, br, hd, bc, mf.compute).cycles +
          vector_timing(m_chip.core.vector, VectorKind::kSoftmax, br, bc).cycles +
          gemm_timing(arr, br, bc, hd, mf.compute).cycles +
          (mf.dequant_b ? vector_timing(m_chip.core.vector, VectorKind::kCopy, 2 * bc, hd).cycles
                        : 0);
      const double step = static_cast<double>(step_cycles);
      const double compute = static_cast<double>(busiest) * step;
      const double bytes = static_cast<double>(
          (q_dram ? bytes_of(op.batch * op.m * hd, op.a_format) : 0) +
          (kv_dram ? 2 * bytes_of(kv_rows * hd, op.b_format) : 0) +
          (op.c_loc == Location::kDram ? bytes_of(op.batch * op.m * hd, op.c_format) : 0));
      const double q_tile = q_dram ? static_cast<double>(bytes_of(br * hd, op.a_format)) : 0;
      const double kv_tile = kv_dram ? static_cast<double>(bytes_of(bc * hd, op.b_format)) : 0;
      const double o_tile =
          op.c_loc == Location::kDram ? static_cast<double>(bytes_of(br * hd, op.c_format)) : 0;
      const double cost =
          pipelined_cycles(compute, step,
                           bytes / dram_bytes_per_cycle(cores, kv_dram  ? 2
                                                               : q_dram ? 1
                                                                        : 0),
                           q_tile + 2 * kv_tile, std::max(q_tile, kv_tile),
                           kv_dram ? kv_tile : q_tile, o_tile, static_cast<double>(busiest), cores);
      fits.push_back({cost, {br, bc, hd, steps, mf.compute, mf.dequant_b}});
    }
  }
  if (fits.empty() && too_many_steps) fail_steps(op, "attention");
  if (fits.empty())
    fail(op, "flash attention does not fit the core's SRAM: even one query and one key need " +
                 bytes_text(2 * bytes_of(hd, op.a_format)) + " of the " +
                 bytes_text(sram.input_bytes) + " input buffer, " +
                 bytes_text(4 * bytes_of(hd, op.b_format)) + " of the " +
                 bytes_text(sram.weight_bytes) + " weight buffer and " +
                 bytes_text(bytes_of(2 * hd + 1, Format::kFp32)) + " of the " +
                 bytes_text(sram.output_bytes) + " output buffer");
  return fastest(fits);
}

namespace {
/// gemm_timing(...).cycles in doubles, with the folds back to back (an upper bound when they
/// overlap): its 64-bit products overflow for absurd tiles.
double array_cycles_bound(const SystolicArrayConfig& a, double m, double k, double n, Format f) {
  const double r = a.rows, c = a.cols;
  const double kp = std::ceil(k / std::max<uint32_t>(1, a.macs_per_pe(f)));
  const double sr = a.dataflow == Dataflow::kOs ? m : kp;
  const double sc = a.dataflow == Dataflow::kIs ? m : n;
  const double t = a.dataflow == Dataflow::kWs ? m : a.dataflow == Dataflow::kOs ? kp : n;
  return std::ceil(sr / r) * std::ceil(sc / c) * (2 * r + c + t);
}
}  // namespace

CostBound Lowering::bound(const Op& op, const TilePlan& p) const {
  const DmaConfig& dma = m_chip.core.dma;
  const double period = static_cast<double>(m_chip.clock.period_ps);
  // Bytes per cycle at the slowest rate: one channel's datapath, its bursts in flight over the
  // round trip, or the memory's reachable bandwidth.
  const double latency = static_cast<double>(m_mem.latency_ps) / period;  // cycles
  double rate = std::min(static_cast<double>(dma.bytes_per_cycle),
                         static_cast<double>(m_mem.bytes_per_s) * period * 1e-12);
  if (latency > 0)
    rate = std::min(rate, static_cast<double>(dma.max_outstanding_bursts) *
                              static_cast<double>(dma.max_burst_bytes) / latency);
  double cycles = 0, grants = 0, moved = 0;  // of one step, its tiles at their largest
  auto move = [&](uint64_t rows, uint64_t row_bytes, bool gather = false) {  // one descriptor
    const double bytes = static_cast<double>(rows) * static_cast<double>(row_bytes);
    const double setups = dma.strides_2d && !gather ? 1.0 : static_cast<double>(rows);
    moved += bytes;
    grants += std::ceil(bytes / static_cast<double>(m_mem.grant_bytes));
    cycles += setups * dma.setup_cycles + bytes / rate + latency + 1;
  };
  auto vector = [&](VectorKind k, uint64_t rows, uint64_t cols) {
    cycles += static_cast<double>(vector_timing(m_chip.core.vector, k, rows, cols).cycles);
  };
  const SystolicArrayConfig& arr = m_chip.core.array;
  if (op.kind == OpKind::kGemm) {
    if (op.a_loc == Location::kDram) move(p.mt, bytes_of(p.kt, op.a_format));
    if (op.b_loc == Location::kDram) move(p.kt, ceil_div(op.b_bytes(p.kt * p.nt), p.kt));
    if (op.c_loc == Location::kDram) move(p.mt, bytes_of(p.nt, op.c_format));
    if (p.dequant_b) vector(VectorKind::kCopy, p.kt, p.nt);
    cycles += array_cycles_bound(arr, static_cast<double>(p.mt), static_cast<double>(p.kt),
                                 static_cast<double>(p.nt), p.compute);
  } else if (op.kind == OpKind::kAttention) {
    const uint64_t br = p.mt, bc = p.nt, hd = op.k;
    if (op.a_loc == Location::kDram) move(br, bytes_of(hd, op.a_format));
    if (op.b_loc == Location::kDram) {
      move(bc, bytes_of(hd, op.b_format));
      move(bc, bytes_of(hd, op.b_format));
    }
    if (op.c_loc == Location::kDram) move(br, bytes_of(hd, op.c_format));
    if (p.dequant_b) vector(VectorKind::kCopy, 2 * bc, hd);
    vector(VectorKind::kSoftmax, br, bc);
    cycles += array_cycles_bound(arr, static_cast<double>(br), static_cast<double>(hd),
                                 static_cast<double>(bc), p.compute) +
              array_cycles_bound(arr, static_cast<double>(br), static_cast<double>(bc),
                                 static_cast<double>(hd), p.compute);
  } else if (is_spatial_kind(op.kind)) {
    const TileStep s = largest_spatial_step(op, p);
    for (const DmaDescriptor& d : s.loads) move(d.rows, d.row_bytes);
    for (const DmaDescriptor& d : s.stores) move(d.rows, d.row_bytes);
    for (const Command& c : s.commands) {
      if (c.unit == Unit::kArray)
        cycles +=
            array_cycles_bound(arr, static_cast<double>(c.array.m), static_cast<double>(c.array.k),
                               static_cast<double>(c.array.n), c.array.compute);
      else
        cycles += static_cast<double>(vector_timing(m_chip.core.vector, c.vector.kind,
                                                    c.vector.rows, c.vector.cols, c.vector.taps)
                                          .cycles);
    }
  } else {
    const uint64_t rows = p.mt;
    if (op.a_loc == Location::kDram)
      move(rows, bytes_of(op.cols, op.a_format), op.kind == OpKind::kGather);
    if (vector_kind_inputs(vector_kind_of(op.kind)) > 1 && op.b_loc == Location::kDram)
      move(rows, bytes_of(op.cols, op.b_format));
    if (op.c_loc == Location::kDram) move(rows, bytes_of(op.cols, op.c_format));
    vector(vector_kind_of(op.kind), rows, op.cols);
  }
  CostBound b;
  b.steps = static_cast<double>(p.steps);
  b.grants = b.steps * grants;
  b.bytes = b.steps * moved;
  b.cycles =
      b.steps * cycles + std::ceil(static_cast<double>(m_chip.dispatch_overhead_ps) / period);
  return b;
}

std::vector<CoreProgram> Lowering::lower(const Op& op, const TilePlan& plan, uint32_t label) const {
  std::vector<CoreProgram> programs;
  lower(op, plan, label, programs);
  return programs;
}

void Lowering::lower(const Op& op, const TilePlan& plan, uint32_t label,
                     std::vector<CoreProgram>& programs) const {
  programs.resize(m_chip.cores);
  for (auto& p : programs) {
    p.steps.clear();  // keeps its capacity
    p.label = label;
  }
  if (op.kind == OpKind::kGemm)
    lower_gemm(op, plan, programs);
  else if (op.kind == OpKind::kAttention)
    lower_attention(op, plan, programs);
  else if (is_spatial_kind(op.kind))
    lower_spatial(op, plan, programs);
  else
    lower_vector(op, plan, programs);
}

void Lowering::lower_gemm(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const {
  const uint64_t tm = ceil_div(op.m, p.mt), tn = ceil_div(op.n, p.nt), tk = ceil_div(op.k, p.kt);
  const uint64_t out_tiles = op.batch * tm * tn, cores = cores_used(p, out.size());
  for (uint64_t c = 0; c < cores; ++c) {
    auto& steps = out[c].steps;
    const auto [begin, end] = block_of(out_tiles, cores, c);
    // The A and B tiles in the previous step, as (batch, m or n block, k block); none yet.
    uint64_t last_a = std::numeric_limits<uint64_t>::max(), last_b = last_a;
    for (uint64_t t = begin; t < end; ++t) {
      const uint64_t b = t / (tm * tn);
      const uint64_t mi = p.n_major ? t % tm : (t / tn) % tm;
      const uint64_t ni = p.n_major ? (t / tm) % tn : t % tn;
      const uint64_t mt = std::min(p.mt, op.m - mi * p.mt);
      const uint64_t nt = std::min(p.nt, op.n - ni * p.nt);
      for (uint64_t ki = 0; ki < tk; ++ki) {
        const uint64_t kt = std::min(p.kt, op.k - ki * p.kt);
        // The k blocks between the first and the last are full and load both operands afresh
        // (each is a new k block of A and of B): one step, pushed once for all of them.
        const uint64_t repeat = ki == 1 && tk > 2 ? tk - 2 : 1;
        TileStep s;
        const Format b_in = p.dequant_b ? p.compute : op.b_format;
        if (p.dequant_b)  // B to the compute format on the vector unit first
          s.commands.push_back(
              vector_command({VectorKind::kCopy, kt, nt, op.b_format, p.compute, op.b_format}));
        s.commands.push_back(array_command({mt, kt, nt, p.compute, op.a_format, b_in}));
        const uint64_t a_id = (b * tm + mi) * tk + ki;
        if (op.a_loc == Location::kDram && a_id != last_a)
          s.loads.push_back({mt, bytes_of(kt, op.a_format)});
        last_a = a_id;
        // B rows with their share of the group-wise scales; n-major keeps the previous B tile.
        const uint64_t b_id = (b * tn + ni) * tk + ki;
        if (op.b_loc == Location::kDram && (!p.n_major || b_id != last_b))
          s.loads.push_back({kt, ceil_div(op.b_bytes(kt * nt), kt)});
        last_b = b_id;
        s.starts_output = ki == 0;
        s.ends_output = ki + 1 == tk;
        if (s.ends_output && op.c_loc == Location::kDram)
          s.stores.push_back({mt, bytes_of(nt, op.c_format), true});
        steps.push_back(s, repeat);
        ki += repeat - 1;
      }
    }
  }
}

void Lowering::lower_attention(const Op& op, const TilePlan& p,
                               std::vector<CoreProgram>& out) const {
  const uint64_t hd = op.k, tq = ceil_div(op.m, p.mt);
  const Format kv_in = p.dequant_b ? p.compute : op.b_format;
  const uint64_t out_tiles = op.batch * tq;  // (group, query block) pairs
  for (uint64_t c = 0; c < out.size(); ++c) {
    const auto [begin, end] = block_of(out_tiles, out.size(), c);
    for (uint64_t t = begin; t < end; ++t) {
      const uint64_t qi = t % tq;
      const uint64_t r0 = qi * p.mt, r1 = std::min(op.m, r0 + p.mt), br = r1 - r0;
      const uint64_t vis = visible_keys(op, r0, r1), k_first = first_key(op, r0);
      const uint64_t tk = ceil_div(vis, p.nt);
      // The blocks between the first and the last are full and, unless a page boundary falls
      // differently in each, load the same: one step, pushed once for all of them.
      const bool same_middle =
          op.kv_block == 0 || (p.nt % op.kv_block == 0 && k_first % op.kv_block == 0);
      for (uint64_t kj = 0; kj < tk; ++kj) {
        const uint64_t bc = std::min(p.nt, vis - kj * p.nt);
        const uint64_t repeat = same_middle && kj == 1 && tk > 2 ? tk - 2 : 1;
        TileStep s;
        if (kj == 0 && op.a_loc == Location::kDram)
          s.loads.push_back({br, bytes_of(hd, op.a_format)});
        if (op.b_loc == Location::kDram) {  // this block of K and of V
          load_keys(s, op, k_first + kj * p.nt, bc, bytes_of(hd, op.b_format));
          load_keys(s, op, k_first + kj * p.nt, bc, bytes_of(hd, op.b_format));
        }
        if (p.dequant_b)
          s.commands.push_back(
              vector_command({VectorKind::kCopy, 2 * bc, hd, op.b_format, p.compute, op.b_format}));
        // S = Q K^T, (the soft-cap,) the online softmax (running max and sum, rescale), O += P V.
        s.commands.push_back(array_command({br, hd, bc, p.compute, op.a_format, kv_in}));
        if (op.softcap)
          s.commands.push_back(
              vector_command({VectorKind::kGelu, br, bc, op.a_format, op.a_format, op.a_format}));
        s.commands.push_back(
            vector_command({VectorKind::kSoftmax, br, bc, op.a_format, op.a_format, op.a_format}));
        s.commands.push_back(array_command({br, bc, hd, p.compute, op.a_format, kv_in}));
        s.starts_output = kj == 0;
        s.ends_output = kj + 1 == tk;
        if (s.ends_output && op.c_loc == Location::kDram)
          s.stores.push_back({br, bytes_of(hd, op.c_format), true});
        out[c].steps.push_back(s, repeat);
        kj += repeat - 1;
      }
    }
  }
}

void Lowering::lower_vector(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const {
  const VectorKind kind = vector_kind_of(op.kind);
  const bool two_inputs = vector_kind_inputs(kind) > 1;
  for (uint64_t c = 0; c < out.size(); ++c) {
    const auto [begin, end] = block_of(op.rows, out.size(), c);
    for (uint64_t r = begin; r < end; r += p.mt) {
      const uint64_t rows = std::min(p.mt, end - r);
      TileStep s;
      s.commands.push_back(
          vector_command({kind, rows, op.cols, op.a_format, op.c_format, op.b_format}));
      if (op.a_loc == Location::kDram)  // a gather picks each row from its own table address
        s.loads.push_back(
            {rows, bytes_of(op.cols, op.a_format), false, op.kind == OpKind::kGather});
      if (two_inputs && op.b_loc == Location::kDram)
        s.loads.push_back({rows, bytes_of(op.cols, op.b_format)});
      s.starts_output = s.ends_output = true;
      if (op.c_loc == Location::kDram)
        s.stores.push_back({rows, bytes_of(op.cols, op.c_format), true});
      out[c].steps.push_back(s);
    }
  }
}

uint64_t compute_floor_cycles(const CoreConfig& core, const std::vector<CoreProgram>& programs) {
  uint64_t floor = 0;
  for (const CoreProgram& program : programs) {
    uint64_t cycles = 0;
    for (const StepRuns::Run& run : program.steps.runs())
      for (const Command& cmd : program.steps.step(run).commands)
        cycles += run.count * command_cost(core, cmd).cycles;
    floor = std::max(floor, cycles);
  }
  return floor;
}

uint64_t compute_floor_cycles(const Lowering& lowering, const Op& op, const TilePlan& plan) {
  return compute_floor_cycles(lowering.chip().core, lowering.lower(op, plan, 0));
}

}  // namespace npu
