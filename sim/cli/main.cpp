// npusim: the command line. It parses options and calls the library; nothing else lives here.
// Exit status: 0 success, 2 bad input or usage (nothing written), 1 any other failure.
#include <boost/program_options.hpp>
#include <systemc>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/config_path.h"
#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "sim/config/trace_writer.h"
#include "sim/report.h"
#include "sim/scheduler.h"

namespace po = boost::program_options;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;
/// `--timeline auto` records every block up to this many ops, only the ops track beyond.
constexpr size_t kAutoTimelineMaxOps = 20000;

const char* const kUsage =
    "npusim " NPUSIM_VERSION
    " -- a cycle-approximate NPU simulator\n"
    "\n"
    "Usage: npusim <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run      simulate an op trace or a model on a chip, write per-op reports:\n"
    "           npusim run --arch CHIP --trace OPS.yaml --out DIR\n"
    "           npusim run --arch CHIP --model MODEL [--phase --prompt --tokens\n"
    "                      --context --batch --weights --activations --kv\n"
    "                      --attention] --out DIR\n"
    "                      [--timeline MODE] [--no-timeline] [--no-memo] [--quiet]\n"
    "  trace    export a model's op trace: npusim trace export --model MODEL ...\n"
    "\n"
    "Run `npusim <command> --help` for the options of a command.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Where the shipped configs are: $NPUSIM_CONFIGS, else the source tree the binary was built from.
std::string configs_root() {
  if (const char* env = std::getenv("NPUSIM_CONFIGS")) return env;
  return NPUSIM_CONFIGS_DIR;
}

/// Options that describe a model workload (shared by `run --model` and `trace export`).
void add_workload_options(po::options_description& d) {
  d.add_options()("model,m", po::value<std::string>()->value_name("MODEL"),
                  "a model: a shipped name (configs/models/NAME.yaml, e.g. llama-3.1-8b), a "
                  "model YAML, or a Hugging Face config.json")(
      "phase", po::value<std::string>()->default_value("both"), "prefill, decode or both")(
      "prompt", po::value<uint64_t>()->default_value(128), "P: prompt tokens (prefill)")(
      "tokens", po::value<uint64_t>()->default_value(32), "T: tokens to generate (decode steps)")(
      "context", po::value<uint64_t>()->default_value(0),
      "C: KV length cached when decode starts (0 = the prompt P)")(
      "batch", po::value<uint64_t>()->default_value(1), "B: sequences")(
      "weights", po::value<std::string>()->default_value("int8"),
      "weight format: int4, int8, fp8, fp16, bf16")("activations",
                                                    po::value<std::string>()->default_value("fp16"),
                                                    "activation format: int8, fp8, fp16, bf16")(
      "kv", po::value<std::string>()->default_value("fp16"),
      "KV-cache format: int8, fp8, fp16, bf16")(
      "attention", po::value<std::string>()->default_value("flash"), "flash or standard")(
      "weight-group", po::value<uint32_t>()->default_value(32),
      "elements per fp16 scale of int4/int8 weights (0 = no scales)")(
      "lm-head-all", "prefill: LM head for every position, not only the last");
}

npu::Format parse_format_option(const po::variables_map& vm, const char* key) {
  const std::string v = vm[key].as<std::string>();
  if (auto f = npu::parse_format(v)) return *f;
  throw UsageError("--" + std::string(key) + ": unknown format '" + v + "'");
}

/// The workload the options describe; `chip`, when given, sets the SRAM standard attention may
/// keep its scores in.
npu::Workload workload_from(const po::variables_map& vm, const npu::ChipConfig* chip) {
  const npu::ModelConfig model = npu::load_model(
      npu::resolve_config_path(vm["model"].as<std::string>(), "models", configs_root()));
  npu::RunSpec s;
  const std::string phase = vm["phase"].as<std::string>();
  const std::string attention = vm["attention"].as<std::string>();
  if (auto p = npu::parse_phase(phase))
    s.phase = *p;
  else
    throw UsageError("--phase: '" + phase + "' is not prefill, decode or both");
  if (auto a = npu::parse_attention_impl(attention))
    s.attention = *a;
  else
    throw UsageError("--attention: '" + attention + "' is not flash or standard");
  s.prompt = vm["prompt"].as<uint64_t>();
  s.tokens = vm["tokens"].as<uint64_t>();
  s.context = vm["context"].as<uint64_t>();
  s.batch = vm["batch"].as<uint64_t>();
  s.weights = parse_format_option(vm, "weights");
  s.activations = parse_format_option(vm, "activations");
  s.kv = parse_format_option(vm, "kv");
  s.weight_group = vm["weight-group"].as<uint32_t>();
  s.lm_head_all_positions = vm.count("lm-head-all") > 0;
  if (chip) s.onchip_bytes = chip->cores * chip->core.sram.output_bytes;
  return npu::build_workload(model, s);
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& d) {
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(d).run(), vm);
  po::notify(vm);
  return vm;
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim run --arch CHIP --trace OPS.yaml --out DIR [options]\n"
      "       npusim run --arch CHIP --model MODEL [workload options] --out DIR [options]\n"
      "\n"
      "Simulates the ops of OPS.yaml, or the prefill and decode of MODEL, in order, on the\n"
      "chip CHIP (a shipped preset name or a chip YAML) and writes DIR/ops.csv (one row per\n"
      "op), DIR/summary.json and DIR/trace.json (open in https://ui.perfetto.dev).\n"
      "Schemas: configs/SCHEMA.md. Bad input stops with file:line:col: key: message and\n"
      "exit status 2, before anything is simulated or written.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "arch,a", po::value<std::string>()->value_name("CHIP"),
      "the chip: a shipped preset name (configs/presets/NAME.yaml) or a chip YAML")(
      "trace,t", po::value<std::string>()->value_name("FILE"), "op trace (YAML)")(
      "out,o", po::value<std::string>()->value_name("DIR"),
      "folder for the reports (created if missing)")(
      "timeline", po::value<std::string>()->default_value("auto"),
      "trace.json detail: blocks (a track per array, vector unit, DMA channel, memory), ops, "
      "none, or auto (blocks up to 20,000 ops, else ops)")("no-timeline",
                                                           "same as --timeline none")(
      "no-memo", "simulate every op, even repeats (slower; the results are the same)")(
      "quiet,q", "print nothing but errors");
  po::options_description workload("Workload options (with --model)");
  add_workload_options(workload);
  desc.add(workload);
  const po::variables_map vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"arch", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);
  if (vm.count("trace") == vm.count("model")) throw UsageError("give either --trace or --model");

  const npu::ChipConfig chip = npu::load_chip(
      npu::resolve_config_path(vm["arch"].as<std::string>(), "presets", configs_root()));
  std::optional<npu::Workload> w;
  std::vector<npu::Op> trace_ops;
  if (vm.count("model"))
    w = workload_from(vm, &chip);
  else
    trace_ops = npu::load_trace(vm["trace"].as<std::string>());
  const std::vector<npu::Op>& ops = w ? w->ops : trace_ops;

  npu::SimOptions opts;
  const std::string tl = vm.count("no-timeline") ? "none" : vm["timeline"].as<std::string>();
  if (tl == "blocks" || (tl == "auto" && ops.size() <= kAutoTimelineMaxOps))
    opts.timeline = npu::TimelineDetail::kBlocks;
  else if (tl == "ops" || tl == "auto")
    opts.timeline = npu::TimelineDetail::kOps;
  else if (tl == "none")
    opts.timeline = npu::TimelineDetail::kNone;
  else
    throw UsageError("--timeline: '" + tl + "' is not blocks, ops, none or auto");
  opts.memoize = !vm.count("no-memo");

  const auto t0 = std::chrono::steady_clock::now();
  const npu::RunResult result = npu::simulate(chip, ops, opts);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string out = vm["out"].as<std::string>();
  npu::write_reports(out, chip, result, w ? &*w : nullptr);
  if (!vm.count("quiet")) {
    const bool traced = opts.timeline != npu::TimelineDetail::kNone;
    std::cout << npu::summary_text(chip, result, w ? &*w : nullptr) << "  reports  " << out
              << "/ops.csv, " << out << "/summary.json"
              << (traced ? ", " + out + "/trace.json" : "") << "\n"
              << "  simulated in " << wall << " s\n";
  }
  return kExitOk;
}

int cmd_trace(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim trace export --model MODEL [workload options] [--arch CHIP] --out FILE\n"
      "\n"
      "Writes the op trace a model's workload produces as YAML. `npusim run --trace FILE`\n"
      "runs it to the same report as `npusim run --model`. --arch sets the on-chip SRAM\n"
      "standard attention may keep its scores in (as `run` does).\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "arch,a", po::value<std::string>()->value_name("CHIP"), "the chip (optional)")(
      "out,o", po::value<std::string>()->value_name("FILE"), "the trace file to write");
  add_workload_options(desc);
  if (args.empty() || args[0] != "export") {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      std::cout << desc << "\n";
      return kExitOk;
    }
    throw UsageError("trace: the only subcommand is `export`");
  }
  const po::variables_map vm = parse({args.begin() + 1, args.end()}, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"model", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);
  std::optional<npu::ChipConfig> chip;
  if (vm.count("arch"))
    chip = npu::load_chip(
        npu::resolve_config_path(vm["arch"].as<std::string>(), "presets", configs_root()));
  const npu::Workload w = workload_from(vm, chip ? &*chip : nullptr);
  npu::write_trace(vm["out"].as<std::string>(), w.ops, w.model);
  return kExitOk;
}

}  // namespace

int sc_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      // Asked for, the usage is the output; without a command it is an error message.
      (args.empty() ? std::cerr : std::cout) << kUsage;
      return args.empty() ? kExitBadInput : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "npusim " << NPUSIM_VERSION << "\n";
      return kExitOk;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "run") return cmd_run(args);
    if (cmd == "trace") return cmd_trace(args);
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const npu::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  } catch (const npu::WorkloadError& e) {
    std::cerr << "npusim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const po::error& e) {
    std::cerr << "npusim: " << e.what() << " (see npusim --help)\n";
    return kExitBadInput;
  } catch (const UsageError& e) {
    std::cerr << "npusim: " << e.what() << " (see npusim --help)\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "npusim: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

// Our own main (the executable's definition wins over libsystemc's): silence SystemC's banner,
// which its main prints before sc_main runs, then hand over to the kernel as usual.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
