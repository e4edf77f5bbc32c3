#include "experiment_cli.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "sim/config/config_path.h"
#include "sim/config/yaml_reader.h"

namespace npu::cli {

void add_set_option(po::options_description& d, bool chip_only) {
  d.add_options()("set",
                  po::value<std::vector<std::string>>()->composing()->value_name("KEY=VALUE"),
                  chip_only ? "override a key of the chip (core.array.rows=64); repeatable"
                            : "override a key of the chip (core.array.rows=64), the model "
                              "(model.kv_heads=8) or the workload (workload.batch=4), or the "
                              "arch (arch=NAME); repeatable");
}

std::vector<std::string> set_args(const po::variables_map& vm) {
  if (!vm.count("set")) return {};
  return vm["set"].as<std::vector<std::string>>();
}

std::vector<config::Override> set_overrides(const po::variables_map& vm) {
  std::vector<config::Override> out;
  for (const auto& a : set_args(vm)) out.push_back(config::parse_set_option(a));
  return out;
}

ChipConfig load_chip_arg(const std::string& arg, const std::vector<config::Override>& sets) {
  if (sets.empty()) return load_chip_arg(arg);
  for (const auto& o : sets)
    if (o.key == "arch" || o.key == "label" || o.key.rfind("workload.", 0) == 0 ||
        o.key.rfind("model.", 0) == 0)
      throw ConfigError(o.origin.file, 0, 0, o.key,
                        "`run --set` sets chip keys; give the workload with its options "
                        "(--batch, ...) and the chip with --arch, or write an experiment");
  const config::Value doc =
      config::load_document(resolve_config_path(arg, "presets", configs_root()));
  for (const auto& o : sets) config::apply_override(doc.node(), o);
  try {
    return load_chip(doc);
  } catch (const ConfigError& e) {
    throw config::relocate(e, sets);
  }
}

Experiment load_experiment_arg(const po::variables_map& vm) {
  if (!vm.count("experiment")) throw UsageError("name the experiment file (EXP.yaml)");
  return load_experiment(vm["experiment"].as<std::string>(), set_overrides(vm), configs_root());
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "_XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder");
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string self_binary() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find the npusim binary (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

size_t default_jobs() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<size_t>(n) : 1;
}

void parse_shard(const std::string& text, size_t& shard, size_t& shards) {
  const size_t slash = text.find('/');
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("--shard: expected i/N (0 <= i < N), got '" + text + "'");
    return static_cast<size_t>(std::stoul(s));
  };
  if (slash == std::string::npos)
    throw UsageError("--shard: expected i/N (0 <= i < N), got '" + text + "'");
  shard = number(text.substr(0, slash));
  shards = number(text.substr(slash + 1));
  if (shards == 0 || shard >= shards)
    throw UsageError("--shard: expected i/N with 0 <= i < N, got '" + text + "'");
}

}  // namespace npu::cli
