#include "experiment.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "assertions.h"
#include "config/config_path.h"
#include "config/loaders.h"
#include "config/model_loader.h"
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

/// Far above any useful sweep; keeps ids and the grid product inside 64 bits.
constexpr uint64_t kMaxPoints = 100'000'000;

enum class Space : uint8_t { kArch, kLabel, kWorkload, kModel, kChip };

Space space_of(const std::string& key) {
  if (key == "arch") return Space::kArch;
  if (key == "label") return Space::kLabel;
  if (key.rfind("workload.", 0) == 0) return Space::kWorkload;
  if (key.rfind("model.", 0) == 0) return Space::kModel;
  return Space::kChip;
}

Origin origin_of(const Value& v) {
  return Origin{v.file(), v.line(), v.col()};
}

Override override_of(const std::string& key, const Value& v) {
  return Override{key, v.node(), origin_of(v)};
}

[[noreturn]] void fail_at(const Origin& o, const std::string& key, const std::string& message) {
  throw ConfigError(o.file, o.line, o.col, key, message);
}

std::vector<Override> in_space(const std::vector<Override>& all, Space s) {
  std::vector<Override> out;
  for (const auto& o : all)
    if (space_of(o.key) == s) out.push_back(o);
  return out;
}

const config::EnumTable<Format>& format_table() {
  static const auto table = config::enum_table(kAllFormats, format_name);
  return table;
}

std::string stem(const std::string& arg) {
  return fs::path(arg).stem().string();
}

/// The workload mapping of an experiment, read.
struct WorkloadSpec {
  std::optional<Value> model, trace;
  RunSpec run;
};

constexpr uint32_t kMaxWeightGroup = 1u << 16;

WorkloadSpec read_workload(const Value& v) {
  MapReader m =
      v.as_map({"model", "trace", "phase", "prompt", "tokens", "context", "batch", "weights",
                "activations", "kv", "attention", "weight_group", "lm_head_all"});
  WorkloadSpec w;
  w.model = m.get("model");
  w.trace = m.get("trace");
  if (w.model.has_value() == w.trace.has_value())
    m.self().fail("give either `model` (a model run) or `trace` (an op trace)");
  if (w.trace) {
    for (const auto& [key, value] : m.entries())
      if (key.path() != v.path() + ".trace")
        key.fail("`" + key.path().substr(v.path().size() + 1) +
                 "` applies to a model run, not a trace");
    w.trace->as_string();
    return w;
  }
  w.model->as_string();
  static const Phase kPhases[] = {Phase::kPrefill, Phase::kDecode, Phase::kBoth};
  static const AttentionImpl kAttention[] = {AttentionImpl::kFlash, AttentionImpl::kStandard};
  RunSpec& s = w.run;
  if (auto x = m.get("phase")) s.phase = x->as_enum(config::enum_table(kPhases, phase_name));
  if (auto x = m.get("prompt")) s.prompt = x->as_uint(1, kMaxPositions);
  if (auto x = m.get("tokens")) s.tokens = x->as_uint(1, kMaxPositions);
  if (auto x = m.get("context")) s.context = x->as_uint(0, kMaxPositions);
  if (auto x = m.get("batch")) s.batch = x->as_uint(1, kMaxBatch);
  if (auto x = m.get("weights")) s.weights = x->as_enum(format_table());
  if (auto x = m.get("activations")) s.activations = x->as_enum(format_table());
  if (auto x = m.get("kv")) s.kv = x->as_enum(format_table());
  if (auto x = m.get("attention"))
    s.attention = x->as_enum(config::enum_table(kAttention, attention_impl_name));
  if (auto x = m.get("weight_group")) s.weight_group = x->as_u32(0, kMaxWeightGroup);
  if (auto x = m.get("lm_head_all")) s.lm_head_all_positions = x->as_bool();
  return w;
}

/// A WorkloadError ("--context: ...") as a ConfigError at the workload key it names.
[[noreturn]] void fail_workload(const Value& workload, const WorkloadError& e) {
  std::string key = e.option();
  while (!key.empty() && key[0] == '-') key.erase(0, 1);
  std::replace(key.begin(), key.end(), '-', '_');
  MapReader m = workload.as_map();
  if (auto x = m.get(key)) x->fail(e.message());
  throw ConfigError(workload.file(), workload.line(), workload.col(), workload.path() + "." + key,
                    e.message());
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
// Experiment

size_t SweepBlock::points(const std::vector<SweepAxis>& axes) const {
  if (count == 0) return 1;
  if (mode == SweepMode::kZip) return axes[first].values.size();
  size_t n = 1;
  for (size_t i = first; i < first + count; ++i) n *= axes[i].values.size();
  return n;
}

size_t Experiment::point_count() const {
  size_t n = 1;
  for (const auto& b : blocks) n *= b.points(axes);
  return n;
}

std::vector<const Override*> Experiment::point(size_t id) const {
  std::vector<const Override*> out(axes.size());
  // Blocks multiply as a grid, the last one varying fastest; within a grid block the last key
  // varies fastest, within a zip block every key takes its local index.
  for (size_t b = blocks.size(); b-- > 0;) {
    const SweepBlock& block = blocks[b];
    const size_t n = block.points(axes);
    size_t local = id % n;
    id /= n;
    if (block.mode == SweepMode::kZip) {
      for (size_t i = block.first; i < block.first + block.count; ++i)
        out[i] = &axes[i].values.at(local);
      continue;
    }
    for (size_t i = block.first + block.count; i-- > block.first;) {
      const size_t m = axes[i].values.size();
      out[i] = &axes[i].values[local % m];
      local /= m;
    }
  }
  return out;
}

std::vector<std::string> Experiment::swept_keys() const {
  std::vector<std::string> k;
  for (const auto& a : axes) k.push_back(a.key);
  return k;
}

Experiment load_experiment(const std::string& path, const std::vector<Override>& cli_sets,
                           const std::string& configs_root) {
  Experiment e;
  e.path = path;
  e.configs_root = configs_root;
  // The path and the name taken from it go into sweep.json: they must be text.
  if (const std::string problem = config::text_problem(path); !problem.empty())
    throw ConfigError(config::shown_text(path), 0, 0, "", "the file's path is " + problem);
  const Value root = config::load_document(path);
  MapReader top = root.as_map(
      {"name", "description", "arch", "set", "workload", "metrics", "sweep", "pareto", "assert"});
  e.name = top.get("name") ? top.get("name")->as_string() : stem(path);
  if (auto x = top.get("description")) e.description = x->as_string();
  const Value arch = top.require("arch");
  arch.as_string();
  e.set.push_back(override_of("arch", arch));
  top.require("workload").as_map();

  if (auto s = top.get("set")) {
    for (const auto& [key, value] : s->as_map().entries()) {
      const std::string k = key.path().substr(std::string("set.").size());
      config::split_key(k, origin_of(key));
      if (space_of(k) == Space::kLabel) key.fail("`label` is a sweep key only");
      if (space_of(k) == Space::kArch) value.as_string();
      e.set.push_back(override_of(k, value));
    }
  }

  if (auto m = top.get("metrics")) {
    for (const Value& item : m->as_list()) {
      e.metrics.push_back(item.as_string());
      e.metric_origins.push_back(origin_of(item));
    }
    if (e.metrics.empty()) m->fail("list at least one metric, or leave `metrics` out");
  }

  if (auto s = top.get("sweep")) {
    // One block (a mapping) or several (a list), multiplied as a grid.
    std::vector<Value> blocks;
    if (s->node().IsSequence()) {
      blocks = s->as_list();
      if (blocks.empty()) s->fail("give at least one sweep block");
    } else {
      blocks.push_back(*s);
    }
    uint64_t product = 1;
    for (const Value& b : blocks) {
      MapReader sm = b.as_map({"mode", "keys"});
      SweepBlock block;
      block.first = e.axes.size();
      if (auto x = sm.get("mode")) {
        static const config::EnumTable<SweepMode> kModes = {{"grid", SweepMode::kGrid},
                                                            {"zip", SweepMode::kZip}};
        block.mode = x->as_enum(kModes);
      }
      const Value keys = sm.require("keys");
      const auto entries = keys.as_map().entries();
      if (entries.empty()) keys.fail("sweep at least one key");
      for (const auto& [key, value] : entries) {
        SweepAxis axis;
        axis.key = key.path().substr(keys.path().size() + 1);
        axis.origin = origin_of(key);
        config::split_key(axis.key, axis.origin);
        // (Never assign a Value: yaml-cpp's Node::operator= rewrites the node it refers to.)
        std::optional<Value> scale;
        if (value.node().IsMap()) {
          scale.emplace(value.as_map({"scale"}).require("scale"));
          axis.scale = true;
          const Space sp = space_of(axis.key);
          if (sp == Space::kArch || sp == Space::kLabel)
            key.fail("`" + axis.key + "` is not a number: it cannot be scaled");
        }
        const Value& list = scale ? *scale : value;
        const auto items = list.as_list();
        if (items.empty()) list.fail("give at least one value");
        std::set<std::string> seen;
        for (const Value& item : items) {
          if (axis.scale) item.as_number(0, true, std::numeric_limits<double>::infinity());
          if (space_of(axis.key) == Space::kArch) item.as_string();
          if (item.node().IsNull()) item.fail("a sweep value cannot be empty");
          Override o = override_of(axis.key, item);
          // A grid's values are distinct (each is a point); a zip may repeat a value.
          if (block.mode == SweepMode::kGrid && !seen.insert(o.text()).second)
            item.fail("the value " + o.text() + " is listed twice for " + axis.key);
          axis.values.push_back(std::move(o));
        }
        const SweepAxis* first = block.count > 0 ? &e.axes[block.first] : nullptr;
        if (block.mode == SweepMode::kZip && first && items.size() != first->values.size())
          key.fail("a zip pairs lists of equal length: " + axis.key + " has " +
                   std::to_string(items.size()) + " values, " + first->key + " has " +
                   std::to_string(first->values.size()));
        if (block.mode == SweepMode::kGrid || !first) product *= items.size();
        if (product > kMaxPoints)
          key.fail("the sweep has more than " + std::to_string(kMaxPoints) + " points");
        for (const auto& other : e.axes)
          if (other.key == axis.key) key.fail("swept twice");
        e.axes.push_back(std::move(axis));
        ++block.count;
      }
      e.blocks.push_back(block);
    }
  }

  if (auto p = top.get("pareto")) {
    MapReader pm = p->as_map({"minimize", "maximize"});
    e.pareto_origin = origin_of(*p);
    for (const char* k : {"minimize", "maximize"})
      if (auto x = pm.get(k))
        for (const Value& item : x->as_list())
          (std::string(k) == "minimize" ? e.minimize : e.maximize).push_back(item.as_string());
    if (e.minimize.empty() && e.maximize.empty()) p->fail("name at least one objective");
  } else {
    e.minimize = {"seconds", "energy_j", "area.proxy"};
    e.pareto_origin = origin_of(root);
  }

  if (auto a = top.get("assert")) {
    const auto items = a->as_list();
    for (const Value& item : items) {
      AssertSpec spec;
      spec.key = item.path();
      if (item.node().IsMap()) {
        MapReader am = item.as_map({"name", "expr", "for_each", "xfail"});
        if (auto x = am.get("name")) spec.name = x->as_string();
        const Value expr = am.require("expr");
        spec.expr = expr.as_string();
        spec.origin = origin_of(expr);
        if (auto x = am.get("for_each"))
          for (const Value& k : x->as_list()) spec.for_each.push_back(k.as_string());
        if (auto x = am.get("xfail"))
          for (const auto& [k, why] : x->as_map().entries())
            spec.xfail[k.path().substr(x->path().size() + 1)] = why.as_string();
      } else {
        spec.expr = item.as_string();
        spec.origin = origin_of(item);
      }
      e.asserts.push_back(std::move(spec));
    }
  }

  // The command line's overrides come last; a key the sweep varies cannot also be set there.
  for (const Override& o : cli_sets) {
    if (space_of(o.key) == Space::kLabel) fail_at(o.origin, o.key, "`label` is a sweep key only");
    for (const auto& axis : e.axes)
      if (axis.key == o.key)
        fail_at(o.origin, o.key,
                "the experiment sweeps this key (" + axis.origin.file + ":" +
                    std::to_string(axis.origin.line) + "); set another or edit the sweep");
    if (space_of(o.key) == Space::kArch && !o.value.IsScalar())
      fail_at(o.origin, o.key, "expected a preset name or a chip file");
    e.set.push_back(o);
    ++e.cli_sets;
  }
  return e;
}

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
  const auto values = m_exp.point(id);
  for (size_t i = 0; i < values.size(); ++i)
    if (!m_exp.axes[i].scale && space_of(m_exp.axes[i].key) != Space::kLabel)
      applied.push_back(*values[i]);
  // Scale factors multiply the key's value at this point without the scale axis.
  std::vector<Override> scaled;
  for (size_t i = 0; i < values.size(); ++i) {
    const SweepAxis& axis = m_exp.axes[i];
    if (!axis.scale) continue;
    const double factor = std::strtod(values[i]->value.Scalar().c_str(), nullptr);
    YAML::Node base;
    std::string where;
    const Space sp = space_of(axis.key);
    if (sp == Space::kChip) {
      const Override* arch = nullptr;
      for (const auto& o : applied)
        if (space_of(o.key) == Space::kArch) arch = &o;
      const Value doc = config::load_document(arch_path(*arch));
      for (const auto& o : in_space(applied, Space::kChip)) config::apply_override(doc.node(), o);
      base.reset(config::find_key(doc.node(), axis.key));
      where = "the chip (" + doc.file() + ")";
    } else {
      const Value doc = config::load_document(m_exp.path);
      for (const auto& o : in_space(applied, Space::kWorkload))
        config::apply_override(doc.node(), o);
      if (sp == Space::kWorkload) {
        base.reset(config::find_key(doc.node(), axis.key));
        where = "the workload";
      } else {
        const Value w = doc.as_map().require("workload");
        const auto model = w.as_map().get("model");
        if (!model) fail_at(axis.origin, axis.key, "model keys need a model workload");
        const Value mdoc = config::load_document(model_path(*model));
        for (const auto& o : in_space(applied, Space::kModel))
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
  const auto raw = m_exp.point(id);
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

PointSetup PointResolver::setup(size_t id) {
  PointSetup p = setup(overrides(id));
  p.id = id;
  return p;
}

PointSetup PointResolver::setup(const std::vector<Override>& applied) {
  PointSetup p;
  const Override* arch = nullptr;
  for (const auto& o : applied)
    if (space_of(o.key) == Space::kArch) arch = &o;
  p.arch = arch->value.Scalar();
  {
    const Value doc = config::load_document(arch_path(*arch));
    const auto chip_sets = in_space(applied, Space::kChip);
    for (const auto& o : chip_sets) config::apply_override(doc.node(), o);
    try {
      p.chip = load_chip(doc);
    } catch (const ConfigError& err) {
      throw config::relocate(err, chip_sets);
    }
  }
  const auto workload_sets = in_space(applied, Space::kWorkload);
  try {
    const Value doc = config::load_document(m_exp.path);
    for (const auto& o : workload_sets) config::apply_override(doc.node(), o);
    const Value w = doc.as_map().require("workload");
    WorkloadSpec spec = read_workload(w);
    const auto model_sets = in_space(applied, Space::kModel);
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
    spec.run.onchip_bytes = p.chip.cores * p.chip.core.sram.output_bytes;
    try {
      p.workload = build_workload(model, spec.run);
    } catch (const WorkloadError& err) {
      fail_workload(w, err);
    }
  } catch (const ConfigError& err) {
    throw config::relocate(err, workload_sets);
  }
  return p;
}

// -------------------------------------------------------------------------------------------
// Validation

namespace {

/// summary.json's scalar leaves for a point, without simulating: every op recorded with zero
/// cycles, so the structure (classes, phases, bounds) is the real one.
std::map<std::string, std::string> skeleton(const PointSetup& p) {
  RunResult r;
  const auto& ops = p.ops();
  r.ops.resize(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) r.ops[i].op = &ops[i];
  return flatten_summary(summary_json(p.chip, r, p.workload ? &*p.workload : nullptr));
}

bool error_at(const ConfigError& err, const Override& o) {
  return err.file() == o.origin.file && err.line() == o.origin.line && err.col() == o.origin.col;
}

}  // namespace

std::vector<std::string> validate_experiment(const Experiment& e) {
  PointResolver resolver(e);
  std::map<std::string, std::string> leaves;
  auto learn = [&](const PointSetup& p) {
    for (auto& [k, v] : skeleton(p)) leaves.emplace(k, v);
  };
  // The base: the experiment's own overrides, without the sweep.
  try {
    learn(resolver.setup(e.set));
  } catch (const ConfigError& err) {
    // Bad input, unless a swept key is at fault (the sweep replaces what the base has) and no
    // override of the experiment's own is.
    for (const auto& o : e.set)
      if (error_at(err, o)) throw;
    bool swept = false;
    for (const auto& axis : e.axes) {
      const std::string& k = axis.key;
      const std::string& at = err.key();
      swept |= at == k || at.rfind(k + ".", 0) == 0 || (!at.empty() && k.rfind(at + ".", 0) == 0);
    }
    if (!swept) throw;
  }
  // Each value of each axis on its own: an error at the value is bad input.
  for (size_t i = 0; i < e.axes.size(); ++i) {
    const SweepAxis& axis = e.axes[i];
    if (space_of(axis.key) == Space::kLabel) continue;
    for (size_t v = 0; v < axis.values.size(); ++v) {
      std::vector<Override> applied = e.set;
      const Override& value = axis.values[v];
      Override resolved = value;
      try {
        if (axis.scale) {
          // The factor applied to the base: find the point whose other axes are at index 0.
          Experiment single = e;
          single.axes = {axis};
          single.blocks = {SweepBlock{SweepMode::kZip, 0, 1}};
          PointResolver r1(single);
          applied = r1.overrides(v);
          resolved = applied.back();
        } else {
          applied.push_back(value);
        }
        learn(resolver.setup(applied));
      } catch (const ConfigError& err) {
        if (error_at(err, resolved)) throw;
      }
    }
  }

  // Metric columns: the listed ones (or defaults), then Pareto objectives, then what asserts use.
  std::vector<std::string> names;
  std::vector<std::string> leaf_names;
  for (const auto& [k, v] : leaves) leaf_names.push_back(k);
  auto check_metric = [&](const std::string& m, const Origin& o, const std::string& key) {
    if (leaves.empty() || leaves.count(m)) return;
    std::string msg = "unknown metric '" + m + "'";
    if (auto guess = config::nearest(m, leaf_names)) msg += "; did you mean '" + *guess + "'?";
    msg +=
        " (metrics are summary.json's values by dotted path, e.g. seconds, energy_j, "
        "workload.decode.tokens_per_s, by_class.ffn.bound)";
    fail_at(o, key, msg);
  };
  auto add = [&](const std::string& m) {
    if (std::find(names.begin(), names.end(), m) == names.end()) names.push_back(m);
  };
  if (e.metrics.empty()) {
    for (const char* m :
         {"seconds", "energy_j", "workload.time_to_first_token_s", "workload.prefill.tokens_per_s",
          "workload.decode.tokens_per_s", "workload.decode.joules_per_token"})
      if (leaves.count(m) || leaves.empty()) add(m);
  }
  for (size_t i = 0; i < e.metrics.size(); ++i) {
    check_metric(e.metrics[i], e.metric_origins[i], "metrics[" + std::to_string(i) + "]");
    add(e.metrics[i]);
  }
  for (const auto& m : e.minimize) check_metric(m, e.pareto_origin, "pareto.minimize"), add(m);
  for (const auto& m : e.maximize) check_metric(m, e.pareto_origin, "pareto.maximize"), add(m);

  // Assertions: compiled against the metric names and the values the axes take. Listing every
  // point's values takes ~100 bytes a point: a larger sweep (up to kMaxPoints, 10^8, 10 GB) has
  // its selectors' values checked when its results are evaluated instead.
  constexpr size_t kMaxListedPoints = 1'000'000;
  std::vector<std::vector<std::string>> point_values;
  if (!e.asserts.empty() && e.point_count() <= kMaxListedPoints) {
    const size_t n = e.point_count();
    point_values.reserve(n);
    for (size_t id = 0; id < n; ++id) point_values.push_back(resolver.values(id));
  }
  std::set<std::string> known(leaf_names.begin(), leaf_names.end());
  for (const auto& spec : e.asserts) {
    const Assertion a(spec, e.swept_keys(), point_values, known);
    for (const auto& m : a.metrics()) add(m);
  }
  return names;
}

}  // namespace npu
