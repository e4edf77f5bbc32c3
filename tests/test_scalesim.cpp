// `npusim scalesim` (sim/scalesim.h, sim/config/scalesim_files.h): SCALE-Sim v2.0.2's reports
// from its own files. The hand-worked numbers below follow SCALE-Sim's definitions
// (scalesim/compute/systolic_compute_{ws,os,is}.py, single_layer_sim.py,
// memory/double_buffered_scratchpad_mem.py); the verbatim rows come from SCALE-Sim v2.0.2 runs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sim/config/error.h"
#include "sim/config/scalesim_files.h"
#include "sim/scalesim.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::edit_once;
using testing::npusim;
using testing::ProcessResult;
using testing::read_text;
using testing::TempFileTest;

ScaleSimConfig array(uint64_t rows, uint64_t cols, const std::string& df) {
  ScaleSimConfig c;
  c.run_name = "t";
  c.array_rows = rows, c.array_cols = cols, c.dataflow = df;
  c.ifmap_sram_kb = c.filter_sram_kb = c.ofmap_sram_kb = 64;
  return c;
}

/// A gemm row as SCALE-Sim's loader makes it: IFMAP M x K, filter 1 x K, 1 channel, N filters.
ScaleSimLayer gemm(uint64_t m, uint64_t n, uint64_t k) {
  ScaleSimLayer l;
  l.ifmap_h = m, l.ifmap_w = k, l.filter_h = 1, l.filter_w = k, l.channels = 1;
  l.num_filters = n;
  return l;
}

TEST(ScaleSim, GemmWsByHand) {
  // ws on 4x4, M=10 N=5 K=6: Sr = K = 6, Sc = N = 5, T = M = 10. Folds: rows 4+2, cols 4+1,
  // 4 folds of 2R + C + T - 2 = 20 demand rows -> 80 rows; SCALE-Sim prints the last row's
  // index, 79.
  const ScaleSimLayerReport r = scalesim_layer(array(4, 4, "ws"), gemm(10, 5, 6));
  EXPECT_EQ(r.total_cycles, 79u);
  EXPECT_EQ(r.stall_cycles, 0u);
  // Overall: M*N*K*100 / (79 * 16).
  EXPECT_DOUBLE_EQ(r.overall_util, 30000.0 / 1264.0);
  // Mapping efficiency: folds (col fold outer) use 16, 8, 4, 2 of 16 PEs -> mean 0.46875.
  EXPECT_DOUBLE_EQ(r.mapping_efficiency, 46.875);
  // Compute util: each fold's MACs used * T over 16 PEs * (2R + 2C + T - 3 = 23) cycles (the
  // filter demand's rows plus its width - 1): (16 + 8 + 4 + 2) * 10 / (16 * 23) / 4.
  EXPECT_NEAR(r.compute_util, 100.0 * 300.0 / 368.0 / 4.0, 1e-12);
  // Reads: ifmap T x rows per fold over both column folds, the filter once, ofmap T x cols per
  // fold over both row folds.
  EXPECT_EQ(r.ifmap_sram_reads, 2u * 10 * 6);
  EXPECT_EQ(r.filter_sram_reads, 30u);
  EXPECT_EQ(r.ofmap_sram_writes, 2u * 10 * 5);
  // First request rows: ifmap after R load rows (+1 hit latency), filter at once (+1), ofmap after
  // 2R - 1 rows. Last: the last fold starts at row 60; ifmap 60 + R + (T - 1) + skew (2 - 1) + 1,
  // filter 60 + R, ofmap 60 + 2R - 1 + (T - 1) + skew (1 - 1).
  EXPECT_EQ(r.ifmap_sram_start, 5);
  EXPECT_EQ(r.ifmap_sram_stop, 75);
  EXPECT_EQ(r.filter_sram_start, 1);
  EXPECT_EQ(r.filter_sram_stop, 64);
  EXPECT_EQ(r.ofmap_sram_start, 7);
  EXPECT_EQ(r.ofmap_sram_stop, 76);
}

TEST(ScaleSim, GemmOsByHand) {
  // os on 4x4, M=10 N=5 K=6: Sr = M = 10, Sc = N = 5, T = K = 6. Folds: rows 4+4+2, cols 4+1,
  // 6 folds of T + R + C - 2 = 12 rows -> 72 rows, printed 71.
  const ScaleSimLayerReport r = scalesim_layer(array(4, 4, "os"), gemm(10, 5, 6));
  EXPECT_EQ(r.total_cycles, 71u);
  EXPECT_DOUBLE_EQ(r.overall_util, 30000.0 / (71.0 * 16));
  // PEs used: 16, 16, 8 (first column fold), 4, 4, 2 -> 50 / 16 / 6.
  EXPECT_NEAR(r.mapping_efficiency, 100.0 * 50 / 16 / 6, 1e-12);
  // Fold cycles in Compute Util: the ofmap demand's T - 1 + R rows plus C - 1 = 12.
  EXPECT_NEAR(r.compute_util, 100.0 * 50 * 6 / (16.0 * 12) / 6, 1e-12);
  EXPECT_EQ(r.ifmap_sram_reads, 2u * 6 * 10);  // T x rows per fold, both column folds
  EXPECT_EQ(r.filter_sram_reads, 3u * 6 * 5);  // T x cols per fold, three row folds
  // The output block once, plus R + C per fold: SCALE-Sim adds shape[0] + shape[1] of each
  // padded fold to its ofmap write count.
  EXPECT_EQ(r.ofmap_sram_writes, 50u + 6 * 8);
  // ofmap: T - 1 prefix rows, then the flipped block (its R - rows padding first).
  EXPECT_EQ(r.ofmap_sram_start, 6 - 1 + 4 - 4);
  EXPECT_EQ(r.ofmap_sram_stop, 60 + 6 + 4 + 1 - 3);
}

TEST(ScaleSim, GemmIsByHand) {
  // is on 4x4, M=10 N=5 K=6: Sr = K = 6, Sc = M = 10, T = N = 5. Folds: rows 4+2, cols 4+4+2,
  // 6 folds of 2R + C + T - 2 = 15 rows -> 90, printed 89.
  const ScaleSimLayerReport r = scalesim_layer(array(4, 4, "is"), gemm(10, 5, 6));
  EXPECT_EQ(r.total_cycles, 89u);
  EXPECT_EQ(r.ifmap_sram_reads, 60u);           // the stationary block once
  EXPECT_EQ(r.filter_sram_reads, 3u * 5 * 6);   // T x rows per fold, three column folds
  EXPECT_EQ(r.ofmap_sram_writes, 2u * 5 * 10);  // T x cols per fold, two row folds
  // Compute Util's fold cycles as ws: 2R + 2C + T - 3 = 18. PEs used per fold (column fold
  // outer): 16, 8, 16, 8, 8, 4 = 60.
  EXPECT_NEAR(r.compute_util, 100.0 * 60 * 5 / (16.0 * 18) / 6, 1e-12);
  EXPECT_NEAR(r.mapping_efficiency, 100.0 * 60 / 16 / 6, 1e-12);
}

TEST(ScaleSim, ConvWsByHand) {
  // 5x5 input, 3x3 filter, 2 channels, 3 filters, stride 2: OH = OW = ceil((5 - 3 + 2) / 2) = 2,
  // px = 4, window = 18. ws on 8x4: Sr = 18 (folds 8, 8, 2), Sc = 3, T = 4: 3 folds of
  // 2*8 + 4 + 4 - 2 = 22 rows -> 66, printed 65.
  ScaleSimLayer l;
  l.ifmap_h = l.ifmap_w = 5, l.filter_h = l.filter_w = 3, l.channels = 2, l.num_filters = 3;
  l.stride_h = l.stride_w = 2;
  const ScaleSimLayerReport r = scalesim_layer(array(8, 4, "ws"), l);
  EXPECT_EQ(r.total_cycles, 65u);
  EXPECT_DOUBLE_EQ(r.overall_util, 4.0 * 3 * 18 * 100 / (65 * 32));
  EXPECT_EQ(r.ifmap_sram_reads, 4u * 18);
  EXPECT_EQ(r.filter_sram_reads, 54u);
  EXPECT_EQ(r.ofmap_sram_writes, 3u * 4 * 3);
  // DRAM: every input pixel is touched (5 x 5 x 2 = 50 < 50 sets of 655), fetched in
  // ceil(655 / 10) = 66 cycles ending at -1; every weight (54), likewise.
  EXPECT_EQ(r.ifmap_dram_reads, 50u);
  EXPECT_EQ(r.ifmap_dram_start, -66);
  EXPECT_EQ(r.ifmap_dram_stop, -1);
  EXPECT_TRUE(r.ifmap_dram_exact);
  EXPECT_EQ(r.filter_dram_reads, 54u);
  // ofmap: 36 writes drained in lines of C = 4 from the last cycle: 65 .. 73.
  EXPECT_EQ(r.ofmap_dram_writes, 36u);
  EXPECT_EQ(r.ofmap_dram_start, 65);
  EXPECT_EQ(r.ofmap_dram_stop, 73);
}

TEST(ScaleSim, OsPixelsPastTheEdgeReadNothing) {
  // 4x19 input, 1x4 filter, 3 channels, stride 2: OH = ceil((4 - 1 + 2) / 2) = 3, so output row 2
  // starts at input row 4, past the edge: its pixels read only address -1, and the last ifmap
  // request comes from an earlier pixel. SCALE-Sim v2.0.2 (os, 16x4) prints 582.0.
  ScaleSimLayer l;
  l.ifmap_h = 4, l.ifmap_w = 19, l.filter_h = 1, l.filter_w = 4, l.channels = 3;
  l.num_filters = 37, l.stride_h = l.stride_w = 2;
  const ScaleSimLayerReport r = scalesim_layer(array(16, 4, "os"), l);
  EXPECT_EQ(r.ifmap_sram_stop, 582);
}

TEST(ScaleSim, PythonFloatFormat) {
  EXPECT_EQ(python_float(100.0), "100.0");
  EXPECT_EQ(python_float(0.25), "0.25");
  EXPECT_EQ(python_float(-66.0), "-66.0");
  EXPECT_EQ(python_float(72.00000000000001), "72.00000000000001");
  EXPECT_EQ(python_float(0.0025040064102564105), "0.0025040064102564105");
  EXPECT_EQ(python_float(1e-05), "1e-05");
  EXPECT_EQ(python_float(1e16), "1e+16");
}

// Verbatim rows of SCALE-Sim v2.0.2 (CALC, 64 kB SRAMs), run on this topology.
constexpr const char* kGemmTopology =
    "Layer, M, N, K,\n"
    "g1, 128, 64, 256,\n"
    "g2, 7, 5, 3,\n"
    "g3, 33, 17, 40,\n"
    "g4, 100, 9, 70,\n"
    "g5, 1, 1, 1,\n"
    "g6, 64, 200, 30,\n";

std::string cfg_text(const std::string& run, uint64_t rows, uint64_t cols, const std::string& df) {
  return "[general]\nrun_name = " + run +
         "\n\n[architecture_presets]\nArrayHeight:    " + std::to_string(rows) +
         "\nArrayWidth:     " + std::to_string(cols) +
         "\nIfmapSramSzkB:   64\nFilterSramSzkB:  64\nOfmapSramSzkB:   64\n"
         "IfmapOffset:    0\nFilterOffset:   10000000\nOfmapOffset:    20000000\n"
         "Bandwidth : 10\nDataflow : " +
         df + "\nMemoryBanks:   1\n\n[run_presets]\nInterfaceBandwidth: CALC\n";
}

class ScaleSimFiles : public TempFileTest {};

TEST_F(ScaleSimFiles, CliWritesScaleSimsReportsVerbatim) {
  write_file("ws.cfg", cfg_text("r_ws_32x16", 32, 16, "ws"));
  write_file("os.cfg", cfg_text("r_os_8x8", 8, 8, "os"));
  write_file("g.csv", kGemmTopology);
  ProcessResult r = npusim(
      {"scalesim", "-c", path("ws.cfg"), "-t", path("g.csv"), "-i", "gemm", "-p", path("out")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(path("out/r_ws_32x16/COMPUTE_REPORT.csv")),
            "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute "
            "Util %,\n"
            "0, 6591, 0, 62.14534971931422, 100.0, 57.9185520361991,\n"
            "1, 84, 0, 0.244140625, 2.9296875, 0.205078125,\n"
            "2, 443, 0, 9.893481941309256, 33.203125, 8.696056547619047,\n"
            "3, 533, 0, 23.085717636022515, 41.015625, 21.251619170984455,\n"
            "4, 78, 0, 0.0025040064102564105, 0.1953125, 0.0020777925531914893,\n"
            "5, 1845, 0, 40.65040650406504, 90.14423076923077, 36.74669279764821,\n");
  const std::string detailed = read_text(path("out/r_ws_32x16/DETAILED_ACCESS_REPORT.csv"));
  EXPECT_EQ(detailed.substr(0, detailed.find('\n')),
            "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM "
            "Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start "
            "Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP "
            "Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM "
            "Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,");
  // Layers whose operands fit in half the SRAM: every column is SCALE-Sim's.
  EXPECT_NE(detailed.find("\n1, 33.0, 41.0, 21, 30.0, 32.0, 15, 63.0, 73.0, 35, -66.0, -1.0, 21, "
                          "-66.0, -1.0, 15, 84.0, 86.0, 35,\n"),
            std::string::npos)
      << detailed;
  EXPECT_NE(detailed.find("\n2, 33.0, 405.0, 2640, 1.0, 365.0, 680, 63.0, 428.0, 1122, -197.0, "
                          "-1.0, 1320, -131.0, -1.0, 680, 443.0, 513.0, 1122,\n"),
            std::string::npos)
      << detailed;
  const std::string bw = read_text(path("out/r_ws_32x16/BANDWIDTH_REPORT.csv"));
  EXPECT_EQ(bw.substr(0, bw.find('\n')),
            "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM "
            "BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,");
  EXPECT_NE(bw.find("\n1, 0.25, 0.17857142857142858, 0.4166666666666667, 0.3181818181818182, "
                    "0.22727272727272727, 11.666666666666666,\n"),
            std::string::npos)
      << bw;

  r = npusim(
      {"scalesim", "-c", path("os.cfg"), "-t", path("g.csv"), "-i", "gemm", "-p", path("out")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(path("out/r_os_8x8/COMPUTE_REPORT.csv")),
            "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute "
            "Util %,\n"
            "0, 34559, 0, 94.8175583784253, 100.0, 94.81481481481492,\n"
            "1, 16, 0, 10.25390625, 54.6875, 9.650735294117647,\n"
            "2, 809, 0, 43.34054388133498, 58.4375, 43.28703703703703,\n"
            "3, 2183, 0, 45.092762253779206, 54.08653846153846, 45.07211538461536,\n"
            "4, 14, 0, 0.11160714285714286, 1.5625, 0.10416666666666667,\n"
            "5, 8799, 0, 68.18956699624957, 100.0, 68.18181818181843,\n");
  const std::string os_detail = read_text(path("out/r_os_8x8/DETAILED_ACCESS_REPORT.csv"));
  EXPECT_NE(os_detail.find("\n3, 1.0, 2173.0, 14000, 1.0, 2170.0, 8190, 69.0, 2176.0, 1316, "),
            std::string::npos)
      << os_detail;

  // An existing report is never replaced without --force; nothing is written on refusal.
  r = npusim(
      {"scalesim", "-c", path("os.cfg"), "-t", path("g.csv"), "-i", "gemm", "-p", path("out")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  r = npusim({"scalesim", "-c", path("os.cfg"), "-t", path("g.csv"), "-i", "gemm", "-p",
              path("out"), "--force"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(ScaleSimFiles, ConvCliMatchesScaleSim) {
  // SCALE-Sim v2.0.2, is on 12x20 (64 kB SRAMs), conv layers including partial windows
  // (12 - 3 is odd with stride 2: the last window row reads address -1).
  write_file("is.cfg", cfg_text("r_is_12x20", 12, 20, "is"));
  write_file("c.csv",
             "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
             "Filter, Strides,\n"
             "c1, 7, 7, 3, 3, 16, 24, 1,\n"
             "c2, 12, 10, 3, 2, 5, 9, 2,\n"
             "c3, 9, 9, 1, 1, 32, 20, 1,\n"
             "c4, 11, 11, 4, 4, 3, 7, 3,\n"
             "c5, 16, 16, 5, 5, 2, 33, 2,\n");
  const ProcessResult r =
      npusim({"scalesim", "-c", path("is.cfg"), "-t", path("c.csv"), "-p", path("out")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(path("out/r_is_12x20/COMPUTE_REPORT.csv")),
            "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute "
            "Util %,\n"
            "0, 1583, 0, 22.74162981680354, 62.5, 17.647058823529413,\n"
            "1, 305, 0, 11.065573770491802, 62.5, 8.035714285714285,\n"
            "2, 929, 0, 23.250807319698602, 72.00000000000001, 17.777777777777786,\n"
            "3, 195, 0, 11.487179487179487, 80.0, 8.235294117647058,\n"
            "4, 1124, 0, 29.97108540925267, 68.05555555555554, 23.891843971631197,\n");
  const std::string d = read_text(path("out/r_is_12x20/DETAILED_ACCESS_REPORT.csv"));
  EXPECT_NE(d.find("\n4, 1.0, 1062.0, 2450, 13.0, 1096.0, 4950, 23.0, 1113.0, 8085, "),
            std::string::npos)
      << d;
}

TEST_F(ScaleSimFiles, ReadsBothTopologyFormatsAndTheCfg) {
  const std::string cfg = write_file("a.cfg",
                                     "# SCALE-Sim config\n[general]\nrun_name = my_run\n\n"
                                     "[architecture_presets]\narrayheight = 12\nArrayWidth: 14\n"
                                     "IfmapSramSzkB: 108\nFilterSramSzkB: 100\nOfmapSramSzkB: 32\n"
                                     "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 5\n"
                                     "Dataflow : is\nBandwidth : 10, 20\nMemoryBanks: 4\n"
                                     "\n[run_presets]\nInterfaceBandwidth: USER\n"
                                     "UseRamulatorTrace: False\n");
  const ScaleSimConfig c = read_scalesim_config(cfg);
  EXPECT_EQ(c.run_name, "my_run");
  EXPECT_EQ(c.array_rows, 12u);
  EXPECT_EQ(c.array_cols, 14u);
  EXPECT_EQ(c.ifmap_sram_kb, 108u);
  EXPECT_EQ(c.filter_sram_kb, 100u);
  EXPECT_EQ(c.ofmap_sram_kb, 32u);
  EXPECT_EQ(c.ofmap_offset, 5);
  EXPECT_EQ(c.dataflow, "is");
  EXPECT_TRUE(c.user_bandwidth);
  EXPECT_EQ(c.bandwidths, (std::vector<uint64_t>{10, 20}));
  EXPECT_EQ(c.memory_banks, 4u);

  const auto g = read_scalesim_topology(
      write_file("g.csv", "Layer,M,N,K\nQKT,1024,1024,64\n\nQKTV, 1024, 64, 1024,\n"), true);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].name, "QKT");
  EXPECT_EQ(g[0].ifmap_h, 1024u);      // M
  EXPECT_EQ(g[0].ifmap_w, 64u);        // K
  EXPECT_EQ(g[0].filter_w, 64u);       // K
  EXPECT_EQ(g[0].num_filters, 1024u);  // N
  EXPECT_EQ(g[1].line, 4);

  const auto v = read_scalesim_topology(
      write_file("c.csv",
                 "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                 "Num Filter, Strides,\nConv1, 224, 224, 7, 7, 3, 64, 2,\n"
                 "Conv2, 10, 12, 3, 3, 4, 8, 1, 2,\nConvDP, 8, 8, 3, 3, 3, 1, 1,\n"),
      false);
  ASSERT_EQ(v.size(), 5u);  // the depth-wise layer is one layer per channel
  EXPECT_EQ(v[0].stride_h, 2u);
  EXPECT_EQ(v[0].stride_w, 2u);
  EXPECT_EQ(v[1].stride_h, 1u);
  EXPECT_EQ(v[1].stride_w, 2u);
  EXPECT_EQ(v[2].name, "ConvDPChannel_0");
  EXPECT_EQ(v[4].name, "ConvDPChannel_2");
  EXPECT_EQ(v[4].channels, 1u);
}

TEST_F(ScaleSimFiles, BadInputIsFileLineMessageExit2AndWritesNothing) {
  auto expect_error = [&](const std::string& file, const std::string& prefix,
                          const std::string& fragment, bool gemm_topology = false) {
    const std::string good_cfg = write_file("good.cfg", cfg_text("run", 4, 4, "ws"));
    const std::string good_topo = write_file("good.csv", "Layer, M, N, K,\ng, 4, 4, 4,\n");
    const bool is_cfg = file.size() > 4 && file.substr(file.size() - 4) == ".cfg";
    const ProcessResult r =
        npusim({"scalesim", "-c", is_cfg ? file : good_cfg, "-t", is_cfg ? good_topo : file, "-i",
                gemm_topology || is_cfg ? "gemm" : "conv", "-p", path("out")});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out"))) << r.err;
  };
  expect_error(write_file("df.cfg",
                          edit_once(cfg_text("run", 4, 4, "ws"), "Dataflow : ws", "Dataflow : xs")),
               path("df.cfg") + ":14: ", "'xs' is not ws, os or is");
  expect_error(write_file("h.cfg", edit_once(cfg_text("run", 4, 4, "ws"), "ArrayHeight:    4",
                                             "ArrayHeight:    four")),
               path("h.cfg") + ":5: ", "is not an integer");
  expect_error(write_file("bw.cfg", edit_once(cfg_text("run", 4, 4, "ws"), "CALC", "FAST")),
               path("bw.cfg") + ":18: ", "is not USER or CALC");
  expect_error(
      write_file("miss.cfg", edit_once(cfg_text("run", 4, 4, "ws"), "OfmapSramSzkB", "OfmapSram")),
      path("miss.cfg") + ":9: ", "[architecture_presets] key 'ofmapsram' is not one npusim models");
  expect_error(write_file("f.csv", "Layer name, a, b, c, d, e, f, g,\nc1, 4, 4, 5, 3, 1, 1, 1,\n"),
               path("f.csv") + ":2: ", "Filter Height is larger than IFMAP Height");
  expect_error(write_file("n.csv", "Layer, M, N, K,\ng1, 4, 4, 4,\ng2, 4, x, 4,\n"),
               path("n.csv") + ":3: ", "'x' is not an integer", true);
  expect_error(write_file("z.csv", "Layer, M, N, K,\ng1, 4, 0, 4,\n"),
               path("z.csv") + ":2: ", "not positive", true);
  expect_error(write_file("short.csv", "Layer name, ...\nc1, 4, 4, 3, 3, 1,\n"),
               path("short.csv") + ":2: ", "expected 8 or 9 fields");
  // Sizes whose counts would overflow, settings npusim does not model, work without bound,
  // inputs that are not regular files: refused by name before anything is computed.
  expect_error(
      write_file("wide.cfg", edit_once(cfg_text("run", 4, 4, "ws"), "ArrayWidth:     4",
                                       "ArrayWidth:     4294967296")),
      path("wide.cfg") + ":6: ", "ArrayWidth: 4294967296 is above the most allowed, 65536");
  expect_error(write_file("ram.cfg", cfg_text("run", 4, 4, "ws") + "UseRamulatorTrace: True\n"),
               path("ram.cfg") + ":19: ", "UseRamulatorTrace: True (stalls from a Ramulator");
  expect_error(write_file("sp.cfg", cfg_text("run", 4, 4, "ws") + "[sparsity]\nSparsitySupport: "
                                                                  "true\n"),
               path("sp.cfg") + ":19: ", "section [sparsity] is not one npusim models");
  // a 1 x 1 array over 100,000 x 100,000 weights: 10^10 folds
  const std::string one = write_file("one.cfg", cfg_text("run", 1, 1, "ws"));
  const ProcessResult big =
      npusim({"scalesim", "-c", one, "-t",
              write_file("big.csv", "Layer, M, N, K,\nbig, 1, 100000, 100000,\n"), "-i", "gemm",
              "-p", path("out")});
  EXPECT_EQ(big.status, 2) << big.err;
  EXPECT_NE(big.err.find("big.csv:2: layer 'big' takes 10000000000 folds"), std::string::npos)
      << big.err;
  EXPECT_FALSE(fs::exists(path("out")));
  ASSERT_EQ(mkfifo(path("fifo.cfg").c_str(), 0600), 0);
  expect_error(path("fifo.cfg"), path("fifo.cfg") + ": ", "not a regular file (a FIFO)");
  // -p must be a folder: a file there is refused before anything is computed
  const std::string file = write_file("a-file", "mine\n");
  const ProcessResult p =
      npusim({"scalesim", "-c", one, "-t", write_file("g1.csv", "Layer, M, N, K,\ng, 4, 4, 4,\n"),
              "-i", "gemm", "-p", file});
  EXPECT_EQ(p.status, 2) << p.err;
  EXPECT_NE(p.err.find("-p: '" + file + "' exists and is not a directory"), std::string::npos)
      << p.err;
}

TEST_F(ScaleSimFiles, ARowMayEndInACommaAndSpaces) {
  // SCALE-Sim strips a row before splitting it: "g0, 16, 8, 4, " is a layer of 4 fields.
  const auto g =
      read_scalesim_topology(write_file("t.csv", "Layer, M, N, K,\ng0, 16, 8, 4, \n"), true);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].num_filters, 8u);
}

}  // namespace
}  // namespace npu
