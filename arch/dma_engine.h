// DMA engine of one core: `channels` independent channels moving descriptors between the unified
// memory and the core's SRAM through the memory interface (TLM-2.0 initiator socket).
//
// One descriptor moves rows x row_bytes (a 2-D strided block). Its time on a channel is
//   setup_cycles * descriptors + stream + latency
// where descriptors is 1 with 2-D strides (else one per row), stream is the bytes split into
// grants of at most the memory quantum, each finishing no earlier than the memory interface
// grants it and no earlier than the channel's own rate allows, and latency is the memory round
// trip, paid once per descriptor (outstanding bursts pipeline it). The channel's own rate is
//   min(bytes_per_cycle * f_npu, max_outstanding_bursts * max_burst_bytes / latency).
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "memory_if.h"
#include "timeline.h"
#include "types.h"

namespace npu {

struct DmaConfig {
  uint32_t channels = 2;
  uint32_t bytes_per_cycle = 64;  ///< per channel, NPU clock
  uint32_t setup_cycles = 32;     ///< per descriptor
  uint32_t max_burst_bytes = 256;
  uint32_t max_outstanding_bursts = 16;
  bool strides_2d = true;  ///< one descriptor moves a 2-D block; else one per row
};

struct DmaDescriptor {
  uint64_t rows = 1;
  uint64_t row_bytes = 0;
  bool write = false;   ///< SRAM -> memory
  bool gather = false;  ///< rows from scattered addresses (an index list): one descriptor per row
  /// Separately addressed runs of the rows (the pages of a paged KV cache): a 2-D descriptor
  /// each.
  uint64_t pieces = 1;
  uint64_t bytes() const { return rows * row_bytes; }
};

/// A group of descriptors a submitter waits for as one.
struct DmaCompletion {
  uint32_t pending = 0;
  sc_core::sc_event done;
};

struct DmaCounters {
  uint64_t bytes = 0;
  uint64_t descriptors = 0;  ///< hardware descriptors (rows when strides_2d is false)
  uint64_t busy_ps = 0;      ///< summed over channels
};

/// The rate of one channel, bytes/s: its datapath, capped by Little's law on its own bursts in
/// flight over the memory's round trip. The engine streams at it, and the lowering's estimates
/// use the same number.
uint64_t dma_channel_bytes_per_s(const DmaConfig& cfg, ClockDomain clk, const MemoryTraits& mem);

class DmaEngine : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> socket{"socket"};

  /// `first_requester` numbers this engine's channels chip-wide for the memory arbiter.
  DmaEngine(sc_core::sc_module_name name, const DmaConfig& cfg, ClockDomain clk,
            const MemoryTraits& mem, uint32_t first_requester, Timeline* timeline);

  /// Queues a descriptor; `c.pending` must count it. Free channels take descriptors in order.
  void submit(const DmaDescriptor& d, DmaCompletion* c, uint32_t label);

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
    RequesterExtension ext;
    tlm::tlm_generic_payload trans;
    sc_core::sc_event grant_done;
    uint32_t track = 0;
    Channel() { trans.set_extension(&ext); }
    ~Channel() { trans.clear_extension(&ext); }  // the payload would otherwise free() it
  };
  void channel_thread(Channel* ch);

  DmaConfig m_cfg;
  ClockDomain m_clk;
  uint64_t m_quantum_bytes;
  uint64_t m_latency_ps;
  uint64_t m_channel_bytes_per_s;
  std::deque<Job> m_queue;
  std::vector<bool> m_free;  ///< per channel: waiting for a descriptor
  sc_core::sc_event m_work;
  std::vector<std::unique_ptr<Channel>> m_channels;
  DmaCounters m_counters;
  Timeline* m_timeline;
};

}  // namespace npu
