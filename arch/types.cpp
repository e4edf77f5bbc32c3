#include "types.h"

namespace npu {

namespace {
struct FormatInfo {
  Format format;
  std::string_view name;
  uint32_t bits;
};
constexpr std::array<FormatInfo, 8> kFormats = {{{Format::kInt4, "int4", 4},
                                                 {Format::kInt8, "int8", 8},
                                                 {Format::kInt16, "int16", 16},
                                                 {Format::kFp8, "fp8", 8},
                                                 {Format::kFp16, "fp16", 16},
                                                 {Format::kBf16, "bf16", 16},
                                                 {Format::kFp32, "fp32", 32},
                                                 {Format::kInt32, "int32", 32}}};
constexpr bool indexed_by_format() {
  for (size_t i = 0; i < kFormats.size(); ++i)
    if (static_cast<size_t>(kFormats[i].format) != i || kAllFormats[i] != kFormats[i].format)
      return false;
  return true;
}
static_assert(kFormats.size() == kAllFormats.size() && indexed_by_format(),
              "kFormats and kAllFormats list every Format in the enum's order");
}  // namespace

std::string_view format_name(Format f) {
  return kFormats[static_cast<size_t>(f)].name;
}
uint32_t format_bits(Format f) {
  return kFormats[static_cast<size_t>(f)].bits;
}

std::optional<Format> parse_format(std::string_view s) {
  for (const auto& fi : kFormats)
    if (fi.name == s) return fi.format;
  return std::nullopt;
}

Format accumulator_of(Format f) {
  switch (f) {
    case Format::kInt4:
    case Format::kInt8:
    case Format::kInt16:
    case Format::kInt32:
      return Format::kInt32;
    case Format::kFp8:
    case Format::kFp16:
    case Format::kBf16:
    case Format::kFp32:
      return Format::kFp32;
  }
  return Format::kFp32;
}

uint64_t bytes_of(uint64_t elems, Format f) {
  return ceil_div(elems * format_bits(f), 8);
}

}  // namespace npu
