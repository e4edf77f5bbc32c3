#include "capacity.h"

#include <fmt/format.h>

namespace npu {

namespace {

constexpr double kMib = 1024.0 * 1024;
constexpr double kGib = kMib * 1024;

/// Bytes as GiB (from 1 GiB up) or MiB, with `decimals` digits.
std::string size_text(uint64_t bytes, int decimals) {
  const double b = static_cast<double>(bytes);
  if (b >= kGib) return fmt::format("{:.{}f} GiB", b / kGib, decimals);
  return fmt::format("{:.{}f} MiB", b / kMib, decimals > 1 ? decimals - 1 : 1);
}

}  // namespace

std::optional<std::string> memory_shortfall(const ChipConfig& chip, const Workload& w) {
  const uint64_t capacity = chip.memory.capacity_bytes;
  const Footprint& f = w.footprint;
  const uint64_t need = f.total_bytes();
  if (capacity == 0 || need <= capacity) return std::nullopt;
  // Enough digits that the total and the capacity print differently (5.334 vs 5.333 GiB).
  int d = 2;
  while (d < 6 && size_text(need, d) == size_text(capacity, d)) ++d;
  std::string parts = size_text(f.weight_bytes, d) + " of weights";
  if (f.kv_cache_bytes > 0) {
    parts += " + " + size_text(f.kv_cache_bytes, d) + " of KV cache (" +
             std::to_string(w.max_kv_length) + " positions";
    if (w.spec.batch > 1) parts += " x " + std::to_string(w.spec.batch) + " sequences";
    parts += ")";
  }
  parts += " + " + size_text(f.peak_activation_bytes, d) + " of activations";
  return fmt::format(
      "{} at {} needs {} = {} of device memory, but {} has {} (memory.capacity_gib); use smaller "
      "--weights or --kv formats, a shorter --prompt, --context or --tokens, a smaller --batch, "
      "or a chip with more memory",
      w.model, format_name(w.spec.weights), parts, size_text(need, d), chip.name,
      size_text(capacity, d));
}

uint64_t onchip_score_bytes(const ChipConfig& chip) {
  return chip.cores * chip.core.sram.output_bytes;
}

}  // namespace npu
