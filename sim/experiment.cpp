#include "experiment.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "assertions.h"
#include "capacity.h"
#include "config/config_path.h"
#include "config/loaders.h"
#include "config/model_loader.h"
#include "config/workload_settings.h"
#include "config/yaml_reader.h"
#include "report.h"
#include "results.h"

namespace npu {

namespace {

namespace fs = std::filesystem;
using config::MapReader;
using config::Origin;
using config::Override;
using config::Value;

[[noreturn]] void fail_at(const Origin& o, const std::string& key, const std::string& message) {
  throw ConfigError(o.file, o.line, o.col, key, message);
}

/// The workload mapping of an experiment, read.
struct WorkloadSpec {
  std::optional<Value> model, trace, draft;
  RunSpec run;
  Schedule schedule = Schedule::kCompiled;
};

WorkloadSpec read_workload(const Value& v) {
  std::vector<std::string> keys = config::workload_keys();  // "model" first
  keys.insert(keys.begin() + 1, "trace");
  keys.push_back("schedule");
  MapReader m = v.as_map(keys);
  WorkloadSpec w;
  w.model = m.get("model");
  w.trace = m.get("trace");
  w.draft = m.get("draft");
  if (auto x = m.get("schedule"))
    w.schedule = x->as_enum(config::enum_table(kAllSchedules, schedule_name));
  if (w.model.has_value() == w.trace.has_value())
    m.self().fail("give either `model` (a model run) or `trace` (an op trace)");
  if (w.trace) {
    for (const auto& [key, value] : m.entries())
      if (key.path() != v.path() + ".trace" && key.path() != v.path() + ".schedule")
        key.fail("`" + key.path().substr(v.path().size() + 1) +
                 "` applies to a model run, not a trace");
    w.trace->as_string();
    return w;
  }
  w.model->as_string();
  // `draft: none`: no draft model (so a sweep can set speculative decoding off and on).
  if (w.draft && w.draft->as_string() == "none") w.draft.reset();
  w.run = config::read_run_spec(m);
  return w;
}

/// The product of a numeric scalar and a factor, as YAML text: an integer when the base is
/// written as one and the product is whole, else a decimal.
std::string scaled_text(const YAML::Node& base, double factor, const Override& o,
                        const std::string& where) {
  if (!base.IsDefined() || !base.IsScalar())
    fail_at(o.origin, o.key,
            "cannot scale " + o.key + ": " + where + " does not give it (write the value)");
  const std::string text = base.Scalar();
  char* end = nullptr;
  const double b = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(b))
    fail_at(o.origin, o.key,
            "cannot scale " + o.key + ": its value '" + text + "' is not a number");
  const double v = b * factor;
  const bool integer = text.find_first_of(".eE") == std::string::npos;
  if (integer && std::fabs(v) < 9e15 && v == std::floor(v))
    return std::to_string(static_cast<long long>(v));
  return config::number_text(v);
}

}  // namespace

// -------------------------------------------------------------------------------------------
// Points

PointResolver::PointResolver(const Experiment& e) : m_exp(e) {}

std::string PointResolver::arch_path(const Override& arch) {
  const std::string arg = arch.value.IsScalar() ? arch.value.Scalar() : "";
  if (auto it = m_arch_paths.find(arg); it != m_arch_paths.end()) return it->second;
  std::string path;
  const fs::path beside = fs::path(m_exp.path).parent_path() / arg;
  std::error_code ec;
  if (!arg.empty() && fs::path(arg).is_relative() && fs::is_regular_file(beside, ec)) {
    path = beside.string();
  } else {
    try {
      path = resolve_config_path(arg, "presets", m_exp.configs_root);
    } catch (const ConfigError& err) {
      fail_at(arch.origin, "arch", err.message());
    }
  }
  m_arch_paths[arg] = path;
  return path;
}

std::string PointResolver::model_path(const Value& model) {
  const std::string arg = model.as_string();
  const fs::path beside = fs::path(m_exp.path).parent_path() / arg;
  std::error_code ec;
  if (fs::path(arg).is_relative() && fs::exists(beside, ec)) return beside.string();
  try {
    return resolve_config_path(arg, "models", m_exp.configs_root);
  } catch (const ConfigError& err) {
    model.fail(err.message());
  }
}

std::vector<Override> PointResolver::overrides(size_t id) {
  std::vector<Override> applied = m_exp.set;
  const auto values = point_values(m_exp, id);
  for (size_t i = 0; i < values.size(); ++i)
    if (!m_exp.axes[i].scale && key_space(m_exp.axes[i].key) != KeySpace::kLabel)
      applied.push_back(*values[i]);
  // Scale factors multiply the key's value at this point without the scale axis.
  std::vector<Override> scaled;
  for (size_t i = 0; i < values.size(); ++i) {
    const SweepAxis& axis = m_exp.axes[i];
    if (!axis.scale) continue;
    const double factor = std::strtod(values[i]->value.Scalar().c_str(), nullptr);
    YAML::Node base;
    std::string where;
    const KeySpace sp = key_space(axis.key);
    if (sp == KeySpace::kChip) {
      const Override* arch = nullptr;
      for (const auto& o : applied)
        if (key_space(o.key) == KeySpace::kArch) arch = &o;
      const Value doc = config::load_document(arch_path(*arch));
      for (const auto& o : in_space(applied, KeySpace::kChip))
        config::apply_override(doc.node(), o);
      base.reset(config::find_key(doc.node(), axis.key));
      where = "the chip (" + doc.file() + ")";
    } else {
      const Value doc = config::load_document(m_exp.path);
      for (const auto& o : in_space(applied, KeySpace::kWorkload))
        config::apply_override(doc.node(), o);
      if (sp == KeySpace::kWorkload) {
        base.reset(config::find_key(doc.node(), axis.key));
        where = "the workload";
      } else {
        const Value w = doc.as_map().require("workload");
        const auto model = w.as_map().get("model");
        if (!model) fail_at(axis.origin, axis.key, "model keys need a model workload");
        const Value mdoc = config::load_document(model_path(*model));
        for (const auto& o : in_space(applied, KeySpace::kModel))
          config::apply_override(mdoc.node(), o, "model.");
        base.reset(config::find_key(mdoc.node(), axis.key, "model."));
        where = "the model (" + mdoc.file() + ")";
      }
    }
    Override o = *values[i];
    o.value.reset(config::parse_value(scaled_text(base, factor, o, where), o.origin));
    scaled.push_back(std::move(o));
  }
  applied.insert(applied.end(), scaled.begin(), scaled.end());
  return applied;
}

std::vector<std::string> PointResolver::values(size_t id) {
  const auto raw = point_values(m_exp, id);
  bool any_scale = false;
  for (const auto& a : m_exp.axes) any_scale |= a.scale;
  std::vector<std::string> out;
  for (const auto* o : raw) out.push_back(o->text());
  if (!any_scale) return out;
  const auto applied = overrides(id);
  // The scaled overrides are the last ones, in axis order.
  size_t next = applied.size();
  for (const auto& a : m_exp.axes) next -= a.scale ? 1 : 0;
  for (size_t i = 0; i < m_exp.axes.size(); ++i)
    if (m_exp.axes[i].scale) out[i] = applied[next++].text();
  return out;
}

PointSetup PointResolver::setup(size_t id, bool streamed) {
  PointSetup p = setup(overrides(id), streamed);
  p.id = id;
  return p;
}

PointSetup PointResolver::setup(const std::vector<Override>& applied, bool streamed) {
  PointSetup p;
  const Override* arch = nullptr;
  for (const auto& o : applied)
    if (key_space(o.key) == KeySpace::kArch) arch = &o;
  p.arch = arch->value.Scalar();
  {
    const Value doc = config::load_document(arch_path(*arch));
    const auto chip_sets = in_space(applied, KeySpace::kChip);
    for (const auto& o : chip_sets) config::apply_override(doc.node(), o);
    try {
      p.chip = load_chip(doc);
    } catch (const ConfigError& err) {
      throw config::relocate(err, chip_sets);
    }
  }
  const auto workload_sets = in_space(applied, KeySpace::kWorkload);
  try {
    const Value doc = config::load_document(m_exp.path);
    for (const auto& o : workload_sets) config::apply_override(doc.node(), o);
    const Value w = doc.as_map().require("workload");
    WorkloadSpec spec = read_workload(w);
    p.schedule = spec.schedule;
    const auto model_sets = in_space(applied, KeySpace::kModel);
    if (spec.trace) {
      if (!model_sets.empty())
        fail_at(model_sets[0].origin, model_sets[0].key, "model keys need a model workload");
      std::string path = spec.trace->as_string();
      const fs::path beside = fs::path(m_exp.path).parent_path() / path;
      std::error_code ec;
      if (fs::path(path).is_relative() && fs::exists(beside, ec)) path = beside.string();
      p.trace_ops = load_trace(path);
      return p;
    }
    const std::string mpath = model_path(*spec.model);
    ModelConfig model;
    if (model_sets.empty()) {
      model = load_model(mpath);
    } else {
      if (fs::path(mpath).extension() == ".json")
        fail_at(model_sets[0].origin, model_sets[0].key,
                "model keys can be set on a model YAML only, not on a config.json");
      const Value mdoc = config::load_document(mpath);
      for (const auto& o : model_sets) config::apply_override(mdoc.node(), o, "model.");
      try {
        model = load_model_yaml(mdoc);
      } catch (const ConfigError& err) {
        throw config::relocate(err, model_sets, "model.");
      }
    }
    std::optional<ModelConfig> draft;
    if (spec.draft) draft = load_model(model_path(*spec.draft));
    try {
      p.workload = build_workload(model, spec.run, onchip_score_bytes(p.chip), streamed,
                                  draft ? &*draft : nullptr);
    } catch (const WorkloadError& err) {
      config::fail_at_setting(w, err);
    }
  } catch (const ConfigError& err) {
    throw config::relocate(err, workload_sets);
  }
  return p;
}

}  // namespace npu
