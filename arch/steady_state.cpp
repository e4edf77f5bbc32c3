#include "steady_state.h"

#include <algorithm>
#include <limits>

#include "memory_if.h"
#include "npu_core.h"

namespace npu {

namespace {

/// The chip's state is looked at only when every core that is loading steps can skip at least
/// this many: a shorter skip would not repay the look.
constexpr uint64_t kMinSkip = 4;

/// At most this many states are kept per trial: a period longer than this many loaded steps is
/// not found (it is simulated).
constexpr size_t kMaxStatesSeen = 256;

ChipCounters& add_times(ChipCounters& sum, const ChipCounters& now, const ChipCounters& then,
                        uint64_t k) {
  for (size_t c = 0; c < sum.cores.size(); ++c)
    CoreCounters::each([k](uint64_t& s, uint64_t a, uint64_t b) { s += k * (a - b); }, sum.cores[c],
                       now.cores[c], then.cores[c]);
  MemoryCounters::each([k](uint64_t& s, uint64_t a, uint64_t b) { s += k * (a - b); }, sum.memory,
                       now.memory, then.memory);
  return sum;
}

}  // namespace

SteadyState::SteadyState(sc_core::sc_module_name name, std::vector<NpuCore*> cores,
                         MemoryIf& memory)
    : sc_module(name), m_cores(std::move(cores)), m_memory(memory) {
  m_counted.cores.resize(m_cores.size());
  SC_METHOD(look);
  sensitive << m_look;
  dont_initialize();
}

void SteadyState::arm(bool on) {
  m_on = on;
  m_seen.clear();
  m_skipped_ps = 0;
}

void SteadyState::step_loaded(uint64_t skippable) {
  if (!m_on || m_requested || skippable < kMinSkip) return;
  m_requested = true;
  m_look.notify(sc_core::SC_ZERO_TIME);
}

ChipCounters SteadyState::live_counters() const {
  ChipCounters c;
  for (const NpuCore* core : m_cores) c.cores.push_back(core->counters());
  c.memory = m_memory.counters();
  return c;
}

ChipCounters SteadyState::counters() const {
  ChipCounters c = live_counters();
  for (size_t i = 0; i < c.cores.size(); ++i) c.cores[i] += m_counted.cores[i];
  MemoryCounters::each([](uint64_t& s, uint64_t x) { s += x; }, c.memory, m_counted.memory);
  return c;
}

size_t SteadyState::Hash::operator()(const std::vector<uint64_t>& v) const {
  uint64_t h = v.size();
  for (uint64_t x : v) h = (h ^ x) * 0x9e3779b97f4a7c15ULL + (h >> 29);
  return static_cast<size_t>(h);
}

void SteadyState::look() {
  // Only at the end of the instant: every process that runs now has run.
  if (sc_core::sc_pending_activity_at_current_time()) {
    m_look.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  m_requested = false;
  if (!m_on) return;

  for (const NpuCore* core : m_cores)
    if (core->loading() && core->skippable_steps() < kMinSkip) return;
  const uint64_t now = sc_core::sc_time_stamp().value();
  m_state.clear();
  StateWriter w{m_state, now};
  if (!m_memory.write_state(w)) return;
  for (const NpuCore* core : m_cores) core->write_state(w);
  auto [it, fresh] = m_seen.try_emplace(m_state);
  if (fresh) {
    if (m_seen.size() > kMaxStatesSeen) {
      m_seen.clear();
      return;
    }
    Seen& s = it->second;
    s.at_ps = now;
    for (const NpuCore* core : m_cores) {
      s.loaded.push_back(core->steps_loaded());
      s.stored.push_back(core->outputs_stored());
    }
    s.counters = live_counters();
    return;
  }
  // The chip is where it was at s.at_ps: how many more such periods every core's run allows.
  const Seen& s = it->second;
  uint64_t k = std::numeric_limits<uint64_t>::max();
  bool moved = false;
  for (size_t c = 0; c < m_cores.size(); ++c) {
    const uint64_t d = m_cores[c]->steps_loaded() - s.loaded[c];
    if (d == 0) continue;
    moved = true;
    k = std::min(k, m_cores[c]->skippable_steps() / d);
  }
  if (!moved || k == 0) return;
  const uint64_t period_ps = now - s.at_ps;
  add_times(m_counted, live_counters(), s.counters, k);
  for (size_t c = 0; c < m_cores.size(); ++c) {
    const uint64_t steps = k * (m_cores[c]->steps_loaded() - s.loaded[c]);
    m_cores[c]->skip(steps, k * (m_cores[c]->outputs_stored() - s.stored[c]), k * period_ps);
    m_skipped_steps += steps;
  }
  m_skipped_ps += k * period_ps;
  m_seen.clear();  // the steps the threads are at have moved
}

}  // namespace npu
