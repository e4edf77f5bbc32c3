#include "experiment_loader.h"

#include <filesystem>
#include <limits>
#include <optional>
#include <set>

#include "yaml_reader.h"

namespace npu {

namespace {

using config::MapReader;
using config::Origin;
using config::Override;
using config::Value;

/// Far above any useful sweep; keeps ids and the grid product inside 64 bits.
constexpr uint64_t kMaxPoints = 100'000'000;

Origin origin_of(const Value& v) {
  return Origin{v.file(), v.line(), v.col()};
}

Override override_of(const std::string& key, const Value& v) {
  return Override{key, v.node(), origin_of(v)};
}

[[noreturn]] void fail_at(const Origin& o, const std::string& key, const std::string& message) {
  throw ConfigError(o.file, o.line, o.col, key, message);
}

/// `set:`: overrides in order, after `arch`.
void read_sets(const Value& s, Experiment& e) {
  for (const auto& [key, value] : s.as_map().entries()) {
    const std::string k = key.path().substr(std::string("set.").size());
    config::split_key(k, origin_of(key));
    if (key_space(k) == KeySpace::kLabel) key.fail("`label` is a sweep key only");
    if (key_space(k) == KeySpace::kArch) value.as_string();
    e.set.push_back(override_of(k, value));
  }
}

void read_metrics(const Value& m, Experiment& e) {
  for (const Value& item : m.as_list()) {
    e.metrics.push_back(item.as_string());
    e.metric_origins.push_back(origin_of(item));
  }
  if (e.metrics.empty()) m.fail("list at least one metric, or leave `metrics` out");
}

/// One key of a sweep block and its values (or scale factors).
SweepAxis read_axis(const Value& keys, const Value& key, const Value& value, SweepMode mode) {
  SweepAxis axis;
  axis.key = key.path().substr(keys.path().size() + 1);
  axis.origin = origin_of(key);
  config::split_key(axis.key, axis.origin);
  // (Never assign a Value: yaml-cpp's Node::operator= rewrites the node it refers to.)
  std::optional<Value> scale;
  if (value.node().IsMap()) {
    scale.emplace(value.as_map({"scale"}).require("scale"));
    axis.scale = true;
    const KeySpace sp = key_space(axis.key);
    if (sp == KeySpace::kArch || sp == KeySpace::kLabel)
      key.fail("`" + axis.key + "` is not a number: it cannot be scaled");
  }
  const Value& list = scale ? *scale : value;
  const auto items = list.as_list();
  if (items.empty()) list.fail("give at least one value");
  std::set<std::string> seen;
  for (const Value& item : items) {
    if (axis.scale) item.as_number(0, true, std::numeric_limits<double>::infinity());
    if (key_space(axis.key) == KeySpace::kArch) item.as_string();
    if (item.node().IsNull()) item.fail("a sweep value cannot be empty");
    Override o = override_of(axis.key, item);
    // A grid's values are distinct (each is a point); a zip may repeat a value.
    if (mode == SweepMode::kGrid && !seen.insert(o.text()).second)
      item.fail("the value " + o.text() + " is listed twice for " + axis.key);
    axis.values.push_back(std::move(o));
  }
  return axis;
}

/// One sweep block: its mode and keys, appended to e.axes; `product` counts the points so far.
SweepBlock read_block(const Value& b, Experiment& e, uint64_t& product) {
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
    SweepAxis axis = read_axis(keys, key, value, block.mode);
    const size_t n = axis.values.size();
    const SweepAxis* first = block.count > 0 ? &e.axes[block.first] : nullptr;
    if (block.mode == SweepMode::kZip && first && n != first->values.size())
      key.fail("a zip pairs lists of equal length: " + axis.key + " has " + std::to_string(n) +
               " values, " + first->key + " has " + std::to_string(first->values.size()));
    if (block.mode == SweepMode::kGrid || !first) product *= n;
    if (product > kMaxPoints)
      key.fail("the sweep has more than " + std::to_string(kMaxPoints) + " points");
    for (const auto& other : e.axes)
      if (other.key == axis.key) key.fail("swept twice");
    e.axes.push_back(std::move(axis));
    ++block.count;
  }
  return block;
}

/// `sweep:`: one block (a mapping) or several (a list), multiplied as a grid.
void read_sweep(const Value& s, Experiment& e) {
  std::vector<Value> blocks;
  if (s.node().IsSequence()) {
    blocks = s.as_list();
    if (blocks.empty()) s.fail("give at least one sweep block");
  } else {
    blocks.push_back(s);
  }
  uint64_t product = 1;
  for (const Value& b : blocks) e.blocks.push_back(read_block(b, e, product));
}

void read_pareto(const MapReader& top, const Value& root, Experiment& e) {
  const auto p = top.get("pareto");
  if (!p) {
    e.minimize = {"seconds", "energy_j", "area.proxy"};
    e.pareto_origin = origin_of(root);
    return;
  }
  MapReader pm = p->as_map({"minimize", "maximize"});
  e.pareto_origin = origin_of(*p);
  for (const char* k : {"minimize", "maximize"})
    if (auto x = pm.get(k))
      for (const Value& item : x->as_list())
        (std::string(k) == "minimize" ? e.minimize : e.maximize).push_back(item.as_string());
  if (e.minimize.empty() && e.maximize.empty()) p->fail("name at least one objective");
}

AssertSpec read_assert(const Value& item) {
  AssertSpec spec;
  spec.key = item.path();
  if (!item.node().IsMap()) {
    spec.expr = item.as_string();
    spec.origin = origin_of(item);
    return spec;
  }
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
  return spec;
}

/// The command line's overrides come last; a key the sweep varies cannot also be set there.
void add_cli_sets(const std::vector<Override>& cli_sets, Experiment& e) {
  for (const Override& o : cli_sets) {
    if (key_space(o.key) == KeySpace::kLabel)
      fail_at(o.origin, o.key, "`label` is a sweep key only");
    for (const auto& axis : e.axes)
      if (axis.key == o.key)
        fail_at(o.origin, o.key,
                "the experiment sweeps this key (" + axis.origin.file + ":" +
                    std::to_string(axis.origin.line) + "); set another or edit the sweep");
    if (key_space(o.key) == KeySpace::kArch && !o.value.IsScalar())
      fail_at(o.origin, o.key, "expected a preset name or a chip file");
    e.set.push_back(o);
    ++e.cli_sets;
  }
}

}  // namespace

KeySpace key_space(const std::string& key) {
  if (key == "arch") return KeySpace::kArch;
  if (key == "label") return KeySpace::kLabel;
  if (key.rfind("workload.", 0) == 0) return KeySpace::kWorkload;
  if (key.rfind("model.", 0) == 0) return KeySpace::kModel;
  return KeySpace::kChip;
}

std::vector<Override> in_space(const std::vector<Override>& all, KeySpace space) {
  std::vector<Override> out;
  for (const auto& o : all)
    if (key_space(o.key) == space) out.push_back(o);
  return out;
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
  e.name =
      top.get("name") ? top.get("name")->as_string() : std::filesystem::path(path).stem().string();
  if (auto x = top.get("description")) e.description = x->as_string();
  const Value arch = top.require("arch");
  arch.as_string();
  e.set.push_back(override_of("arch", arch));
  top.require("workload").as_map();
  if (auto s = top.get("set")) read_sets(*s, e);
  if (auto m = top.get("metrics")) read_metrics(*m, e);
  if (auto s = top.get("sweep")) read_sweep(*s, e);
  read_pareto(top, root, e);
  if (auto a = top.get("assert"))
    for (const Value& item : a->as_list()) e.asserts.push_back(read_assert(item));
  add_cli_sets(cli_sets, e);
  return e;
}

}  // namespace npu
