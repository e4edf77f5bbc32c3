// The binary's definitions of the functions its modules provide (sim/plugins.h): each loads its
// module the first time it is called, from beside the binary (the build tree) or from
// lib/npusim/ (installed), checks that the module was built with the binary's layout, and calls
// through the module's table from then on.
#include "sim/plugins.h"

#include <dlfcn.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace npu {
namespace {

namespace fs = std::filesystem;

/// The module `file`'s table, from its entry point `entry`; throws std::runtime_error (the CLI
/// prints it and exits 1: an installation without its modules is broken, not the user's input).
template <class Api>
const Api& load(const char* file, const char* entry) {
  std::error_code ec;
  // Never a path relative to the working directory: a library planted there would be run.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || !exe.is_absolute())
    throw std::runtime_error(
        std::string("cannot find npusim's own path (/proc/self/exe) to load ") + file + ": " +
        ec.message());
  const fs::path dir = exe.parent_path();
  std::string tried;
  for (const fs::path& path :
       {dir / file, (dir / NPUSIM_INSTALL_PLUGINS_REL / file).lexically_normal()}) {
    if (!fs::is_regular_file(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path.string();
      continue;
    }
    void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module) throw std::runtime_error(std::string("cannot load ") + dlerror());
    auto get = reinterpret_cast<const Api* (*)()>(dlsym(module, entry));
    const Api* api = get ? get() : nullptr;
    if (!api || api->layout != kPluginLayout)
      throw std::runtime_error(path.string() + " is not this npusim's (" NPUSIM_VERSION
                                               ") module: rebuild or reinstall npusim");
    return *api;  // never unloaded: what it made (results, exceptions) may outlive any call
  }
  throw std::runtime_error(std::string("npusim's module ") + file + " is missing (looked for " +
                           tried + "): rebuild or reinstall npusim");
}

const EngineApi& engine() {
  static const EngineApi& api = load<EngineApi>("libnpusim_engine.so", "npusim_engine_api");
  return api;
}

const ExpressionApi& expressions() {
  static const ExpressionApi& api =
      load<ExpressionApi>("libnpusim_expression.so", "npusim_expression_api");
  return api;
}

}  // namespace

RunResult simulate(const ChipConfig& chip, const std::vector<Op>& ops, const SimOptions& opts) {
  return engine().simulate(chip, ops, opts);
}

RunResult simulate(const ChipConfig& chip, std::vector<Op>&& ops, const SimOptions& opts) {
  return engine().simulate_owned(chip, std::move(ops), opts);
}

uint64_t simulate_stream(const ChipConfig& chip, uint64_t calls, const OpSource& source,
                         const SimOptions& opts, const CallSink& sink) {
  return engine().simulate_stream(chip, calls, source, opts, sink);
}

uint64_t simulate_online(const ChipConfig& chip, const OnlineSource& source, const SimOptions& opts,
                         const CallSink& sink) {
  return engine().simulate_online(chip, source, opts, sink);
}

OnnxImport import_onnx(const std::string& path, const OnnxImportOptions& options) {
  static const OnnxApi& api = load<OnnxApi>("libnpusim_onnx.so", "npusim_onnx_api");
  return api.import_onnx(path, options);
}

// Here m_impl is the module's Expression, not an Impl: the binary never looks inside.
Expression::Expression(const std::string& expr, const std::vector<std::string>& vars,
                       const std::vector<std::pair<std::string, double>>& constants)
    : m_impl(static_cast<Impl*>(expressions().make(expr, vars, constants))) {}

Expression::~Expression() {
  expressions().free(m_impl);
}

double Expression::eval(const std::vector<double>& values) {
  return expressions().eval(m_impl, values);
}

}  // namespace npu
