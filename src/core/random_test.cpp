#include "core/random.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

TEST(Digests, Base64EncodeIsStandardWithPadding) {
  ASSERT_TRUE(InitCrypto());
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("客录"), "5a6i5b2V");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe", 2)), "//4=");
}

// RFC 4231, test case 2.
TEST(Digests, HmacSha256MatchesTheRfc) {
  ASSERT_TRUE(InitCrypto());
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace kelu
