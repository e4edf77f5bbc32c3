// `npusim serve`: a model serving requests with continuous batching (sim/serve.h).
#include <chrono>
#include <cmath>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "experiment_cli.h"
#include "sim/capacity.h"
#include "sim/config/config_path.h"
#include "sim/config/model_loader.h"
#include "sim/config/request_file.h"
#include "sim/config/workload_settings.h"
#include "sim/output_set.h"
#include "sim/serve.h"

namespace npu::cli {
namespace {

/// The workload settings that apply to serving: the formats and kernels; the lengths and the
/// batch are the requests'.
bool serve_setting(RunField f) {
  switch (f) {
    case RunField::kWeights:
    case RunField::kActivations:
    case RunField::kKv:
    case RunField::kAttention:
    case RunField::kWeightGroup:
    case RunField::kLmHeadWeights:
    case RunField::kRouting:
    case RunField::kRoutingSkew:
      return true;
    default:
      return false;
  }
}

double positive_seconds(const po::variables_map& vm, const char* flag) {
  if (!vm.count(flag)) return 0;
  const double v = vm[flag].as<double>();
  if (!std::isfinite(v) || v <= 0 || v > 1e6)
    throw UsageError(std::string("--") + flag + ": " + std::to_string(v) +
                     " is not a time in seconds above 0 (up to 1e6)");
  return v;
}

uint64_t count_in(const po::variables_map& vm, const char* flag, uint64_t lo, uint64_t hi) {
  const uint64_t v = vm[flag].as<uint64_t>();
  if (v < lo || v > hi)
    throw UsageError(std::string("--") + flag + ": " + std::to_string(v) + " is not " +
                     std::to_string(lo) + " to " + std::to_string(hi));
  return v;
}

int cmd_serve(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim serve --arch CHIP --model MODEL --requests FILE.csv --out DIR [options]\n"
      "       npusim serve --arch CHIP --model MODEL --rate R --requests-count N\n"
      "                    [--prompt-dist D] [--output-dist D] [--seed S] --out DIR [options]\n"
      "\n"
      "Serves requests with continuous batching, as vLLM schedules them: each step (one graph\n"
      "call of the model, simulated on CHIP) runs every running request's next tokens (one\n"
      "while decoding, a chunk of its prompt while prefilling) and admits waiting requests in\n"
      "arrival order within --step-tokens and --max-batch; the KV cache is a pool of blocks,\n"
      "and a request that needs one when none is free preempts the one admitted last (it is\n"
      "recomputed later). Requests arrive in simulated time, from FILE.csv (columns arrival_s,\n"
      "prompt_tokens, output_tokens) or a seeded Poisson load. Writes DIR/requests.csv (TTFT,\n"
      "TPOT, end-to-end per request), DIR/steps.csv (each step's batch, time and bound) and\n"
      "DIR/summary.json (percentiles, throughput, goodput, energy). Schemas: configs/SCHEMA.md.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")("arch,a",
                                                 po::value<std::string>()->value_name("CHIP"),
                                                 "the chip: a shipped preset name or a chip YAML")(
      "model,m", po::value<std::string>()->value_name("MODEL"),
      "the model: a shipped model name, a model YAML or a config.json (a decoder)")(
      "requests", po::value<std::string>()->value_name("FILE"), "the requests: a CSV file")(
      "rate", po::value<double>()->value_name("R"), "generated load: requests per second")(
      "requests-count", po::value<uint64_t>()->value_name("N"), "generated load: requests")(
      "prompt-dist", po::value<std::string>()->default_value("uniform:256:768"),
      "generated prompts' tokens: N, fixed:N, uniform:LO:HI, normal:MEAN:SD or "
      "exponential:MEAN")("output-dist", po::value<std::string>()->default_value("uniform:128:384"),
                          "generated outputs' tokens (the same forms)")(
      "seed", po::value<uint64_t>()->default_value(1), "generated load: the random seed")(
      "max-batch", po::value<uint64_t>()->default_value(256),
      "requests running at once (vLLM's max_num_seqs)")(
      "step-tokens", po::value<uint64_t>()->default_value(2048),
      "tokens a step computes at most (vLLM's max_num_batched_tokens): prompts are chunked to "
      "fit")("kv-block", po::value<uint64_t>()->default_value(16),
             "positions per KV cache block (vLLM's block_size); attention reads the cache block "
             "by block")("kv-blocks", po::value<uint64_t>()->default_value(0),
                         "blocks the KV cache holds; 0: what the device's memory "
                         "(memory.capacity_gib) leaves after the weights and a step's "
                         "activations, unlimited when the chip models no capacity")(
      "slo-ttft", po::value<double>()->value_name("S"),
      "goodput: a request meets its target if its time to first token is at most S seconds")(
      "slo-tpot", po::value<double>()->value_name("S"),
      "goodput: ... and its time per output token after the first at most S seconds")(
      "schedule", po::value<std::string>()->default_value("compiled"),
      "compiled or isolated (as `npusim run`)")(
      "no-memo", "simulate every op, even repeats, and every tile step of a steady state")(
      "out,o", po::value<std::string>()->value_name("DIR"), "folder for the reports")(
      "force", "write into DIR even if it holds files npusim did not write")(
      "quiet,q", "print nothing but errors");
  po::options_description workload("Workload options");
  for (const auto& w : config::workload_settings())
    if (serve_setting(w.field))
      workload.add_options()(w.flag, po::value<std::string>()->default_value(default_text(w)),
                             w.help);
  add_routing_file_option(workload);
  add_set_option(desc, true);
  desc.add(workload);
  const po::variables_map vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* required : {"arch", "model", "out"})
    if (!vm.count(required)) throw UsageError(std::string("missing --") + required);
  const bool generated = vm.count("rate") || vm.count("requests-count");
  if (vm.count("requests") == generated)
    throw UsageError("give --requests FILE, or --rate and --requests-count");
  if (generated && !(vm.count("rate") && vm.count("requests-count")))
    throw UsageError("a generated load needs both --rate and --requests-count");
  if (!generated)
    for (const char* flag : {"prompt-dist", "output-dist", "seed"})
      if (!vm[flag].defaulted())
        throw UsageError(std::string("--") + flag + " shapes a generated load, not --requests");

  ServeSettings settings;
  ServeLimits& limits = settings.limits;
  limits.max_batch = count_in(vm, "max-batch", 1, kMaxBatch);
  limits.step_tokens = count_in(vm, "step-tokens", 1, kMaxPositions);
  limits.kv_block = count_in(vm, "kv-block", 1, 4096);
  limits.kv_blocks = count_in(vm, "kv-blocks", 0, uint64_t{1} << 40);
  settings.slo_ttft_s = positive_seconds(vm, "slo-ttft");
  settings.slo_tpot_s = positive_seconds(vm, "slo-tpot");
  SimOptions opts;
  opts.timeline = TimelineDetail::kNone;
  opts.memoize = !vm.count("no-memo");
  const std::string schedule = vm["schedule"].as<std::string>();
  if (schedule != "compiled" && schedule != "isolated")
    throw UsageError("--schedule: '" + schedule + "' is not compiled or isolated");
  opts.schedule = schedule == "compiled" ? Schedule::kCompiled : Schedule::kIsolated;

  const ChipConfig chip = load_chip_arg(vm["arch"].as<std::string>(), set_overrides(vm));
  const ModelConfig model =
      load_model(resolve_config_path(vm["model"].as<std::string>(), "models", configs_root()));
  RunSpec spec;
  for (const auto& w : config::workload_settings())
    if (serve_setting(w.field)) config::set_from_text(spec, w, vm[w.flag].as<std::string>());
  read_routing_file_option(vm, spec);
  // The model and the formats checked as a run checks them (an encoder cannot decode).
  RunSpec probe = spec;
  probe.prompt = 1;
  probe.tokens = 1;
  build_workload(model, probe, 0, /*streamed=*/true);

  std::vector<Request> reqs;
  std::string source = "<generated load>";
  if (generated) {
    const double rate = vm["rate"].as<double>();
    // From 1e-6 (a request every 11.6 days on average: a load's arrivals stay within the 1e9 s
    // a request file may give, with room) to 1e6 requests a second.
    if (!std::isfinite(rate) || rate < 1e-6 || rate > 1e6) {
      std::ostringstream text;
      text << rate;
      throw UsageError("--rate: " + text.str() + " is not from 1e-6 to 1e6 requests a second");
    }
    const uint64_t n = count_in(vm, "requests-count", 1, kMaxServeRequests);
    if (static_cast<double>(n) / rate > 1e9)
      throw UsageError("--rate: " + std::to_string(n) +
                       " requests at this rate arrive over about " +
                       std::to_string(static_cast<uint64_t>(static_cast<double>(n) / rate)) +
                       " s, past the 1e9 s a load may span (as a request file's times)");
    TokenDist prompt, output;
    for (auto [flag, dist] : {std::pair{"prompt-dist", &prompt}, std::pair{"output-dist", &output}})
      try {
        *dist = parse_token_dist(vm[flag].as<std::string>());
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--") + flag + ": " + e.what());
      }
    reqs = generate_requests(rate, n, prompt, output, vm["seed"].as<uint64_t>(), model.max_context);
  } else {
    source = vm["requests"].as<std::string>();
    reqs = read_requests(source);
  }
  // The weights and a step's activations must fit the device memory (memory.capacity_gib), and
  // the KV cache what they leave: sized from it, or no larger when --kv-blocks gives it.
  if (const auto fit = kv_blocks_from_capacity(chip, model, spec, limits); limits.kv_blocks == 0)
    limits.kv_blocks = fit.value_or(0);
  else if (fit && limits.kv_blocks > *fit)
    throw UsageError("--kv-blocks: " + std::to_string(limits.kv_blocks) +
                     " blocks do not fit the device memory beside the weights and a step's "
                     "activations: at most " +
                     std::to_string(*fit));
  check_requests(reqs, model, limits, source);
  check_serve_work(model, spec, reqs, limits, source);
  const std::string out = vm["out"].as<std::string>();
  const bool force = vm.count("force") > 0;
  check_output_folder(out, force);

  const auto t0 = std::chrono::steady_clock::now();
  const ServeResult r = serve(chip, model, spec, std::move(reqs), limits, opts);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_serve_reports(out, force, chip, model, r, settings);
  if (!vm.count("quiet"))
    std::cout << "npusim serve: " << model.name << " on " << chip.name << ", "
              << (limits.kv_blocks ? std::to_string(limits.kv_blocks) + " KV blocks of " +
                                         std::to_string(limits.kv_block) + " positions"
                                   : std::string("an unlimited KV cache"))
              << "\n"
              << serve_summary_text(chip, model, r, settings) << "  reports  " << out
              << "/requests.csv, " << out << "/steps.csv, " << out << "/summary.json\n"
              << "  simulated in " << wall << " s\n";
  return kExitOk;
}

const bool kRegistered = register_command(
    {"serve",
     "serve requests with continuous batching (TTFT, TPOT, goodput):\n"
     "  npusim serve --arch CHIP --model MODEL (--requests FILE.csv | --rate R\n"
     "               --requests-count N [--prompt-dist D] [--output-dist D] [--seed S])\n"
     "               [--max-batch B] [--step-tokens T] [--kv-block P] [--kv-blocks N]\n"
     "               [--slo-ttft S] [--slo-tpot S] --out DIR",
     15, cmd_serve});

}  // namespace
}  // namespace npu::cli
