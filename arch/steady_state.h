// Steady-state skipping: a long repeating stretch of tile steps costs a few of its periods.
//
// An op's trial starts from an idle chip, and the chip is deterministic: what happens next depends
// only on its state and on the steps its cores have yet to run. At the end of an instant (no
// process left to run at the current time) the state is every block's variables and every pending
// wake-up. Written relative to now (times as distances, step counts as distances from the loader's
// step), it is the same at two instants t1 < t2 when the chip has fallen into a period: a
// streaming op does, once its cores are in stretches of repeating steps (a decode attention's
// blocks of K and V, a GEMM's k loop, output tile after output tile). From t2 the chip then does
// again what it did from t1, P = t2 - t1 later, with each core d_c steps further on, for as long
// as each core's program repeats with period d_c from the lowest step it held at t1
// (StepRuns::periodic_until). So k more periods are skipped at once: each core moves on k d_c
// steps, the time k P (paid after the op), and every counter by k times what it counted from t1 to
// t2. The state is looked at each time the first core still loading has loaded a step.
// tests/test_steady_state.cpp checks that the reports are those of a step-by-step simulation
// (--no-memo simulates every step).
//
// Not done when the blocks record a timeline (it would miss the skipped steps' events), or when the
// memory model cannot write its state.
#pragma once

#include <systemc>

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "core_config.h"
#include "memory_config.h"
#include "npu_core.h"
#include "state_writer.h"

namespace npu {

class MemoryIf;

/// What every core and the memory counted.
struct ChipCounters {
  std::vector<CoreCounters> cores;
  MemoryCounters memory;
};

class SteadyState : public sc_core::sc_module, public StepWatcher {
 public:
  SC_HAS_PROCESS(SteadyState);
  SteadyState(sc_core::sc_module_name name, std::vector<NpuCore*> cores, MemoryIf& memory);

  /// Before a trial: skip in it or not; forgets the states seen and the time skipped.
  void arm(bool on);
  /// A core has loaded a step. When it is the first core still loading, the state is looked at
  /// when this instant ends: a period has as many of these instants as that core's steps.
  void step_loaded(const NpuCore& core) override;
  /// The time the trial's skips stand for (not yet simulated).
  uint64_t skipped_ps() const { return m_skipped_ps; }
  /// Tile steps skipped so far, over every core.
  uint64_t skipped_steps() const { return m_skipped_steps; }
  /// The blocks' counters with what skips stand for.
  ChipCounters counters() const;
  void counters(ChipCounters& out) const;

 private:
  /// Where the chip was when it was in a state: when, where each core was in its program, and
  /// what had been counted.
  struct Seen {
    struct Core {
      uint64_t loaded, stored;  ///< steps loaded, output tiles stored
      uint32_t load_run;        ///< the run of the loader's step
      NpuCore::StepMark lowest;
    };
    uint64_t at_ps;
    std::vector<Core> cores;
    ChipCounters counters;
  };
  struct Hash {
    size_t operator()(const std::vector<uint64_t>& v) const;
  };
  void look();  // SC_METHOD
  /// How many periods since `s` may be skipped now (0: none).
  uint64_t periods(const Seen& s) const;
  /// Skips k periods of the chip's state since `s`, seen again now.
  void skip(const Seen& s, uint64_t k, uint64_t now);

  std::vector<NpuCore*> m_cores;
  MemoryIf& m_memory;
  bool m_on = false, m_requested = false;
  sc_core::sc_event m_look;
  std::vector<uint64_t> m_state;
  /// By state: the times it was seen (at most kTimesSeen), the latest last.
  std::unordered_map<std::vector<uint64_t>, std::deque<Seen>, Hash> m_seen;
  Seen m_spare;  ///< a dropped time, its storage reused
  size_t m_seen_count = 0;
  uint64_t m_skipped_ps = 0, m_skipped_steps = 0;
  ChipCounters m_counted;  ///< what the skips stand for
};

}  // namespace npu
