#include "identity/password.hpp"

#include <gtest/gtest.h>

#include "core/random.hpp"

namespace kelu::identity {
namespace {

TEST(Password, StandardPolicyNeedsLengthAndTwoClasses) {
  auto p = PolicyNamed("standard");
  EXPECT_TRUE(CheckPassword(p, "abcdef12", "li").ok());
  auto short_one = CheckPassword(p, "abc12", "li");
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.error().code, "weak_password");
  EXPECT_FALSE(CheckPassword(p, "abcdefgh", "li").ok());
}

TEST(Password, DengbaoPolicyNeedsThreeClassesAndRotation) {
  auto p = PolicyNamed("dengbao");
  EXPECT_EQ(p.rotation_days, 90);
  EXPECT_EQ(p.history, 5);
  EXPECT_FALSE(CheckPassword(p, "abcdef12", "li").ok());
  EXPECT_TRUE(CheckPassword(p, "Abcdef12", "li").ok());
}

TEST(Password, MayNotContainTheLogin) {
  auto s = CheckPassword(PolicyNamed("standard"), "Zhangwei2026", "zhangwei");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().details.at("rules").as_array().at(0), "contains_login");
}

TEST(Password, Argon2idHashVerifies) {
  ASSERT_TRUE(InitCrypto());
  std::string h = HashPassword("Correct-Horse-7", HashCost{});
  EXPECT_TRUE(h.starts_with("$argon2id$"));
  EXPECT_NE(h.find("m=19456,t=2,p=1"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(h, "Correct-Horse-7"));
  EXPECT_FALSE(VerifyPassword(h, "correct-horse-7"));
}

TEST(Password, TemporaryPasswordsNeverContainTheLogin) {
  // A two-character login turns up in about one random 16-character password in fifty.
  for (int i = 0; i < 500; ++i) {
    std::string pw = TemporaryPassword(PolicyNamed("standard"), "u2");
    EXPECT_TRUE(CheckPassword(PolicyNamed("standard"), pw, "u2").ok()) << pw;
  }
}

TEST(Password, GeneratedPasswordsMeetEveryPolicy) {
  for (int i = 0; i < 50; ++i) {
    std::string pw = RandomPassword();
    EXPECT_TRUE(CheckPassword(PolicyNamed("dengbao"), pw, "someone").ok()) << pw;
  }
}

}  // namespace
}  // namespace kelu::identity
