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
#include <optional>
#include <string_view>
#include <vector>

#include "timeline.h"
#include "types.h"

namespace npu {

enum class Arbitration : uint8_t { kRoundRobin, kFifo, kPriority };
std::string_view arbitration_name(Arbitration a);
std::optional<Arbitration> parse_arbitration(std::string_view s);

struct MemoryConfig {
  uint64_t peak_bytes_per_s = 68'000'000'000;  ///< the DRAM's peak
  double achievable_fraction = 0.8;            ///< the share of peak an NPU port can reach
  uint64_t background_bytes_per_s = 0;         ///< traffic of other agents (CPU, GPU, display)
  uint64_t latency_ps = 100'000;               ///< round trip of one request
  uint32_t max_outstanding = 128;              ///< requests in flight at the interface
  uint32_t request_bytes = 64;                 ///< bytes of one request
  Arbitration arbitration = Arbitration::kRoundRobin;
  uint64_t quantum_bytes = 65536;  ///< largest grant; simulation granularity of sharing
  /// Device memory the NPU's workload may use (weights, KV cache, activations), bytes: what the
  /// OS leaves of the device's DRAM. Not used by the timing model; a model run whose footprint
  /// exceeds it is refused before it is simulated. 0 = not modelled (no check).
  uint64_t capacity_bytes = 0;

  /// Bandwidth the NPU reaches, bytes/s; 0 when background traffic eats all of it.
  uint64_t reachable_bytes_per_s() const;
};

/// Carries the requester (a global DMA channel id) on the generic payload, and the requester's
/// own event that the interface notifies when the grant ends (one event per channel, reused, so
/// no event is created per transaction).
struct RequesterExtension : tlm::tlm_extension<RequesterExtension> {
  uint32_t requester = 0;
  sc_core::sc_event* done = nullptr;
  tlm::tlm_extension_base* clone() const override { return new RequesterExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    const auto& o = static_cast<const RequesterExtension&>(other);
    requester = o.requester;
    done = o.done;
  }
};

struct MemoryCounters {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t busy_ps = 0;
  uint64_t grants = 0;

  /// What was counted between `before` and this.
  MemoryCounters since(const MemoryCounters& before) const {
    return {read_bytes - before.read_bytes, write_bytes - before.write_bytes,
            busy_ps - before.busy_ps, grants - before.grants};
  }
};

class MemoryInterface : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<MemoryInterface> socket{"socket"};

  SC_HAS_PROCESS(MemoryInterface);
  MemoryInterface(sc_core::sc_module_name name, const MemoryConfig& cfg, Timeline* timeline);

  const MemoryConfig& config() const { return m_cfg; }
  const MemoryCounters& counters() const { return m_counters; }
  /// Round-robin restarts from the first requester (the scheduler calls it at each op start, so
  /// an op's timing does not depend on the ops before it).
  void reset_arbitration() { m_last_granted = UINT32_MAX; }

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
