// Config loading: the shipped preset and trace load with the expected values, and every kind of
// bad input fails with `file:line:col: key.path: message`. Line and column are counted by hand
// from the YAML strings below (1-based; the line numbers are written beside the base documents).
#include <gtest/gtest.h>

#include <string>

#include "arch/memory_config.h"
#include "sim/config/loaders.h"
#include "sim/config/yaml_reader.h"
#include "temp_files.h"

namespace npu {
namespace {

const std::string kSourceDir = NPUSIM_SOURCE_DIR;

// A minimal valid chip. Line numbers on the right.
const std::string kChip =
    "name: t\n"                               // 1
    "clock_mhz: 1000\n"                       // 2
    "core:\n"                                 // 3
    "  array:\n"                              // 4
    "    rows: 32\n"                          // 5
    "    cols: 32\n"                          // 6
    "    macs_per_pe_per_cycle: {int8: 1}\n"  // 7
    "  sram:\n"                               // 8
    "    size_kib: 1024\n"                    // 9
    "    input_kib: 256\n"                    // 10
    "    weight_kib: 256\n"                   // 11
    "    output_kib: 256\n"                   // 12
    "memory:\n"                               // 13
    "  peak_gbps: 68\n"                       // 14
    "energy:\n"                               // 15
    "  mac_pj: {int8: 0.1}\n";                // 16

// A minimal valid trace.
const std::string kTrace =
    "ops:\n"               // 1
    "  - name: a\n"        // 2
    "    kind: gemm\n"     // 3
    "    m: 4\n"           // 4
    "    k: 8\n"           // 5
    "    n: 16\n"          // 6
    "  - name: s\n"        // 7
    "    kind: softmax\n"  // 8
    "    rows: 4\n"        // 9
    "    cols: 16\n";      // 10

using testing::edit_once;

class ConfigFiles : public testing::TempFileTest {
 protected:
  void expect_chip_error(const std::string& text, const std::string& where,
                         const std::string& fragment) {
    expect_config_error([](const std::string& p) { load_chip(p); }, text, where, fragment);
  }
  void expect_trace_error(const std::string& text, const std::string& where,
                          const std::string& fragment) {
    expect_config_error([](const std::string& p) { load_trace(p); }, text, where, fragment);
  }
};

using ChipConfigLoad = ConfigFiles;
using TraceConfigLoad = ConfigFiles;

// ---------------------------------------------------------------------------------------------
// The shipped files

TEST(ConfigPreset, ExampleNpuLoads) {
  const ChipConfig c = load_chip(kSourceDir + "/configs/presets/example-npu.yaml");
  EXPECT_EQ(c.name, "example-npu");
  EXPECT_EQ(c.clock.period_ps, 1000u);  // 1000 MHz
  EXPECT_EQ(c.cores, 4u);
  EXPECT_EQ(c.core.array.rows, 32u);
  EXPECT_EQ(c.core.array.cols, 32u);
  EXPECT_EQ(c.core.array.dataflow, Dataflow::kWs);
  EXPECT_TRUE(c.core.array.overlap_folds);
  EXPECT_EQ(c.core.array.macs_per_pe(Format::kInt8), 1u);
  EXPECT_EQ(c.core.array.macs_per_pe(Format::kInt4), 2u);
  EXPECT_EQ(c.core.array.macs_per_pe(Format::kFp16), 1u);
  EXPECT_EQ(c.core.array.macs_per_pe(Format::kBf16), 1u);
  EXPECT_FALSE(c.core.array.supports(Format::kFp8));
  // 4 cores x 32 x 32 x 1 MAC x 1 GHz
  EXPECT_DOUBLE_EQ(c.peak_macs_per_s(Format::kInt8), 4.096e12);
  EXPECT_EQ(c.core.vector.lanes, 64u);
  EXPECT_EQ(c.core.sram.size_bytes, 2u << 20);  // 2048 KiB
  EXPECT_EQ(c.core.sram.input_bytes, 768u << 10);
  EXPECT_EQ(c.core.sram.weight_bytes, 768u << 10);
  EXPECT_EQ(c.core.sram.output_bytes, 512u << 10);
  EXPECT_EQ(c.core.sram.bytes_per_cycle(), 1024u);  // 16 banks x 64 B
  EXPECT_EQ(c.core.dma.channels, 2u);
  EXPECT_TRUE(c.core.dma.strides_2d);
  EXPECT_EQ(c.memory.peak_bytes_per_s, 68'000'000'000u);
  EXPECT_DOUBLE_EQ(c.memory.achievable_fraction, 0.8);
  EXPECT_EQ(c.memory.latency_ps, 100'000u);  // 100 ns
  EXPECT_EQ(c.memory.max_outstanding, 128u);
  EXPECT_EQ(c.memory.arbitration, Arbitration::kRoundRobin);
  EXPECT_EQ(c.memory.quantum_bytes, 65536u);
  // min(68 GB/s x 0.8 = 54.4 GB/s, Little: 128 x 64 B / 100 ns = 81.92 GB/s)
  EXPECT_NEAR(static_cast<double>(c.memory.reachable_bytes_per_s()), 54.4e9, 1.0);
  EXPECT_DOUBLE_EQ(c.energy.mac(Format::kInt8), 0.075);
  EXPECT_DOUBLE_EQ(c.energy.mac(Format::kFp16), 0.5);
  EXPECT_DOUBLE_EQ(c.energy.dram_pj_per_byte, 40.6);
  EXPECT_DOUBLE_EQ(c.energy.chip_static_mw(c.cores), 4 * (20 + 5 + 10 + 2) + 50.0);
}

TEST(ConfigPreset, ExampleTraceLoads) {
  const std::vector<Op> ops = load_trace(kSourceDir + "/configs/traces/example.yaml");
  ASSERT_EQ(ops.size(), 12u);
  const Op& qkv = ops[1];
  EXPECT_EQ(qkv.name, "qkv_proj");
  EXPECT_EQ(qkv.kind, OpKind::kGemm);
  EXPECT_EQ(qkv.m, 128u);
  EXPECT_EQ(qkv.k, 1024u);
  EXPECT_EQ(qkv.n, 3072u);
  EXPECT_EQ(qkv.batch, 1u);
  EXPECT_EQ(qkv.macs(), 128u * 1024 * 3072);
  EXPECT_EQ(qkv.a_format, Format::kInt8);  // gemm default
  EXPECT_EQ(qkv.c_format, Format::kInt8);
  EXPECT_EQ(qkv.a_loc, Location::kDram);
  EXPECT_EQ(qkv.layer, "0");
  EXPECT_EQ(qkv.op_class, "attention");
  const Op& scores = ops[2];
  EXPECT_EQ(scores.batch, 16u);
  EXPECT_EQ(scores.b_format, Format::kFp16);  // `format` shorthand
  EXPECT_EQ(scores.c_loc, Location::kSram);
  const Op& softmax = ops[3];
  EXPECT_EQ(softmax.kind, OpKind::kSoftmax);
  EXPECT_EQ(softmax.rows, 2048u);
  EXPECT_EQ(softmax.cols, 128u);
  EXPECT_EQ(softmax.a_format, Format::kFp16);  // vector default
  EXPECT_EQ(softmax.a_loc, Location::kSram);
  EXPECT_EQ(ops[6].kind, OpKind::kAdd);
  EXPECT_EQ(ops[11].name, "residual2");
}

// ---------------------------------------------------------------------------------------------
// Valid inputs: defaults and conversions

TEST_F(ChipConfigLoad, AbsentKeysKeepTheStructDefaults) {
  const ChipConfig c = load_chip(write(kChip));
  EXPECT_EQ(c.cores, 1u);
  EXPECT_EQ(c.core.array.dataflow, Dataflow::kWs);
  const VectorUnitConfig v;
  EXPECT_EQ(c.core.vector.lanes, v.lanes);
  EXPECT_EQ(c.core.vector.pipeline_latency_cycles, v.pipeline_latency_cycles);
  const DmaConfig d;
  EXPECT_EQ(c.core.dma.setup_cycles, d.setup_cycles);
  EXPECT_EQ(c.core.dma.strides_2d, d.strides_2d);
  const MemoryConfig m;
  EXPECT_DOUBLE_EQ(c.memory.achievable_fraction, m.achievable_fraction);
  EXPECT_EQ(c.memory.latency_ps, m.latency_ps);
  EXPECT_EQ(c.memory.quantum_bytes, m.quantum_bytes);
  EXPECT_EQ(c.energy.sram_read_pj_per_byte, 0.0);
}

TEST_F(ChipConfigLoad, ConvertsUnitsOnce) {
  std::string text = edit_once(kChip, "clock_mhz: 1000", "clock_mhz: 1200");
  text =
      edit_once(text, "  peak_gbps: 68\n",
                "  peak_gbps: 51.2\n  latency_ns: 80.5\n  quantum_kib: 4\n  arbitration: fifo\n");
  const ChipConfig c = load_chip(write(text));
  EXPECT_EQ(c.clock.period_ps, 833u);  // round(10^6 / 1200) = round(833.33)
  EXPECT_EQ(c.memory.peak_bytes_per_s, 51'200'000'000u);
  EXPECT_EQ(c.memory.latency_ps, 80'500u);
  EXPECT_EQ(c.memory.quantum_bytes, 4096u);
  EXPECT_EQ(c.memory.arbitration, Arbitration::kFifo);
}

TEST_F(ChipConfigLoad, MemoryModelIsChosenByName) {
  // The seam's one factory: `unified` (the default) is the only model; the lowering and the
  // engine see its traits, latency, grant size and reachable bandwidth.
  const ChipConfig c = load_chip(
      write(edit_once(kChip, "  peak_gbps: 68\n", "  model: unified\n  peak_gbps: 68\n")));
  EXPECT_EQ(c.memory.model, MemoryModel::kUnified);
  const MemoryTraits t = memory_traits(c.memory);
  EXPECT_EQ(t.latency_ps, c.memory.latency_ps);
  EXPECT_EQ(t.grant_bytes, c.memory.quantum_bytes);
  EXPECT_EQ(t.bytes_per_s, 54'400'000'000u);  // 68 GB/s x 0.8
  expect_chip_error(edit_once(kChip, "  peak_gbps: 68\n", "  model: lpddr5\n  peak_gbps: 68\n"),
                    "14:10: memory.model", "unified");
}

TEST_F(TraceConfigLoad, FormatShorthandAndOverrides) {
  const std::string text = edit_once(kTrace, "    n: 16\n",
                                     "    n: 16\n    format: fp16\n    c_format: fp32\n"
                                     "    b: sram\n    layer: blk3\n");
  const std::vector<Op> ops = load_trace(write(text));
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].a_format, Format::kFp16);
  EXPECT_EQ(ops[0].b_format, Format::kFp16);
  EXPECT_EQ(ops[0].c_format, Format::kFp32);
  EXPECT_EQ(ops[0].b_loc, Location::kSram);
  EXPECT_EQ(ops[0].layer, "blk3");
  EXPECT_EQ(ops[1].c_format, Format::kFp16);
}

// ---------------------------------------------------------------------------------------------
// Bad chips

TEST_F(ChipConfigLoad, SyntaxError) {
  // Line 2 "clock_mhz: 1000: 5": the second ':' is at column 16.
  expect_chip_error(edit_once(kChip, "clock_mhz: 1000", "clock_mhz: 1000: 5"), "2:16",
                    "YAML syntax error: illegal map value");
}

TEST_F(ChipConfigLoad, UnknownKeySuggestsNearest) {
  expect_chip_error(edit_once(kChip, "rows: 32", "rwos: 32"), "5:5: core.array.rwos",
                    "unknown key 'rwos'; did you mean 'rows'?");
}

TEST_F(ChipConfigLoad, UnknownKeyWithoutNearListsAllowed) {
  expect_chip_error(edit_once(kChip, "name: t\n", "name: t\nzzzzzz: 1\n"), "2:1: zzzzzz",
                    "unknown key 'zzzzzz' (allowed: name, description, clock_mhz");
}

TEST_F(ChipConfigLoad, MissingRequiredKey) {
  // Reported at the mapping that lacks it: `array:` on line 4, column 3.
  expect_chip_error(edit_once(kChip, "    cols: 32\n", ""), "4:3: core.array.cols",
                    "missing required key 'cols'");
}

TEST_F(ChipConfigLoad, StringWhereIntegerExpected) {
  expect_chip_error(edit_once(kChip, "rows: 32", "rows: abc"), "5:11: core.array.rows",
                    "expected an integer, got 'abc'");
}

TEST_F(ChipConfigLoad, QuotedNumberIsAString) {
  expect_chip_error(edit_once(kChip, "rows: 32", "rows: \"32\""), "5:11: core.array.rows",
                    "expected an integer, got the quoted string '32'");
}

TEST_F(ChipConfigLoad, MappingWhereIntegerExpected) {
  // A collection is reported at its key.
  expect_chip_error(edit_once(kChip, "rows: 32", "rows: {a: 1}"), "5:5: core.array.rows",
                    "expected an integer, got a mapping");
}

TEST_F(ChipConfigLoad, FractionWhereIntegerExpected) {
  expect_chip_error(edit_once(kChip, "rows: 32", "rows: 1.5"), "5:11: core.array.rows",
                    "expected an integer, got 1.5");
}

TEST_F(ChipConfigLoad, YesWhereNumberExpected) {
  expect_chip_error(edit_once(kChip, "peak_gbps: 68", "peak_gbps: yes"), "14:14: memory.peak_gbps",
                    "expected a number, got 'yes'");
}

TEST_F(ChipConfigLoad, YesWhereBoolExpected) {
  expect_chip_error(edit_once(kChip, "    cols: 32\n", "    cols: 32\n    overlap_folds: yes\n"),
                    "7:20: core.array.overlap_folds", "expected true or false, got 'yes'");
}

TEST_F(ChipConfigLoad, BoolsTakeTheCoreSchemasCapitalisedSpellings) {
  // YAML 1.2's core schema: true / True / TRUE and false / False / FALSE (configs/SCHEMA.md).
  for (const char* t : {"true", "True", "TRUE"}) {
    const std::string line = std::string("    cols: 32\n    overlap_folds: ") + t + "\n";
    EXPECT_TRUE(load_chip(write(edit_once(kChip, "    cols: 32\n", line))).core.array.overlap_folds)
        << t;
  }
  for (const char* f : {"False", "FALSE"}) {
    const std::string line = std::string("    cols: 32\n    overlap_folds: ") + f + "\n";
    EXPECT_FALSE(
        load_chip(write(edit_once(kChip, "    cols: 32\n", line))).core.array.overlap_folds)
        << f;
  }
}

TEST_F(ChipConfigLoad, NegativeSize) {
  expect_chip_error(edit_once(kChip, "size_kib: 1024", "size_kib: -5"), "9:15: core.sram.size_kib",
                    "must be at least 1, got -5");
}

TEST_F(ChipConfigLoad, ZeroSize) {
  expect_chip_error(edit_once(kChip, "input_kib: 256", "input_kib: 0"),
                    "10:16: core.sram.input_kib", "must be at least 1, got 0");
}

TEST_F(ChipConfigLoad, AbsurdlyLargeValue) {
  expect_chip_error(edit_once(kChip, "rows: 32", "rows: 99999999999999999999999"),
                    "5:11: core.array.rows", "must be at most 65536");
}

TEST_F(ChipConfigLoad, ZeroClock) {
  expect_chip_error(edit_once(kChip, "clock_mhz: 1000", "clock_mhz: 0"), "2:12: clock_mhz",
                    "must be greater than 0, got 0");
}

TEST_F(ChipConfigLoad, FractionOutOfRange) {
  expect_chip_error(
      edit_once(kChip, "  peak_gbps: 68\n", "  peak_gbps: 68\n  achievable_fraction: 1.5\n"),
      "15:24: memory.achievable_fraction", "must be in (0, 1], got 1.5");
}

TEST_F(ChipConfigLoad, UnknownEnumValueListsAccepted) {
  expect_chip_error(edit_once(kChip, "    cols: 32\n", "    cols: 32\n    dataflow: xs\n"),
                    "7:15: core.array.dataflow",
                    "unknown value 'xs'; did you mean 'ws'? (accepted: ws, os, is)");
}

TEST_F(ChipConfigLoad, UnknownFormatKey) {
  expect_chip_error(edit_once(kChip, "{int8: 1}", "{int9: 1}"),
                    "7:29: core.array.macs_per_pe_per_cycle.int9",
                    "accepted: int4, int8, int16, fp8, fp16, bf16, fp32, int32");
}

TEST_F(ChipConfigLoad, MeasuredVectorKernelCosts) {
  const std::string with = edit_once(kChip, "  sram:\n",
                                     "  vector:\n    cycles_per_element: {softmax: 1.72, gelu: 2}\n"
                                     "  sram:\n");
  const ChipConfig c = load_chip(write(with));
  EXPECT_EQ(c.core.vector.cycles_per_element[static_cast<size_t>(VectorKind::kSoftmax)], 1.72);
  EXPECT_EQ(c.core.vector.cycles_per_element[static_cast<size_t>(VectorKind::kGelu)], 2.0);
  EXPECT_EQ(c.core.vector.cycles_per_element[static_cast<size_t>(VectorKind::kAdd)], 0.0);
  // Line 9 (after "  vector:" at 8): a kind that is not one, and a cost that is not positive.
  expect_chip_error(edit_once(with, "softmax: 1.72", "sofmax: 1.72"),
                    "9:26: core.vector.cycles_per_element.sofmax",
                    "unknown value 'sofmax'; did you mean 'softmax'?");
  expect_chip_error(edit_once(with, "softmax: 1.72", "softmax: 0"),
                    "9:35: core.vector.cycles_per_element.softmax",
                    "must be in (0, 1000000], got 0");
}

TEST_F(ChipConfigLoad, DuplicateKey) {
  expect_chip_error(edit_once(kChip, "    rows: 32\n", "    rows: 32\n    rows: 16\n"),
                    "6:5: core.array.rows", "duplicate key 'rows' (first given at line 5)");
}

TEST_F(ChipConfigLoad, BuffersExceedSram) {
  std::string text = edit_once(kChip, "input_kib: 256", "input_kib: 512");
  text = edit_once(text, "weight_kib: 256", "weight_kib: 512");
  expect_chip_error(text, "8:3: core.sram",
                    "input_kib 512 + weight_kib 512 + output_kib 256 = 1280 KiB exceed size_kib "
                    "1024 KiB");
}

TEST_F(ChipConfigLoad, BackgroundTrafficExceedsBandwidth) {
  expect_chip_error(
      edit_once(kChip, "  peak_gbps: 68\n",
                "  peak_gbps: 68\n  achievable_fraction: 0.5\n  background_gbps: 40\n"),
      "16:20: memory.background_gbps",
      "background traffic 40 GB/s leaves no bandwidth for the NPU: peak_gbps 68 "
      "GB/s x achievable_fraction 0.5 = 34 GB/s");
}

TEST_F(ChipConfigLoad, FormatWithoutMacEnergy) {
  expect_chip_error(edit_once(kChip, "{int8: 1}", "{int8: 1, fp16: 1}"), "16:3: energy.mac_pj",
                    "no energy for format 'fp16'");
}

TEST_F(ChipConfigLoad, EmptyFile) {
  const std::string path = write("# nothing but a comment\n");
  try {
    load_chip(path);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": the file is empty; expected a mapping of keys");
    EXPECT_EQ(e.line(), 0);
  }
}

TEST_F(ChipConfigLoad, TopLevelNotAMapping) {
  expect_chip_error("- a\n- b\n", "1:1", "the top level must be a mapping of keys, got a list");
}

TEST_F(ChipConfigLoad, SeveralDocuments) {
  expect_chip_error(kChip + "---\nname: u\n", "18:1", "holds 2 YAML documents; expected one");
}

TEST(ChipConfigMissing, MissingFile) {
  const std::string path = ::testing::TempDir() + "npusim_no_such_file.yaml";
  try {
    load_chip(path);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open file: No such file or directory");
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(e.file(), path);
  }
}

// ---------------------------------------------------------------------------------------------
// Bad traces

TEST_F(TraceConfigLoad, DuplicateOpName) {
  expect_trace_error(edit_once(kTrace, "name: s", "name: a"), "7:11: ops[1].name",
                     "duplicate op name 'a' (first used at line 2)");
}

TEST_F(TraceConfigLoad, GemmKeyOnVectorOp) {
  expect_trace_error(edit_once(kTrace, "    cols: 16\n", "    cols: 16\n    m: 4\n"),
                     "11:5: ops[1].m", "'m' does not apply to a softmax op");
}

TEST_F(TraceConfigLoad, VectorKeyOnGemm) {
  expect_trace_error(edit_once(kTrace, "    n: 16\n", "    n: 16\n    rows: 2\n"),
                     "7:5: ops[0].rows", "'rows' does not apply to a gemm op");
}

TEST_F(TraceConfigLoad, SecondInputOnSingleInputOp) {
  expect_trace_error(edit_once(kTrace, "    cols: 16\n", "    cols: 16\n    b_format: int8\n"),
                     "11:5: ops[1].b_format", "it has one input, 'a'");
}

TEST_F(TraceConfigLoad, UnknownKind) {
  expect_trace_error(edit_once(kTrace, "kind: gemm", "kind: gemn"), "3:11: ops[0].kind",
                     "unknown value 'gemn'; did you mean 'gemm'?");
}

TEST_F(TraceConfigLoad, UnknownLocation) {
  expect_trace_error(edit_once(kTrace, "    n: 16\n", "    n: 16\n    a: hbm\n"), "7:8: ops[0].a",
                     "(accepted: dram, sram)");
}

TEST_F(TraceConfigLoad, MissingShapeKey) {
  // Reported at the op's mapping, which starts at `name` on line 2, column 5.
  expect_trace_error(edit_once(kTrace, "    k: 8\n", ""), "2:5: ops[0].k",
                     "missing required key 'k'");
}

TEST_F(TraceConfigLoad, ZeroDimension) {
  expect_trace_error(edit_once(kTrace, "rows: 4", "rows: 0"), "9:11: ops[1].rows",
                     "must be at least 1, got 0");
}

TEST_F(TraceConfigLoad, EmptyOpList) {
  expect_trace_error("ops: []\n", "1:1: ops", "must list at least one op");
}

TEST_F(TraceConfigLoad, UnknownTopLevelKey) {
  expect_trace_error("opz: []\n", "1:1: opz", "unknown key 'opz'; did you mean 'ops'?");
}

// ---------------------------------------------------------------------------------------------
// Suggestions

TEST(ConfigReader, EditDistanceCountsTranspositionsOnce) {
  EXPECT_EQ(config::edit_distance("rwos", "rows"), 1u);
  EXPECT_EQ(config::edit_distance("", "abc"), 3u);
  EXPECT_EQ(config::edit_distance("kitten", "sitting"), 3u);
}

TEST(ConfigReader, SuggestsOnlyCloseKeys) {
  EXPECT_EQ(config::nearest("bakns", {"banks", "lanes"}), "banks");
  EXPECT_EQ(config::nearest("x", {"m", "k"}), std::nullopt);  // 1 edit of a 1-letter key
  EXPECT_EQ(config::nearest("frobnicate", {"rows", "cols"}), std::nullopt);
}

}  // namespace
}  // namespace npu
