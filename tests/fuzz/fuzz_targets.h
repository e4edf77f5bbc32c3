// Fuzz targets: each runs one input through a reader of something users write (a chip, an op
// trace, a model YAML, a Hugging Face config.json, a chip and a trace through the lowering) and
// checks what must hold of whatever the reader accepts. Two drivers share them: the libFuzzer
// harnesses (tests/fuzz/fuzz_harness.cpp, built with -DNPUSIM_FUZZ=ON and clang) and the normal
// test suite (tests/test_fuzz_inputs.cpp), which runs every seed and every kept regression input
// through them, so a fixed finding stays fixed without clang.
//
// A ConfigError or WorkloadError is how bad input is refused: the target returns kRejected.
// Anything else is a finding: another exception escaping (FuzzFinding when a property check
// fails), a crash, a sanitizer report, a hang (libFuzzer's -timeout; ctest's TIMEOUT) or an
// allocation beyond libFuzzer's -rss_limit_mb.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/assertions.h"
#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "sim/config/overrides.h"
#include "sim/config/trace_writer.h"
#include "sim/config/yaml_reader.h"
#include "sim/experiment.h"
#include "sim/lower.h"
#include "workloads/transformer.h"

#ifndef NPUSIM_SOURCE_DIR
#error "NPUSIM_SOURCE_DIR (the source tree, for configs/) must be defined"
#endif

namespace npu::fuzz {

enum class Outcome { kAccepted, kRejected };

/// A property an accepted input breaks.
struct FuzzFinding : std::logic_error {
  using std::logic_error::logic_error;
};

/// A chip input and a trace input joined into one (the lowering target's format): the chip YAML,
/// this line, the trace YAML.
inline constexpr std::string_view kPairSeparator = "\n#~~ trace ~~\n";

/// Lowering a plan bigger than this is skipped (its steps would only cost the fuzzer time); the
/// plan itself is still checked.
inline constexpr uint64_t kMaxLoweredSteps = uint64_t{1} << 16;

namespace detail {

/// The loaders read files: inputs are written to a folder of this process, removed at exit.
class Scratch {
 public:
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/npusim_fuzz_XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("fuzz: cannot create " + tmpl);
    m_dir = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  /// Writes `data` to `name` (which may hold one folder level) and returns its path.
  std::string write(const std::string& name, std::string_view data) const {
    const std::filesystem::path p = std::filesystem::path(m_dir) / name;
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("fuzz: cannot write " + p.string());
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
    ::close(fd);
    if (done != data.size()) throw std::runtime_error("fuzz: short write to " + p.string());
    return p.string();
  }

 private:
  std::string m_dir;
};

inline const Scratch& scratch() {
  static const Scratch s;
  return s;
}

inline void check(bool ok, const std::string& what) {
  if (!ok) throw FuzzFinding(what);
}

/// Runs `body`; bad input (ConfigError, WorkloadError) is a rejection, anything else escapes.
template <class Body>
Outcome guarded(Body body) {
  try {
    body();
    return Outcome::kAccepted;
  } catch (const ConfigError&) {
    return Outcome::kRejected;
  } catch (const WorkloadError&) {
    return Outcome::kRejected;
  }
}

/// What load_chip promises of a chip it returns.
inline void check_chip(const ChipConfig& c) {
  check(c.clock.period_ps >= 1, "clock period below 1 ps");
  check(c.cores >= 1, "no cores");
  check(c.memory.reachable_bytes_per_s() > 0, "no reachable memory bandwidth");
  const SramConfig& s = c.core.sram;
  check(s.input_bytes + s.weight_bytes + s.output_bytes <= s.size_bytes,
        "SRAM buffers exceed the SRAM");
  bool any = false;
  for (Format f : kAllFormats) any = any || c.core.array.supports(f);
  check(any, "the array supports no format");
}

/// What the lowering promises of a plan and of the programs it lowers to.
inline void check_lowering(const ChipConfig& chip, const Lowering& lowering, const Op& op) {
  const TilePlan p = lowering.plan(op);
  check(p.steps >= 1 && p.mt >= 1 && p.nt >= 1 && p.kt >= 1, "empty plan for " + op.name);
  if (op.kind == OpKind::kGemm)
    check(p.mt <= op.m && p.nt <= op.n && p.kt <= op.k, "GEMM tile larger than the op");
  check(p.steps <= kMaxPlanSteps, "a plan over the step limit for " + op.name);
  const CostBound b = lowering.bound(op, p);
  check(b.cycles > 0 && b.cycles < 1e300 && b.grants >= 0 && b.bytes >= 0,
        "a cost bound that is not a positive number for " + op.name);
  if (p.steps > kMaxLoweredSteps) return;
  const std::vector<CoreProgram> programs = lowering.lower(op, p, 0);
  check(programs.size() == chip.cores, "not one program per core");
  uint64_t steps = 0, macs = 0, rows = 0, window_macs = 0;
  for (const CoreProgram& prog : programs) {
    steps += prog.steps.size();
    for (const TileStep& s : prog.steps)
      for (const Command& c : s.commands) {
        if (c.unit == Unit::kArray) macs += c.array.m * c.array.k * c.array.n;
        if (c.unit == Unit::kVector && c.vector.kind == VectorKind::kDepthwise)
          window_macs += c.vector.rows * c.vector.cols * c.vector.taps;
        if (c.unit == Unit::kVector && is_vector_kind(op.kind)) rows += c.vector.rows;
      }
  }
  check(steps == p.steps, "the programs of " + op.name + " have " + std::to_string(steps) +
                              " steps, the plan " + std::to_string(p.steps));
  if (op.kind == OpKind::kGemm)
    check(macs == op.macs(), "the tiles of " + op.name + " do " + std::to_string(macs) +
                                 " MACs, the GEMM " + std::to_string(op.macs()));
  // A conv's tiles do its MACs: on the array (dense, the implicit GEMM) or the vector unit.
  if (op.kind == OpKind::kConv2d)
    check((op.conv.depthwise() ? window_macs : macs) == op.macs(),
          "the tiles of conv " + op.name + " do " + std::to_string(macs + window_macs) +
              " MACs, the conv " + std::to_string(op.macs()));
  if (is_vector_kind(op.kind))
    check(rows == op.rows, "the passes of " + op.name + " cover " + std::to_string(rows) +
                               " rows of " + std::to_string(op.rows));
}

}  // namespace detail

/// A chip YAML (load_chip).
inline Outcome chip(std::string_view input) {
  return detail::guarded(
      [&] { detail::check_chip(load_chip(detail::scratch().write("chip.yaml", input))); });
}

/// An op trace (load_trace). An accepted trace must write back (trace_yaml) to a file that loads
/// to the same ops.
inline Outcome trace(std::string_view input) {
  return detail::guarded([&] {
    const std::vector<Op> ops = load_trace(detail::scratch().write("trace.yaml", input));
    const std::string again = trace_yaml(ops, "again");
    std::vector<Op> back;
    try {
      back = load_trace(detail::scratch().write("again.yaml", again));
    } catch (const ConfigError& e) {
      throw FuzzFinding(std::string("the written trace does not load: ") + e.what());
    }
    detail::check(back.size() == ops.size(), "the written trace has another op count");
    for (size_t i = 0; i < ops.size(); ++i)
      detail::check(same_op(ops[i], back[i]),
                    "op " + std::to_string(i) + " (" + ops[i].name + ") reads back differently");
  });
}

namespace detail {
/// A model's derived sizes, and the workload of a short run on it.
inline void check_model(const ModelConfig& m) {
  check(m.heads % m.kv_heads == 0, "kv_heads do not divide heads");
  check(m.parameters() > 0, "no parameters");
  for (Format f : kAllFormats) (void)m.kv_bytes_per_token(f);
  if (m.layers > 64) return;  // a workload of thousands of ops only slows the fuzzer down
  RunSpec s;
  s.phase = m.causal ? Phase::kBoth : Phase::kPrefill;  // an encoder has no decode
  s.prompt = 3;
  s.tokens = 2;
  const Workload w = build_workload(m, s);
  check(!w.ops.empty(), "a workload without ops");
  for (const Op& op : w.ops) check(op.macs() <= kMaxOpMacs, op.name + " is over the MAC cap");
}
}  // namespace detail

/// A model YAML (load_model on a .yaml file).
inline Outcome model_yaml(std::string_view input) {
  return detail::guarded(
      [&] { detail::check_model(load_model(detail::scratch().write("model.yaml", input))); });
}

/// A Hugging Face config.json (load_model on a .json file).
inline Outcome model_json(std::string_view input) {
  return detail::guarded(
      [&] { detail::check_model(load_model(detail::scratch().write("hf/config.json", input))); });
}

/// A chip and a trace joined by kPairSeparator: both load, then every op is planned and (when
/// small enough) lowered, and the plan and programs checked.
inline Outcome lower(std::string_view input) {
  const size_t at = input.find(kPairSeparator);
  if (at == std::string_view::npos) return Outcome::kRejected;
  return detail::guarded([&] {
    const ChipConfig chip =
        load_chip(detail::scratch().write("pair_chip.yaml", input.substr(0, at)));
    const std::vector<Op> ops = load_trace(
        detail::scratch().write("pair_trace.yaml", input.substr(at + kPairSeparator.size())));
    const Lowering lowering(chip);
    for (const Op& op : ops) detail::check_lowering(chip, lowering, op);
  });
}

/// Shipped presets and models, which experiments and the `set` target refer to.
inline const std::string kConfigsRoot = std::string(NPUSIM_SOURCE_DIR) + "/configs";

/// `--set KEY=VALUE` options, one per line, applied in order to the example chip, as `npusim run
/// --arch example-npu --set ...` does: parsed (parse_set_option), set in the parsed document
/// (apply_override), loaded by the strict loader, errors moved to the override (relocate).
inline Outcome set(std::string_view input) {
  return detail::guarded([&] {
    std::vector<config::Override> sets;
    for (size_t at = 0; at <= input.size();) {
      const size_t end = std::min(input.find('\n', at), input.size());
      sets.push_back(config::parse_set_option(std::string(input.substr(at, end - at))));
      at = end + 1;
    }
    const config::Value doc = config::load_document(kConfigsRoot + "/presets/example-npu.yaml");
    for (const config::Override& o : sets) config::apply_override(doc.node(), o);
    try {
      detail::check_chip(load_chip(doc));
    } catch (const ConfigError& e) {
      throw config::relocate(e, sets);
    }
  });
}

namespace detail {
/// Sweeps up to this many points have every point's swept values resolved, and assertions'
/// selectors checked against them; larger ones only their first and last point's.
constexpr size_t kMaxResolvedPoints = 4096;
}  // namespace detail

/// An experiment (load_experiment): its structure, sweep and overrides are read, the points'
/// swept values resolved (all of them up to kMaxResolvedPoints), and each assertion compiled
/// (muParser) against them, every metric name accepted. The workloads are not built.
inline Outcome experiment(std::string_view input) {
  return detail::guarded([&] {
    const Experiment e =
        load_experiment(detail::scratch().write("exp/experiment.yaml", input), {}, kConfigsRoot);
    const size_t n = point_count(e);
    detail::check(n >= 1, "an experiment without points");
    PointResolver resolver(e);
    detail::check(resolver.values(0).size() == e.axes.size() &&
                      resolver.values(n - 1).size() == e.axes.size(),
                  "a point without a value for every axis");
    std::vector<std::vector<std::string>> values;
    for (size_t id = 0; n <= detail::kMaxResolvedPoints && id < n; ++id)
      values.push_back(resolver.values(id));
    for (const AssertSpec& spec : e.asserts) Assertion(spec, swept_keys(e), values, {});
  });
}

/// The targets by name, as the harnesses and tests/fuzz/ folders name them.
struct Target {
  const char* name;
  Outcome (*run)(std::string_view);
};
inline constexpr Target kTargets[] = {
    {"chip", chip},   {"trace", trace}, {"model_yaml", model_yaml}, {"model_json", model_json},
    {"lower", lower}, {"set", set},     {"experiment", experiment},
};

}  // namespace npu::fuzz
