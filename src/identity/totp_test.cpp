#include "identity/totp.hpp"

#include <gtest/gtest.h>

#include <set>

namespace kelu::identity {
namespace {

Timestamp At(std::int64_t unix_seconds) { return FromMicros(unix_seconds * 1'000'000); }

const std::string kRfcSecret = "12345678901234567890";  // RFC 6238 Appendix B, SHA-1

TEST(Totp, CodesAreTheRfc6238TestVectors) {
  // The appendix gives 8 digits; a 6-digit code is their last six.
  EXPECT_EQ(TotpCode(kRfcSecret, At(59)), "287082");
  EXPECT_EQ(TotpCode(kRfcSecret, At(1111111109)), "081804");
  EXPECT_EQ(TotpCode(kRfcSecret, At(1111111111)), "050471");
  EXPECT_EQ(TotpCode(kRfcSecret, At(1234567890)), "005924");
  EXPECT_EQ(TotpCode(kRfcSecret, At(2000000000)), "279037");
  EXPECT_EQ(TotpStep(At(59)), 1);
  EXPECT_EQ(TotpStep(At(60)), 2);
}

TEST(Totp, Base32AndTheKeyUriAreWhatAuthenticatorAppsRead) {
  EXPECT_EQ(Base32(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(Base32("f"), "MY");
  EXPECT_EQ(Base32("fooba"), "MZXW6YTB");
  EXPECT_EQ(OtpauthUri("客录", "boss@demo", kRfcSecret),
            "otpauth://totp/%E5%AE%A2%E5%BD%95:boss%40demo?secret="
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%E5%AE%A2%E5%BD%95&algorithm=SHA1&"
            "digits=6&period=30");
  EXPECT_EQ(NewTotpSecret().size(), 20u);
  EXPECT_NE(NewTotpSecret(), NewTotpSecret());
}

TEST(Totp, MatchTakesTheStepEitherSideAndNothingFurther) {
  Timestamp now = At(1'800'000'015);
  std::int64_t step = TotpStep(now);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now), now, 0), step);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now - std::chrono::seconds(30)), now, 0),
            step - 1);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now + std::chrono::seconds(30)), now, 0),
            step + 1);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now - std::chrono::seconds(60)), now, 0),
            std::nullopt);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now + std::chrono::seconds(60)), now, 0),
            std::nullopt);
  // "123 456" as apps show it.
  std::string code = TotpCode(kRfcSecret, now);
  EXPECT_EQ(MatchTotp(kRfcSecret, code.substr(0, 3) + " " + code.substr(3), now, 0), step);
}

TEST(Totp, ACodeOnceAcceptedIsNotAcceptedAgain) {
  Timestamp now = At(1'800'000'015);
  std::int64_t step = TotpStep(now);
  std::string code = TotpCode(kRfcSecret, now);
  EXPECT_EQ(MatchTotp(kRfcSecret, code, now, step), std::nullopt);
  EXPECT_EQ(MatchTotp(kRfcSecret, code, now, step - 1), step);
  // A code of an earlier step than the last accepted one is refused too.
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, now - std::chrono::seconds(30)), now, step),
            std::nullopt);
}

TEST(Totp, MalformedCodesAndAnotherSecretAreRefused) {
  Timestamp now = At(1'800'000'015);
  std::string code = TotpCode(kRfcSecret, now);
  for (std::string bad : {std::string(""), std::string("12345"), std::string("1234567"),
                          std::string("12a456"), code + "0", std::string("-12345")}) {
    EXPECT_EQ(MatchTotp(kRfcSecret, bad, now, 0), std::nullopt) << bad;
  }
  EXPECT_EQ(MatchTotp("another secret of 20b", code, now, 0), std::nullopt);
  EXPECT_EQ(MatchTotp("", code, now, 0), std::nullopt);
}

TEST(RecoveryCodes, TenDistinctCodesInTwoGroupsWithoutLookAlikes) {
  auto codes = NewRecoveryCodes();
  ASSERT_EQ(codes.size(), static_cast<std::size_t>(kRecoveryCodeCount));
  std::set<std::string> distinct(codes.begin(), codes.end());
  EXPECT_EQ(distinct.size(), codes.size());
  for (const auto& c : codes) {
    ASSERT_EQ(c.size(), 11u) << c;
    EXPECT_EQ(c[5], '-');
    EXPECT_EQ(c.find_first_of("01ilo"), std::string::npos) << c;
    EXPECT_EQ(NormalizeRecoveryCode(c), c);
  }
}

TEST(RecoveryCodes, TypedCodesAreNormalizedOrRefused) {
  EXPECT_EQ(NormalizeRecoveryCode("K7M2P-9XQ4R"), "k7m2p-9xq4r");
  EXPECT_EQ(NormalizeRecoveryCode(" k7m2p 9xq4r "), "k7m2p-9xq4r");
  EXPECT_EQ(NormalizeRecoveryCode("k7m2p9xq4r"), "k7m2p-9xq4r");
  EXPECT_EQ(NormalizeRecoveryCode("k7m2p-9xq4"), "");
  EXPECT_EQ(NormalizeRecoveryCode("k7m2p-9xq4rr"), "");
  EXPECT_EQ(NormalizeRecoveryCode("k7m2p-9xq4o"), "");  // o is never issued
  EXPECT_EQ(NormalizeRecoveryCode(""), "");
}

}  // namespace
}  // namespace kelu::identity
