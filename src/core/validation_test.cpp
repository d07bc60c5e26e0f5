#include "core/validation.hpp"

#include <gtest/gtest.h>

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
