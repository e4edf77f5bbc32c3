// Steady-state skipping: a long run of identical tile steps costs a few of its periods.
//
// An op's trial starts from an idle chip, and the chip is deterministic: what happens next depends
// only on its state. At the end of an instant (no process left to run at the current time) the
// state is every block's variables and every pending wake-up. Written relative to now (times as
// distances, step counts as distances from the loader's step), it is the same at two instants
// t1 < t2 when the chip has fallen into a period: a streaming op does, once its cores are in
// their runs of identical steps (a decode attention's blocks of K and V, a GEMM's k blocks). From
// t2 the chip then does again what it did from t1, P = t2 - t1 later, with each core d_c steps
// further on, for as long as every core's threads stay in runs of identical steps. So k more
// periods are skipped at once: each core moves on k d_c steps, the time k P (paid after the op),
// and every counter by k times what it counted from t1 to t2. The result is the one a step by
// step simulation gives (tests/test_steady_state.cpp compares them; --no-memo simulates every
// step).
//
// Not done when the blocks record a timeline (it would miss the skipped steps' events), or when the
// memory model cannot write its state.
#pragma once

#include <systemc>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "state_writer.h"

namespace npu {

class NpuCore;
class MemoryIf;

class SteadyState : public sc_core::sc_module, public StepWatcher {
 public:
  SC_HAS_PROCESS(SteadyState);
  SteadyState(sc_core::sc_module_name name, std::vector<NpuCore*> cores, MemoryIf& memory);

  /// Before a trial: skip in it or not; forgets the states seen and the time skipped.
  void arm(bool on);
  /// A core has loaded a step: the state is looked at when this instant ends.
  void step_loaded(uint64_t skippable) override;
  /// The time the trial's skips stand for (not yet simulated).
  uint64_t skipped_ps() const { return m_skipped_ps; }
  /// Tile steps skipped so far, over every core.
  uint64_t skipped_steps() const { return m_skipped_steps; }
  /// The blocks' counters with what skips stand for.
  ChipCounters counters() const;

 private:
  struct Seen {
    uint64_t at_ps;
    std::vector<uint64_t> loaded, stored;  ///< per core
    ChipCounters counters;
  };
  struct Hash {
    size_t operator()(const std::vector<uint64_t>& v) const;
  };
  void look();  // SC_METHOD
  ChipCounters live_counters() const;

  std::vector<NpuCore*> m_cores;
  MemoryIf& m_memory;
  bool m_on = false, m_requested = false;
  sc_core::sc_event m_look;
  std::vector<uint64_t> m_state;
  std::unordered_map<std::vector<uint64_t>, Seen, Hash> m_seen;
  uint64_t m_skipped_ps = 0, m_skipped_steps = 0;
  ChipCounters m_counted;  ///< what the skips stand for
};

}  // namespace npu
