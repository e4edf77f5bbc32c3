// The npusim command line, run as the real executable (NPUSIM_BINARY) in a child process: usage
// and exit statuses, the reports of the shipped example, determinism, bad input (exit 2, the
// `file:line:col: key.path:` prefix, nothing written) and an unwritable output folder (exit 1).
// Bad inputs are the shipped example files with one line edited; the line numbers and columns
// in the expectations are counted by hand from those files (1-based).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "temp_files.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::read_text;

const std::string kSourceDir = NPUSIM_SOURCE_DIR;
const std::string kChip = kSourceDir + "/configs/presets/example-npu.yaml";
const std::string kTrace = kSourceDir + "/configs/traces/example.yaml";

using testing::npusim;

/// The names of the entries of a folder.
std::set<std::string> listing(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

/// ops.csv as rows of fields (no field of the example needs quoting).
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  size_t column(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "ops.csv has no column " << name;
    return 0;
  }
};

Csv parse_csv(const std::string& text) {
  Csv csv;
  std::istringstream in(text);
  std::string line;
  if (std::getline(in, line)) csv.header = split(line, ',');
  while (std::getline(in, line)) {
    csv.rows.push_back(split(line, ','));
    EXPECT_EQ(csv.rows.back().size(), csv.header.size()) << "row: " << line;
  }
  return csv;
}

/// A fresh temporary folder per test, removed afterwards.
class Cli : public testing::TempFileTest {
 protected:
  /// Copies `src` to `name` with line `line` (1-based) edited: its one `from` becomes `to`.
  std::string edit_line(const std::string& src, const std::string& name, int line,
                        const std::string& from, const std::string& to) const {
    std::vector<std::string> lines = split(read_text(src), '\n');
    EXPECT_LT(line - 1, static_cast<int>(lines.size()));
    std::string& l = lines.at(static_cast<size_t>(line - 1));
    const size_t at = l.find(from);
    EXPECT_NE(at, std::string::npos) << "'" << from << "' not on line " << line << ": " << l;
    if (at != std::string::npos) l.replace(at, from.size(), to);
    std::string text;
    for (size_t i = 0; i < lines.size(); ++i) text += lines[i] + (i + 1 < lines.size() ? "\n" : "");
    return write_file(name, text);
  }

  /// Runs `run --arch chip --trace trace --out <fresh path>` and expects exit 2, stderr beginning
  /// with `expected_prefix` and containing each fragment, nothing on stdout, no output folder.
  void expect_bad_input(const std::string& chip, const std::string& trace,
                        const std::string& expected_prefix,
                        const std::vector<std::string>& fragments) {
    const std::string out = path("out_" + std::to_string(m_runs++));
    ASSERT_FALSE(fs::exists(out));
    const ProcessResult r = npusim({"run", "--arch", chip, "--trace", trace, "--out", out});
    EXPECT_EQ(r.status, 2) << "stderr: " << r.err;
    EXPECT_EQ(r.err.rfind(expected_prefix, 0), 0u)
        << "expected prefix: " << expected_prefix << "\n got: " << r.err;
    for (const std::string& fragment : fragments)
      EXPECT_NE(r.err.find(fragment), std::string::npos)
          << "expected fragment: " << fragment << "\n got: " << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(out)) << "the output folder was created on bad input";
  }

  void expect_bad_input(const std::string& chip, const std::string& trace,
                        const std::string& expected_prefix, const char* fragment) {
    expect_bad_input(chip, trace, expected_prefix, std::vector<std::string>{fragment});
  }

  int m_runs = 0;
};

using CliUsage = Cli;
using CliRun = Cli;
using CliBadInput = Cli;
using CliOutput = Cli;

// ---------------------------------------------------------------------------------------------
// Usage

TEST_F(CliUsage, HelpListsEveryOption) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, std::vector<std::string>{"run", "--help"}}) {
    const ProcessResult r = npusim(args);
    EXPECT_EQ(r.status, 0) << args.front();
    EXPECT_EQ(r.err, "");
    for (const char* opt : {"--arch", "--trace", "--out", "--no-timeline", "--quiet"})
      EXPECT_NE(r.out.find(opt), std::string::npos) << args.front() << " does not mention " << opt;
  }
}

TEST_F(CliUsage, NoArgumentsIsAUsageError) {
  const ProcessResult r = npusim({});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("Usage: npusim <command>"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(CliUsage, UnknownCommand) {
  const ProcessResult r = npusim({"frobnicate", "--out", path("out")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("out")));
}

TEST_F(CliUsage, MissingRequiredOption) {
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", kTrace});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("missing --out"), std::string::npos) << r.err;
  const ProcessResult r2 = npusim({"run", "--trace", kTrace, "--out", path("out")});
  EXPECT_EQ(r2.status, 2);
  EXPECT_NE(r2.err.find("missing --arch"), std::string::npos) << r2.err;
  EXPECT_FALSE(fs::exists(path("out")));
}

TEST_F(CliUsage, UnknownOption) {
  const ProcessResult r =
      npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", path("out"), "--bogus"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("out")));
}

TEST_F(CliUsage, OptionWithoutValue) {
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", kTrace, "--out"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("out"), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// The shipped example

TEST_F(CliRun, ExampleWritesConsistentReports) {
  const std::string out = path("out");
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("chip example-npu"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(out + "/summary.json"), std::string::npos) << r.out;
  // The three reports and their manifest, nothing else (no temporary files left behind).
  EXPECT_EQ(listing(out), (std::set<std::string>{".npusim-manifest.json", "ops.csv", "summary.json",
                                                 "trace.json"}));

  // ops.csv: a header and one row per op, in trace order.
  const Csv csv = parse_csv(read_text(out + "/ops.csv"));
  ASSERT_EQ(csv.rows.size(), 12u);
  const std::vector<std::string> names = {"ln1",    "qkv_proj", "scores",    "softmax",
                                          "attn_v", "out_proj", "residual1", "ln2",
                                          "ffn_up", "gelu",     "ffn_down",  "residual2"};
  const size_t id = csv.column("id"), name = csv.column("name"), end = csv.column("end_cycle"),
               energy = csv.column("energy_pj"), start = csv.column("start_cycle");
  double energy_sum = 0;
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    EXPECT_EQ(csv.rows[i][id], std::to_string(i));
    EXPECT_EQ(csv.rows[i][name], names[i]);
    if (i > 0) {
      EXPECT_EQ(csv.rows[i][start], csv.rows[i - 1][end]) << "ops run back to back";
    }
    energy_sum += std::stod(csv.rows[i][energy]);
  }

  // summary.json agrees with ops.csv.
  const auto summary = nlohmann::json::parse(read_text(out + "/summary.json"));
  EXPECT_EQ(summary.at("schema_version"), 1);
  EXPECT_EQ(summary.at("chip"), "example-npu");
  EXPECT_EQ(summary.at("ops"), 12);
  EXPECT_EQ(summary.at("total_cycles").get<uint64_t>(), std::stoull(csv.rows.back()[end]));
  // Each CSV energy is rounded to 0.1 pJ: the sum is within 0.05 pJ per row of the total.
  const double total = summary.at("energy_pj").at("total").get<double>();
  EXPECT_GT(total, 0.0);
  EXPECT_NEAR(energy_sum, total, 0.05 * 12 + 1e-12 * total);

  // trace.json: valid JSON with complete ("X") events.
  const auto trace = nlohmann::json::parse(read_text(out + "/trace.json"));
  ASSERT_TRUE(trace.at("traceEvents").is_array());
  size_t complete = 0;
  for (const auto& e : trace.at("traceEvents"))
    if (e.at("ph") == "X") {
      ++complete;
      EXPECT_GE(e.at("ts").get<double>(), 0.0);
      EXPECT_GE(e.at("dur").get<double>(), 0.0);
    }
  EXPECT_GT(complete, 0u);
  // The chip is process 1; every op is a slice whose args carry its figures, in order; the DRAM
  // and SRAM counters follow the ops and end at 0.
  size_t ops = 0, counters = 0, sram = 0;
  for (const auto& e : trace.at("traceEvents")) {
    EXPECT_GE(e.at("pid").get<int>(), 1);
    if (e.contains("cat") && e.at("cat") == "op") {
      const auto& a = e.at("args");
      EXPECT_EQ(a.at("id").get<size_t>(), ops);
      EXPECT_EQ(e.at("name"), csv.rows[ops][name]);
      EXPECT_EQ(a.at("bound"), csv.rows[ops][csv.column("bound")]);
      EXPECT_EQ(std::to_string(a.at("cycles").get<uint64_t>()),
                csv.rows[ops][csv.column("cycles")]);
      ++ops;
    }
    counters += e.at("ph") == "C";
    if (e.at("ph") == "C" && e.at("name") == "SRAM per core") {
      const double kib = e.at("args").at("tile buffers KiB").get<double>();
      // A core's tile buffers never exceed its SRAM (2 MiB on example-npu); 0 only at the end.
      EXPECT_LE(kib, 2048.0);
      EXPECT_EQ(kib == 0, sram == csv.rows.size());
      ++sram;
    }
  }
  EXPECT_EQ(ops, csv.rows.size());
  EXPECT_EQ(sram, csv.rows.size() + 1);
  EXPECT_EQ(counters, 2 * (csv.rows.size() + 1));
}

TEST_F(CliRun, AwkwardNamesComeOutWholeInEveryReport) {
  // Names and tags with a quote, a comma, a backslash, a tab and UTF-8: trace.json stays valid
  // JSON that gives them back, and ops.csv quotes the fields that need it (RFC 4180).
  const std::string trace = path("awkward.yaml");
  std::ofstream(trace) << "ops:\n"
                          "  - {name: 'say \"hi\", then go', kind: gemm, m: 8, k: 16, n: 8,\n"
                          "     layer: 'a,b\\c', class: \"t\\tab\"}\n"
                          "  - {name: \"caf\u00e9 \u27e8x\u27e9\", kind: add, rows: 8, cols: 8}\n";
  const std::string out = path("out");
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", trace, "--out", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto json = nlohmann::json::parse(read_text(out + "/trace.json"));
  std::vector<nlohmann::json> ops;
  for (const auto& e : json.at("traceEvents"))
    if (e.contains("cat") && e.at("cat") == "op") ops.push_back(e);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].at("name"), "say \"hi\", then go");
  EXPECT_EQ(ops[0].at("args").at("layer"), "a,b\\c");
  EXPECT_EQ(ops[0].at("args").at("class"), "t\tab");
  EXPECT_EQ(ops[1].at("name"), "caf\u00e9 \u27e8x\u27e9");
  const std::string csv = read_text(out + "/ops.csv");
  EXPECT_NE(csv.find("\n0,\"say \"\"hi\"\", then go\",gemm,\"a,b\\c\",t\tab,"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\n1,caf\u00e9 \u27e8x\u27e9,add,"), std::string::npos) << csv;
}

TEST_F(CliRun, QuietPrintsNothing) {
  const ProcessResult r =
      npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", path("out"), "--quiet"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(fs::exists(path("out/summary.json")));
}

TEST_F(CliRun, NoTimelineWritesNoTraceAndTheSameNumbers) {
  const ProcessResult with =
      npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", path("with"), "--quiet"});
  const ProcessResult without = npusim({"run", "--arch", kChip, "--trace", kTrace, "--out",
                                        path("without"), "--quiet", "--no-timeline"});
  ASSERT_EQ(with.status, 0) << with.err;
  ASSERT_EQ(without.status, 0) << without.err;
  EXPECT_EQ(listing(path("without")),
            (std::set<std::string>{".npusim-manifest.json", "ops.csv", "summary.json"}));
  // Recording the timeline does not change what is simulated.
  EXPECT_EQ(read_text(path("with/ops.csv")), read_text(path("without/ops.csv")));
  EXPECT_EQ(read_text(path("with/summary.json")), read_text(path("without/summary.json")));
}

TEST_F(CliRun, DeterministicReports) {
  for (const char* out : {"a", "b"}) {
    const ProcessResult r =
        npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", path(out), "--quiet"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  for (const char* file : {"ops.csv", "summary.json", "trace.json"}) {
    const std::string a = read_text(path("a/") + file), b = read_text(path("b/") + file);
    EXPECT_FALSE(a.empty()) << file;
    EXPECT_TRUE(a == b) << file << " differs between two runs of the same inputs";
  }
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit 2, `file:line:col: key.path: message` on stderr, no output folder

TEST_F(CliBadInput, ChipSyntaxError) {
  // Line 14 "clock_mhz: 1000: 5  # ...": the second ':' is at column 16.
  const std::string chip =
      edit_line(kChip, "chip.yaml", 14, "clock_mhz: 1000", "clock_mhz: 1000: 5");
  expect_bad_input(chip, kTrace, chip + ":14:16: ", "YAML syntax error");
}

TEST_F(CliBadInput, UnknownKeySuggestsNearest) {
  // Line 19 "    rows: 32": the key at column 5.
  const std::string chip = edit_line(kChip, "chip.yaml", 19, "rows: 32", "rwos: 32");
  expect_bad_input(chip, kTrace,
                   chip + ":19:5: core.array.rwos: ", "unknown key 'rwos'; did you mean 'rows'?");
}

TEST_F(CliBadInput, StringWhereIntegerExpected) {
  // Line 20 "    cols: abc": the value at column 11.
  const std::string chip = edit_line(kChip, "chip.yaml", 20, "cols: 32", "cols: abc");
  expect_bad_input(chip, kTrace,
                   chip + ":20:11: core.array.cols: ", "expected an integer, got 'abc'");
}

TEST_F(CliBadInput, NegativeSize) {
  // Line 34 "    size_kib: -5": the value at column 15.
  const std::string chip = edit_line(kChip, "chip.yaml", 34, "size_kib: 2048", "size_kib: -5");
  expect_bad_input(chip, kTrace,
                   chip + ":34:15: core.sram.size_kib: ", "must be at least 1, got -5");
}

TEST_F(CliBadInput, ZeroSize) {
  // Line 37 "    input_kib: 0": the value at column 16.
  const std::string chip = edit_line(kChip, "chip.yaml", 37, "input_kib: 768", "input_kib: 0");
  expect_bad_input(chip, kTrace,
                   chip + ":37:16: core.sram.input_kib: ", "must be at least 1, got 0");
}

TEST_F(CliBadInput, ZeroGemmDimension) {
  // Trace line 12 "    m: 0": the value at column 8; the second op.
  const std::string trace = edit_line(kTrace, "trace.yaml", 12, "m: 128", "m: 0");
  expect_bad_input(kChip, trace, trace + ":12:8: ops[1].m: ", "must be at least 1, got 0");
}

TEST_F(CliBadInput, MissingChipFile) {
  const std::string chip = path("no_such_chip.yaml");
  expect_bad_input(chip, kTrace, chip + ": ", "no such file, nor a shipped name");
}

TEST_F(CliBadInput, MissingTraceFile) {
  const std::string trace = path("no_such_trace.yaml");
  expect_bad_input(kChip, trace, trace + ": ", "cannot open file: No such file or directory");
}

TEST_F(CliBadInput, DuplicateOpName) {
  // Line 29 "  - {name: residual1, ...": the name at column 12; residual1 is first on line 24.
  const std::string trace =
      edit_line(kTrace, "trace.yaml", 29, "name: residual2", "name: residual1");
  expect_bad_input(kChip, trace, trace + ":29:12: ops[11].name: ",
                   "duplicate op name 'residual1' (first used at line 24)");
}

TEST_F(CliBadInput, VectorRowDoesNotFitTheBuffers) {
  // Found by the lowering, not the loader, and still reported at the op (line 27, the item's '{'
  // at column 5): a 2^20-element fp16 row needs 4 MiB double-buffered, the input buffer is 768 KiB.
  const std::string trace = edit_line(kTrace, "trace.yaml", 27, "cols: 4096", "cols: 1048576");
  expect_bad_input(kChip, trace, trace + ":27:5: ops[9]: ",
                   {"op 'gelu': a row of 1048576 elements does not fit the core's SRAM",
                    "of the 786432 B input buffer"});
}

TEST_F(CliBadInput, GemmFormatWithoutMacRate) {
  // The example array has no fp32 MAC rate. Line 23 "  - {name: out_proj, ...": column 5.
  const std::string trace =
      edit_line(kTrace, "trace.yaml", 23, "kind: gemm,", "kind: gemm, format: fp32,");
  expect_bad_input(kChip, trace, trace + ":23:5: ops[5]: ",
                   "the array has no MAC rate for fp32 (core.array.macs_per_pe_per_cycle)");
}

TEST_F(CliBadInput, ExistingOutputFolderIsLeftUntouched) {
  const std::string out = path("out");
  fs::create_directory(out);
  const std::string keep = "results of an earlier run\n";
  write_file("out/keep.txt", keep);
  write_file("out/ops.csv", "old ops\n");
  const std::vector<std::string> chips = {
      edit_line(kChip, "syntax.yaml", 14, "clock_mhz: 1000", "clock_mhz: 1000: 5"), kChip};
  const std::vector<std::string> traces = {
      kTrace, edit_line(kTrace, "wide.yaml", 27, "cols: 4096", "cols: 1048576")};
  for (size_t i = 0; i < chips.size(); ++i) {
    const ProcessResult r = npusim({"run", "--arch", chips[i], "--trace", traces[i], "--out", out});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(listing(out), (std::set<std::string>{"keep.txt", "ops.csv"}));
    EXPECT_EQ(read_text(out + "/keep.txt"), keep);
    EXPECT_EQ(read_text(out + "/ops.csv"), "old ops\n");
  }
}

// ---------------------------------------------------------------------------------------------
// Output that cannot be written: exit 1, the path named, no crash

TEST_F(CliOutput, OutputUnderARegularFile) {
  const std::string file = write_file("file.txt", "a file, not a folder\n");
  const std::string out = file + "/reports";
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", out, "-q"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
  EXPECT_EQ(read_text(file), "a file, not a folder\n");
  EXPECT_EQ(listing(dir()), (std::set<std::string>{"file.txt"}));
}

TEST_F(CliOutput, OutputIsARegularFile) {
  const std::string file = write_file("file.txt", "a file, not a folder\n");
  const ProcessResult r = npusim({"run", "--arch", kChip, "--trace", kTrace, "--out", file, "-q"});
  EXPECT_EQ(r.status, 2) << r.err;  // bad input (issue 11, D8)
  EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  EXPECT_EQ(read_text(file), "a file, not a folder\n");
  EXPECT_EQ(listing(dir()), (std::set<std::string>{"file.txt"}));
}

}  // namespace
}  // namespace npu
