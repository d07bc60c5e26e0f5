#include "core/json.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

TEST(JsonBody, RefusesAnObjectThatNamesAKeyTwice) {
  EXPECT_FALSE(ParseJsonBody(R"({"name": "a", "name": "b"})"));
  EXPECT_FALSE(ParseJsonBody(R"({"a": {"x": 1, "x": 2}})"));
  EXPECT_FALSE(ParseJsonBody(R"({"items": [{"id": 1, "id": 1}]})"));
  // The same key spelt with an escape is the same key.
  EXPECT_FALSE(ParseJsonBody(R"({"name": 1, "n\u0061me": 2})"));
  // Plain JSON parses as ParseJson reads it (which keeps only the last of two).
  EXPECT_EQ(ParseJson(R"({"name": "a", "name": "b"})")->at("name"), "b");
}

TEST(JsonBody, TakesTheSameKeyInDifferentObjects) {
  auto v = ParseJsonBody(R"({"a": {"id": 1}, "b": {"id": 2}, "c": [{"id": 3}, {"id": 4}], "id": 5})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("c").at(1).at("id"), 4);
  EXPECT_TRUE(ParseJsonBody("{}"));
  EXPECT_TRUE(ParseJsonBody("[1, 2]"));
}

TEST(JsonBody, RefusesNumbersNoDoubleHolds) {
  // Found by fuzzing: 0e710 parsed to NaN.
  EXPECT_FALSE(ParseJsonBody("0e710"));
  EXPECT_FALSE(ParseJsonBody(R"({"amount": 1e400})"));
  EXPECT_FALSE(ParseJsonBody(R"({"a": [-1e999]})"));
  EXPECT_TRUE(ParseJsonBody(R"({"a": 1.5e300, "b": 0e10, "c": 9007199254740993})"));
}

TEST(JsonBody, RefusesWhatIsNotJson) {
  EXPECT_FALSE(ParseJsonBody(""));
  EXPECT_FALSE(ParseJsonBody("{"));
  EXPECT_FALSE(ParseJsonBody(R"({"a": 1} {"b": 2})"));
  EXPECT_FALSE(ParseJsonBody("{\"a\": \"\xff\"}")) << "not UTF-8";
  EXPECT_FALSE(ParseJsonBody(R"({"a": 1,})"));
}

}  // namespace
}  // namespace kelu
