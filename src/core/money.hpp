// Money is an integer number of fen (1 yuan = 100 fen), never a float. A computed amount is an
// exact fraction rounded once, half up, to the fen (CONTRACT-RULES "Time and money").
#pragma once

#include <cassert>
#include <cstdint>
#include <string>

namespace kelu {

using Fen = std::int64_t;
// A 128-bit integer for exact intermediate products (price × seats × days × denominators).
__extension__ using Wide = __int128;

// An exact non-negative fraction of fen, for sums of prorated parts that must round once.
struct FenFraction {
  Wide numerator = 0;
  Wide denominator = 1;

  FenFraction& operator+=(const FenFraction& o) {
    numerator = numerator * o.denominator + o.numerator * denominator;
    denominator *= o.denominator;
    return *this;
  }
};

// numerator / denominator rounded half up to a whole fen. Both non-negative, denominator > 0.
inline Fen RoundHalfUp(Wide numerator, Wide denominator) {
  assert(numerator >= 0 && denominator > 0);
  return static_cast<Fen>((numerator * 2 + denominator) / (denominator * 2));
}
inline Fen RoundHalfUp(const FenFraction& f) { return RoundHalfUp(f.numerator, f.denominator); }

// "1,234.56" (yuan with thousands separators), "-0.50" for negative amounts.
std::string FormatYuan(Fen fen);

}  // namespace kelu
