#include "unified_memory.h"

#include <algorithm>
#include <cmath>

namespace npu {

UnifiedMemory::UnifiedMemory(sc_core::sc_module_name name, const MemoryConfig& cfg,
                             Timeline* timeline)
    : sc_module(name),
      m_cfg(cfg),
      m_bytes_per_s(cfg.reachable_bytes_per_s()),
      m_timeline(timeline) {
  socket.register_b_transport(this, &UnifiedMemory::b_transport);
  SC_METHOD(arbitrate);
  sensitive << m_arbitrate;
  dont_initialize();
  if (m_timeline) {
    m_track = m_timeline->add_track(std::string(basename()));
    m_label_read = m_timeline->intern("read");
    m_label_write = m_timeline->intern("write");
  }
}

void UnifiedMemory::b_transport(int /*port*/, tlm::tlm_generic_payload& trans,
                                sc_core::sc_time& delay) {
  // Loosely timed initiators may arrive with a local time offset; honour it first.
  if (delay > sc_core::SC_ZERO_TIME) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  auto* ext = trans.get_extension<RequesterExtension>();
  sc_assert(ext && ext->done);  // every initiator in the chip tags its transactions
  if (ext->requester >= m_pending.size()) m_pending.resize(ext->requester + 1);
  Pending& p = m_pending[ext->requester];
  sc_assert(!p.valid);
  p = {true, sc_core::sc_time_stamp().value(), trans.get_data_length(), trans.is_write(),
       ext->done};
  ++m_pending_count;
  schedule_arbitration(std::max(p.arrival_ps, m_busy_until_ps));
  sc_core::wait(*ext->done);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

uint32_t UnifiedMemory::pick() const {
  const uint32_t n = static_cast<uint32_t>(m_pending.size());
  switch (m_cfg.arbitration) {
    case Arbitration::kRoundRobin:  // the first waiting requester after the last one granted
      for (uint32_t i = 1; i <= n; ++i) {
        const uint32_t r = (m_last_granted + i) % n;
        if (m_pending[r].valid) return r;
      }
      break;
    case Arbitration::kPriority:  // the lowest waiting requester id
      for (uint32_t r = 0; r < n; ++r)
        if (m_pending[r].valid) return r;
      break;
    case Arbitration::kFifo: {  // the oldest; ties to the lower id
      uint32_t best = n;
      for (uint32_t r = 0; r < n; ++r)
        if (m_pending[r].valid &&
            (best == n || m_pending[r].arrival_ps < m_pending[best].arrival_ps))
          best = r;
      return best;
    }
  }
  return n;
}

void UnifiedMemory::schedule_arbitration(uint64_t at_ps) {
  // Requests arriving at the same instant are arbitrated together: an idle interface decides a
  // delta cycle later; a busy one when its grant ends. One pending notification serves all.
  if (m_arbitrate_at_ps <= at_ps) return;
  m_arbitrate_at_ps = at_ps;
  const uint64_t now = sc_core::sc_time_stamp().value();
  m_grant_end_wakeup = at_ps > now;
  m_arbitrate.notify(sc_core::sc_time::from_value(at_ps - now));
}

void UnifiedMemory::arbitrate() {
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (m_grant_end_wakeup) {
    // The grant ending now also wakes its requester, in this same evaluation phase (SystemC runs
    // methods before threads), and a channel streaming back to back asks again at once. Decide a
    // delta cycle later so that request competes too (else fixed priority alternates).
    m_grant_end_wakeup = false;
    m_arbitrate.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  m_arbitrate_at_ps = UINT64_MAX;
  if (m_pending_count == 0) return;
  sc_assert(now >= m_busy_until_ps);
  const uint32_t r = pick();
  const Pending p = m_pending[r];
  m_pending[r].valid = false;
  --m_pending_count;
  const uint64_t service = transfer_ps(p.bytes, m_bytes_per_s);
  m_busy_until_ps = now + service;
  m_last_granted = r;
  (p.write ? m_counters.write_bytes : m_counters.read_bytes) += p.bytes;
  m_counters.busy_ps += service;
  ++m_counters.grants;
  if (m_timeline)
    m_timeline->record(m_track, p.write ? m_label_write : m_label_read, now, m_busy_until_ps);
  p.done->notify(sc_core::sc_time::from_value(service));
  if (m_pending_count > 0) schedule_arbitration(m_busy_until_ps);
}

bool UnifiedMemory::write_state(StateWriter& w) const {
  // A grant in service also means its requester's wake-up at its end; an arbitration due now has
  // run (the instant has ended).
  w.pending(m_busy_until_ps);
  w.put(m_last_granted, m_grant_end_wakeup, m_pending_count);
  w.pending(m_arbitrate_at_ps == UINT64_MAX ? 0 : m_arbitrate_at_ps);
  for (const Pending& p : m_pending) {
    w.put(p.valid);
    if (!p.valid) continue;
    w.time(p.arrival_ps);
    w.put(p.bytes, p.write);
  }
  return true;
}

}  // namespace npu
