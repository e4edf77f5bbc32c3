// Readers of SCALE-Sim v2's input files, taken unchanged (scalesim/scale_config.py and
// scalesim/topology_utils.py of SCALE-Sim v2.0.2):
//   - the .cfg (an INI file read by Python's ConfigParser): [general] run_name;
//     [architecture_presets] ArrayHeight, ArrayWidth, IfmapSramSzkB, FilterSramSzkB,
//     OfmapSramSzkB, IfmapOffset, FilterOffset, OfmapOffset, Dataflow (ws|os|is), Bandwidth,
//     MemoryBanks; [run_presets] InterfaceBandwidth (CALC|USER), UseRamulatorTrace. Keys are
//     case-insensitive, `key: value` or `key = value`, `#`/`;` comment lines, as ConfigParser.
//   - the topology CSV, conv (Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
//     Channels, Num Filter, Strides[, Stride width]) or gemm (Layer, M, N, K). The first line is a
//     header; a trailing comma is optional (SCALE-Sim drops the last field of every row, so it
//     needs one; we drop only an empty last field). A conv layer whose name contains "DP" is
//     depth-wise: one layer per channel named <name>Channel_<i>, with one channel each. A gemm row
//     is the conv layer SCALE-Sim makes of it: IFMAP M x K, filter 1 x K, 1 channel, N filters,
//     stride 1.
// Bad input throws ConfigError naming the file and 1-based line (`file:line: message`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npu {

struct ScaleSimConfig {
  std::string run_name;
  uint64_t array_rows = 0, array_cols = 0;  ///< ArrayHeight, ArrayWidth
  uint64_t ifmap_sram_kb = 0, filter_sram_kb = 0, ofmap_sram_kb = 0;
  int64_t ifmap_offset = 0, filter_offset = 0, ofmap_offset = 0;
  std::string dataflow;              ///< "ws", "os" or "is"
  bool user_bandwidth = false;       ///< InterfaceBandwidth: USER (else CALC)
  std::vector<uint64_t> bandwidths;  ///< Bandwidth (words/cycle), read in USER mode
  uint64_t memory_banks = 1;         ///< MemoryBanks (read, not modelled by SCALE-Sim v2.0.2)
};

struct ScaleSimLayer {
  std::string name;
  uint64_t ifmap_h = 0, ifmap_w = 0, filter_h = 0, filter_w = 0, channels = 0, num_filters = 0;
  uint64_t stride_h = 1, stride_w = 1;
  int line = 0;  ///< line of the topology file it came from
};

ScaleSimConfig read_scalesim_config(const std::string& path);
/// `gemm`: the M, N, K format (SCALE-Sim's `-i gemm`); else the conv format.
std::vector<ScaleSimLayer> read_scalesim_topology(const std::string& path, bool gemm);

}  // namespace npu
