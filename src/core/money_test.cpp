#include "core/money.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

TEST(Money, RoundsHalfUpOnce) {
  EXPECT_EQ(RoundHalfUp(5, 10), 1);   // 0.5 → 1
  EXPECT_EQ(RoundHalfUp(4, 10), 0);   // 0.4 → 0
  EXPECT_EQ(RoundHalfUp(15, 10), 2);  // 1.5 → 2
  EXPECT_EQ(RoundHalfUp(0, 7), 0);
  // Two parts of 0.4 fen each round to 1 together, not 0 + 0.
  FenFraction f{4, 10};
  f += FenFraction{4, 10};
  EXPECT_EQ(RoundHalfUp(f), 1);
}

TEST(Money, LargeAmountsDoNotOverflow) {
  // 10 million yuan × 10 000 seats × 366 days, over 365 × 366.
  Wide n = static_cast<Wide>(1'000'000'000) * 10'000 * 366;
  EXPECT_EQ(RoundHalfUp(n, 366), 10'000'000'000'000);
}

TEST(Money, FormatsYuan) {
  EXPECT_EQ(FormatYuan(0), "0.00");
  EXPECT_EQ(FormatYuan(5), "0.05");
  EXPECT_EQ(FormatYuan(123456789), "1,234,567.89");
  EXPECT_EQ(FormatYuan(-50), "-0.50");
  EXPECT_EQ(FormatYuan(100000), "1,000.00");
}

}  // namespace
}  // namespace kelu
