#include "kernel_reset.h"

#include <systemc>

namespace npu {

void reset_systemc_kernel() {
  // The first context owns static kernel events and must never be deleted.
  static sc_core::sc_simcontext* const first = sc_core::sc_get_curr_simcontext();
  sc_core::sc_simcontext* old = sc_core::sc_curr_simcontext;
  sc_core::sc_curr_simcontext = sc_core::sc_default_global_context = new sc_core::sc_simcontext;
  if (old != first) delete old;
}

}  // namespace npu
