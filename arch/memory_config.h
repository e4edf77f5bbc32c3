// The seam between the NPU and the memory behind its port, as DRAMSys separates its controller
// from its DRAM models: an interface (MemoryIf: a TLM-2.0 target plus what initiators may ask
// of it), the memory section of the chip (MemoryConfig, `memory.model` naming the model), and
// one factory. Cores, DMA engines and the lowering see MemoryTraits, never MemoryConfig; a
// second model (an L2, an LPDDR timing model) is a new block, a case in the factory, its keys in
// the loader and SCHEMA.md.
//
// Models: `unified` (arch/unified_memory.h): peak bandwidth, reachable fraction, background
// agents, latency, outstanding requests and arbitration.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "types.h"

namespace npu {

enum class MemoryModel : uint8_t { kUnified };
std::string_view memory_model_name(MemoryModel m);
inline constexpr MemoryModel kAllMemoryModels[] = {MemoryModel::kUnified};

enum class Arbitration : uint8_t { kRoundRobin, kFifo, kPriority };
std::string_view arbitration_name(Arbitration a);
std::optional<Arbitration> parse_arbitration(std::string_view s);

struct MemoryConfig {
  MemoryModel model = MemoryModel::kUnified;   ///< which block serves the NPU (the factory)
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

struct MemoryCounters {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t busy_ps = 0;
  uint64_t grants = 0;

  /// Calls f(x.field, y.field, ...) for every counter, as CoreCounters::each.
  template <class F, class... C>
  static void each(F&& f, C&... c) {
    f(c.read_bytes...);
    f(c.write_bytes...);
    f(c.busy_ps...);
    f(c.grants...);
  }
  /// What was counted between `before` and this.
  MemoryCounters since(const MemoryCounters& before) const {
    MemoryCounters d;
    each([](uint64_t& out, uint64_t now, uint64_t then) { out = now - then; }, d, *this, before);
    return d;
  }
};

/// What an initiator (a DMA engine, the lowering's estimates) may ask of the memory.
struct MemoryTraits {
  uint64_t latency_ps = 0;   ///< round trip of one request; charged once per DMA descriptor
  uint64_t grant_bytes = 1;  ///< the largest transaction granted at once
  uint64_t bytes_per_s = 0;  ///< the bandwidth the NPU reaches (0: none; planning refuses it)
};

/// The traits of that model, known before elaboration (the lowering plans before simulating).
MemoryTraits memory_traits(const MemoryConfig& cfg);

}  // namespace npu
