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

TEST(JsonWriter, WritesTheExtremeIntegers) {
  JsonWriter w;
  w.BeginArray().Int(INT64_MIN).Int(INT64_MAX).Int(0).EndArray();
  EXPECT_EQ(w.text(), "[-9223372036854775808,9223372036854775807,0]");
}

}  // namespace
}  // namespace kelu
