#include "messaging/text.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace kelu::messaging {
namespace {

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// 【客录】 is 4 characters.
TEST(Rules, SmsOf70CharactersIsOneSegment) {
  auto size = MeasureSms("客录", Repeat("好", 66));
  ASSERT_TRUE(size);
  EXPECT_EQ(size->characters, 70);
  EXPECT_EQ(size->segments, 1);
}

TEST(Rules, SmsOf71CharactersIsTwoSegmentsOf67) {
  EXPECT_EQ(MeasureSms("客录", Repeat("好", 67))->segments, 2);   // 71
  EXPECT_EQ(MeasureSms("客录", Repeat("好", 130))->segments, 2);  // 134 = 2 × 67
  EXPECT_EQ(MeasureSms("客录", Repeat("好", 131))->segments, 3);  // 135
}

TEST(Rules, AnEmojiCountsTwo) {
  auto size = MeasureSms("客录", Repeat("好", 64) + "😀");  // 4 + 64 + 2
  EXPECT_EQ(size->characters, 70);
  EXPECT_EQ(size->segments, 1);
  EXPECT_EQ(MeasureSms("客录", Repeat("好", 65) + "😀")->segments, 2);
  EXPECT_EQ(MeasureSms("客录", "abc")->characters, 7);  // ASCII counts 1 as well
}

TEST(Rules, PointsAreSegmentsTimesRecipients) { EXPECT_EQ(SmsPoints(3, 1000), 3000); }

TEST(Messaging, RefusesInvalidUtf8) { EXPECT_FALSE(MeasureSms("客录", "\xff\xfe")); }

TEST(Messaging, SensitiveWordsMatchAfterWidthAndCase) {
  SensitiveWords filter({"发票", "ABC代开", "赌博"});
  EXPECT_EQ(filter.Find("本店可开发票，ａｂｃ代开"), (std::vector<std::string>{"发票", "ABC代开"}));
  EXPECT_TRUE(filter.Find("欢迎光临").empty());
  EXPECT_EQ(filter.Find("赌博赌博"), (std::vector<std::string>{"赌博"}));  // each word once
}

TEST(Messaging, OverlappingWordsAreAllFound) {
  SensitiveWords filter({"he", "she", "his", "hers"});
  EXPECT_EQ(filter.Find("ushers"), (std::vector<std::string>{"she", "he", "hers"}));
}

// The automaton agrees with a plain substring search on random texts.
TEST(Messaging, AgreesWithANaiveSearch) {
  std::mt19937 rng(7);
  const std::vector<std::string> alphabet = {"a", "b", "中", "文"};
  auto random_text = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  std::vector<std::string> words;
  words.reserve(30);
  for (int i = 0; i < 30; ++i) words.push_back(random_text(1 + static_cast<int>(rng() % 4)));
  SensitiveWords filter(words);
  for (int round = 0; round < 200; ++round) {
    std::string text = random_text(40);
    auto found = filter.Find(text);
    std::set<std::string> got(found.begin(), found.end());
    std::set<std::string> want;
    for (const auto& w : words) {
      if (text.find(w) != std::string::npos) want.insert(w);
    }
    ASSERT_EQ(got, want) << text;
  }
}

TEST(SmsText, MobileNumberAcceptsMainlandMobilesOnly) {
  EXPECT_EQ(MobileNumber("+86 138-0013-8000"), "13800138000");
  EXPECT_EQ(MobileNumber("１３８００１３８０００"), "13800138000");
  EXPECT_FALSE(MobileNumber("021-12345678"));  // a landline
  EXPECT_FALSE(MobileNumber("12800138000"));   // no such prefix
  EXPECT_FALSE(MobileNumber("1380013800"));    // ten digits
}

TEST(SmsText, TemplateRendersVariablesAndDefaults) {
  TemplateValues v{"北京客录", "", "经理", "王五"};
  EXPECT_EQ(RenderTemplate("{客户名称}的{联系人|客户}您好，{title}，{owner}", v),
            "北京客录的客户您好，经理，王五");
  EXPECT_TRUE(TemplateProblems("{客户名称}{联系人|先生}").empty());
  auto problems = TemplateProblems("{客户名称}{生日}{x");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "unknown variable {生日}");
  EXPECT_EQ(problems[1], "a { without its }");
}

TEST(SmsText, MarketingWaitsForTheWindow) {
  Zone zone = Zone::Shanghai();
  Window window;  // 08:00–21:00
  Date day{std::chrono::year(2026), std::chrono::month(11), std::chrono::day(25)};
  Date next{std::chrono::year(2026), std::chrono::month(11), std::chrono::day(26)};
  using std::chrono::minutes;
  Timestamp at22 = zone.At(day, minutes(22 * 60));
  EXPECT_EQ(EarliestSend(at22, true, window, zone), zone.At(next, minutes(8 * 60)));
  EXPECT_EQ(EarliestSend(at22, false, window, zone), at22);  // notifications go at once
  Timestamp at7 = zone.At(day, minutes(7 * 60 + 59));
  EXPECT_EQ(EarliestSend(at7, true, window, zone), zone.At(day, minutes(8 * 60)));
  Timestamp at8 = zone.At(day, minutes(8 * 60));
  EXPECT_EQ(EarliestSend(at8, true, window, zone), at8);
  Timestamp at21 = zone.At(day, minutes(21 * 60));  // the end is outside
  EXPECT_EQ(EarliestSend(at21, true, window, zone), zone.At(next, minutes(8 * 60)));
}

TEST(SmsText, OptOutReplies) {
  for (const char* yes : {"R", "r", "TD", "td ", "Ｔ Ｄ", "退订", "退订。", "N"}) {
    EXPECT_TRUE(IsOptOutReply(yes)) << yes;
  }
  for (const char* no : {"Rx", "好的", "请再发一次", "", "TDD"}) {
    EXPECT_FALSE(IsOptOutReply(no)) << no;
  }
}

}  // namespace
}  // namespace kelu::messaging
