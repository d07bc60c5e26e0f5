#include "crm/normalize.hpp"

#include <gtest/gtest.h>

namespace kelu::crm {
namespace {

TEST(Normalize, FullWidthBecomesHalfWidth) {
  EXPECT_EQ(ToHalfWidth("ＡＢＣ１２３！　x"), "ABC123! x");
}

TEST(Normalize, CompanyNamesCompareWithoutSuffixSpaceOrPunctuation) {
  EXPECT_EQ(NormalizeName("北京客录科技有限公司"), "北京客录科技");
  EXPECT_EQ(NormalizeName(" 北京 客录科技 "), "北京客录科技");
  EXPECT_EQ(NormalizeName("北京客录科技有限责任公司"), "北京客录科技");
  EXPECT_EQ(NormalizeName("北京客录科技股份有限公司"), "北京客录科技");
  EXPECT_EQ(NormalizeName("客录（北京）科技公司"), "客录北京科技");
  EXPECT_EQ(NormalizeName("Kelu Tech Co., Ltd."), "kelutech");
  EXPECT_EQ(NormalizeName("ＫＥＬＵ　Ｔｅｃｈ　Ｌｉｍｉｔｅｄ"), "kelutech");
  EXPECT_EQ(NormalizeName("Acme, Inc."), "acme");
}

TEST(Normalize, ASuffixAloneIsKept) {
  EXPECT_EQ(NormalizeName("有限公司"), "有限公司");
  EXPECT_EQ(NormalizeName("Costco"), "costco");
}

TEST(Normalize, PhonesKeepDigitsWithoutCountryPrefix) {
  EXPECT_EQ(NormalizePhone("+86 138-0013-8000"), "13800138000");
  EXPECT_EQ(NormalizePhone("0086 13800138000"), "13800138000");
  EXPECT_EQ(NormalizePhone("１３８ ００１３ ８０００"), "13800138000");
  EXPECT_EQ(NormalizePhone("(010) 6552-1234"), "01065521234");
  EXPECT_EQ(NormalizePhone("8613800138000"), "13800138000");
}

TEST(Normalize, AQueryIsAPhoneNumberOnlyWhenItReadsAsOne) {
  EXPECT_EQ(PhoneDigitsOf("138 0013"), "1380013");
  EXPECT_EQ(PhoneDigitsOf("+86 (138) 0013-8000"), "13800138000");
  EXPECT_EQ(PhoneDigitsOf("（０１０）６５５２"), "0106552");
  EXPECT_EQ(PhoneDigitsOf("0042"), "0042");
  EXPECT_EQ(PhoneDigitsOf("宏达0123"), "");
  EXPECT_EQ(PhoneDigitsOf("Room 101"), "");
  EXPECT_EQ(PhoneDigitsOf("248转8"), "");
  EXPECT_EQ(PhoneDigitsOf("-- "), "");
}

TEST(Normalize, EmailsIgnoreCaseAndSpaces) {
  EXPECT_EQ(NormalizeEmail("  Zhang.Wei@Example.CN "), "zhang.wei@example.cn");
}

}  // namespace
}  // namespace kelu::crm
