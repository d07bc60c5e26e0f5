#include "core/validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace kelu {
namespace {

json::object Parse(std::string_view text) { return ParseJson(text)->as_object(); }

TEST(Validation, CollectsEveryBadField) {
  auto body = Parse(R"({"name": "  ", "seats": "x", "role": "king", "extra": 1})");
  Fields f(body);
  f.String("name", true);
  f.Int("seats", true, 1, 100);
  f.Enum("role", true, {"boss", "member"});
  f.String("login", true);
  f.OnlyKeys({"name", "seats", "role", "login"});
  ASSERT_FALSE(f.ok());
  auto e = f.ToError();
  EXPECT_EQ(e.code, "validation_failed");
  const auto& fields = e.details.at("fields").as_object();
  EXPECT_EQ(fields.at("name"), "required");
  EXPECT_EQ(fields.at("seats"), "must be an integer");
  EXPECT_EQ(fields.at("login"), "required");
  EXPECT_EQ(fields.at("extra"), "unknown field");
  EXPECT_TRUE(fields.contains("role"));
}

TEST(Validation, ControlCharactersAreFoundInEveryTextAndKey) {
  auto body = ParseJson(R"({"name": "宏达\u0000科技", "notes": "第一行\n第二行\tA\r\nB",
                            "phones": ["138", "139\u0007"], "custom": {"region": "华东\u001b"},
                            "ok": "plain", "n": 1, "contacts": [{"email": "a@b.cn\u007f"}],
                            "k\u0001": "x"})");
  ASSERT_TRUE(body);
  auto bad = FieldsWithControlCharacters(*body);
  std::sort(bad.begin(), bad.end());
  EXPECT_EQ(bad, (std::vector<std::string>{"(key)", "contacts[0].email", "custom.region", "name",
                                           "phones[1]"}));
}

TEST(Validation, TabsAndLineBreaksAreTextButOtherControlsAreNot) {
  EXPECT_FALSE(HasControlCharacter("a\tb\nc\r\nd"));
  EXPECT_FALSE(HasControlCharacter("宏达科技"));
  EXPECT_TRUE(HasControlCharacter(std::string_view("a\0b", 3)));
  EXPECT_TRUE(HasControlCharacter("a\rb")) << "a carriage return alone";
  EXPECT_TRUE(HasControlCharacter("ab\r"));
  EXPECT_TRUE(HasControlCharacter("\x1f"));
  EXPECT_TRUE(HasControlCharacter("\x7f"));
  EXPECT_TRUE(HasControlCharacter("a\xc2\x85" "b")) << "U+0085, a C1 control";
  EXPECT_FALSE(HasControlCharacter("\xc2\xa0\xc3\x80")) << "U+00A0 and U+00C0 are text";
}

TEST(Validation, Utf8PrefixCutsBetweenCharacters) {
  EXPECT_EQ(Utf8Prefix("杭州客录科技", 2), "杭州…");
  EXPECT_EQ(Utf8Prefix("杭州", 2), "杭州");
  EXPECT_EQ(Utf8Prefix("abc", 5), "abc");
  EXPECT_EQ(Utf8Prefix("a😀b", 2), "a😀…");
  EXPECT_EQ(Utf8Prefix("", 0), "");
  EXPECT_EQ(Utf8Prefix("x", 0), "…");
}

TEST(Validation, ASecretIsTakenExactlyAsTyped) {
  auto body = Parse(R"({"password": "  two spaces  ", "empty": "", "n": 1})");
  Fields f(body);
  EXPECT_EQ(f.Secret("password", true), "  two spaces  ");
  EXPECT_EQ(f.String("password", true), "two spaces") << "names and other text are trimmed";
  EXPECT_EQ(f.Secret("empty", true), std::nullopt);
  EXPECT_EQ(f.Secret("n", true), std::nullopt);
  EXPECT_EQ(f.Secret("absent", false), std::nullopt);
  EXPECT_EQ(f.errors().size(), 2u);
}

TEST(Validation, CountsCharactersNotBytes) {
  auto body = Parse(R"({"name": "客录科技"})");
  Fields f(body);
  EXPECT_EQ(f.String("name", true, 1, 4), "客录科技");
  EXPECT_TRUE(f.ok());
  Fields g(body);
  EXPECT_FALSE(g.String("name", true, 1, 3));
  EXPECT_EQ(Utf8Length("a客"), 2u);
  EXPECT_FALSE(Utf8Length("\xff"));
}

TEST(Validation, NullableIdDistinguishesAbsentFromNull) {
  auto body = Parse(R"({"a": null, "b": 5, "c": -1})");
  Fields f(body);
  bool present = false;
  EXPECT_FALSE(f.NullableId("a", present));
  EXPECT_TRUE(present);
  EXPECT_EQ(f.NullableId("b", present), 5);
  f.NullableId("missing", present);
  EXPECT_FALSE(present);
  f.NullableId("c", present);
  EXPECT_FALSE(f.ok());
}

}  // namespace
}  // namespace kelu
