// What the blocks write of their state for steady-state skipping (steady_state.h).
#pragma once

#include <cstdint>
#include <vector>

namespace npu {

class NpuCore;

/// Appends a block's state to a signature, relative to now.
struct StateWriter {
  std::vector<uint64_t>& out;
  uint64_t now_ps;

  template <class... T>
  void put(T... v) {
    (out.push_back(static_cast<uint64_t>(v)), ...);
  }
  void ptr(const void* p) { out.push_back(reinterpret_cast<uintptr_t>(p)); }
  /// A time, as its distance from now (past times wrap).
  void time(uint64_t t) { out.push_back(t - now_ps); }
  /// A wake-up due at `at`: none when it is not after now (it has happened).
  void pending(uint64_t at) { out.push_back(at > now_ps ? at - now_ps : 0); }
};

/// Told each time a core has loaded a step.
class StepWatcher {
 public:
  virtual ~StepWatcher() = default;
  virtual void step_loaded(const NpuCore& core) = 0;
};

}  // namespace npu
