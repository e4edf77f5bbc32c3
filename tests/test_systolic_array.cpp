// Systolic array closed-form timing (arch/systolic_array_config.h). Every expected number is
// derived by hand next to its assertion from the mapping table in the header:
//
//   dataflow | Sr | Sc | T  | cycles of one fold (R x C array)
//   ws       | K' | N  | M  | 2R + C + T - 2
//   os       | M  | N  | K' | R + C + T - 2
//   is       | K' | M  | N  | 2R + C + T - 2
//
//   folds = ceil(Sr / R) * ceil(Sc / C),  K' = ceil(K / p)  (p = MACs per PE per cycle)
//   back to back: folds * fold_cycles;  overlapped: fold_cycles + (folds - 1) * max(T, R).
//
// These are pure functions: a test may call them any number of times.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

#include "arch/systolic_array.h"

namespace npu {
namespace {

SystolicArrayConfig array(uint32_t rows, uint32_t cols, Dataflow df, bool overlap = false) {
  SystolicArrayConfig c;
  c.rows = rows;
  c.cols = cols;
  c.dataflow = df;
  c.overlap_folds = overlap;
  c.macs_per_pe_per_cycle[static_cast<size_t>(Format::kInt8)] = 1;
  c.macs_per_pe_per_cycle[static_cast<size_t>(Format::kInt4)] = 2;
  return c;
}

constexpr Dataflow kAllDataflows[] = {Dataflow::kWs, Dataflow::kOs, Dataflow::kIs};

TEST(SystolicArray, DataflowNamesRoundTrip) {
  for (Dataflow d : kAllDataflows) EXPECT_EQ(parse_dataflow(dataflow_name(d)), d);
  EXPECT_FALSE(parse_dataflow("rs").has_value());
  EXPECT_FALSE(parse_dataflow("WS").has_value());
}

TEST(SystolicArray, WeightStationarySquareWithPartialFolds) {
  // 4x4 ws, M=10 K=6 N=5: Sr = K' = 6, Sc = N = 5, T = M = 10.
  // folds = ceil(6/4) * ceil(5/4) = 2 * 2 = 4; fold = 2*4 + 4 + 10 - 2 = 20.
  const ArrayTiming t = gemm_timing(array(4, 4, Dataflow::kWs), 10, 6, 5, Format::kInt8);
  EXPECT_EQ(t.sr, 6u);
  EXPECT_EQ(t.sc, 5u);
  EXPECT_EQ(t.t, 10u);
  EXPECT_EQ(t.folds, 4u);
  EXPECT_EQ(t.fold_cycles, 20u);
  EXPECT_EQ(t.cycles, 80u);               // 4 * 20
  EXPECT_EQ(t.macs, 300u);                // 10 * 6 * 5
  EXPECT_EQ(t.peak_macs_per_cycle, 16u);  // 4 * 4 * 1
  // Overlapped: 20 + (4 - 1) * max(10, 4) = 20 + 30 = 50.
  const ArrayTiming o = gemm_timing(array(4, 4, Dataflow::kWs, true), 10, 6, 5, Format::kInt8);
  EXPECT_EQ(o.folds, 4u);
  EXPECT_EQ(o.fold_cycles, 20u);
  EXPECT_EQ(o.cycles, 50u);
  // The header's saving for ws with T >= R: (folds - 1) * (2R + C - 2) = 3 * 10 = 30 = 80 - 50.
  EXPECT_EQ(t.cycles - o.cycles, 30u);
}

TEST(SystolicArray, NonSquareAllDataflowsBackToBack) {
  // 3x5 array (R=3, C=5), M=7 K=8 N=11, int8 (p=1, K'=8).
  {
    // ws: Sr=8, Sc=11, T=7. folds = ceil(8/3) * ceil(11/5) = 3 * 3 = 9.
    // fold = 2*3 + 5 + 7 - 2 = 16; cycles = 9 * 16 = 144.
    const ArrayTiming t = gemm_timing(array(3, 5, Dataflow::kWs), 7, 8, 11, Format::kInt8);
    EXPECT_EQ(t.folds, 9u);
    EXPECT_EQ(t.fold_cycles, 16u);
    EXPECT_EQ(t.cycles, 144u);
  }
  {
    // os: Sr=M=7, Sc=N=11, T=K'=8. folds = ceil(7/3) * ceil(11/5) = 3 * 3 = 9.
    // fold = 3 + 5 + 8 - 2 = 14; cycles = 9 * 14 = 126.
    const ArrayTiming t = gemm_timing(array(3, 5, Dataflow::kOs), 7, 8, 11, Format::kInt8);
    EXPECT_EQ(t.sr, 7u);
    EXPECT_EQ(t.sc, 11u);
    EXPECT_EQ(t.t, 8u);
    EXPECT_EQ(t.folds, 9u);
    EXPECT_EQ(t.fold_cycles, 14u);
    EXPECT_EQ(t.cycles, 126u);
  }
  {
    // is: Sr=K'=8, Sc=M=7, T=N=11. folds = ceil(8/3) * ceil(7/5) = 3 * 2 = 6.
    // fold = 2*3 + 5 + 11 - 2 = 20; cycles = 6 * 20 = 120.
    const ArrayTiming t = gemm_timing(array(3, 5, Dataflow::kIs), 7, 8, 11, Format::kInt8);
    EXPECT_EQ(t.sr, 8u);
    EXPECT_EQ(t.sc, 7u);
    EXPECT_EQ(t.t, 11u);
    EXPECT_EQ(t.folds, 6u);
    EXPECT_EQ(t.fold_cycles, 20u);
    EXPECT_EQ(t.cycles, 120u);
  }
}

TEST(SystolicArray, NonSquareAllDataflowsOverlapped) {
  // Same GEMM as above with overlap_folds: fold + (folds - 1) * max(T, R), R = 3.
  // ws: 16 + 8 * max(7, 3) = 16 + 56 = 72.
  EXPECT_EQ(gemm_timing(array(3, 5, Dataflow::kWs, true), 7, 8, 11, Format::kInt8).cycles, 72u);
  // os: 14 + 8 * max(8, 3) = 14 + 64 = 78.
  EXPECT_EQ(gemm_timing(array(3, 5, Dataflow::kOs, true), 7, 8, 11, Format::kInt8).cycles, 78u);
  // is: 20 + 5 * max(11, 3) = 20 + 55 = 75.
  EXPECT_EQ(gemm_timing(array(3, 5, Dataflow::kIs, true), 7, 8, 11, Format::kInt8).cycles, 75u);
}

TEST(SystolicArray, OverlapWithShortStreamIsBoundByStationaryLoad) {
  // T < R: each later fold costs R (the next stationary load), not T.
  // ws 4x4, M=2 K=8 N=4: Sr=8, Sc=4, T=2; folds = 2 * 1 = 2; fold = 8 + 4 + 2 - 2 = 12.
  // back to back 2 * 12 = 24; overlapped on all 4 rows 12 + 1 * max(2, 4) = 16, but mapped on
  // the first 2 rows (Sr = 8: 4 folds, fold = 4 + 4 + 2 - 2 = 8) 8 + 3 * max(2, 2) = 14, which
  // the array takes (pipelined folds may use R/2, R/4, ... rows).
  EXPECT_EQ(gemm_timing(array(4, 4, Dataflow::kWs), 2, 8, 4, Format::kInt8).cycles, 24u);
  EXPECT_EQ(gemm_timing(array(4, 4, Dataflow::kWs, true), 2, 8, 4, Format::kInt8).cycles, 14u);
}

TEST(SystolicArray, SingleFoldOverlapChangesNothing) {
  // One fold: fold + 0 * max(T, R). ws 4x4, M=10 K=4 N=4: fold = 8 + 4 + 10 - 2 = 20.
  EXPECT_EQ(gemm_timing(array(4, 4, Dataflow::kWs), 10, 4, 4, Format::kInt8).cycles, 20u);
  EXPECT_EQ(gemm_timing(array(4, 4, Dataflow::kWs, true), 10, 4, 4, Format::kInt8).cycles, 20u);
}

TEST(SystolicArray, Int4PacksTwoMacsPerPeAlongK) {
  // ws 4x4, M=10 K=16 N=4.
  // int8 (p=1): K'=16, folds = ceil(16/4) * 1 = 4, fold = 20 -> 80 cycles, peak 16 MAC/cycle.
  // int4 (p=2): K'=ceil(16/2)=8, folds = 2 * 1 = 2, fold = 20 -> 40 cycles, peak 32 MAC/cycle.
  const SystolicArrayConfig c = array(4, 4, Dataflow::kWs);
  const ArrayTiming i8 = gemm_timing(c, 10, 16, 4, Format::kInt8);
  const ArrayTiming i4 = gemm_timing(c, 10, 16, 4, Format::kInt4);
  EXPECT_EQ(i8.sr, 16u);
  EXPECT_EQ(i8.folds, 4u);
  EXPECT_EQ(i8.cycles, 80u);
  EXPECT_EQ(i4.sr, 8u);
  EXPECT_EQ(i4.folds, 2u);
  EXPECT_EQ(i4.cycles, 40u);
  EXPECT_EQ(i4.peak_macs_per_cycle, 32u);
  EXPECT_EQ(i4.macs, 640u);  // 10 * 16 * 4: packing changes time, not the work
  // Odd K: K=7 int4 -> K' = ceil(7/2) = 4 -> one row fold; fold = 20 -> 20 cycles.
  const ArrayTiming odd = gemm_timing(c, 10, 7, 4, Format::kInt4);
  EXPECT_EQ(odd.sr, 4u);
  EXPECT_EQ(odd.folds, 1u);
  EXPECT_EQ(odd.cycles, 20u);
  // os packs the temporal dimension: os 4x4, M=4 K=9 N=4 int4: T = K' = 5, one fold,
  // 4 + 4 + 5 - 2 = 11 cycles (int8: T = 9 -> 15).
  const SystolicArrayConfig os = array(4, 4, Dataflow::kOs);
  EXPECT_EQ(gemm_timing(os, 4, 9, 4, Format::kInt4).cycles, 11u);
  EXPECT_EQ(gemm_timing(os, 4, 9, 4, Format::kInt8).cycles, 15u);
}

TEST(SystolicArray, ConfigPeakAndSupport) {
  const SystolicArrayConfig c = array(3, 5, Dataflow::kWs);
  EXPECT_TRUE(c.supports(Format::kInt8));
  EXPECT_TRUE(c.supports(Format::kInt4));
  EXPECT_FALSE(c.supports(Format::kFp16));
  EXPECT_EQ(c.peak_macs_per_cycle(Format::kInt8), 15u);  // 3 * 5 * 1
  EXPECT_EQ(c.peak_macs_per_cycle(Format::kInt4), 30u);  // 3 * 5 * 2
  EXPECT_EQ(c.peak_macs_per_cycle(Format::kFp16), 0u);
}

TEST(SystolicArray, EmptyGemmCostsNothing) {
  for (Dataflow d : kAllDataflows) {
    const SystolicArrayConfig c = array(4, 4, d);
    EXPECT_EQ(gemm_timing(c, 0, 4, 4, Format::kInt8).cycles, 0u);
    EXPECT_EQ(gemm_timing(c, 4, 0, 4, Format::kInt8).cycles, 0u);
    EXPECT_EQ(gemm_timing(c, 4, 4, 0, Format::kInt8).cycles, 0u);
    EXPECT_EQ(gemm_timing(c, 4, 4, 0, Format::kInt8).utilization(), 0.0);
  }
}

TEST(SystolicArray, SramTrafficCountersPerDataflow) {
  // 4x4, M=10 K=6 N=5 int8 (K'=6, k_folds = ceil(6/4) = 2).
  {
    // ws: B stationary read once: K*N = 30. A streamed once per column fold
    // (ceil(N/C) = ceil(5/4) = 2): 10*6*2 = 120. Psums written once per K fold: 10*5*2 = 100,
    // read back for every K fold but the first: 100 - 50 = 50.
    const ArrayTiming t = gemm_timing(array(4, 4, Dataflow::kWs), 10, 6, 5, Format::kInt8);
    EXPECT_EQ(t.b_reads, 30u);
    EXPECT_EQ(t.a_reads, 120u);
    EXPECT_EQ(t.psum_writes, 100u);
    EXPECT_EQ(t.psum_reads, 50u);
  }
  {
    // os: row folds = ceil(M/R) = ceil(10/4) = 3, column folds = ceil(5/4) = 2.
    // A once per column fold: 60*2 = 120; B once per row fold: 30*3 = 90; C written once: 50,
    // never read back (the output stays in the PEs across K).
    const ArrayTiming t = gemm_timing(array(4, 4, Dataflow::kOs), 10, 6, 5, Format::kInt8);
    EXPECT_EQ(t.a_reads, 120u);
    EXPECT_EQ(t.b_reads, 90u);
    EXPECT_EQ(t.psum_writes, 50u);
    EXPECT_EQ(t.psum_reads, 0u);
  }
  {
    // is: A stationary read once: 60. Column folds = ceil(M/C) = ceil(10/4) = 3: B streamed
    // 30*3 = 90 times. Psums per K fold: 50*2 = 100 written, 50 read back.
    const ArrayTiming t = gemm_timing(array(4, 4, Dataflow::kIs), 10, 6, 5, Format::kInt8);
    EXPECT_EQ(t.a_reads, 60u);
    EXPECT_EQ(t.b_reads, 90u);
    EXPECT_EQ(t.psum_writes, 100u);
    EXPECT_EQ(t.psum_reads, 50u);
  }
  {
    // int4 packing reduces the K folds: ws 4x4, M=3 K=16 N=4 int4: K'=8, k_folds = 2,
    // psum writes 3*4*2 = 24, reads 24 - 12 = 12; operand element counts are unpacked:
    // B = 16*4 = 64, A = 3*16*1 = 48.
    const ArrayTiming t = gemm_timing(array(4, 4, Dataflow::kWs), 3, 16, 4, Format::kInt4);
    EXPECT_EQ(t.psum_writes, 24u);
    EXPECT_EQ(t.psum_reads, 12u);
    EXPECT_EQ(t.b_reads, 64u);
    EXPECT_EQ(t.a_reads, 48u);
  }
}

TEST(SystolicArray, UtilizationExactValue) {
  // ws 4x4, M=10 K=6 N=5: 300 MACs / (16 MAC/cycle * 80 cycles) = 300 / 1280 = 0.234375.
  const ArrayTiming t = gemm_timing(array(4, 4, Dataflow::kWs), 10, 6, 5, Format::kInt8);
  EXPECT_DOUBLE_EQ(t.utilization(), 300.0 / 1280.0);
  // A perfectly mapped ws fold (K=R, N=C) still pays 2R + C - 2 = 10 cycles of load and skew:
  // M=1000: 16000 MACs / (16 * 1010) = 1000/1010.
  const ArrayTiming big = gemm_timing(array(4, 4, Dataflow::kWs), 1000, 4, 4, Format::kInt8);
  EXPECT_EQ(big.cycles, 1010u);
  EXPECT_DOUBLE_EQ(big.utilization(), 1000.0 / 1010.0);
}

TEST(SystolicArray, UtilizationBelowOneExceptForAFillFreeArray) {
  // Every fold of an R x C array with R + C > 2 pays a fill/drain (ws/is: 2R + C - 2 >= 1 extra
  // cycles, os: R + C - 2 >= 1), so utilization is strictly below 1. Only a 1x1 os array has no
  // skew at all (R + C - 2 = 0): with every PE busy on every cycle it reaches exactly 1.
  for (Dataflow d : kAllDataflows)
    for (bool overlap : {false, true})
      for (uint32_t r : {1u, 2u, 3u, 4u})
        for (uint32_t c : {1u, 2u, 5u})
          for (uint64_t m : {1u, 3u, 4u, 17u, 64u})
            for (uint64_t k : {1u, 4u, 9u, 32u})
              for (uint64_t n : {1u, 5u, 8u, 33u})
                for (Format f : {Format::kInt8, Format::kInt4}) {
                  const ArrayTiming t = gemm_timing(array(r, c, d, overlap), m, k, n, f);
                  const double u = t.utilization();
                  EXPECT_GT(u, 0.0);
                  if (d == Dataflow::kOs && r == 1 && c == 1)
                    EXPECT_LE(u, 1.0);
                  else
                    EXPECT_LT(u, 1.0) << dataflow_name(d) << " " << r << "x" << c << " " << m << "x"
                                      << k << "x" << n;
                }
  // 1x1 os, M=3 K=5 N=2 int8: T = 5, folds = 3 * 2 = 6, fold = 1 + 1 + 5 - 2 = 5, cycles = 30 =
  // 30 MACs at 1 MAC/cycle -> utilization exactly 1.
  const ArrayTiming one = gemm_timing(array(1, 1, Dataflow::kOs), 3, 5, 2, Format::kInt8);
  EXPECT_EQ(one.cycles, 30u);
  EXPECT_DOUBLE_EQ(one.utilization(), 1.0);
}

TEST(SystolicArray, NeverBelowComputeRooflineAndOverlapNeverCostsMore) {
  // Property over a grid: cycles >= ceil(M*K*N / (R*C*p)) (every fold does at most R*C*p MACs
  // per streamed cycle and streams T cycles, and overlapped folds still cost >= T each), and
  // overlapping folds never costs more than running them back to back (max(T, R) <= fold).
  for (Dataflow d : kAllDataflows)
    for (uint32_t r : {1u, 2u, 3u, 4u, 8u})
      for (uint32_t c : {1u, 3u, 4u, 7u})
        for (uint64_t m : {1u, 2u, 5u, 16u, 31u})
          for (uint64_t k : {1u, 3u, 8u, 13u, 40u})
            for (uint64_t n : {1u, 4u, 6u, 29u})
              for (Format f : {Format::kInt8, Format::kInt4}) {
                const SystolicArrayConfig seq = array(r, c, d, false);
                const SystolicArrayConfig ovl = array(r, c, d, true);
                const ArrayTiming a = gemm_timing(seq, m, k, n, f);
                const ArrayTiming b = gemm_timing(ovl, m, k, n, f);
                const uint64_t p = seq.macs_per_pe(f);
                const uint64_t floor = ceil_div(m * k * n, uint64_t{r} * c * p);
                EXPECT_GE(a.cycles, floor);
                EXPECT_GE(b.cycles, floor);
                EXPECT_LE(b.cycles, a.cycles);
                EXPECT_EQ(a.cycles, a.folds * a.fold_cycles);
                // Overlap saves at least (folds - 1) * (fold - max(T, R)) on all R rows (more
                // when the tile maps onto R/2, R/4, ... rows faster), and twice the rows never
                // cost more.
                EXPECT_GE(a.cycles - b.cycles,
                          (a.folds - 1) * (a.fold_cycles - std::max<uint64_t>(a.t, r)));
                EXPECT_LE(gemm_timing(array(2 * r, c, d, true), m, k, n, f).cycles, b.cycles);
              }
}

// ---------------------------------------------------------------------------------------------
// Independent re-derivation of SCALE-Sim v2 (scalesim/compute/systolic_compute_{ws,os,is}.py).
// SCALE-Sim builds, per fold, a demand matrix with one row per cycle and one column per array
// row (IFMAP) and then skews it; the compute cycles are the rows of the concatenated matrices:
//   ws/is: prefix of R rows (stationary operand load) + T stream rows + (C - 1) drain rows,
//          then skew_matrix adds (cols - 1) = (R - 1) rows;
//   os:    T stream rows + (C - 1) drain rows, then the skew adds (R - 1) rows.
// Its read counters are the sizes of the operand slices each fold touches. The mapping of the
// GEMM to (Sr, Sc, T) follows SCALE-Sim's operand matrices: ws: filter K x N stationary, ifmap
// M x K streamed; os: ifmap M x K and filter K x N both streamed into an M x N output; is: the
// ifmap (as K x M) stationary and the filter (K x N) streamed.
struct ScaleSimCount {
  uint64_t cycles = 0, folds = 0;
  uint64_t stationary_or_a_reads = 0, streamed_or_b_reads = 0;
};

uint64_t skewed_rows(uint64_t rows, uint64_t cols) {
  return rows + cols - 1;
}

ScaleSimCount scalesim_v2(Dataflow d, uint64_t R, uint64_t C, uint64_t M, uint64_t K, uint64_t N) {
  uint64_t sr = 0, sc = 0, T = 0;
  if (d == Dataflow::kWs) sr = K, sc = N, T = M;
  if (d == Dataflow::kOs) sr = M, sc = N, T = K;
  if (d == Dataflow::kIs) sr = K, sc = M, T = N;
  ScaleSimCount out;
  for (uint64_t col_start = 0; col_start < sc; col_start += C) {
    for (uint64_t row_start = 0; row_start < sr; row_start += R) {
      const uint64_t rows_used = std::min(R, sr - row_start);
      const uint64_t cols_used = std::min(C, sc - col_start);
      uint64_t demand_rows = 0;
      if (d == Dataflow::kOs) {
        demand_rows = T + (C - 1);
        // ifmap: the fold's rows of A over all of K; filter: the fold's columns of B over K.
        out.stationary_or_a_reads += T * rows_used;
        out.streamed_or_b_reads += T * cols_used;
      } else {
        demand_rows = R + T + (C - 1);
        // The stationary block, and the streamed operand's slice for this fold.
        out.stationary_or_a_reads += rows_used * cols_used;
        out.streamed_or_b_reads += T * rows_used;
      }
      out.cycles += skewed_rows(demand_rows, R);
      ++out.folds;
    }
  }
  return out;
}

TEST(SystolicArray, MatchesIndependentScaleSimV2Derivation) {
  for (Dataflow d : kAllDataflows)
    for (uint32_t r : {1u, 2u, 4u, 5u})
      for (uint32_t c : {1u, 3u, 4u, 8u})
        for (uint64_t m : {1u, 4u, 7u, 20u})
          for (uint64_t k : {1u, 5u, 8u, 19u})
            for (uint64_t n : {1u, 2u, 9u, 16u}) {
              const ArrayTiming t = gemm_timing(array(r, c, d), m, k, n, Format::kInt8);
              const ScaleSimCount s = scalesim_v2(d, r, c, m, k, n);
              EXPECT_EQ(t.cycles, s.cycles) << dataflow_name(d) << " " << r << "x" << c;
              EXPECT_EQ(t.folds, s.folds);
              switch (d) {
                case Dataflow::kWs:  // stationary = filter (B), streamed = ifmap (A)
                  EXPECT_EQ(t.b_reads, s.stationary_or_a_reads);
                  EXPECT_EQ(t.a_reads, s.streamed_or_b_reads);
                  break;
                case Dataflow::kOs:  // ifmap (A) and filter (B) both streamed
                  EXPECT_EQ(t.a_reads, s.stationary_or_a_reads);
                  EXPECT_EQ(t.b_reads, s.streamed_or_b_reads);
                  break;
                case Dataflow::kIs:  // stationary = ifmap (A), streamed = filter (B)
                  EXPECT_EQ(t.a_reads, s.stationary_or_a_reads);
                  EXPECT_EQ(t.b_reads, s.streamed_or_b_reads);
                  break;
              }
            }
  // One worked point, by hand: ws 4x4, M=10 K=6 N=5 -> 4 folds of
  // skewed_rows(4 + 10 + 3, 4) = 17 + 3 = 20 rows -> 80 cycles (= the engine's 80 above).
  EXPECT_EQ(scalesim_v2(Dataflow::kWs, 4, 4, 10, 6, 5).cycles, 80u);
}

}  // namespace
}  // namespace npu
