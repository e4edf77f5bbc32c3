#include "cli.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "sim/config/config_path.h"
#include "sim/config/model_loader.h"

namespace npu::cli {

namespace {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace

bool register_command(Command c) {
  registry().push_back(std::move(c));
  return true;
}

std::vector<Command> commands() {
  std::vector<Command> c = registry();
  std::sort(c.begin(), c.end(),
            [](const Command& a, const Command& b) { return a.order < b.order; });
  return c;
}

ChipConfig load_chip_arg(const std::string& arg) {
  return load_chip(resolve_config_path(arg, "presets", configs_root()));
}

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
      "weight format: int4, int8, int16, fp8, fp16, bf16")(
      "activations", po::value<std::string>()->default_value("fp16"),
      "activation format: int8, int16 (a16), fp8, fp16, bf16")(
      "kv", po::value<std::string>()->default_value("fp16"),
      "KV-cache format: int8, int16, fp8, fp16, bf16")(
      "attention", po::value<std::string>()->default_value("flash"), "flash or standard")(
      "weight-group", po::value<uint32_t>()->default_value(32),
      "elements per fp16 scale of int4/int8 weights (0 = no scales)")(
      "lm-head-all", "prefill: LM head for every position, not only the last");
}

static Format parse_format_option(const po::variables_map& vm, const char* key) {
  const std::string v = vm[key].as<std::string>();
  if (auto f = parse_format(v)) return *f;
  throw UsageError("--" + std::string(key) + ": unknown format '" + v + "'");
}

/// The workload the options describe; `chip`, when given, sets the SRAM standard attention may
/// keep its scores in.
Workload workload_from(const po::variables_map& vm, const ChipConfig* chip) {
  const ModelConfig model =
      load_model(resolve_config_path(vm["model"].as<std::string>(), "models", configs_root()));
  RunSpec s;
  const std::string phase = vm["phase"].as<std::string>();
  const std::string attention = vm["attention"].as<std::string>();
  if (auto p = parse_phase(phase))
    s.phase = *p;
  else
    throw UsageError("--phase: '" + phase + "' is not prefill, decode or both");
  if (auto a = parse_attention_impl(attention))
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
  return build_workload(model, s);
}

namespace {

/// Whether the option takes an unsigned integer.
bool unsigned_option(const po::option_description& o) {
  const po::value_semantic* v = o.semantic().get();
  return dynamic_cast<const po::typed_value<unsigned long>*>(v) ||
         dynamic_cast<const po::typed_value<unsigned long long>*>(v) ||
         dynamic_cast<const po::typed_value<unsigned int>*>(v);
}

}  // namespace

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& d,
                        const char* positional, int max_count,
                        const po::options_description* hidden) {
  po::options_description all;
  all.add(d);
  if (hidden) all.add(*hidden);
  po::positional_options_description pos;
  if (positional) pos.add(positional, max_count);
  const po::parsed_options parsed =
      po::command_line_parser(args).options(all).positional(pos).run();
  for (const po::option& o : parsed.options) {
    const po::option_description* od = all.find_nothrow(o.string_key, false);
    if (!od || !unsigned_option(*od)) continue;
    for (const std::string& v : o.value) {
      const size_t at = v.find_first_not_of(" \t");
      if (at != std::string::npos && v[at] == '-')
        throw UsageError("--" + o.string_key + ": must not be negative, got " + v);
    }
  }
  po::variables_map vm;
  po::store(parsed, vm);
  po::notify(vm);
  return vm;
}

}  // namespace npu::cli
