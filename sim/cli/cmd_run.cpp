// `npusim run`: simulate an op trace or a model's workload on a chip and write the reports.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli.h"
#include "experiment_cli.h"
#include "sim/capacity.h"
#include "sim/config/config_path.h"
#include "sim/config/workload_settings.h"
#include "sim/output_set.h"
#include "sim/report.h"
#include "sim/scheduler.h"

namespace npu::cli {
namespace {

/// `--timeline auto` records every block up to this many ops, only the ops track beyond.
constexpr size_t kAutoTimelineMaxOps = 20000;
/// `--report auto` writes a row per op up to this many ops (an ops.csv of ~30 MB), and the steps
/// and distinct ops beyond.
constexpr size_t kAutoReportMaxOps = 100000;
/// `--report ops` writes a row per op (ops.csv and the ops' trace.json, about 1 kB an op) up to
/// this many ops: 10 GB of reports.
constexpr uint64_t kMaxOpRows = 10000000;

/// The file a --trace value names: a path as given (one with a '/', or an existing one), else a
/// shipped trace name (`example` -> <configs>/traces/example.yaml).
std::string trace_arg_path(const std::string& arg) {
  std::error_code ec;
  if (arg.find('/') != std::string::npos || std::filesystem::exists(arg, ec)) return arg;
  return resolve_config_path(arg, "traces", configs_root());
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim run --arch CHIP --trace OPS.yaml --out DIR [options]\n"
      "       npusim run --arch CHIP --model MODEL [workload options] --out DIR [options]\n"
      "       npusim run --arch CHIP --onnx MODEL.onnx [--input-shape NAME=DIMS]... --out DIR\n"
      "\n"
      "Simulates the ops of OPS.yaml, the prefill and decode of MODEL, or the ops an ONNX\n"
      "model imports to (README, \"ONNX models\"), in order, on the\n"
      "chip CHIP (a shipped preset name or a chip YAML) and writes DIR/ops.csv (one row per\n"
      "op; past 100,000 ops DIR/steps.csv and DIR/distinct_ops.csv instead: --report),\n"
      "DIR/summary.json and DIR/trace.json (open in https://ui.perfetto.dev).\n"
      "Schemas: configs/SCHEMA.md. Bad input stops with file:line:col: key: message and\n"
      "exit status 2, before anything is simulated or written.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "arch,a", po::value<std::string>()->value_name("CHIP"),
      "the chip: a shipped preset name (configs/presets/NAME.yaml) or a chip YAML")(
      "trace,t", po::value<std::string>()->value_name("FILE"),
      "op trace: a shipped trace name (configs/traces/NAME.yaml) or a trace YAML")(
      "onnx", po::value<std::string>()->value_name("FILE"),
      "an ONNX model (.onnx), imported as `npusim trace import` does; --weights and "
      "--activations, when given, override its formats")(
      "out,o", po::value<std::string>()->value_name("DIR"),
      "folder for the reports (created if missing; the reports of an earlier run there are "
      "replaced as a whole)")(
      "force",
      "write into DIR even if it holds files npusim did not write (they are kept, "
      "except files named like the reports)")(
      "report", po::value<std::string>()->default_value("auto"),
      "what the reports hold: ops (ops.csv, a row per op), steps (steps.csv, a "
      "row per prefill and decode step, and distinct_ops.csv, a row per distinct op with its "
      "count and totals), summary (summary.json, and trace.json only when --timeline asks for "
      "one), or auto (ops up to 100,000 ops, else steps); summary.json is the same at every "
      "level. A model run is streamed (its ops made a graph call at a time, each record dropped "
      "once written) unless --timeline asks for blocks, or for ops at steps or summary")(
      "timeline", po::value<std::string>()->default_value("auto"),
      "trace.json detail: blocks (a track per array, vector unit, DMA channel, memory), ops, "
      "steps (a slice per step), none, or auto (with --report steps: steps; summary: none; a "
      "model run: ops; an op trace: blocks up to 20,000 ops and 8 million block events, else "
      "ops)")("no-timeline", "same as --timeline none")(
      "trace-gzip", "write the trace gzip-compressed, as DIR/trace.json.gz (Perfetto opens it)")(
      "no-memo",
      "simulate every op, even repeats, and every tile step of a steady state (slower; the "
      "results are the same)")(
      "schedule", po::value<std::string>()->default_value("compiled"),
      "compiled (as the chip's compiler runs the graph: fused kernels, tensors kept in SRAM, "
      "the next op's loads under this one, dispatch per the chip's `compiler:` section) or "
      "isolated (each op alone from an idle chip, DRAM to DRAM)")("quiet,q",
                                                                  "print nothing but errors");
  po::options_description workload("Workload options (with --model)");
  add_workload_options(workload);
  po::options_description onnx("ONNX options (with --onnx)");
  add_onnx_options(onnx, false);
  add_set_option(desc, true);
  desc.add(workload);
  desc.add(onnx);
  const po::variables_map vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"arch", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);
  if (vm.count("trace") + vm.count("model") + vm.count("onnx") != 1)
    throw UsageError("give one of --trace, --model or --onnx");
  // An option that would change the work is never ignored: the workload options belong to
  // --model (an ONNX model takes --weights and --activations too), the ONNX ones to --onnx.
  const auto given = [&](const std::string& flag) {
    return vm.count(flag) > 0 && !vm[flag].defaulted();
  };
  const std::string source = vm.count("trace") ? "--trace" : vm.count("onnx") ? "--onnx" : "";
  if (!source.empty())
    for (const auto& ws : config::workload_settings()) {
      const std::string flag = ws.flag;
      const bool onnx_format = source == "--onnx" && (flag == "weights" || flag == "activations");
      if (ws.field != RunField::kModel && given(flag) && !onnx_format)
        throw UsageError("--" + flag + " describes a --model workload; " + source +
                         " gives its ops' shapes and formats itself");
    }
  if (!source.empty() && vm.count("routing-file"))
    throw UsageError("--routing-file describes a --model workload; " + source +
                     " gives its ops' shapes itself");
  if (!vm.count("onnx"))
    for (const char* flag : {"input-shape", "unsupported"})
      if (given(flag)) throw UsageError(std::string("--") + flag + " applies to --onnx models");

  const ChipConfig chip = load_chip_arg(vm["arch"].as<std::string>(), set_overrides(vm));
  std::optional<Workload> w;
  std::vector<Op> trace_ops;
  // A model's ops are made a graph call at a time as the run goes (WorkloadStream) unless the
  // reports need every op's record: see below.
  if (vm.count("model"))
    w = workload_from(vm, &chip, /*streamed=*/true);
  else if (vm.count("onnx"))
    trace_ops = import_onnx_arg(vm["onnx"].as<std::string>(), vm, vm.count("quiet") > 0).ops;
  else
    trace_ops = load_trace(trace_arg_path(vm["trace"].as<std::string>()));
  const uint64_t op_count = w ? w->op_count() : trace_ops.size();
  // A model that does not fit the device's memory is refused before anything is simulated.
  if (w)
    if (auto why = memory_shortfall(chip, *w)) {
      std::cerr << "npusim: " << *why << "\n";
      return kExitBadInput;
    }

  SimOptions opts;
  const std::string report = vm["report"].as<std::string>();
  std::optional<ReportLevel> level = parse_report_level(report);
  if (report == "auto")
    level = op_count <= kAutoReportMaxOps ? ReportLevel::kOps : ReportLevel::kSteps;
  if (!level) throw UsageError("--report: '" + report + "' is not ops, steps, summary or auto");
  if (*level == ReportLevel::kOps && op_count > kMaxOpRows)
    throw UsageError("--report ops: the run has " + std::to_string(op_count) +
                     " ops; a row per op (about 1 kB each in ops.csv and trace.json) is written "
                     "for at most " +
                     std::to_string(kMaxOpRows) + " ops; use --report steps");
  std::string tl = vm.count("no-timeline") ? "none" : vm["timeline"].as<std::string>();
  const std::string tl_given = tl;
  // auto: the level's trace (its steps, or none with the summary alone); at the ops level, a
  // model run's trace.json holds its ops (a track a block would be most of the run's cost and
  // hundreds of MB for a large model), a trace's every block while it stays small.
  if (tl == "auto" && *level != ReportLevel::kOps)
    tl = *level == ReportLevel::kSteps ? "steps" : "none";
  const bool steps_trace = tl == "steps";
  if (steps_trace)
    opts.timeline = TimelineDetail::kNone;  // written from the steps, nothing recorded
  else if (tl == "blocks" || (tl == "auto" && !w && op_count <= kAutoTimelineMaxOps))
    opts.timeline = TimelineDetail::kBlocks;
  else if (tl == "ops" || tl == "auto")
    opts.timeline = TimelineDetail::kOps;
  else if (tl == "none")
    opts.timeline = TimelineDetail::kNone;
  else
    throw UsageError("--timeline: '" + tl + "' is not blocks, ops, steps, none or auto");
  if (vm.count("trace-gzip") && !steps_trace && opts.timeline == TimelineDetail::kNone)
    throw UsageError("--trace-gzip: this run writes no trace (--timeline " + tl_given +
                     (tl_given == "auto" ? " with --report " + report : "") + ")");
  opts.memoize = !vm.count("no-memo");
  opts.auto_timeline = tl == "auto";
  const std::string schedule = vm["schedule"].as<std::string>();
  if (schedule != "compiled" && schedule != "isolated")
    throw UsageError("--schedule: '" + schedule + "' is not compiled or isolated");
  opts.schedule = schedule == "compiled" ? Schedule::kCompiled : Schedule::kIsolated;
  const std::string out = vm["out"].as<std::string>();
  const bool force = vm.count("force") > 0;
  check_output_folder(out, force);  // before the simulation a refusal would waste

  // Streamed (a model run whose reports need no timeline beyond its ops: steps or summary with
  // a trace of its steps or none, or ops with its ops' trace or none): memory grows with the
  // distinct ops and steps, not with the ops; ops.csv and the ops' trace.json are written call by
  // call. Otherwise the whole workload is built (within its op cap) and every record kept.
  const bool ops_streamed =
      w && *level == ReportLevel::kOps && opts.timeline != TimelineDetail::kBlocks;
  const bool streamed =
      ops_streamed || (w && *level != ReportLevel::kOps && opts.timeline == TimelineDetail::kNone);
  if (w && !streamed) w = workload_from(vm, &chip, /*streamed=*/false);
  const RunTotals::Describe describe =
      *level == ReportLevel::kSteps ? distinct_op_fields : nullptr;  // distinct_ops.csv
  const bool gzip = vm.count("trace-gzip") > 0;
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  Clock::duration writing{};  // a streamed run's per-op reports, written as it goes
  std::optional<RunResult> result;
  std::optional<RunTotals> totals;
  std::optional<OutputSet> set;
  if (streamed) {
    const WorkloadStream& stream = *w->stream;
    totals.emplace(describe);
    std::optional<OpReportStream> rows;
    SimOptions stream_opts = opts;
    // At the ops level the ops' trace comes from the records: nothing is recorded.
    if (ops_streamed) stream_opts.timeline = TimelineDetail::kNone;
    totals->total_cycles = simulate_stream(
        chip, stream.calls(),
        [&stream](uint64_t c, std::vector<Op>& o, bool previous) { stream.ops(c, o, previous); },
        stream_opts,
        [&](const RunResult& call, const CompiledGraph* g) {
          totals->add_call(call, g);
          if (!ops_streamed) return;
          const auto w0 = Clock::now();
          if (!rows) {  // the first call's records: the run was not refused; the files open
            set.emplace(out, force);
            rows.emplace(*set, chip, opts.schedule == Schedule::kCompiled,
                         opts.timeline == TimelineDetail::kOps, gzip);
          }
          rows->add_call(call, g);
          writing += Clock::now() - w0;
        });
    const auto w0 = Clock::now();
    if (rows) rows->finish(totals->total_cycles);
    writing += Clock::now() - w0;
  } else {
    // The ops go to the run (its records point into them): no copy of a large workload.
    result = simulate(chip, std::move(w ? w->ops : trace_ops), opts);
    totals = totals_of(*result, describe);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0 - writing).count();
  if (!set) set.emplace(out, force);
  write_reports(*set, chip, result ? &*result : nullptr, *totals, w ? &*w : nullptr, *level,
                steps_trace, gzip);
  set->commit();
  if (!vm.count("quiet")) {
    const bool traced = opts.timeline != TimelineDetail::kNone || steps_trace;
    std::string files = *level == ReportLevel::kOps ? out + "/ops.csv, "
                        : *level == ReportLevel::kSteps
                            ? out + "/steps.csv, " + out + "/distinct_ops.csv, "
                            : "";
    std::cout << summary_text(chip, *totals, w ? &*w : nullptr) << "  reports  " << files << out
              << "/summary.json" << (traced ? ", " + out + "/" + trace_file_name(gzip) : "") << "\n"
              << "  simulated in " << wall << " s\n";
  }
  return kExitOk;
}

const bool kRegistered = register_command(
    {"run",
     "simulate an op trace or a model on a chip, write per-op (or per-step) reports:\n"
     "  npusim run --arch CHIP --trace OPS.yaml --out DIR\n"
     "  npusim run --arch CHIP --model MODEL [--phase --prompt --tokens --context --batch\n"
     "             --weights --activations --kv --attention] --out DIR\n"
     "  npusim run --arch CHIP --onnx MODEL.onnx [--input-shape NAME=DIMS]...\n"
     "             [--unsupported refuse|vector] [--weights F] [--activations F] --out DIR\n"
     "             [--report LEVEL] [--timeline MODE] [--no-timeline] [--no-memo]\n"
     "             [--schedule S] [--force]\n"
     "             [--quiet]\n"
     "             [--set KEY=VALUE]...  (chip keys: --set core.array.rows=64)",
     10, cmd_run});

}  // namespace
}  // namespace npu::cli
