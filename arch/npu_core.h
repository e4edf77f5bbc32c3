// One NPU core: a systolic array, a vector unit, an SRAM and a DMA engine, run by three
// SystemC threads that form a double-buffered pipeline over a CoreProgram:
//   loader  : issues step i's loads once step i-2 has computed (two input slots);
//   compute : runs step i once loaded (and, for a new output tile, once tile j-2 is stored);
//   storer  : issues the stores of each finished output tile (two output slots).
// A step's compute time is its unit's closed-form cycles, floored by the SRAM bank bandwidth its
// operand traffic needs.
#pragma once

#include <systemc>

#include <cstdint>
#include <deque>

#include "commands.h"
#include "core_config.h"
#include "dma_engine.h"
#include "sram.h"
#include "state_writer.h"
#include "systolic_array.h"
#include "timeline.h"
#include "vector_unit.h"

namespace npu {

class NpuCore : public sc_core::sc_module {
 public:
  SystolicArray array;
  VectorUnit vector;
  Sram sram;
  DmaEngine dma;

  SC_HAS_PROCESS(NpuCore);
  NpuCore(sc_core::sc_module_name name, const CoreConfig& cfg, ClockDomain clk,
          const MemoryTraits& mem, uint32_t first_requester, Timeline* timeline);

  /// Starts a program; `done_event()` fires when its last store has completed.
  void start(const CoreProgram* program);
  const sc_core::sc_event& done_event() const { return m_done; }
  bool idle() const { return m_program == nullptr; }
  CoreCounters counters() const;

  /// When the last program started, first computed and last finished a DMA transfer (ps; a
  /// program with no steps leaves them at its start), and the bytes of its first step's loads:
  /// what a compiled schedule may move under the previous program's tail.
  struct ProgramTimes {
    uint64_t start_ps = 0, first_compute_ps = 0, last_dma_ps = 0;
    uint64_t head_load_bytes = 0;
    bool ran = false;  ///< the program had steps
  };
  const ProgramTimes& program_times() const { return m_times; }

  /// Steady-state skipping (steady_state.h). The core asks `steady` to look at the chip's state
  /// each time it has loaded a step.
  void watch(StepWatcher* steady) { m_steady = steady; }
  /// The core's state relative to the loader's step and to now.
  void write_state(StateWriter& w) const;
  /// A program runs and its loader has steps left.
  bool loading() const { return m_program && m_load_i < m_program->steps.size(); }
  /// The id of the run the loader's step is in (StepRuns::Run::id); any value when not loading.
  uint32_t loading_run() const { return loading() ? m_load_step.run_id() : UINT32_MAX; }
  /// Steps the loader has yet to load (0 when no program runs).
  uint64_t steps_left() const { return loading() ? m_program->steps.size() - m_load_i : 0; }
  uint64_t steps_loaded() const { return m_loaded; }
  uint64_t outputs_stored() const { return m_stored; }
  /// A step of the program: its position and the id of its run (StepRuns::Run::id).
  struct StepMark {
    uint64_t at;
    uint32_t run;
  };
  /// The lowest step any thread holds (the oldest waiting to store, else the one computing);
  /// none (run UINT32_MAX) when no program computes.
  StepMark lowest_step() const;
  /// Having gone d steps on since a state equal to this one, when its lowest step was `lowest`:
  /// how many more periods of d steps the program repeats for, so that they may be skipped.
  uint64_t periods_ahead(uint64_t lowest, uint64_t d) const;
  /// Moves the program on by `steps` steps (and `outputs` output tiles) that repeat what the
  /// core just did, and the times it records by `ps`.
  void skip(uint64_t steps, uint64_t outputs, uint64_t ps);

 private:
  void loader_thread();
  void compute_thread();
  void storer_thread();
  void finish_if_done();
  void run_step(const TileStep& s);
  /// Counts a command and its unit's busy cycles; returns how long it holds the unit.
  uint64_t run_command(const Command& c);
  /// Simulated time, with what skipped periods took.
  uint64_t now_ps() const { return sc_core::sc_time_stamp().value() + m_offset_ps; }

  /// Where a thread waits.
  enum class Site : uint8_t { kIdle, kWaitSlot, kWaitOutput, kWaitDma, kBusy };

  CoreConfig m_cfg;
  ClockDomain m_clk;
  const CoreProgram* m_program = nullptr;
  sc_core::sc_event m_start_loader, m_start_compute, m_done;
  sc_core::sc_event m_loaded_ev, m_computed_ev, m_stored_ev, m_store_req_ev;
  size_t m_loaded = 0, m_computed = 0;         // steps
  size_t m_outputs_started = 0, m_stored = 0;  // output tiles
  size_t m_outputs_total = 0;
  struct Held {
    const TileStep* step;
    StepMark mark;
  };
  std::deque<Held> m_store_queue;  // steps whose output tile awaits storing
  // The threads' places (members, so that a skip can move them on).
  uint64_t m_load_i = 0, m_compute_i = 0;
  StepRuns::const_iterator m_load_step{nullptr, 0, nullptr}, m_compute_step{nullptr, 0, nullptr};
  size_t m_command = 0;          ///< the step's command being computed
  uint64_t m_busy_until_ps = 0;  ///< when it ends
  Held m_storing{nullptr, {0, 0}};
  Site m_load_site = Site::kIdle, m_compute_site = Site::kIdle, m_store_site = Site::kIdle;
  StepWatcher* m_steady = nullptr;
  uint64_t m_offset_ps = 0;  ///< skipped in this program
  DmaCompletion m_load_completion, m_store_completion;
  CoreCounters m_counters;
  ProgramTimes m_times;
  Timeline* m_timeline;
  uint32_t m_track_array = 0, m_track_vector = 0;
  CommandCosts m_costs;  ///< of m_cfg
};

}  // namespace npu
