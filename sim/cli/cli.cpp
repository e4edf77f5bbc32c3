#include "cli.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <system_error>

#include "sim/capacity.h"
#include "sim/config/config_path.h"
#include "sim/config/model_loader.h"
#include "sim/config/routing_file.h"
#include "sim/config/trace_writer.h"
#include "sim/config/workload_settings.h"
#include "sim/config/yaml_reader.h"

namespace npu::cli {

namespace fs = std::filesystem;

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

std::string installed_configs_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path dir = (exe.parent_path() / NPUSIM_INSTALL_CONFIGS_REL).lexically_normal();
  return fs::is_directory(dir, ec) ? dir.string() : "";
}

std::string configs_root() {
  // --configs DIR is stored in $NPUSIM_CONFIGS by main(), so sweep workers inherit it.
  if (const char* env = std::getenv("NPUSIM_CONFIGS"); env && *env) return env;
  if (std::string dir = installed_configs_dir(); !dir.empty()) return dir;
  return NPUSIM_CONFIGS_DIR;
}

void use_configs_dir(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec))
    throw ConfigError(dir, 0, 0, "", "--configs: not a folder");
  ::setenv("NPUSIM_CONFIGS", dir.c_str(), 1);
}

/// Options that describe a model workload (shared by `run --model` and `trace export`), from
/// the table of workload settings.
void add_workload_options(po::options_description& d) {
  for (const auto& w : config::workload_settings()) {
    switch (w.kind) {
      case config::SettingKind::kName:  // the model: -m MODEL; the draft model
        d.add_options()((std::string(w.flag) + (w.field == RunField::kModel ? ",m" : "")).c_str(),
                        po::value<std::string>()->value_name("MODEL"), w.help);
        break;
      case config::SettingKind::kSwitch:
        d.add_options()(w.flag, w.help);
        break;
      default:
        d.add_options()(w.flag, po::value<std::string>()->default_value(default_text(w)), w.help);
    }
  }
  add_routing_file_option(d);
}

void add_routing_file_option(po::options_description& d) {
  d.add_options()("routing-file", po::value<std::string>()->value_name("FILE"),
                  "mixture-of-experts models: each layer's expert weights from a CSV file "
                  "(columns layer, expert, weight; layer * for every layer not listed): the "
                  "router gives each expert picks in proportion, at most one per token");
}

void read_routing_file_option(const po::variables_map& vm, RunSpec& s) {
  if (!vm.count("routing-file")) return;
  if (!vm["routing"].defaulted())
    throw UsageError("--routing-file sets the routing itself: leave --routing out");
  s.routing = Routing::kFile;
  s.routing_weights = read_routing_file(vm["routing-file"].as<std::string>());
}

/// The workload the options describe; `chip`, when given, sets the SRAM standard attention may
/// keep its scores in.
Workload workload_from(const po::variables_map& vm, const ChipConfig* chip, bool streamed) {
  const ModelConfig model =
      load_model(resolve_config_path(vm["model"].as<std::string>(), "models", configs_root()));
  std::optional<ModelConfig> draft;
  if (vm.count("draft"))
    draft =
        load_model(resolve_config_path(vm["draft"].as<std::string>(), "models", configs_root()));
  RunSpec s;
  for (const auto& w : config::workload_settings()) {
    if (w.kind == config::SettingKind::kSwitch && vm.count(w.flag)) w.store(s, 1);
    if (w.kind != config::SettingKind::kSwitch && w.kind != config::SettingKind::kName)
      config::set_from_text(s, w, vm[w.flag].as<std::string>());
  }
  read_routing_file_option(vm, s);
  return build_workload(model, s, chip ? onchip_score_bytes(*chip) : 0, streamed,
                        draft ? &*draft : nullptr);
}

void add_onnx_options(po::options_description& d, bool formats) {
  d.add_options()("input-shape",
                  po::value<std::vector<std::string>>()->composing()->value_name("NAME=DIMS"),
                  "the shape of a graph input, replacing the model's (needed for symbolic "
                  "dimensions): --input-shape x=1x3x224x224; repeatable")(
      "unsupported", po::value<std::string>()->default_value("refuse")->value_name("MODE"),
      "ops npusim cannot model: refuse (name them and stop) or vector (cost each as one "
      "element-wise pass over its output on the vector unit)");
  if (formats)
    d.add_options()("weights", po::value<std::string>()->value_name("FORMAT"),
                    "format of the weights (default: from the model's types)")(
        "activations", po::value<std::string>()->value_name("FORMAT"),
        "format of every other tensor (default: from the model's types)");
}

OnnxImport import_onnx_arg(const std::string& path, const po::variables_map& vm, bool quiet) {
  OnnxImportOptions o;
  if (vm.count("input-shape"))
    for (const auto& text : vm["input-shape"].as<std::vector<std::string>>()) try {
        o.input_shapes.push_back(parse_input_shape(text));
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--input-shape: ") + e.what());
      }
  const std::string mode = vm["unsupported"].as<std::string>();
  if (mode != "refuse" && mode != "vector")
    throw UsageError("--unsupported: '" + mode + "' is not refuse or vector");
  o.cost_unsupported = mode == "vector";
  auto format = [&](const char* flag) -> std::optional<Format> {
    if (!vm.count(flag) || vm[flag].defaulted()) return std::nullopt;
    const std::string text = vm[flag].as<std::string>();
    if (auto f = parse_format(text)) return f;
    throw UsageError(std::string("--") + flag + ": '" + text +
                     "' is not a format (int4, int8, "
                     "int16, fp8, fp16, bf16, fp32, int32)");
  };
  o.weights = format("weights");
  o.activations = format("activations");
  config::refuse_non_regular(path);  // a device, FIFO or directory: refused at once
  OnnxImport m = import_onnx(path, o);
  // Every op must be one `npusim run --trace` takes (the trace loader's ranges: dimensions 1 to
  // 2^32, MACs under 2^62, ...): `run --onnx` and a run of the trace `trace import` writes are
  // the same run, and refuse the same.
  try {
    (void)load_trace_text(trace_yaml(m.ops, m.name), path);
  } catch (const ConfigError& e) {
    std::string where = e.key();
    if (where.rfind("ops[", 0) == 0) {
      const size_t i = std::stoull(where.substr(4));
      if (i < m.ops.size())
        where = "op '" + m.ops[i].name + "'" + where.substr(where.find(']') + 1);
    }
    throw ConfigError(path, 0, 0, "", where + ": " + e.message() + " (as imported)");
  }
  if (!quiet)
    for (const auto& note : m.notes) std::cout << "onnx: " << note << "\n";
  return m;
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
