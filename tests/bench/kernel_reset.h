// SystemC elaborates once per process. Benchmarks (and anything else that must simulate twice in
// one process) call reset_systemc_kernel() after destroying every module of the previous run: it
// installs a fresh simulation context. This relies on SystemC 2.3.4 internals (sc_curr_simcontext,
// sc_default_global_context); the CLI never needs it, since it simulates once per process.
#pragma once

namespace npu {

void reset_systemc_kernel();

}  // namespace npu
