// Basic vocabulary shared by every hardware block: number formats, clock domains and integer
// helpers. Time inside a block is integer cycles of that block's clock; SystemC time (1 ps
// resolution) carries it between blocks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace npu {

/// Number formats the engine knows. Bits per element fix the bytes a tensor occupies.
/// int16 is the 16-bit integer activation of w8a16 / w4a16 quantisation (Qualcomm's a16).
enum class Format : uint8_t { kInt4, kInt8, kInt16, kFp8, kFp16, kBf16, kFp32, kInt32 };
inline constexpr std::array<Format, 8> kAllFormats = {Format::kInt4, Format::kInt8, Format::kInt16,
                                                      Format::kFp8,  Format::kFp16, Format::kBf16,
                                                      Format::kFp32, Format::kInt32};

std::string_view format_name(Format f);
std::optional<Format> parse_format(std::string_view s);
uint32_t format_bits(Format f);
/// Accumulator format of a MAC in `f` (int formats accumulate in int32, float ones in fp32).
Format accumulator_of(Format f);

/// Bytes occupied by `elems` elements of format `f`, rounded up to whole bytes (int4 packs two
/// elements per byte).
uint64_t bytes_of(uint64_t elems, Format f);

inline constexpr uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

/// A clock domain: an integer period in picoseconds. Frequencies whose period is not a whole
/// number of picoseconds are rounded to the nearest picosecond once, when the config is resolved
/// (e.g. 1200 MHz -> 833 ps, i.e. 1200.48 MHz; the report states the effective frequency).
struct ClockDomain {
  uint64_t period_ps = 1000;
  uint64_t cycles_to_ps(uint64_t cycles) const { return cycles * period_ps; }
  /// Whole cycles needed to cover `ps` (rounded up: a block finishes on a clock edge).
  uint64_t ps_to_cycles_ceil(uint64_t ps) const { return ceil_div(ps, period_ps); }
  uint64_t ps_to_cycles_floor(uint64_t ps) const { return ps / period_ps; }
  double freq_hz() const { return 1e12 / static_cast<double>(period_ps); }
};

/// Picoseconds to move `bytes` at `bytes_per_s`, rounded up. 128-bit intermediate: 10^12 x bytes
/// overflows 64 bits above ~18 MB.
inline uint64_t transfer_ps(uint64_t bytes, uint64_t bytes_per_s) {
  const unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 1'000'000'000'000ULL;
  return static_cast<uint64_t>((num + bytes_per_s - 1) / bytes_per_s);
}

}  // namespace npu
