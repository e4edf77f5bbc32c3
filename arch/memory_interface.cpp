#include "memory_interface.h"

#include <algorithm>

namespace npu {

std::string_view arbitration_name(Arbitration a) {
  switch (a) {
    case Arbitration::kRoundRobin:
      return "round_robin";
    case Arbitration::kFifo:
      return "fifo";
    case Arbitration::kPriority:
      return "priority";
  }
  return "?";
}

std::optional<Arbitration> parse_arbitration(std::string_view s) {
  if (s == "round_robin") return Arbitration::kRoundRobin;
  if (s == "fifo") return Arbitration::kFifo;
  if (s == "priority") return Arbitration::kPriority;
  return std::nullopt;
}

uint64_t MemoryConfig::reachable_bytes_per_s() const {
  const double share = static_cast<double>(peak_bytes_per_s) * achievable_fraction;
  const double bg = static_cast<double>(background_bytes_per_s);
  if (share <= bg) return 0;
  uint64_t bw = static_cast<uint64_t>(share - bg);
  // Little's law: at most max_outstanding requests of request_bytes per round trip.
  const unsigned __int128 little = static_cast<unsigned __int128>(max_outstanding) *
                                   request_bytes * 1'000'000'000'000ULL / latency_ps;
  if (latency_ps > 0 && little < bw) bw = static_cast<uint64_t>(little);
  return bw;
}

MemoryInterface::MemoryInterface(sc_core::sc_module_name name, const MemoryConfig& cfg,
                                 Timeline* timeline)
    : sc_module(name),
      m_cfg(cfg),
      m_bytes_per_s(cfg.reachable_bytes_per_s()),
      m_timeline(timeline) {
  socket.register_b_transport(this, &MemoryInterface::b_transport);
  SC_METHOD(arbitrate);
  sensitive << m_arbitrate;
  dont_initialize();
  if (m_timeline) {
    m_track = m_timeline->add_track(std::string(basename()));
    m_label_read = m_timeline->intern("read");
    m_label_write = m_timeline->intern("write");
  }
}

void MemoryInterface::b_transport(int /*port*/, tlm::tlm_generic_payload& trans,
                                  sc_core::sc_time& delay) {
  // Loosely timed initiators may arrive with a local time offset; honour it first.
  if (delay > sc_core::SC_ZERO_TIME) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  auto* ext = trans.get_extension<RequesterExtension>();
  sc_assert(ext && ext->done);  // every initiator in the chip tags its transactions
  m_pending.push_back({ext->requester, sc_core::sc_time_stamp().value(), trans.get_data_length(),
                       trans.is_write(), ext->done});
  // A delta later, so that requests arriving at the same instant are arbitrated together.
  m_arbitrate.notify(sc_core::SC_ZERO_TIME);
  sc_core::wait(*ext->done);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

size_t MemoryInterface::pick() const {
  size_t best = 0;
  for (size_t i = 1; i < m_pending.size(); ++i) {
    const Pending& a = m_pending[i];
    const Pending& b = m_pending[best];
    bool better = false;
    switch (m_cfg.arbitration) {
      case Arbitration::kFifo:
        better = a.arrival_ps < b.arrival_ps ||
                 (a.arrival_ps == b.arrival_ps && a.requester < b.requester);
        break;
      case Arbitration::kPriority:
        better = a.requester < b.requester ||
                 (a.requester == b.requester && a.arrival_ps < b.arrival_ps);
        break;
      case Arbitration::kRoundRobin: {
        // Distance after the last granted requester, wrapping; nearest wins.
        const uint32_t da = a.requester - m_last_granted - 1;
        const uint32_t db = b.requester - m_last_granted - 1;
        better = da < db || (da == db && a.arrival_ps < b.arrival_ps);
        break;
      }
    }
    if (better) best = i;
  }
  return best;
}

void MemoryInterface::arbitrate() {
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (m_pending.empty()) return;
  if (now < m_busy_until_ps) {  // still serving: come back when the grant ends
    m_arbitrate.notify(sc_core::sc_time::from_value(m_busy_until_ps - now));
    return;
  }
  const size_t i = pick();
  const Pending p = m_pending[i];
  m_pending.erase(m_pending.begin() + static_cast<std::ptrdiff_t>(i));
  const uint64_t service = transfer_ps(p.bytes, m_bytes_per_s);
  m_busy_until_ps = now + service;
  m_last_granted = p.requester;
  (p.write ? m_counters.write_bytes : m_counters.read_bytes) += p.bytes;
  m_counters.busy_ps += service;
  ++m_counters.grants;
  if (m_timeline)
    m_timeline->record(m_track, p.write ? m_label_write : m_label_read, now, m_busy_until_ps);
  p.done->notify(sc_core::sc_time::from_value(service));
  if (!m_pending.empty()) m_arbitrate.notify(sc_core::sc_time::from_value(service));
}

}  // namespace npu
