// SystemC elaborates once per process. Benchmarks (and anything else that must simulate twice in
// one process) call reset_systemc_kernel() after destroying every module of the previous run: it
// installs a fresh simulation context. This relies on SystemC internals: SystemC 2.3 allows one
// elaboration per process (a second model after sc_start() throws E529), and the first context
// must never be deleted (it owns static kernel events; deleting it crashes at exit). The CLI never
// needs it, since it simulates once per process.
#pragma once

namespace npu {

void reset_systemc_kernel();

}  // namespace npu
