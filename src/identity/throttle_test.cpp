#include "identity/throttle.hpp"

#include <gtest/gtest.h>

#include <vector>

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

TEST(LoginDelays, FreeFailuresThenDelaysThatDoubleUpToTheLongest) {
  using std::chrono::seconds;
  LoginDelays delays(5, seconds(30), seconds(900));
  Timestamp t = FromMicros(1'800'000'000'000'000);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(delays.Wait("demo:boss", t), 0);
    delays.Failed("demo:boss", t);
  }
  EXPECT_EQ(delays.Wait("demo:boss", t), 0) << "four failures cost nothing";
  delays.Failed("demo:boss", t);
  EXPECT_EQ(delays.Wait("demo:boss", t), 30);
  EXPECT_EQ(delays.Wait("demo:boss", t + seconds(29)), 1);
  EXPECT_EQ(delays.Wait("demo:boss", t + seconds(30)), 0);
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 7; ++i) {
    t += seconds(1000);
    delays.Failed("demo:boss", t);
    waits.push_back(delays.Wait("demo:boss", t));
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{60, 120, 240, 480, 900, 900, 900}));
  EXPECT_EQ(delays.Wait("demo:sales", t), 0) << "another account is not slowed";
  delays.Forget("demo:boss");
  EXPECT_EQ(delays.Wait("demo:boss", t), 0);
}

TEST(LoginDelays, ALongQuietSpellStartsTheCountAgain) {
  using std::chrono::seconds;
  LoginDelays delays(2, seconds(30), seconds(60));
  Timestamp t = FromMicros(1'800'000'000'000'000);
  delays.Failed("k", t);
  delays.Failed("k", t);
  EXPECT_EQ(delays.Wait("k", t), 30);
  delays.Failed("k", t + seconds(121));
  EXPECT_EQ(delays.Wait("k", t + seconds(121)), 0) << "one failure after a quiet spell is free";
}

TEST(LoginDelays, BeginCountsTheAttemptBeforeItIsChecked) {
  using std::chrono::seconds;
  LoginDelays delays(5, seconds(30), seconds(900));
  Timestamp t = FromMicros(1'800'000'000'000'000);
  // Five guesses sent at once all start, and the sixth waits, though none has been judged yet.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(delays.Begin("code:u:1:boss", t), 0) << i;
  EXPECT_EQ(delays.Begin("code:u:1:boss", t), 30);
  EXPECT_EQ(delays.Wait("code:u:1:boss", t), 30);
  // Another account's counter, and the same account's password counter, are apart.
  EXPECT_EQ(delays.Begin("u:1:boss", t), 0);
  // A success forgets.
  delays.Forget("code:u:1:boss");
  EXPECT_EQ(delays.Begin("code:u:1:boss", t), 0);
}

}  // namespace
}  // namespace kelu::identity
