// Unified-memory interface: the NPU's port into the DRAM it shares with CPU and GPU.
//
// A TLM-2.0 target (multi-passthrough socket: every DMA engine binds to it). It serves one grant
// at a time: a grant moves one transaction (at most `quantum_bytes`, the DMA engines split
// larger transfers) at the NPU's reachable bandwidth,
//   reachable = min(peak * achievable_fraction - background, max_outstanding * request_bytes /
//   latency)
// (the second term is Little's law: bytes in flight over the round trip). Pending transactions are
// granted by the arbitration policy: round-robin over requesters, oldest first (fifo), or fixed
// priority (lowest requester id first). The round-trip latency is added once per DMA descriptor
// by the DMA engine, because outstanding requests pipeline it under the stream.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include <cstdint>
#include <vector>

#include "memory_if.h"
#include "timeline.h"

namespace npu {

class UnifiedMemory : public sc_core::sc_module, public MemoryIf {
 public:
  tlm_utils::multi_passthrough_target_socket<UnifiedMemory> socket{"socket"};

  SC_HAS_PROCESS(UnifiedMemory);
  UnifiedMemory(sc_core::sc_module_name name, const MemoryConfig& cfg, Timeline* timeline);

  TargetSocket& target_socket() override { return socket; }
  MemoryTraits traits() const override { return memory_traits(m_cfg); }
  const MemoryCounters& counters() const override { return m_counters; }
  /// Round-robin restarts from the first requester.
  void reset_arbitration() override { m_last_granted = UINT32_MAX; }
  bool write_state(StateWriter& w) const override;

 private:
  struct Pending {
    bool valid = false;
    uint64_t arrival_ps = 0;
    uint64_t bytes = 0;
    bool write = false;
    sc_core::sc_event* done = nullptr;
  };

  void b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void arbitrate();  // SC_METHOD
  void schedule_arbitration(uint64_t at_ps);
  uint32_t pick() const;

  MemoryConfig m_cfg;
  uint64_t m_bytes_per_s;
  // One slot per requester: a DMA channel has at most one transaction in flight (b_transport
  // blocks), so arbitration scans at most one entry per channel.
  std::vector<Pending> m_pending;
  uint32_t m_pending_count = 0;
  sc_core::sc_event m_arbitrate;
  uint64_t m_busy_until_ps = 0;
  uint64_t m_arbitrate_at_ps = UINT64_MAX;  ///< when the pending arbitration runs; MAX = none
  bool m_grant_end_wakeup = false;  ///< the pending arbitration is a timed one (a grant's end)
  uint32_t m_last_granted = UINT32_MAX;
  MemoryCounters m_counters;
  Timeline* m_timeline;
  uint32_t m_track = 0, m_label_read = 0, m_label_write = 0;
};

}  // namespace npu
