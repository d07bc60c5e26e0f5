#include "billing/pricing.hpp"

#include <gtest/gtest.h>

#include "billing/rules.hpp"

namespace kelu::billing {
namespace {

Date D(std::string_view s) { return *ParseDate(s); }

PriceList List(const char* promotions = "[]") {
  auto doc = ParseJson(std::string(R"({
    "plans": [{"code": "standard", "name": "标准版", "seat_year_fen": 120000},
              {"code": "pro", "name": "专业版", "seat_year_fen": 198000, "min_seats": 3}],
    "seat_packages": [{"code": "p4", "name": "4 用户包", "seats": 4, "year_fen": 420000}],
    "multi_year": [{"years": 2, "discount_bp": 500}, {"years": 3, "discount_bp": 1000}],
    "sms_packs": [{"code": "sms-1000", "name": "短信 1000 条", "points": 1000, "price_fen": 7000}],
    "promotions": )") + promotions +
                       "}");
  auto list = ParsePriceList(doc->as_object());
  EXPECT_TRUE(list.ok()) << (list.ok() ? "" : list.error().message);
  return *list;
}

const TermsConfig kTerms{};

TEST(Pricing, SeatsAndPackagesPerYear) {
  auto lines =
      PriceTerm(List(), kTerms, {"standard", 2, {{"p4", 1}}}, 1, 0, false, D("2026-12-01"));
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(Total(*lines), 2 * 120000 + 420000);
  EXPECT_EQ(SeatGroup({"standard", 2, {{"p4", 1}}}).Seats(List()), 6);
}

TEST(Pricing, MultiYearDiscountTakesTheLongestTierReached) {
  auto two = PriceTerm(List(), kTerms, {"standard", 1, {}}, 2, 0, false, D("2026-12-01"));
  EXPECT_EQ(Total(*two), 240000 - 12000);
  auto five = PriceTerm(List(), kTerms, {"standard", 1, {}}, 5, 0, false, D("2026-12-01"));
  EXPECT_EQ(Total(*five), 600000 - 60000);  // the 3-year tier
}

TEST(Pricing, PromotionsApplyInTheirWindowToTheirKindOfOrder) {
  PriceList list = List(R"([
    {"code": "new10", "name": "新客九折", "kind": "percent", "value": 1000,
     "starts_on": "2026-12-01", "ends_on": "2026-12-31", "applies_to": "new"},
    {"code": "renew200", "name": "续费减 200", "kind": "amount", "value": 20000,
     "starts_on": "2026-12-01", "ends_on": "2026-12-31", "applies_to": "renewal"}])");
  SeatGroup g{"standard", 1, {}};
  EXPECT_EQ(Total(*PriceTerm(list, kTerms, g, 1, 0, false, D("2026-12-31"))), 108000);
  EXPECT_EQ(Total(*PriceTerm(list, kTerms, g, 1, 0, true, D("2026-12-15"))), 100000);
  EXPECT_EQ(Total(*PriceTerm(list, kTerms, g, 1, 0, false, D("2027-01-01"))), 120000);  // ended
  EXPECT_EQ(Total(*PriceTerm(list, kTerms, g, 1, 0, false, D("2026-11-30"))), 120000);  // not yet
}

TEST(Pricing, OnlyTheBestPromotionAppliesAndNeverBelowZero) {
  PriceList list = List(R"([
    {"code": "a", "name": "A", "kind": "percent", "value": 500,
     "starts_on": "2026-01-01", "ends_on": "2027-12-31", "applies_to": "both"},
    {"code": "b", "name": "B", "kind": "amount", "value": 99999999,
     "starts_on": "2026-01-01", "ends_on": "2027-12-31", "applies_to": "both"}])");
  auto lines = PriceTerm(list, kTerms, {"standard", 1, {}}, 1, 0, false, D("2026-12-01"));
  EXPECT_EQ(Total(*lines), 0);
  EXPECT_EQ(std::count_if(lines->begin(), lines->end(),
                          [](const Line& l) { return l.code.starts_with("promotion:"); }),
            1);
}

TEST(Pricing, StorageBlocksRenewWithTheTermUndiscounted) {
  auto lines = PriceTerm(List(), kTerms, {"standard", 1, {}}, 2, 2, true, D("2026-12-01"));
  EXPECT_EQ(Total(*lines), 240000 - 12000 + 2 * 3000 * 12 * 2);
}

TEST(Pricing, UnknownPlansPackagesAndTooFewSeatsAreRefused) {
  EXPECT_FALSE(PriceTerm(List(), kTerms, {"gold", 1, {}}, 1, 0, false, D("2026-12-01")).ok());
  EXPECT_FALSE(
      PriceTerm(List(), kTerms, {"standard", 1, {{"p9", 1}}}, 1, 0, false, D("2026-12-01")).ok());
  auto few = PriceTerm(List(), kTerms, {"pro", 2, {}}, 1, 0, false, D("2026-12-01"));
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.error().code, "validation_failed");
}

TEST(Pricing, InvalidPriceListsNameTheField) {
  auto doc = ParseJson(R"({"plans": [{"code": "a", "name": "A", "seat_year_fen": 1},
                                      {"code": "a", "name": "B", "seat_year_fen": 2}],
                           "promotions": [{"code": "p", "name": "P", "kind": "percent",
                             "value": 1000, "starts_on": "2026-12-31", "ends_on": "2026-12-01",
                             "applies_to": "new"}], "colour": 1})");
  auto list = ParsePriceList(doc->as_object());
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().code, "invalid_price_list");
  const auto& fields = list.error().details.at("fields").as_object();
  EXPECT_TRUE(fields.contains("plans[1].code"));
  EXPECT_TRUE(fields.contains("promotions[0].ends_on"));
  EXPECT_TRUE(fields.contains("colour"));
}

}  // namespace
}  // namespace kelu::billing
