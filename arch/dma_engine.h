// A core's DMA engine as a SystemC block (its model: dma_config.h).
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "dma_config.h"
#include "memory_if.h"
#include "state_writer.h"
#include "timeline.h"
#include "types.h"

namespace npu {

/// A group of descriptors a submitter waits for as one.
struct DmaCompletion {
  uint32_t pending = 0;
  sc_core::sc_event done;
  uint64_t done_at_ps = 0;  ///< when `done` was last notified for
};

class DmaEngine : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> socket{"socket"};

  /// `first_requester` numbers this engine's channels chip-wide for the memory arbiter.
  DmaEngine(sc_core::sc_module_name name, const DmaConfig& cfg, ClockDomain clk,
            const MemoryTraits& mem, uint32_t first_requester, Timeline* timeline);

  /// Queues a descriptor; `c.pending` must count it. Free channels take descriptors in order.
  void submit(const DmaDescriptor& d, DmaCompletion* c, uint32_t label);

  /// The queue and the channels' transfers, relative to now (steady_state.h).
  void write_state(StateWriter& w) const;
  const DmaCounters& counters() const { return m_counters; }
  const DmaConfig& config() const { return m_cfg; }

 private:
  struct Job {
    DmaDescriptor desc;
    DmaCompletion* completion;
    uint32_t label;
  };
  struct Channel {
    uint32_t index = 0;
    // The descriptor in progress (none while waiting for one: the channel is free): what is left
    // of it, when its next request may go (its own rate), when it started, and when the channel
    // next wakes from a timed wait.
    bool busy = false;
    bool pacing = false;  ///< waiting for its own rate (else, when busy, in a transport)
    Job job{};
    uint64_t left = 0, issued_ps = 0, start_ps = 0, wake_ps = 0;
    RequesterExtension ext;
    tlm::tlm_generic_payload trans;
    sc_core::sc_event grant_done;
    uint32_t track = 0;
    Channel() { trans.set_extension(&ext); }
    ~Channel() { trans.clear_extension(&ext); }  // the payload would otherwise free() it
  };
  void channel_thread(Channel* ch);
  static void put_job(StateWriter& w, const Job& j);

  DmaConfig m_cfg;
  ClockDomain m_clk;
  uint64_t m_quantum_bytes;
  uint64_t m_latency_ps;
  uint64_t m_channel_bytes_per_s;
  std::deque<Job> m_queue;
  sc_core::sc_event m_work;
  std::vector<std::unique_ptr<Channel>> m_channels;
  DmaCounters m_counters;
  Timeline* m_timeline;
};

}  // namespace npu
