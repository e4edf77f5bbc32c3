#include "npu_core.h"

#include <algorithm>
#include <string>

namespace npu {

NpuCore::NpuCore(sc_core::sc_module_name name, const CoreConfig& cfg, ClockDomain clk,
                 const MemoryTraits& mem, uint32_t first_requester, Timeline* timeline)
    : sc_module(name),
      array("array", cfg.array, clk),
      vector("vector", cfg.vector, clk),
      sram("sram", cfg.sram),
      dma("dma", cfg.dma, clk, mem, first_requester, timeline),
      m_cfg(cfg),
      m_clk(clk),
      m_timeline(timeline),
      m_costs(m_cfg) {
  SC_THREAD(loader_thread);
  SC_THREAD(compute_thread);
  SC_THREAD(storer_thread);
  if (m_timeline) {
    m_track_array = m_timeline->add_track(std::string(basename()) + ".array");
    m_track_vector = m_timeline->add_track(std::string(basename()) + ".vector");
  }
}

void NpuCore::start(const CoreProgram* program) {
  sc_assert(m_program == nullptr);
  m_program = program;
  m_loaded = m_computed = 0;
  m_outputs_started = m_stored = 0;
  m_offset_ps = 0;
  const uint64_t now = now_ps();
  m_times = ProgramTimes{now, now, now, 0, !program->steps.empty()};
  m_outputs_total = 0;
  for (const StepRuns::Run& run : program->steps.runs())
    if (program->steps.step(run).ends_output) m_outputs_total += run.count;
  if (program->steps.empty()) {
    m_program = nullptr;
    m_done.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  m_start_loader.notify(sc_core::SC_ZERO_TIME);
  m_start_compute.notify(sc_core::SC_ZERO_TIME);
}

CoreCounters NpuCore::counters() const {
  CoreCounters c = m_counters;
  c.array_busy_cycles = array.busy_cycles();
  c.vector_busy_cycles = vector.busy_cycles();
  c.sram_read_bytes = sram.counters().read_bytes;
  c.sram_write_bytes = sram.counters().write_bytes;
  c.dma_bytes = dma.counters().bytes;
  c.dma_descriptors = dma.counters().descriptors;
  return c;
}

void NpuCore::loader_thread() {
  for (;;) {
    m_load_site = Site::kIdle;
    sc_core::wait(m_start_loader);
    const CoreProgram& prog = *m_program;
    m_load_step = prog.steps.begin();
    for (m_load_i = 0; m_load_i < prog.steps.size(); ++m_load_i, ++m_load_step) {
      m_load_site = Site::kWaitSlot;
      while (m_load_i >= m_computed + 2) sc_core::wait(m_computed_ev);  // both input slots full
      const TileStep& s = *m_load_step;
      if (!s.loads.empty()) {
        m_load_completion.pending = static_cast<uint32_t>(s.loads.size());
        uint64_t bytes = 0;
        for (const DmaDescriptor& d : s.loads) {
          dma.submit(d, &m_load_completion, prog.label);
          bytes += d.bytes();
        }
        m_load_site = Site::kWaitDma;
        sc_core::wait(m_load_completion.done);
        sram.count(0, bytes);  // DMA writes the tile into the banks
        m_times.last_dma_ps = now_ps();
        if (m_load_i == 0) m_times.head_load_bytes = bytes;
      }
      m_loaded = m_load_i + 1;
      m_loaded_ev.notify(sc_core::SC_ZERO_TIME);
      if (m_steady) m_steady->step_loaded(*this);
    }
  }
}

void NpuCore::run_step(const TileStep& s) {
  // The commands hold their units one after the other. Only a timeline sees the step between
  // two commands: without one, the core waits once for all of them (one context switch a step).
  uint64_t step_ps = 0;
  for (m_command = 0; m_command < s.commands.size(); ++m_command) {
    const Command& cmd = s.commands[m_command];
    const uint64_t ps = run_command(cmd);
    if (!m_timeline) {
      step_ps += ps;
      continue;
    }
    const uint64_t start = sc_core::sc_time_stamp().value();
    m_busy_until_ps = start + ps;
    sc_core::wait(sc_core::sc_time::from_value(ps));
    m_timeline->record(cmd.unit == Unit::kArray ? m_track_array : m_track_vector, m_program->label,
                       start, m_busy_until_ps);
  }
  if (step_ps == 0) return;
  m_busy_until_ps = sc_core::sc_time_stamp().value() + step_ps;
  sc_core::wait(sc_core::sc_time::from_value(step_ps));
}

uint64_t NpuCore::run_command(const Command& cmd) {
  const CommandCost& c = m_costs(cmd);
  if (cmd.unit == Unit::kArray)
    m_counters.macs_by_format[static_cast<size_t>(cmd.array.compute)] += c.macs;
  m_counters.macs += c.macs;  // depthwise MACs on the vector unit: counted, not as array MACs
  m_counters.alu_ops += c.alu_ops;
  m_counters.sfu_ops += c.sfu_ops;
  m_counters.stall_cycles += c.cycles - c.unit_cycles;
  sram.count(c.sram_read_bytes, c.sram_write_bytes);
  return cmd.unit == Unit::kArray ? array.take(c.cycles) : vector.take(c.cycles);
}

void NpuCore::compute_thread() {
  for (;;) {
    m_compute_site = Site::kIdle;
    sc_core::wait(m_start_compute);
    const CoreProgram& prog = *m_program;
    m_compute_step = prog.steps.begin();
    for (m_compute_i = 0; m_compute_i < prog.steps.size(); ++m_compute_i, ++m_compute_step) {
      m_compute_site = Site::kWaitSlot;
      while (m_loaded <= m_compute_i) sc_core::wait(m_loaded_ev);
      const TileStep& s = *m_compute_step;
      if (s.starts_output) {
        m_compute_site = Site::kWaitOutput;
        while (m_outputs_started >= m_stored + 2) sc_core::wait(m_stored_ev);  // slots full
        ++m_outputs_started;
      }
      if (m_compute_i == 0) m_times.first_compute_ps = now_ps();
      m_compute_site = Site::kBusy;
      run_step(s);
      m_computed = m_compute_i + 1;
      m_computed_ev.notify(sc_core::SC_ZERO_TIME);
      if (s.ends_output) {
        m_store_queue.push_back({&s, {m_compute_i, m_compute_step.run_id()}});
        m_store_req_ev.notify(sc_core::SC_ZERO_TIME);
      }
    }
    m_compute_site = Site::kIdle;
    finish_if_done();
  }
}

void NpuCore::storer_thread() {
  for (;;) {
    m_store_site = Site::kIdle;
    while (m_store_queue.empty()) sc_core::wait(m_store_req_ev);
    m_storing = m_store_queue.front();
    m_store_queue.pop_front();
    const TileStep& s = *m_storing.step;
    if (!s.stores.empty()) {
      m_store_completion.pending = static_cast<uint32_t>(s.stores.size());
      uint64_t bytes = 0;
      for (const DmaDescriptor& d : s.stores) {
        dma.submit(d, &m_store_completion, m_program->label);
        bytes += d.bytes();
      }
      m_store_site = Site::kWaitDma;
      sc_core::wait(m_store_completion.done);
      sram.count(bytes, 0);  // DMA reads the tile out of the banks
      m_times.last_dma_ps = now_ps();
    }
    m_storing.step = nullptr;
    ++m_stored;
    m_stored_ev.notify(sc_core::SC_ZERO_TIME);
    finish_if_done();
  }
}

void NpuCore::write_state(StateWriter& w) const {
  w.put(m_program != nullptr);
  if (!m_program) return;
  // Where each thread waits, and the step counts as distances from the loader's step (their
  // absolute values only move on; what the threads compare are the distances).
  w.put(static_cast<uint64_t>(m_load_site), static_cast<uint64_t>(m_compute_site),
        static_cast<uint64_t>(m_store_site));
  w.put(m_load_i - m_compute_i, m_loaded - m_load_i, m_computed - m_load_i);
  w.put(m_outputs_started - m_stored);
  w.put(m_command);
  w.pending(m_compute_site == Site::kBusy ? m_busy_until_ps : 0);
  w.put(m_store_queue.size());
  for (const Held& h : m_store_queue) w.put(m_load_i - h.mark.at);
  w.put(m_storing.step != nullptr, m_storing.step ? m_load_i - m_storing.mark.at : 0);
  w.put(m_load_completion.pending, m_store_completion.pending);
  w.pending(m_load_completion.done_at_ps);
  w.pending(m_store_completion.done_at_ps);
  dma.write_state(w);
}

NpuCore::StepMark NpuCore::lowest_step() const {
  if (m_storing.step) return m_storing.mark;
  if (!m_store_queue.empty()) return m_store_queue.front().mark;
  if (!m_program || m_compute_site == Site::kIdle) return {m_compute_i, UINT32_MAX};
  return {m_compute_i, m_compute_step.run_id()};
}

uint64_t NpuCore::periods_ahead(uint64_t lowest, uint64_t d) const {
  // The last period read steps [lowest, m_load_i]; the next k repeat it when every step from
  // `lowest` to m_load_i + (k - 1) d equals the step d later.
  if (!loading() || m_compute_site == Site::kIdle || d == 0) return 0;
  const uint64_t until = m_program->steps.periodic_until(lowest, d);
  return until > m_load_i ? (until - 1 - m_load_i) / d + 1 : 0;
}

void NpuCore::skip(uint64_t steps, uint64_t outputs, uint64_t ps) {
  m_offset_ps += ps;
  if (steps == 0) return;  // the core waited the periods through (or runs nothing)
  m_load_i += steps;
  m_load_step.advance(steps);
  m_compute_i += steps;
  m_compute_step.advance(steps);
  m_loaded += steps;
  m_computed += steps;
  m_outputs_started += outputs;
  m_stored += outputs;
}

void NpuCore::finish_if_done() {
  if (m_program == nullptr) return;
  if (m_computed == m_program->steps.size() && m_stored == m_outputs_total) {
    m_program = nullptr;
    m_done.notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace npu
