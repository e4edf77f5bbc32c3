// The three parts of npusim that the npusim binary loads only when a command needs them, because
// their libraries cost every process that links them more than the rest of its start:
// libsystemc's static initialiser (~16 ms of CPU here), libonnx with libprotobuf (~6 ms), and
// libmuparser with the libgomp it links (~1 ms).
//   libnpusim_engine.so: the SystemC engine (sim/scheduler.h: simulate, simulate_stream,
//     simulate_online), loaded by the commands that simulate (run, point, serve; sweep and
//     compare --arch through the `point` and `run` processes they start), never by scalesim,
//     check, presets, models or regress;
//   libnpusim_onnx.so: the ONNX importer (sim/config/onnx_importer.h: import_onnx), loaded by
//     `run --onnx` and `trace import`;
//   libnpusim_expression.so: muParser's expressions (sim/expression.h), loaded when an
//     experiment's `assert:` lines are compiled (check; sweep and point of such an experiment).
// Each module links in everything it uses and exports one entry point returning its table
// (sim/plugins/*.map); the binary's own definitions of those functions call through the table
// (sim/cli/plugins.cpp). The tests, the benchmark and the fuzzers link all three directly
// (npusim_core) and never load a module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/onnx_importer.h"
#include "expression.h"
#include "scheduler.h"

namespace npu {

/// The layout both sides were built with: a module from another build is refused, not run.
inline constexpr uint64_t kPluginLayout =
    (uint64_t{sizeof(RunResult)} << 48) ^ (uint64_t{sizeof(OpRecord)} << 32) ^
    (uint64_t{sizeof(Op)} << 16) ^ (uint64_t{sizeof(ChipConfig)} << 4) ^ sizeof(SimOptions) ^
    (uint64_t{sizeof(OnnxImportOptions)} << 24);

struct EngineApi {
  uint64_t layout = kPluginLayout;
  const char* version = NPUSIM_VERSION;
  RunResult (*simulate)(const ChipConfig&, const std::vector<Op>&, const SimOptions&);
  RunResult (*simulate_owned)(const ChipConfig&, std::vector<Op>&&, const SimOptions&);
  uint64_t (*simulate_stream)(const ChipConfig&, uint64_t, const OpSource&, const SimOptions&,
                              const CallSink&);
  uint64_t (*simulate_online)(const ChipConfig&, const OnlineSource&, const SimOptions&,
                              const CallSink&);
};

struct OnnxApi {
  uint64_t layout = kPluginLayout;
  const char* version = NPUSIM_VERSION;
  OnnxImport (*import_onnx)(const std::string&, const OnnxImportOptions&);
};

/// An Expression made, evaluated and freed in the module (the binary holds it as a pointer).
struct ExpressionApi {
  uint64_t layout = kPluginLayout;
  const char* version = NPUSIM_VERSION;
  void* (*make)(const std::string&, const std::vector<std::string>&,
                const std::vector<std::pair<std::string, double>>&);
  double (*eval)(void*, const std::vector<double>&);
  void (*free)(void*);
};

}  // namespace npu

extern "C" {
/// The entry points, one per module.
const npu::EngineApi* npusim_engine_api();
const npu::OnnxApi* npusim_onnx_api();
const npu::ExpressionApi* npusim_expression_api();
}
