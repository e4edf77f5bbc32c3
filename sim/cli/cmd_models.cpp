// `npusim models`: the shipped transformer models (configs/models/) with their shape and size:
// what `--model NAME` accepts.
#include <fmt/format.h>

#include <iostream>

#include "cli.h"
#include "sim/config/config_path.h"
#include "sim/config/model_loader.h"

namespace npu::cli {
namespace {

int cmd_models(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim models\n"
      "\n"
      "Lists the shipped transformer models (the configs folder's models/; `npusim --help` says\n"
      "where that is) that `--model NAME` takes: layers, hidden size, query and KV heads, FFN\n"
      "size and kind, vocabulary, and parameters by the formula of workloads/model.h; for a\n"
      "mixture of experts, the experts a token uses of all and the parameters it uses.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help");
  const po::variables_map vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  const std::string root = configs_root();
  const std::vector<std::string> names = shipped_config_names("models", root);
  if (names.empty()) throw UsageError("models: no models in " + root + "/models");
  size_t width = 5;
  for (const std::string& n : names) width = std::max(width, n.size());
  std::string out = fmt::format(
      "{:<{}}  {:>6}  {:>6}  {:>5}  {:>4}  {:>6}  {:<8}  {:>6}  {:>8}  {:>12}\n", "model", width,
      "layers", "hidden", "heads", "kv", "ffn", "ffn kind", "vocab", "params", "experts");
  const auto count = [](uint64_t n) {
    const double p = static_cast<double>(n);
    return fmt::format("{:.{}f}{}", p >= 1e9 ? p * 1e-9 : p * 1e-6, p >= 1e9 ? 2 : 1,
                       p >= 1e9 ? "B" : "M");
  };
  for (const std::string& n : names) {
    const ModelConfig m = load_model(resolve_config_path(n, "models", root));
    // An MoE model: its experts, how many a token uses, and the parameters those come to.
    const std::string experts =
        m.experts == 0
            ? "-"
            : fmt::format("{}/{} {}", m.experts_per_token, m.experts, count(m.active_parameters()));
    out += fmt::format("{:<{}}  {:>6}  {:>6}  {:>5}  {:>4}  {:>6}  {:<8}  {:>6}  {:>8}  {:>12}\n",
                       n, width, m.layers, m.d_model, m.heads, m.kv_heads, m.ffn_dim,
                       ffn_kind_name(m.ffn_kind), m.vocab, count(m.parameters()), experts);
  }
  out += "configs: " + root + "/models\n";
  std::cout << out;
  return kExitOk;
}

const bool kRegistered =
    register_command({"models",
                      "list the shipped transformer models with layers, hidden size, params:\n"
                      "  npusim models",
                      31, cmd_models});

}  // namespace
}  // namespace npu::cli
