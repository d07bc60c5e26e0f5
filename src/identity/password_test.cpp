#include "identity/password.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/random.hpp"

namespace kelu::identity {
namespace {

std::vector<std::string> Rules(const Status& s) {
  std::vector<std::string> out;
  if (s.ok()) return out;
  for (const auto& r : s.error().details.at("rules").as_array()) out.emplace_back(r.as_string());
  return out;
}

TEST(Password, StandardPolicyNeedsLengthAndNoKindsOfCharacters) {
  auto p = PolicyNamed("standard");
  EXPECT_EQ(p.min_classes, 0);
  // ASVS 6.2: any characters, no composition rule; a passphrase is fine.
  EXPECT_TRUE(CheckPassword(p, "correct horse battery", "li").ok());
  EXPECT_TRUE(CheckPassword(p, "marblekettlefog", "li").ok());
  EXPECT_TRUE(CheckPassword(p, "宏达科技年年高升", "li").ok());
  auto short_one = CheckPassword(p, "abc12", "li");
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.error().code, "weak_password");
  EXPECT_EQ(Rules(short_one), std::vector<std::string>{"min_length"});
  // At least 64 characters are taken, of any script.
  EXPECT_TRUE(CheckPassword(p, "the quick brown fox jumps over the lazy dog while the team keeps notes", "li").ok());
  EXPECT_TRUE(CheckPassword(p, "系统帮我们把每位客户的跟进记录整理清楚，销售经理每天早上九点看一遍报表，然后安排当天的拜访与电话，"
                               "月底再对一次回款和合同的数字", "li").ok());
  EXPECT_EQ(Rules(CheckPassword(p, std::string(257, 'q'), "li")), std::vector<std::string>{"max_length"});
}

TEST(Password, CommonAndGuessablePasswordsAreRefused) {
  auto p = PolicyNamed("standard");
  for (const char* common : {"password", "Password123", "qwerty123", "iloveyou", "12345678",
                             "abc12345", "abcdefgh", "admin123"}) {
    auto s = CheckPassword(p, common, "li");
    EXPECT_EQ(Rules(s), std::vector<std::string>{"common"}) << common;
  }
  EXPECT_NE(CheckPassword(p, "password", "li").error().message.find("dictionary"), std::string::npos);
  EXPECT_TRUE(CheckPassword(p, "Secret-pass-1", "li").ok());
}

TEST(Password, TheServicesAndTheCompanysNamesAreNotPasswords) {
  auto p = PolicyNamed("standard");
  EXPECT_EQ(Rules(CheckPassword(p, "mykelu-secret-42", "li")), std::vector<std::string>{"contains_context_word"});
  EXPECT_EQ(Rules(CheckPassword(p, "客录客户管理很方便", "li")), std::vector<std::string>{"contains_context_word"});
  EXPECT_EQ(Rules(CheckPassword(p, "hongda marble fog", "li", {"hongda", "宏达科技"})),
            std::vector<std::string>{"contains_context_word"});
  EXPECT_EQ(Rules(CheckPassword(p, "宏达科技年年发大财", "li", {"hongda", "宏达科技"})),
            std::vector<std::string>{"contains_context_word"});
  EXPECT_TRUE(CheckPassword(p, "marble kettle fog", "li", {"hongda", "宏达科技"}).ok());
  EXPECT_TRUE(CheckPassword(p, "marble kettle fog", "li", {"ab", ""}).ok()) << "too short to count";
}

TEST(Password, DengbaoPolicyNeedsThreeClassesAndRotation) {
  auto p = PolicyNamed("dengbao");
  EXPECT_EQ(p.rotation_days, 90);
  EXPECT_EQ(p.history, 5);
  EXPECT_EQ(Rules(CheckPassword(p, "marblekettle7", "li")), std::vector<std::string>{"character_classes"});
  EXPECT_TRUE(CheckPassword(p, "Marblekettle7", "li").ok());
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
