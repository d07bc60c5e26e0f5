#include "crm/custom_fields.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace kelu::crm {
namespace {

std::vector<CustomField> Fields() {
  return {{1, "customer", "budget", "预算", FieldType::kMoney, {}, false},
          {2, "customer", "visit_date", "拜访日期", FieldType::kDate, {}, false},
          {3, "customer", "channel", "渠道", FieldType::kSelect, {"直销", "代理"}, true},
          {4, "customer", "products", "产品", FieldType::kMultiSelect, {"CRM", "ERP", "OA"}, false},
          {5, "customer", "score", "评分", FieldType::kNumber, {}, false}};
}

json::value J(const char* text) { return boost::json::parse(text); }

TEST(CustomFields, ValidValuesAreStored) {
  auto v = J(
      R"({"budget": 1250000, "visit_date": "2026-12-01", "channel": "直销", "products": ["CRM", "OA"], "score": 4.5})");
  auto r = ApplyCustomValues(Fields(), {}, &v, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->at("budget"), 1250000);
  EXPECT_EQ(r->at("products").as_array().size(), 2u);
}

TEST(CustomFields, EachBadValueIsNamed) {
  auto v = J(
      R"({"budget": 12.5, "visit_date": "12/01", "channel": "电话", "products": ["CRM", "SAP"], "nope": 1})");
  auto r = ApplyCustomValues(Fields(), {}, &v, true);
  ASSERT_FALSE(r.ok());
  const auto& f = r.error().details.at("fields").as_object();
  for (const char* key :
       {"custom.budget", "custom.visit_date", "custom.channel", "custom.products", "custom.nope"}) {
    EXPECT_TRUE(f.contains(key)) << key;
  }
}

TEST(CustomFields, RequiredOnCreateAndNullRemoves) {
  auto none = J("{}");
  auto missing = ApplyCustomValues(Fields(), {}, &none, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().details.at("fields").as_object().contains("custom.channel"));
  json::object stored{{"channel", "代理"}, {"score", 3}};
  auto clear = J(R"({"score": null})");
  auto r = ApplyCustomValues(Fields(), stored, &clear, false);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->contains("score"));
  EXPECT_EQ(r->at("channel"), "代理");
}

TEST(CustomFields, TextFormRoundTrips) {
  auto f = Fields();
  for (const auto& [field, text] :
       std::vector<std::pair<CustomField, std::string>>{{f[0], "1250000"},
                                                        {f[1], "2026-12-01"},
                                                        {f[2], "直销"},
                                                        {f[3], "CRM;OA"},
                                                        {f[4], "4.5"}}) {
    auto v = CustomValueFromText(field, text);
    ASSERT_TRUE(v.ok()) << field.key;
    EXPECT_EQ(CustomValueToText(field, *v), text) << field.key;
  }
  EXPECT_FALSE(CustomValueFromText(f[0], "lots").ok());
  EXPECT_FALSE(CustomValueFromText(f[3], "CRM;SAP").ok());
  EXPECT_TRUE(CustomValueFromText(f[0], "")->is_null());
}

TEST(CustomFields, KeysAreLowerCaseIdentifiers) {
  EXPECT_TRUE(ValidFieldKey("budget_2027"));
  EXPECT_FALSE(ValidFieldKey("Budget"));
  EXPECT_FALSE(ValidFieldKey("2budget"));
  EXPECT_FALSE(ValidFieldKey("bud get"));
  EXPECT_FALSE(ValidFieldKey("x'; DROP"));
}

}  // namespace
}  // namespace kelu::crm
