#include "steady_state.h"

#include <algorithm>
#include <limits>

#include "memory_if.h"
#include "npu_core.h"

namespace npu {

namespace {

/// The chip's state is looked at only when every core that is loading steps has at least this
/// many left: a shorter skip would not repay the look.
constexpr uint64_t kMinSkip = 4;

/// At most this many times a state was seen are kept per trial (then forgotten, to start again),
/// and at most kTimesSeen of one state: a period longer than that many steps of the first core
/// loading is not found (it is simulated).
constexpr size_t kMaxStatesSeen = 1024;
constexpr size_t kTimesSeen = 32;

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
  m_seen_count = 0;
  m_skipped_ps = 0;
}

void SteadyState::step_loaded(const NpuCore& core) {
  if (!m_on || m_requested || core.steps_left() < kMinSkip) return;
  for (const NpuCore* c : m_cores)
    if (c->loading()) {
      if (c != &core) return;
      break;
    }
  m_requested = true;
  m_look.notify(sc_core::SC_ZERO_TIME);
}

ChipCounters SteadyState::counters() const {
  ChipCounters c;
  counters(c);
  return c;
}

void SteadyState::counters(ChipCounters& out) const {
  out.cores.resize(m_cores.size());
  for (size_t i = 0; i < m_cores.size(); ++i) {
    out.cores[i] = m_cores[i]->counters();
    out.cores[i] += m_counted.cores[i];
  }
  out.memory = m_memory.counters();
  MemoryCounters::each([](uint64_t& s, uint64_t x) { s += x; }, out.memory, m_counted.memory);
}

size_t SteadyState::Hash::operator()(const std::vector<uint64_t>& v) const {
  // Four independent lanes (a multiply each word, no chain through the whole state), then mixed.
  uint64_t lane[4] = {v.size(), 1, 2, 3};
  size_t i = 0;
  for (; i + 4 <= v.size(); i += 4)
    for (size_t j = 0; j < 4; ++j) lane[j] = (lane[j] ^ v[i + j]) * 0x9e3779b97f4a7c15ULL;
  for (; i < v.size(); ++i) lane[0] = (lane[0] ^ v[i]) * 0xbf58476d1ce4e5b9ULL;
  uint64_t h = 0;
  for (uint64_t x : lane) h = (h ^ (x >> 29) ^ x) * 0x94d049bb133111ebULL;
  return static_cast<size_t>(h ^ (h >> 31));
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
    if (core->loading() && core->steps_left() < kMinSkip) return;
  const uint64_t now = sc_core::sc_time_stamp().value();
  m_state.clear();
  StateWriter w{m_state, now};
  if (!m_memory.write_state(w)) return;
  for (const NpuCore* core : m_cores) core->write_state(w);
  if (m_seen_count >= kMaxStatesSeen) {  // bounded memory: start again
    m_seen.clear();
    m_seen_count = 0;
  }
  std::deque<Seen>& seen = m_seen[m_state];
  // The chip is where it was each time in `seen`. The latest time first: a run of equal steps
  // repeats from one step to the next; a k loop of 16 steps, output tile after output tile, from
  // the time 16 steps back.
  for (auto s = seen.rbegin(); s != seen.rend(); ++s)
    if (const uint64_t k = periods(*s)) {
      skip(*s, k, now);
      return;
    }
  // Remember it as of now. Times, steps and counters are those of the step-by-step simulation
  // (with what skips stand for), so a state seen before a skip still counts after it.
  if (seen.size() == kTimesSeen) {
    m_spare = std::move(seen.front());
    seen.pop_front();
    --m_seen_count;
  }
  Seen& s = seen.emplace_back(std::move(m_spare));
  ++m_seen_count;
  s.at_ps = now + m_skipped_ps;
  s.cores.clear();
  for (const NpuCore* core : m_cores)
    s.cores.push_back(
        {core->steps_loaded(), core->outputs_stored(), core->loading_run(), core->lowest_step()});
  counters(s.counters);
}

uint64_t SteadyState::periods(const Seen& s) const {
  // First what is cheap: each core that moved loads and holds steps of the runs it did then (a
  // program that repeats from the lowest step held through the loader's step must).
  bool moved = false;
  for (size_t c = 0; c < m_cores.size(); ++c) {
    const NpuCore& core = *m_cores[c];
    const Seen::Core& then = s.cores[c];
    if (core.steps_loaded() == then.loaded) continue;
    if (core.loading_run() != then.load_run || core.lowest_step().run != then.lowest.run) return 0;
    moved = true;
  }
  if (!moved) return 0;
  uint64_t k = std::numeric_limits<uint64_t>::max();
  for (size_t c = 0; c < m_cores.size() && k > 0; ++c)
    if (const uint64_t d = m_cores[c]->steps_loaded() - s.cores[c].loaded)
      k = std::min(k, m_cores[c]->periods_ahead(s.cores[c].lowest.at, d));
  return k;
}

void SteadyState::skip(const Seen& s, uint64_t k, uint64_t now) {
  const uint64_t period_ps = now + m_skipped_ps - s.at_ps;
  const ChipCounters then = counters();
  add_times(m_counted, then, s.counters, k);
  for (size_t c = 0; c < m_cores.size(); ++c) {
    const uint64_t steps = k * (m_cores[c]->steps_loaded() - s.cores[c].loaded);
    m_cores[c]->skip(steps, k * (m_cores[c]->outputs_stored() - s.cores[c].stored), k * period_ps);
    m_skipped_steps += steps;
  }
  m_skipped_ps += k * period_ps;
}

}  // namespace npu
