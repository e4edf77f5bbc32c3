// Long runs at a cost that grows with the distinct work: a model's ops made one graph call at a
// time (WorkloadStream) and simulated as they come (simulate_stream), reports that stream to disk,
// and the report levels (--report ops|steps|summary). What is checked: the streamed workload is
// the whole one, call by call; a streamed run reports exactly what the same run keeping every
// record reports; the levels agree with each other (per-op rows add up to the step rows, which
// add up to the summary); a 100,000-step decode runs in bounded memory.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sanitizers.h"
#include "sim/capacity.h"
#include "sim/compile.h"
#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "sim/config/trace_writer.h"
#include "sim/report.h"
#include "temp_files.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::read_text;

const std::string kSource = NPUSIM_SOURCE_DIR;

ModelConfig shipped_model(const std::string& name) {
  return load_model(kSource + "/configs/models/" + name + ".yaml");
}

/// A CSV report as rows of fields by column name (these reports quote nothing).
std::vector<std::map<std::string, std::string>> csv_rows(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  const auto split = [](const std::string& l) {
    std::vector<std::string> f;
    std::string cell;
    std::istringstream ls(l);
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (!l.empty() && l.back() == ',') f.push_back("");
    return f;
  };
  std::getline(in, line);
  header = split(line);
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split(line);
    EXPECT_EQ(f.size(), header.size()) << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = f[i];
    rows.push_back(row);
  }
  return rows;
}

uint64_t u64(const std::string& s) {
  return std::stoull(s);
}

struct StreamCase {
  const char* model;
  RunSpec spec;
  uint64_t onchip;
};

/// Runs both tests below make: a prefill of `prompt` tokens then 3 decode steps, the same with
/// standard attention, and a batch of two decoding 4 tokens after a 300-position cache.
struct BasicSpecs {
  RunSpec both, standard, decode_only;
};
BasicSpecs basic_specs(uint64_t prompt) {
  BasicSpecs s;
  s.both.prompt = prompt;
  s.both.tokens = 3;
  s.standard = s.both;
  s.standard.attention = AttentionImpl::kStandard;
  s.decode_only.phase = Phase::kDecode;
  s.decode_only.context = 300;
  s.decode_only.tokens = 4;
  s.decode_only.batch = 2;
  return s;
}

TEST(WorkloadStream, MakesTheWholeWorkloadCallByCall) {
  const auto [both, standard, decode_only] = basic_specs(20);
  RunSpec prefill_after_cache;
  prefill_after_cache.phase = Phase::kPrefill;
  prefill_after_cache.prompt = 16;
  prefill_after_cache.context = 64;
  // Standard attention whose scores fit on chip for the first decode steps only: the peak
  // activation is the last step's.
  RunSpec growing = standard;
  growing.phase = Phase::kDecode;
  growing.context = 100;
  growing.tokens = 40;
  RunSpec chunked = both;  // the prompt in chunks of 7, 7 and 6 tokens, over a paged cache
  chunked.chunk = 7;
  chunked.kv_block = 16;
  const StreamCase cases[] = {
      {"llama-3.2-1b", both, 0},        {"gpt2", standard, 1 << 20},
      {"qwen2.5-0.5b", decode_only, 0}, {"llama-3.2-1b", prefill_after_cache, 0},
      {"gpt2", growing, 12 * 120 * 2},  {"qwen3-30b-a3b", both, 0},
      {"llama-3.2-1b", chunked, 0}};
  for (const StreamCase& c : cases) {
    SCOPED_TRACE(c.model);
    const ModelConfig m = shipped_model(c.model);
    const Workload whole = build_workload(m, c.spec, c.onchip);
    const Workload streamed = build_workload(m, c.spec, c.onchip, true);
    ASSERT_TRUE(streamed.stream);
    EXPECT_TRUE(streamed.ops.empty());
    EXPECT_EQ(streamed.op_count(), whole.ops.size());
    EXPECT_EQ(streamed.prefill_ops, whole.prefill_ops);
    EXPECT_EQ(streamed.ops_per_decode_step, whole.ops_per_decode_step);
    EXPECT_EQ(streamed.footprint.weight_bytes, whole.footprint.weight_bytes);
    EXPECT_EQ(streamed.footprint.kv_cache_bytes, whole.footprint.kv_cache_bytes);
    EXPECT_EQ(streamed.footprint.peak_activation_bytes, whole.footprint.peak_activation_bytes);
    EXPECT_EQ(streamed.footprint.peak_activation_op, whole.footprint.peak_activation_op);
    // Call by call, the same ops: every field the trace format writes (names, shapes, formats,
    // locations, edges, phase and step).
    std::vector<Op> all, call;
    for (uint64_t i = 0; i < streamed.stream->calls(); ++i) {
      streamed.stream->ops(i, call);
      all.insert(all.end(), call.begin(), call.end());
    }
    EXPECT_EQ(trace_yaml(all, "w"), trace_yaml(whole.ops, "w"));
  }
}

TEST(WorkloadStream, ADecodeStepUpdatedFromTheStepBeforeIsTheStepMadeAnew) {
  // simulate_stream hands the source the previous call's ops, compiled (OpSource's
  // `previous`); a dense model's decode step with flash attention updates them in place. Every
  // field must come out as making the step anew gives it. A sentinel the update does not touch
  // tells which calls were updated.
  const ChipConfig chip = load_chip(kSource + "/configs/presets/example-npu.yaml");
  const auto [both, standard, decode_only] = basic_specs(20);
  RunSpec paged = decode_only;
  paged.kv_block = 16;
  RunSpec crossing = decode_only;  // keys 301 ... 304 against a window of 302
  ModelConfig windowed = shipped_model("mistral-7b");
  windowed.sliding_window = 302;
  windowed.global_every = 2;  // odd layers attend to every key
  struct Case {
    ModelConfig model;
    RunSpec spec;
    bool updated;
  };
  const Case cases[] = {{shipped_model("llama-3.2-1b"), both, true},
                        {shipped_model("qwen2.5-0.5b"), decode_only, true},
                        {shipped_model("llama-3.2-1b"), paged, true},
                        {windowed, crossing, true},
                        {shipped_model("qwen3-30b-a3b"), both, false},  // experts drawn per step
                        {shipped_model("gpt2"), standard, false}};      // scores placed by size
  for (const Case& k : cases) {
    SCOPED_TRACE(k.model.name);
    const Workload w = build_workload(k.model, k.spec, 0, /*streamed=*/true);
    const uint64_t first_decode = w.prefill_steps;
    for (uint64_t c = first_decode + 1; c < w.stream->calls(); ++c) {
      SCOPED_TRACE(c);
      std::vector<Op> made, updated;
      w.stream->ops(c, made);
      w.stream->ops(c - 1, updated);
      updated = compile(chip, std::move(updated)).ops;
      bool placed = false;  // the compiler kept some tensor on chip: locations to undo
      for (const Op& op : updated)
        placed = placed || op.a_loc == Location::kSram || op.c_loc == Location::kSram;
      EXPECT_TRUE(placed);
      updated.front().src_key = "sentinel";
      w.stream->ops(c, updated, /*previous=*/true);
      EXPECT_EQ(updated.front().src_key, k.updated ? "sentinel" : "");
      updated.front().src_key.clear();
      ASSERT_EQ(updated.size(), made.size());
      for (size_t i = 0; i < made.size(); ++i) {
        EXPECT_TRUE(same_op(updated[i], made[i])) << made[i].name;
        EXPECT_TRUE(op_signature(updated[i]) == op_signature(made[i])) << made[i].name;
      }
      EXPECT_EQ(trace_yaml(updated, "w"), trace_yaml(made, "w"));
    }
  }
}

class Scale : public testing::TempFileTest {
 protected:
  /// Runs npusim into a fresh folder `name`; returns the folder.
  fs::path run(const std::string& name, std::vector<std::string> args) {
    const fs::path out = dir() / name;
    args.insert(args.begin(), "run");
    args.insert(args.end(), {"--out", out.string(), "--quiet"});
    const testing::ProcessResult r = testing::npusim(args, std::chrono::seconds(120));
    EXPECT_EQ(r.status, 0) << r.err;
    return out;
  }
};

TEST_F(Scale, AStreamedRunReportsExactlyWhatTheRunKeepingEveryRecordReports) {
  // --timeline none streams the run; --timeline ops needs every op's record, so the same run
  // is simulated whole. The reports other than trace.json must agree byte for byte.
  const std::vector<std::vector<std::string>> runs = {
      {"--arch", "hexagon-v75", "--model", "llama-3.2-1b", "--prompt", "16", "--tokens", "3",
       "--weights", "int4", "--activations", "int16"},
      {"--arch", "ane-m1", "--model", "gpt2", "--prompt", "24", "--tokens", "3", "--attention",
       "standard"},
      {"--arch", "intel-npu-4", "--model", "qwen2.5-0.5b", "--phase", "decode", "--context", "300",
       "--tokens", "4", "--batch", "2"}};
  int n = 0;
  for (const auto& args : runs)
    for (const char* schedule : {"compiled", "isolated"}) {
      SCOPED_TRACE(args[1] + " " + schedule);
      std::vector<std::string> a = args;
      a.insert(a.end(), {"--report", "steps", "--schedule", schedule});
      std::vector<std::string> streamed = a, whole = a;
      streamed.insert(streamed.end(), {"--timeline", "none"});
      whole.insert(whole.end(), {"--timeline", "ops"});
      const fs::path s = run("s" + std::to_string(n), streamed);
      const fs::path w = run("w" + std::to_string(n), whole);
      ++n;
      EXPECT_FALSE(fs::exists(s / "trace.json"));
      for (const char* f : {"summary.json", "steps.csv", "distinct_ops.csv"})
        EXPECT_EQ(read_text((s / f).string()), read_text((w / f).string())) << f;
    }
}

/// A model run of the streamed ops test: its chip, model and workload, as a RunSpec and as the
/// CLI's flags.
struct OpsCase {
  const char* arch;
  const char* model;
  RunSpec spec;
  std::vector<std::string> args;
};

std::vector<OpsCase> ops_cases() {
  const auto [both, standard, decode_only] = basic_specs(16);
  return {
      {"hexagon-v75", "llama-3.2-1b", both, {"--prompt", "16", "--tokens", "3"}},
      {"ane-m1", "gpt2", standard, {"--prompt", "16", "--tokens", "3", "--attention", "standard"}},
      {"intel-npu-4",
       "qwen2.5-0.5b",
       decode_only,
       {"--phase", "decode", "--context", "300", "--tokens", "4", "--batch", "2"}}};
}

class StreamedOps : public Scale, public ::testing::WithParamInterface<int> {};

TEST_P(StreamedOps, WritesTheBytesOfTheRunKeepingEveryRecord) {
  // At the ops level a model run streams: ops.csv and the ops' trace.json are written call by
  // call (the kernels' slices, which follow every op's, kept aside until the end). The same run
  // simulated whole, its records kept, written by the writers the golden tests pin: the same
  // bytes, compiled (with kernels) and isolated, over a prefill and decode, standard attention
  // and a batched decode over a cache. (SystemC elaborates once per process: one case a test.)
  const OpsCase c = ops_cases()[static_cast<size_t>(GetParam() / 2)];
  const Schedule schedule = GetParam() % 2 == 0 ? Schedule::kCompiled : Schedule::kIsolated;
  std::vector<std::string> args = {
      "--arch",   c.arch, "--model",    c.model,
      "--report", "ops",  "--schedule", schedule == Schedule::kCompiled ? "compiled" : "isolated"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const fs::path s = run("ops", args);

  const ChipConfig chip = load_chip(kSource + "/configs/presets/" + c.arch + ".yaml");
  const Workload w = build_workload(shipped_model(c.model), c.spec, onchip_score_bytes(chip));
  SimOptions opts;
  opts.schedule = schedule;
  opts.timeline = TimelineDetail::kOps;
  const RunResult r = simulate(chip, w.ops, opts);
  EXPECT_EQ(read_text((s / "ops.csv").string()), ops_csv(chip, r));
  EXPECT_EQ(read_text((s / "trace.json").string()), trace_json(chip, r));
  EXPECT_EQ(read_text((s / "summary.json").string()), summary_json(chip, r, &w));
}

INSTANTIATE_TEST_SUITE_P(Scale, StreamedOps, ::testing::Range(0, 6));

TEST_F(Scale, TheReportLevelsAddUp) {
  const std::vector<std::string> args = {"--arch",   "example-npu", "--model",  "llama-3.2-1b",
                                         "--prompt", "12",          "--tokens", "3"};
  std::vector<std::string> ops_args = args, steps_args = args, summary_args = args;
  ops_args.insert(ops_args.end(), {"--report", "ops"});
  steps_args.insert(steps_args.end(), {"--report", "steps"});
  summary_args.insert(summary_args.end(), {"--report", "summary"});
  const fs::path o = run("ops", ops_args), s = run("steps", steps_args),
                 m = run("summary", summary_args);

  // The summary is the same at every level.
  const std::string summary = read_text((o / "summary.json").string());
  EXPECT_EQ(read_text((s / "summary.json").string()), summary);
  EXPECT_EQ(read_text((m / "summary.json").string()), summary);
  // Each level writes its own files and no others'.
  EXPECT_FALSE(fs::exists(o / "steps.csv"));
  EXPECT_FALSE(fs::exists(s / "ops.csv"));
  for (const char* f : {"ops.csv", "steps.csv", "distinct_ops.csv", "trace.json"})
    EXPECT_FALSE(fs::exists(m / f)) << f;
  EXPECT_TRUE(fs::exists(s / "trace.json"));  // auto at the steps level: a slice per step

  // Per-op rows add up to the step rows: ops, cycles, MACs, DRAM bytes, first op and span.
  const auto ops = csv_rows(read_text((o / "ops.csv").string()));
  const auto steps = csv_rows(read_text((s / "steps.csv").string()));
  ASSERT_EQ(steps.size(), 4u);  // the prefill and three decode steps
  size_t i = 0;
  uint64_t sum_cycles = 0, sum_macs = 0, sum_dram = 0, sum_ops = 0;
  for (const auto& step : steps) {
    SCOPED_TRACE(step.at("phase") + " " + step.at("step"));
    EXPECT_EQ(u64(step.at("first_op")), i);
    uint64_t n = 0, cycles = 0, macs = 0, dram = 0;
    const uint64_t start = u64(ops[i].at("start_cycle"));
    uint64_t end = start;
    for (; i < ops.size() && ops[i].at("phase") == step.at("phase") &&
           ops[i].at("step") == step.at("step");
         ++i, ++n) {
      cycles += u64(ops[i].at("cycles"));
      macs += u64(ops[i].at("macs"));
      dram += u64(ops[i].at("dram_read_bytes")) + u64(ops[i].at("dram_write_bytes"));
      end = u64(ops[i].at("end_cycle"));
    }
    EXPECT_EQ(u64(step.at("ops")), n);
    EXPECT_EQ(u64(step.at("cycles")), cycles);
    EXPECT_EQ(u64(step.at("macs")), macs);
    EXPECT_EQ(u64(step.at("dram_bytes")), dram);
    EXPECT_EQ(u64(step.at("start_cycle")), start);
    EXPECT_EQ(u64(step.at("end_cycle")), end);
    EXPECT_EQ(u64(step.at("tokens")), step.at("phase") == "prefill" ? 12u : 1u);
    sum_cycles += cycles;
    sum_macs += macs;
    sum_dram += dram;
    sum_ops += n;
  }
  EXPECT_EQ(i, ops.size());
  // The step rows add up to the summary; so do the distinct ops' counts and totals.
  const nlohmann::json j = nlohmann::json::parse(summary);
  EXPECT_EQ(sum_cycles, j["total_cycles"].get<uint64_t>());
  EXPECT_EQ(sum_macs, j["macs"].get<uint64_t>());
  EXPECT_EQ(sum_dram, j["dram_read_bytes"].get<uint64_t>() + j["dram_write_bytes"].get<uint64_t>());
  EXPECT_EQ(sum_ops, j["ops"].get<uint64_t>());
  uint64_t d_ops = 0, d_cycles = 0, d_macs = 0;
  for (const auto& d : csv_rows(read_text((s / "distinct_ops.csv").string()))) {
    d_ops += u64(d.at("count"));
    d_cycles += u64(d.at("cycles"));
    d_macs += u64(d.at("macs"));
    // Its first op is one of its kind.
    EXPECT_EQ(ops[u64(d.at("first_op"))].at("shape"), d.at("shape"));
    EXPECT_EQ(ops[u64(d.at("first_op"))].at("name"), d.at("name"));
  }
  EXPECT_EQ(d_ops, sum_ops);
  EXPECT_EQ(d_cycles, sum_cycles);
  EXPECT_EQ(d_macs, sum_macs);
}

TEST_F(Scale, AHundredThousandStepDecodeRunsInBoundedMemory) {
  // A one-layer decoder: 100,000 decode steps are 1.9 million ops, each step's attention new.
  // The default report level streams the run; its memory grows with the steps' rows and the
  // distinct ops (about a kilobyte each), not with the ops.
  const std::string model =
      write_file("tiny.yaml",
                 "name: tiny-decoder\nfamily: llama\nlayers: 1\nd_model: 64\n"
                 "heads: 2\nkv_heads: 1\nhead_dim: 32\nffn_dim: 128\n"
                 "ffn_kind: swiglu\nvocab: 256\nnorm: rmsnorm\npos: rope\n"
                 "tied_embeddings: true\nmax_context: 200000\ncausal: true\n");
#ifdef NPUSIM_ASAN
  // ASan's shadow memory needs terabytes of address space, and its quarantine keeps freed
  // memory resident: no memory bound is checked under it.
  const uint64_t tokens = 10000, limit = 0;
  const long rss_bound_kib = 0;
#else
  const uint64_t tokens = 100000, limit = uint64_t{1} << 30;
  const long rss_bound_kib = 400 << 10;
#endif
  const fs::path out = dir() / "out";
  const testing::ProcessResult r = testing::run_process(
      NPUSIM_BINARY,
      {"run", "--arch", "example-npu", "--model", model, "--phase", "decode", "--prompt", "1",
       "--tokens", std::to_string(tokens), "--out", out.string(), "--quiet"},
      std::chrono::seconds(300), limit);
  ASSERT_EQ(r.status, 0) << r.err;
  if (rss_bound_kib > 0) {
    EXPECT_LT(r.max_rss_kib, rss_bound_kib);
  }
  const auto steps = csv_rows(read_text((out / "steps.csv").string()));
  ASSERT_EQ(steps.size(), tokens);
  EXPECT_EQ(steps.back().at("step"), std::to_string(tokens - 1));
  EXPECT_FALSE(fs::exists(out / "ops.csv"));
  const nlohmann::json j = nlohmann::json::parse(read_text((out / "summary.json").string()));
  EXPECT_EQ(j["workload"]["decode"]["steps"].get<uint64_t>(), tokens);
}

TEST(SimulateStream, AnErrorInTheSinkIsThrownAsItWasThrown) {
  // A streamed run's sink writes reports inside the simulation's thread: a write that fails
  // there (a full disk) must come out of simulate_stream as itself, not as a SystemC report.
  const ChipConfig chip = load_chip(kSource + "/configs/presets/example-npu.yaml");
  const Workload w =
      build_workload(shipped_model("llama-3.2-1b"), basic_specs(8).both, 0, /*streamed=*/true);
  SimOptions opts;
  opts.timeline = TimelineDetail::kNone;
  uint64_t calls = 0;
  try {
    simulate_stream(
        chip, w.stream->calls(),
        [&w](uint64_t c, std::vector<Op>& o, bool previous) { w.stream->ops(c, o, previous); },
        opts,
        [&calls](const RunResult&, const CompiledGraph*) {
          if (++calls == 2) throw std::runtime_error("ops.csv: No space left on device");
        });
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "ops.csv: No space left on device");
  }
  EXPECT_EQ(calls, 2u);  // the run stopped at the call that failed
}

TEST_F(Scale, ATraceStepNumberIsALabelNotAnIndex) {
  // A trace may number its steps as it likes (up to 2^32 - 1): nothing is sized by the number.
  const std::string trace = write(
      "ops:\n  - {name: a, kind: gelu, rows: 4, cols: 64, phase: decode, step: 4000000000}\n"
      "  - {name: b, kind: gelu, rows: 4, cols: 64, phase: decode, step: 7}\n");
  for (const char* level : {"ops", "steps", "summary"}) {
    const fs::path out = run(level, {"--arch", "example-npu", "--trace", trace, "--report", level});
    EXPECT_TRUE(fs::exists(out / "summary.json")) << level;
  }
  const auto steps = csv_rows(read_text((dir() / "steps" / "steps.csv").string()));
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].at("step"), "4000000000");
  EXPECT_EQ(steps[1].at("step"), "7");
  EXPECT_EQ(steps[0].at("tokens"), "");  // a trace's steps produce no tokens
}

TEST_F(Scale, AnUnknownReportLevelIsRefused) {
  const testing::ProcessResult r =
      testing::npusim({"run", "--arch", "example-npu", "--model", "gpt2", "--report", "rows",
                       "--out", path("out")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--report: 'rows' is not ops, steps, summary or auto"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(path("out")));
}

}  // namespace
}  // namespace npu
