#include "memory_config.h"

#include <algorithm>
#include <cmath>

namespace npu {

std::string_view memory_model_name(MemoryModel m) {
  switch (m) {
    case MemoryModel::kUnified:
      return "unified";
  }
  return "?";
}

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
  // Rounded, not truncated: 0.7 is not exact in binary, and 3e9 * 0.7 - 0 comes out as
  // 2099999999.99999976, which must be 2.1e9 B/s. At least 1 B/s while share > background.
  uint64_t bw = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(share - bg)));
  // Little's law: at most max_outstanding requests of request_bytes per round trip.
  if (latency_ps > 0) {
    const unsigned __int128 little = static_cast<unsigned __int128>(max_outstanding) *
                                     request_bytes * 1'000'000'000'000ULL / latency_ps;
    if (little < bw) bw = static_cast<uint64_t>(little);
  }
  return bw;
}

MemoryTraits memory_traits(const MemoryConfig& cfg) {
  switch (cfg.model) {
    case MemoryModel::kUnified:
      return {cfg.latency_ps, cfg.quantum_bytes, cfg.reachable_bytes_per_s()};
  }
  return {};
}

}  // namespace npu
