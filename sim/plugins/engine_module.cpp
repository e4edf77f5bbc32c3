// libnpusim_engine.so's entry point (sim/plugins.h).
#include "../plugins.h"

extern "C" const npu::EngineApi* npusim_engine_api() {
  using namespace npu;
  static const EngineApi api = {
      kPluginLayout,
      NPUSIM_VERSION,
      [](const ChipConfig& chip, const std::vector<Op>& ops, const SimOptions& opts) {
        return simulate(chip, ops, opts);
      },
      [](const ChipConfig& chip, std::vector<Op>&& ops, const SimOptions& opts) {
        return simulate(chip, std::move(ops), opts);
      },
      &simulate_stream,
      &simulate_online,
  };
  return &api;
}

// libsystemc.so refers to sc_main (its own main calls it) and binds every symbol when it loads;
// npusim's main is its own, so this one is never called.
extern "C" int sc_main(int, char**) {
  return 1;
}
