#include "dma_engine.h"

#include <algorithm>
#include <string>

namespace npu {

DmaEngine::DmaEngine(sc_core::sc_module_name name, const DmaConfig& cfg, ClockDomain clk,
                     const MemoryTraits& mem, uint32_t first_requester, Timeline* timeline)
    : sc_module(name),
      m_cfg(cfg),
      m_clk(clk),
      m_quantum_bytes(mem.grant_bytes),
      m_latency_ps(mem.latency_ps),
      m_timeline(timeline) {
  m_channel_bytes_per_s = dma_channel_bytes_per_s(cfg, clk, mem);
  for (uint32_t i = 0; i < cfg.channels; ++i) {
    auto ch = std::make_unique<Channel>();
    ch->index = i;
    ch->ext.requester = first_requester + i;
    ch->ext.done = &ch->grant_done;
    if (m_timeline)  // "core0.dma.ch1": every core's engine is named "dma"
      ch->track = m_timeline->add_track(
          (get_parent_object() ? std::string(get_parent_object()->basename()) + "." : "") +
          basename() + ".ch" + std::to_string(i));
    Channel* raw = ch.get();
    sc_core::sc_spawn_options opts;
    sc_core::sc_spawn([this, raw] { channel_thread(raw); },
                      (std::string("ch") + std::to_string(i)).c_str(), &opts);
    m_channels.push_back(std::move(ch));
  }
}

void DmaEngine::submit(const DmaDescriptor& d, DmaCompletion* c, uint32_t label) {
  m_queue.push_back({d, c, label});
  m_work.notify(sc_core::SC_ZERO_TIME);
}

void DmaEngine::channel_thread(Channel* ch) {
  tlm::tlm_generic_payload& trans = ch->trans;
  for (;;) {
    // The lowest-numbered free channel takes the next descriptor. Left to SystemC, the channel
    // that wakes first would, and that order depends on what the engine did before: an op's
    // timing (which requester the memory arbiter sees) must depend only on the op.
    ch->busy = false;
    const auto lower_free = [&] {
      return std::any_of(m_channels.begin(), m_channels.begin() + ch->index,
                         [](const std::unique_ptr<Channel>& c) { return !c->busy; });
    };
    while (m_queue.empty() || lower_free()) sc_core::wait(m_work);
    ch->busy = true;
    ch->job = m_queue.front();
    const Job& job = ch->job;
    m_queue.pop_front();
    if (!m_queue.empty()) m_work.notify(sc_core::SC_ZERO_TIME);  // wake a sibling channel
    ch->start_ps = sc_core::sc_time_stamp().value();
    const uint64_t descriptors =
        m_cfg.strides_2d && !job.desc.gather ? job.desc.pieces : job.desc.rows;
    m_counters.descriptors += descriptors;
    // The setup rides on the first grant request as a loosely-timed delay annotation: the memory
    // interface honours it before queueing the request (one context switch instead of two).
    sc_core::sc_time delay =
        sc_core::sc_time::from_value(m_clk.cycles_to_ps(m_cfg.setup_cycles * descriptors));
    trans.set_command(job.desc.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    ch->left = job.desc.bytes();
    ch->issued_ps = ch->start_ps + delay.value();
    while (ch->left > 0) {
      const uint64_t chunk = std::min(ch->left, m_quantum_bytes);
      trans.set_data_length(static_cast<unsigned int>(chunk));
      ch->wake_ps = sc_core::sc_time_stamp().value() + delay.value();
      socket->b_transport(trans, delay);
      // No faster than the channel's own rate allows.
      const uint64_t own_end = ch->issued_ps + transfer_ps(chunk, m_channel_bytes_per_s);
      const uint64_t now = sc_core::sc_time_stamp().value();
      ch->wake_ps = own_end;
      ch->pacing = true;
      if (own_end > now) sc_core::wait(sc_core::sc_time::from_value(own_end - now));
      ch->pacing = false;
      ch->issued_ps = std::max(own_end, now);
      delay = sc_core::SC_ZERO_TIME;
      ch->left -= chunk;
    }
    // The last data arrives one round trip after its grant; the channel is free to issue the
    // next descriptor meanwhile (its bursts are pipelined), so only the completion waits.
    const uint64_t end = sc_core::sc_time_stamp().value();
    m_counters.bytes += job.desc.bytes();
    m_counters.busy_ps += end - ch->start_ps;
    if (m_timeline) m_timeline->record(ch->track, job.label, ch->start_ps, end);
    if (--job.completion->pending == 0) {
      job.completion->done_at_ps = end + m_latency_ps;
      job.completion->done.notify(sc_core::sc_time::from_value(m_latency_ps));
    }
  }
}

void DmaEngine::write_state(StateWriter& w) const {
  w.put(m_queue.size());
  for (const Job& j : m_queue) put_job(w, j);
  for (const auto& ch : m_channels) {
    w.put(ch->busy, ch->pacing);
    if (!ch->busy) continue;
    put_job(w, ch->job);
    w.put(ch->left);
    w.time(ch->issued_ps);
    w.time(ch->start_ps);
    w.pending(ch->wake_ps);
  }
}

void DmaEngine::put_job(StateWriter& w, const Job& j) {
  w.put(j.desc.rows, j.desc.row_bytes, j.desc.write, j.desc.gather, j.desc.pieces);
  w.ptr(j.completion);
  w.put(j.label);
}

}  // namespace npu
