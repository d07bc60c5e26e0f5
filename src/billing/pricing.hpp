// The price list (§7, the contract's "official website") and the lines of an order priced from
// it. Pure: the list is a validated JSON document kept by version; pricing takes the list, the
// order's terms and the day, and returns lines whose sum is the order's total.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/json.hpp"
#include "core/money.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace kelu::billing {

struct Plan {
  std::string code;
  std::string name;
  Fen seat_year_fen = 0;  // per seat per year
  int min_seats = 1;
};

struct SeatPackage {  // 用户包: seats sold together at a package price
  std::string code;
  std::string name;
  int seats = 0;
  Fen year_fen = 0;
};

struct MultiYearDiscount {
  int years = 0;  // applies to orders of at least this many years
  int discount_bp = 0;
};

struct Promotion {
  std::string code;
  std::string name;
  std::string kind;  // "percent" (value in basis points) or "amount" (value in fen)
  std::int64_t value = 0;
  Date starts_on;
  Date ends_on;            // inclusive
  std::string applies_to;  // "new", "renewal" or "both"
};

struct Pack {  // SMS points or fax pages
  std::string code;
  std::string name;
  int units = 0;
  Fen price_fen = 0;
};

struct PriceList {
  std::vector<Plan> plans;
  std::vector<SeatPackage> packages;
  std::vector<MultiYearDiscount> multi_year;
  std::vector<Promotion> promotions;
  std::vector<Pack> sms_packs;
  std::vector<Pack> fax_packs;

  const Plan* FindPlan(std::string_view code) const;
  const SeatPackage* FindPackage(std::string_view code) const;
  const Pack* FindPack(std::string_view kind, std::string_view code) const;
  json::object ToJson() const;
};

// Validates a price list document; 422 invalid_price_list with details.fields.
Result<PriceList> ParsePriceList(const json::object& doc);

struct Line {
  std::string code;
  std::string description;
  std::int64_t quantity = 1;
  Fen unit_fen = 0;
  Fen amount_fen = 0;
};
Fen Total(const std::vector<Line>& lines);

struct PackageCount {
  std::string code;
  int quantity = 0;
};

// A seat group: seats of one plan bought one by one, plus packages.
struct SeatGroup {
  std::string plan;
  int single_seats = 0;
  std::vector<PackageCount> packages;
  int Seats(const PriceList& list) const;
};

// Reads {"plan", "seats", "packages": [{"code", "quantity"}]}-style fields from a body.
json::array PackagesToJson(const std::vector<PackageCount>& packages);
std::vector<PackageCount> PackagesFromJson(const json::value& v);

// A new subscription or a renewal of `years` years: the seats (plans and packages), storage
// blocks renewed with them, the multi-year discount and the best promotion in force on `today`
// for this kind of order. 422 when a plan or package is unknown.
Result<std::vector<Line>> PriceTerm(const PriceList& list, const TermsConfig& terms,
                                    const SeatGroup& group, int years, int storage_blocks,
                                    bool renewal, Date today);

}  // namespace kelu::billing
