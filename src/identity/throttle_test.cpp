#include "identity/throttle.hpp"

#include <gtest/gtest.h>

namespace kelu::identity {
namespace {

TEST(AttemptLimiter, RefusesPastTheLimitWithinTheWindow) {
  AttemptLimiter limiter(3, std::chrono::seconds(60));
  Timestamp t0 = FromMicros(1'800'000'000'000'000);
  EXPECT_EQ(limiter.Attempt("a", t0), 0);
  EXPECT_EQ(limiter.Attempt("a", t0 + std::chrono::seconds(1)), 0);
  EXPECT_EQ(limiter.Attempt("a", t0 + std::chrono::seconds(2)), 0);
  EXPECT_EQ(limiter.Attempt("a", t0 + std::chrono::seconds(10)), 50);
  // Another address is not affected.
  EXPECT_EQ(limiter.Attempt("b", t0 + std::chrono::seconds(10)), 0);
  // Once the first attempt leaves the window, one more is allowed.
  EXPECT_EQ(limiter.Attempt("a", t0 + std::chrono::seconds(61)), 0);
}

}  // namespace
}  // namespace kelu::identity
