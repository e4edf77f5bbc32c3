// The console summary's note on a slow activation format (activation_rate_note), with the
// MAC rates of the shipped presets' arrays.
#include <gtest/gtest.h>

#include "sim/report.h"

namespace npu {
namespace {

SystolicArrayConfig rates(std::initializer_list<std::pair<Format, uint32_t>> r) {
  SystolicArrayConfig a;
  a.macs_per_pe_per_cycle = {};
  for (auto [f, n] : r) a.macs_per_pe_per_cycle[static_cast<size_t>(f)] = n;
  return a;
}

TEST(ActivationRateNote, HexagonFp16IsAnEighthOfInt8AndInt16IsSuggested) {
  // hexagon-v7x: int4 16, int8 8, int16 2, fp16 1. int4 is not an activation format.
  const auto a =
      rates({{Format::kInt4, 16}, {Format::kInt8, 8}, {Format::kInt16, 2}, {Format::kFp16, 1}});
  EXPECT_EQ(activation_rate_note(a, Format::kFp16).value_or(""),
            "note: fp16 activations run at 1/8 of this chip's int8 rate; try --activations int16 "
            "(2x faster on the array)");
  // int16 at exactly 1/4 is not noted: w8a16 / w4a16 runs it on purpose, and the note is for
  // a rate more than 4x below the best.
  EXPECT_FALSE(activation_rate_note(a, Format::kInt16));
  EXPECT_FALSE(activation_rate_note(a, Format::kInt8));
  EXPECT_FALSE(activation_rate_note(a, Format::kBf16));  // no rate: nothing to say
}

TEST(ActivationRateNote, HalfTheRateIsNotNoted) {
  // intel-npu-4: int8 4, fp16 2.
  const auto a = rates({{Format::kInt8, 4}, {Format::kFp16, 2}});
  EXPECT_FALSE(activation_rate_note(a, Format::kFp16));
  // A third is not noted either; a fifth is, with a non-integer ratio written out.
  EXPECT_FALSE(
      activation_rate_note(rates({{Format::kInt8, 3}, {Format::kFp16, 1}}), Format::kFp16));
  EXPECT_EQ(activation_rate_note(rates({{Format::kInt8, 9}, {Format::kFp16, 2}}), Format::kFp16)
                .value_or(""),
            "note: fp16 activations run at 1/4.5 of this chip's int8 rate; try --activations int8 "
            "(4.5x faster on the array)");
}

}  // namespace
}  // namespace npu
