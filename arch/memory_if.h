// The memory behind the NPU's port as SystemC sees it: a TLM-2.0 target (its configuration and
// what initiators may know of it: memory_config.h).
#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>
#include <memory>

#include "memory_config.h"
#include "state_writer.h"
#include "timeline.h"
#include "types.h"

namespace npu {

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

/// The memory behind the NPU's port.
class MemoryIf {
 public:
  using TargetSocket =
      tlm::tlm_base_target_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;
  virtual ~MemoryIf() = default;
  /// Where every DMA engine's initiator socket binds.
  virtual TargetSocket& target_socket() = 0;
  virtual MemoryTraits traits() const = 0;
  /// Bytes read and written, busy time and grants since elaboration.
  virtual const MemoryCounters& counters() const = 0;
  /// Forget arbitration history (the scheduler calls it at each op start, so an op's timing
  /// does not depend on the ops before it).
  virtual void reset_arbitration() = 0;
  /// Appends the memory's state relative to now (steady_state.h); false when the model cannot,
  /// and then no period is skipped.
  virtual bool write_state(StateWriter& w) const = 0;
};

}  // namespace npu
