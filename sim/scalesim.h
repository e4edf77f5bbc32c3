// `npusim scalesim`: SCALE-Sim v2.0.2's reports, computed in closed form.
//
// SCALE-Sim builds, per layer, an operand matrix (one row per output pixel, one column per
// element of the conv window), cuts it into folds of the R x C array, and builds per-fold demand
// matrices (one row per cycle, padded to the array, skewed) that it then runs through its SRAM
// model row by row. Every count it reports in CALC mode has a closed form in the fold sizes
// (scalesim/compute/systolic_compute_{ws,os,is}.py, single_layer_sim.py,
// memory/double_buffered_scratchpad_mem.py, memory/read_buffer_estimate_bw.py,
// memory/write_buffer.py), derived in sim/scalesim.cpp. A layer maps as
//   px = OH x OW (OH = ceil((H - FH + s) / s)), window = FH x FW x C, F filters;
//   ws: Sr = window, Sc = F, T = px;  os: Sr = px, Sc = F, T = window;  is: Sr = window,
//   Sc = px, T = F  -- which is npusim's gemm_timing(M = px, K = window, N = F).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/scalesim_files.h"

namespace npu {

/// One row of each of SCALE-Sim's three reports, for one layer.
struct ScaleSimLayerReport {
  // COMPUTE_REPORT.csv
  uint64_t total_cycles = 0;  ///< SCALE-Sim's: the index of the last cycle (rows - 1)
  uint64_t stall_cycles = 0;
  double overall_util = 0, mapping_efficiency = 0, compute_util = 0;  ///< percent
  // DETAILED_ACCESS_REPORT.csv (cycles as SCALE-Sim prints them: floats)
  double ifmap_sram_start = 0, ifmap_sram_stop = 0;
  double filter_sram_start = 0, filter_sram_stop = 0;
  double ofmap_sram_start = 0, ofmap_sram_stop = 0;
  uint64_t ifmap_sram_reads = 0, filter_sram_reads = 0, ofmap_sram_writes = 0;
  double ifmap_dram_start = 0, ifmap_dram_stop = 0;
  double filter_dram_start = 0, filter_dram_stop = 0;
  double ofmap_dram_start = 0, ofmap_dram_stop = 0;
  uint64_t ifmap_dram_reads = 0, filter_dram_reads = 0, ofmap_dram_writes = 0;
  /// Whether each DRAM column set is SCALE-Sim's own number (its buffer model reduces to a
  /// closed form) or npusim's estimate (see README, "SCALE-Sim front-end").
  bool ifmap_dram_exact = false, filter_dram_exact = false, ofmap_dram_exact = false;
  // BANDWIDTH_REPORT.csv (words per cycle)
  double ifmap_sram_bw = 0, filter_sram_bw = 0, ofmap_sram_bw = 0;
  double ifmap_dram_bw = 0, filter_dram_bw = 0, ofmap_dram_bw = 0;
};

/// The reports of one layer on the array and memories `cfg` describes.
ScaleSimLayerReport scalesim_layer(const ScaleSimConfig& cfg, const ScaleSimLayer& layer);

/// What scalesim_layer's work grows with, in long double (never wrapped): the layer's folds on
/// the array and its MACs.
struct ScaleSimLayerSize {
  long double folds, macs;
};
ScaleSimLayerSize scalesim_layer_size(const ScaleSimConfig& cfg, const ScaleSimLayer& layer);

/// Python's str() of a float (shortest round trip, ".0" on integral values, exponent outside
/// [1e-4, 1e16)), as SCALE-Sim writes its reports.
std::string python_float(double v);

/// The three reports' text, with SCALE-Sim's headers and number formats.
struct ScaleSimReports {
  std::string compute, bandwidth, detailed;
};
ScaleSimReports scalesim_reports(const std::vector<ScaleSimLayerReport>& layers);

/// File names SCALE-Sim writes into OUTDIR/<run_name>/.
inline constexpr const char* kScaleSimComputeReport = "COMPUTE_REPORT.csv";
inline constexpr const char* kScaleSimBandwidthReport = "BANDWIDTH_REPORT.csv";
inline constexpr const char* kScaleSimDetailedReport = "DETAILED_ACCESS_REPORT.csv";

/// Writes the three reports into `outdir`/<run_name>/ (atomically, as sim/output_set.h). An
/// existing report there is a ConfigError (exit 2) unless `force`. Returns the folder.
std::string write_scalesim_reports(const std::string& outdir, const std::string& run_name,
                                   const std::vector<ScaleSimLayerReport>& layers, bool force);

}  // namespace npu
