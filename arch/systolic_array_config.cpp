#include "systolic_array_config.h"

#include <algorithm>

namespace npu {

std::string_view dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::kWs:
      return "ws";
    case Dataflow::kOs:
      return "os";
    case Dataflow::kIs:
      return "is";
  }
  return "?";
}

std::optional<Dataflow> parse_dataflow(std::string_view s) {
  if (s == "ws") return Dataflow::kWs;
  if (s == "os") return Dataflow::kOs;
  if (s == "is") return Dataflow::kIs;
  return std::nullopt;
}

double ArrayTiming::utilization() const {
  if (cycles == 0 || peak_macs_per_cycle == 0) return 0.0;
  return static_cast<double>(macs) / (static_cast<double>(cycles) * peak_macs_per_cycle);
}

namespace {

/// The timing of the GEMM mapped onto the array's first `r` rows.
ArrayTiming timing_on_rows(const SystolicArrayConfig& cfg, uint64_t r, uint64_t m, uint64_t k,
                           uint64_t n, Format f) {
  ArrayTiming t;
  const uint64_t c = cfg.cols;
  const uint64_t p = std::max<uint32_t>(1, cfg.macs_per_pe(f));
  const uint64_t kp = ceil_div(k, p);  // K' : reduction steps after packing p MACs per PE
  t.macs = m * k * n;
  t.peak_macs_per_cycle = r * c * p;
  if (m == 0 || k == 0 || n == 0) return t;
  switch (cfg.dataflow) {
    case Dataflow::kWs:
      t.sr = kp, t.sc = n, t.t = m;
      t.fold_cycles = 2 * r + c + t.t - 2;
      break;
    case Dataflow::kOs:
      t.sr = m, t.sc = n, t.t = kp;
      t.fold_cycles = r + c + t.t - 2;
      break;
    case Dataflow::kIs:
      t.sr = kp, t.sc = m, t.t = n;
      t.fold_cycles = 2 * r + c + t.t - 2;
      break;
  }
  const uint64_t row_folds = ceil_div(t.sr, r), col_folds = ceil_div(t.sc, c);
  t.folds = row_folds * col_folds;
  t.cycles = cfg.overlap_folds ? t.fold_cycles + (t.folds - 1) * std::max(t.t, r)
                               : t.folds * t.fold_cycles;
  // SRAM operand traffic of the mapping (elements). The stationary operand is read once; the
  // streamed one once per fold of the other spatial dimension; partial sums are written once per
  // fold of the reduction and read back for every fold but the first.
  const uint64_t k_folds = ceil_div(kp, r);
  switch (cfg.dataflow) {
    case Dataflow::kWs:  // B stationary, A streamed per column fold, psums per K fold
      t.b_reads = k * n;
      t.a_reads = m * k * col_folds;
      t.psum_writes = m * n * k_folds;
      break;
    case Dataflow::kOs:  // C stationary: A per column fold, B per row fold, one write of C
      t.a_reads = m * k * col_folds;
      t.b_reads = k * n * row_folds;
      t.psum_writes = m * n;
      break;
    case Dataflow::kIs:  // A stationary, B streamed per column (M) fold, psums per K fold
      t.a_reads = m * k;
      t.b_reads = k * n * col_folds;
      t.psum_writes = m * n * k_folds;
      break;
  }
  t.psum_reads = t.psum_writes - (cfg.dataflow == Dataflow::kOs ? t.psum_writes : m * n);
  return t;
}

}  // namespace

ArrayTiming gemm_timing(const SystolicArrayConfig& cfg, uint64_t m, uint64_t k, uint64_t n,
                        Format f) {
  ArrayTiming best = timing_on_rows(cfg, cfg.rows, m, k, n, f);
  if (!cfg.overlap_folds) return best;  // SCALE-Sim's count: the whole array, every fold
  // Pipelined folds: a tile may use the array's first R/2, R/4, ... rows instead when that is
  // faster — a fold's stationary load and fill take a cycle per row used, so a short stream on a
  // tall array can lose more to them than it gains in folds. A taller array keeps every mapping
  // a shorter one had (R -> 2R), so it is never slower on a tile.
  const uint64_t peak = best.peak_macs_per_cycle;  // of the whole array
  for (uint64_t r = cfg.rows / 2; r >= 1; r /= 2) {
    const ArrayTiming t = timing_on_rows(cfg, r, m, k, n, f);
    if (t.cycles < best.cycles) best = t;
  }
  best.peak_macs_per_cycle = peak;
  return best;
}

}  // namespace npu
