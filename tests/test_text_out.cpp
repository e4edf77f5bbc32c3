// The report text writer (sim/text_out.h) prints what the format strings it replaced printed:
// fixed decimals as std::to_chars (and printf's "%.Nf") round the exact binary value -- the fast
// path is checked against it on a million values, ties and awkward ones included; microseconds
// from integer picoseconds; JSON strings as nlohmann writes them; CSV fields quoted per RFC 4180;
// pieces longer than the writer's buffer.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "sim/text_out.h"

namespace npu {
namespace {

template <class Piece>
std::string text_of(const Piece& piece) {
  std::string s;
  {
    Out out(s);
    put(out, piece);
  }
  return s;
}

template <int kDigits>
std::string reference(double v) {
  char b[400];
  return std::string(b, std::to_chars(b, b + sizeof b, v, std::chars_format::fixed, kDigits).ptr);
}

template <int kDigits>
void expect_fixed(double v) {
  ASSERT_EQ(text_of(Fixed<kDigits>{v}), reference<kDigits>(v)) << "value " << v;
}

TEST(TextOut, FixedDecimalsByHand) {
  EXPECT_EQ(text_of(Fixed<1>{12.25}), "12.2");  // a tie: half to even, as printf
  EXPECT_EQ(text_of(Fixed<1>{12.75}), "12.8");
  EXPECT_EQ(text_of(Fixed<2>{0.125}), "0.12");
  EXPECT_EQ(text_of(Fixed<1>{0.05}), "0.1");  // 0.05 is a little above 0.05 in binary
  EXPECT_EQ(text_of(Fixed<1>{-0.04}), "-0.0");
  EXPECT_EQ(text_of(Fixed<3>{-0.0}), "-0.000");
  EXPECT_EQ(text_of(Fixed<0>{2.5}), "2");
  EXPECT_EQ(text_of(Fixed<4>{0.0}), "0.0000");
  EXPECT_EQ(text_of(Fixed<1>{1e22}), "10000000000000000000000.0");
  EXPECT_EQ(text_of(Fixed<1>{std::numeric_limits<double>::infinity()}), "inf");
  EXPECT_EQ(text_of(Fixed<1>{std::nan("")}), reference<1>(std::nan("")));
  EXPECT_EQ(text_of(Fixed<1>{std::numeric_limits<double>::max()}),
            reference<1>(std::numeric_limits<double>::max()));
}

TEST(TextOut, FixedDecimalsAreStdToCharsOnAMillionValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1'000'000; ++i) {
    double v = 0;
    switch (i % 5) {
      case 0:  // eighths: exact ties at 1 and 2 decimals
        v = static_cast<double>(rng() % 100'000'000) / 8.0;
        break;
      case 1:  // any magnitude from 2^-60 to 2^53
        v = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 113));
        break;
      case 2:  // thousandths, as energies and rates come out
        v = static_cast<double>(rng() % 10'000'000) * 0.001;
        break;
      case 3:  // next to a tie
        v = std::nextafter(static_cast<double>(rng() % 1'000'000) + 0.5, rng() % 2 ? 0.0 : 1e300) /
            10.0;
        break;
      default: {  // any finite bit pattern
        const uint64_t bits = rng();
        std::memcpy(&v, &bits, sizeof v);
        if (!std::isfinite(v)) continue;
      }
    }
    if (rng() % 4 == 0) v = -v;
    expect_fixed<1>(v);
    expect_fixed<3>(v);
    expect_fixed<4>(v);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(TextOut, MicrosecondsFromPicoseconds) {
  EXPECT_EQ(text_of(Micros{0}), "0.000000");
  EXPECT_EQ(text_of(Micros{1}), "0.000001");
  EXPECT_EQ(text_of(Micros{1'234'567'890}), "1234.567890");
  EXPECT_EQ(text_of(Micros{UINT64_MAX}), "18446744073709.551615");
}

TEST(TextOut, JsonStringsAsNlohmannWritesThem) {
  for (const std::string s : {"plain", "say \"hi\"", "a\\b", "tab\there", "caf\u00e9", "", "\x01"})
    EXPECT_EQ(text_of(JsonText{s}), nlohmann::json(s).dump()) << s;
}

TEST(TextOut, CsvFieldsQuotedWhenTheyNeedIt) {
  EXPECT_EQ(text_of(CsvText{std::string("plain")}), "plain");
  EXPECT_EQ(text_of(CsvText{std::string("a,b")}), "\"a,b\"");
  EXPECT_EQ(text_of(CsvText{std::string("say \"hi\"")}), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(text_of(CsvText{std::string("two\nlines")}), "\"two\nlines\"");
}

TEST(TextOut, PiecesLongerThanTheBufferAndManyPieces) {
  const std::string long_piece(10'000, 'x');
  std::string got, want;
  {
    Out out(got);
    for (uint64_t i = 0; i < 3'000; ++i) {
      cat(out, "row ", i, ",", long_piece.substr(0, i % 7), "\n");
      want += "row " + std::to_string(i) + "," + long_piece.substr(0, i % 7) + "\n";
    }
    cat(out, long_piece);
    out += 'y';
    want += long_piece + "y";
  }
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace npu
