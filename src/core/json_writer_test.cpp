#include "core/json_writer.hpp"

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace kelu {
namespace {

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  JsonWriter w;
  w.BeginObject()
      .Key("id").Int(-42)
      .Key("name").String("客录")
      .Key("ok").Bool(true)
      .Key("none").Null()
      .Key("tags").BeginArray().String("A").String("B").EndArray()
      .Key("empty").BeginArray().EndArray()
      .Key("owner").BeginObject().Key("id").Int(7).EndObject()
      .Key("custom").Raw(R"({"x":[1,2]})")
      .EndObject();
  EXPECT_EQ(w.text(),
            R"({"id":-42,"name":"客录","ok":true,"none":null,"tags":["A","B"],"empty":[],)"
            R"("owner":{"id":7},"custom":{"x":[1,2]}})");
}

TEST(JsonWriter, WritesAValueGivenInPiecesAsOneValue) {
  JsonWriter w;
  w.BeginArray()
      .Raw({R"({"id":1,"owner":)", "null", "}"})
      .Raw({R"({"id":2,"owner":)", R"({"id":7})", "}"})
      .EndArray();
  EXPECT_EQ(w.text(), R"([{"id":1,"owner":null},{"id":2,"owner":{"id":7}}])");
}

TEST(JsonWriter, EscapesWhatJsonRequiresAndReadsBackEqual) {
  std::string tricky = "quote\" back\\slash \n\r\t\b\f bell\x07 nul";
  tricky.push_back('\0');
  tricky += " 中文 </script>";
  JsonWriter w;
  w.BeginArray().String(tricky).String("").EndArray();
  auto parsed = ParseJson(w.text());
  ASSERT_TRUE(parsed) << w.text();
  const auto& a = parsed->as_array();
  EXPECT_EQ(std::string(a.at(0).as_string()), tricky);
  EXPECT_EQ(std::string(a.at(1).as_string()), "");
  // The same text Boost.JSON's serializer writes for the same value.
  EXPECT_EQ(w.text(), ToJson(*parsed));
}

TEST(JsonWriter, EscapesAtEveryPositionOfLongText) {
  // Text is scanned eight bytes at a time: put each character that needs escaping at each
  // offset around those words, among ASCII and multi-byte UTF-8, and compare with Boost.JSON.
  const std::string specials[] = {"\"", "\\", "\n", "\t", std::string(1, '\0'), "\x1f"};
  for (const auto& special : specials) {
    for (std::size_t at = 0; at < 20; ++at) {
      std::string text = "abcdefgh ijklmnop qrstu 客录电话";  // offsets 0-19 are ASCII
      text.insert(at, special);
      JsonWriter w;
      w.BeginArray().String(text).EndArray();
      auto parsed = ParseJson(w.text());
      ASSERT_TRUE(parsed) << w.text();
      EXPECT_EQ(std::string(parsed->as_array().at(0).as_string()), text);
      EXPECT_EQ(w.text(), ToJson(*parsed));
    }
  }
}

TEST(JsonWriter, WritesTheExtremeIntegers) {
  JsonWriter w;
  w.BeginArray().Int(INT64_MIN).Int(INT64_MAX).Int(0).EndArray();
  EXPECT_EQ(w.text(), "[-9223372036854775808,9223372036854775807,0]");
}

TEST(JsonWriter, GrowsPastItsFirstBufferAndHandsOverExactlyTheText) {
  JsonWriter w;
  std::string expected = "[";
  w.BeginArray();
  for (int i = 0; i < 5000; ++i) {
    std::string s(static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26));
    w.BeginObject().Key("i").Int(i).Key("s").String(s).EndObject();
    if (i) expected += ',';
    expected += R"({"i":)" + std::to_string(i) + R"(,"s":")" + s + R"("})";
    if (i == 100) w.Reserve(1);  // a reservation smaller than what is left changes nothing
  }
  w.EndArray();
  expected += ']';
  EXPECT_EQ(w.text(), expected);
  std::string taken = std::move(w).Take();
  EXPECT_EQ(taken, expected);
  EXPECT_EQ(taken.size(), expected.size());
}

}  // namespace
}  // namespace kelu
