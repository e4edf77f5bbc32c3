// Report text appended piece by piece: the writers of ops.csv and trace.json build each row from
// a hundred small pieces, so no format string is parsed per row and no piece is a call into
// std::string. Numbers come out exactly as "%.Nf" / "{}" print them (tests/test_text_out.cpp).
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "output_set.h"

namespace npu {

/// Text appended to a string through a buffer of its own: a report row is a hundred small pieces,
/// and each costs a copy here instead of a call into std::string. flush() (and the destructor)
/// hand what is buffered to the string; with a sink, row_done() also lets the sink write it out.
class Out {
 public:
  explicit Out(std::string& s) : m_s(s) {}
  explicit Out(TextSink& sink) : m_s(sink.buf()), m_sink(&sink) {}
  ~Out() { flush(); }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;

  void flush() {
    m_s.append(m_buf, m_n);
    m_n = 0;
  }
  void row_done() {
    flush();
    if (m_sink) m_sink->row_done();
  }
  /// Room for `n` (at most kSize) more characters; commit() says where the written ones end.
  char* room(size_t n) {
    if (n > kSize - m_n) flush();
    return m_buf + m_n;
  }
  void commit(const char* end) { m_n = static_cast<size_t>(end - m_buf); }
  Out& operator+=(char c) {
    *room(1) = c;
    ++m_n;
    return *this;
  }
  Out& operator+=(std::string_view s) {
    if (s.size() > kSize) {
      flush();
      m_s.append(s);
      return *this;
    }
    std::memcpy(room(s.size()), s.data(), s.size());
    m_n += s.size();
    return *this;
  }

 private:
  static constexpr size_t kSize = 4096;
  std::string& m_s;
  TextSink* m_sink = nullptr;
  char m_buf[kSize];
  size_t m_n = 0;
};

inline void put(Out& out, uint64_t v) {
  char* p = out.room(20);
  out.commit(std::to_chars(p, p + 20, v).ptr);
}
inline void put(Out& out, std::string_view s) {
  out += s;
}
template <size_t N>
inline void put(Out& out, const char (&literal)[N]) {
  out += std::string_view(literal, N - 1);
}
/// n / scale (scale = 10^digits) with `digits` decimals, from the integer: no rounding.
inline void put_scaled(Out& out, uint64_t n, uint64_t scale, int digits) {
  put(out, n / scale);
  if (digits == 0) return;
  char* p = out.room(static_cast<size_t>(digits) + 1);
  p[0] = '.';
  for (uint64_t d = n % scale, i = static_cast<uint64_t>(digits); i > 0; --i, d /= 10)
    p[i] = static_cast<char>('0' + d % 10);
  out.commit(p + digits + 1);
}
/// A number with kDigits decimals, as printf's and fmt's "%.Nf" print it (std::to_chars is exact:
/// the binary value rounded half to even).
template <int kDigits>
struct Fixed {
  double v;
};
template <int kDigits>
inline void put(Out& out, Fixed<kDigits> f) {
  static_assert(kDigits >= 0 && kDigits <= 9);
  constexpr uint64_t kScale = [] {
    uint64_t x = 1;
    for (int i = 0; i < kDigits; ++i) x *= 10;
    return x;
  }();
  // The fast path: v x 10^N rounded to an integer, when the product's own rounding error
  // (at most |x| 2^-53) cannot move it across a half -- then the digits are those of the exact
  // value. Near a half, and for large or non-finite values, std::to_chars decides.
  const double x = std::fabs(f.v) * static_cast<double>(kScale);
  if (x < 0x1p52) {
    const double r = std::nearbyint(x);
    if (std::fabs(x - r) + x * 0x1p-52 < 0.5) {
      if (std::signbit(f.v)) out += '-';
      put_scaled(out, static_cast<uint64_t>(r), kScale, kDigits);
      return;
    }
  }
  constexpr size_t kMost = 320 + kDigits;  // a double's 309 integer digits, sign, point, decimals
  char* p = out.room(kMost);
  out.commit(std::to_chars(p, p + kMost, f.v, std::chars_format::fixed, kDigits).ptr);
}
/// Picoseconds as microseconds with 6 decimals, from the integer (no rounding).
struct Micros {
  uint64_t ps;
};
inline void put(Out& out, Micros t) {
  put_scaled(out, t.ps, 1000000, 6);
}
/// A string as a JSON string literal, as nlohmann's dump() writes it.
struct JsonText {
  const std::string& s;
};
inline void put(Out& out, JsonText j) {
  const bool plain = std::all_of(j.s.begin(), j.s.end(), [](unsigned char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(j.s).dump();
    return;
  }
  out += '"';
  out += j.s;
  out += '"';
}
/// A CSV field, escaped if it needs it (RFC 4180).
struct CsvText {
  const std::string& s;
};
inline void put(Out& out, CsvText f) {
  const bool plain = std::none_of(f.s.begin(), f.s.end(),
                                  [](char c) { return c == ',' || c == '"' || c == '\n'; });
  if (plain) {
    out += f.s;
    return;
  }
  out += '"';
  for (char c : f.s) (c == '"' ? out += "\"\"" : out += c);
  out += '"';
}

/// Appends each piece in turn, as put() writes it.
template <typename... Pieces>
void cat(Out& out, const Pieces&... pieces) {
  (put(out, pieces), ...);
}

}  // namespace npu
