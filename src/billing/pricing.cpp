#include "billing/pricing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "billing/rules.hpp"
#include "core/validation.hpp"

namespace kelu::billing {

const Plan* PriceList::FindPlan(std::string_view code) const {
  for (const auto& p : plans) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

const SeatPackage* PriceList::FindPackage(std::string_view code) const {
  for (const auto& p : packages) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

const Pack* PriceList::FindPack(std::string_view kind, std::string_view code) const {
  for (const auto& p : kind == "sms" ? sms_packs : fax_packs) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

namespace {

json::object PackJson(const Pack& p, const char* unit) {
  return {{"code", p.code}, {"name", p.name}, {unit, p.units}, {"price_fen", p.price_fen}};
}

// Reads an array of objects under `key`, each through `read`, collecting field errors.
template <class T, class F>
std::vector<T> ReadArray(const json::object& doc, std::string_view key, Fields& f, bool required,
                         F read) {
  std::vector<T> out;
  const auto* v = doc.if_contains(key);
  if (!v) {
    if (required) f.Fail(key, "required");
    return out;
  }
  if (!v->is_array()) {
    f.Fail(key, "must be an array");
    return out;
  }
  std::set<std::string> codes;
  const auto& arr = v->as_array();
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    std::string path = fmt::format("{}[{}]", key, i);
    if (!arr[i].is_object()) {
      f.Fail(path, "must be an object");
      continue;
    }
    Fields item(arr[i].as_object());
    T t = read(item);
    for (const auto& [k, msg] : item.errors()) f.Fail(fmt::format("{}.{}", path, k), msg);
    if constexpr (requires { t.code; }) {
      if (!t.code.empty() && !codes.insert(t.code).second) f.Fail(path + ".code", "duplicate code");
    }
    out.push_back(std::move(t));
  }
  if (required && out.empty()) f.Fail(key, "must not be empty");
  return out;
}

constexpr std::int64_t kMaxFen = 100'000'000'000;  // 1 billion yuan

Pack ReadPack(Fields& f, const char* unit) {
  Pack p;
  p.code = f.String("code", true, 1, 40).value_or("");
  p.name = f.String("name", true, 1, 100).value_or("");
  p.units = static_cast<int>(f.Int(unit, true, 1, 100'000'000).value_or(0));
  p.price_fen = f.Int("price_fen", true, 0, kMaxFen).value_or(0);
  return p;
}

}  // namespace

json::object PriceList::ToJson() const {
  json::array plan_arr, pkg_arr, my_arr, promo_arr, sms_arr, fax_arr;
  for (const auto& p : plans) {
    plan_arr.push_back(json::object{{"code", p.code},
                                    {"name", p.name},
                                    {"seat_year_fen", p.seat_year_fen},
                                    {"min_seats", p.min_seats}});
  }
  for (const auto& p : packages) {
    pkg_arr.push_back(json::object{
        {"code", p.code}, {"name", p.name}, {"seats", p.seats}, {"year_fen", p.year_fen}});
  }
  for (const auto& m : multi_year) {
    my_arr.push_back(json::object{{"years", m.years}, {"discount_bp", m.discount_bp}});
  }
  for (const auto& p : promotions) {
    promo_arr.push_back(json::object{{"code", p.code},
                                     {"name", p.name},
                                     {"kind", p.kind},
                                     {"value", p.value},
                                     {"starts_on", FormatDate(p.starts_on)},
                                     {"ends_on", FormatDate(p.ends_on)},
                                     {"applies_to", p.applies_to}});
  }
  for (const auto& p : sms_packs) sms_arr.push_back(PackJson(p, "points"));
  for (const auto& p : fax_packs) fax_arr.push_back(PackJson(p, "pages"));
  return {{"plans", std::move(plan_arr)},    {"seat_packages", std::move(pkg_arr)},
          {"multi_year", std::move(my_arr)}, {"promotions", std::move(promo_arr)},
          {"sms_packs", std::move(sms_arr)}, {"fax_packs", std::move(fax_arr)}};
}

Result<PriceList> ParsePriceList(const json::object& doc) {
  Fields f(doc);
  f.OnlyKeys({"plans", "seat_packages", "multi_year", "promotions", "sms_packs", "fax_packs"});
  PriceList list;
  list.plans = ReadArray<Plan>(doc, "plans", f, true, [](Fields& i) {
    Plan p;
    p.code = i.String("code", true, 1, 40).value_or("");
    p.name = i.String("name", true, 1, 100).value_or("");
    p.seat_year_fen = i.Int("seat_year_fen", true, 0, kMaxFen).value_or(0);
    p.min_seats = static_cast<int>(i.Int("min_seats", false, 1, 100000).value_or(1));
    return p;
  });
  list.packages = ReadArray<SeatPackage>(doc, "seat_packages", f, false, [](Fields& i) {
    SeatPackage p;
    p.code = i.String("code", true, 1, 40).value_or("");
    p.name = i.String("name", true, 1, 100).value_or("");
    p.seats = static_cast<int>(i.Int("seats", true, 2, 100000).value_or(0));
    p.year_fen = i.Int("year_fen", true, 0, kMaxFen).value_or(0);
    return p;
  });
  list.multi_year = ReadArray<MultiYearDiscount>(doc, "multi_year", f, false, [](Fields& i) {
    MultiYearDiscount m;
    m.years = static_cast<int>(i.Int("years", true, 2, 10).value_or(0));
    m.discount_bp = static_cast<int>(i.Int("discount_bp", true, 0, 9000).value_or(0));
    return m;
  });
  list.promotions = ReadArray<Promotion>(doc, "promotions", f, false, [](Fields& i) {
    Promotion p;
    p.code = i.String("code", true, 1, 40).value_or("");
    p.name = i.String("name", true, 1, 100).value_or("");
    p.kind = i.Enum("kind", true, {"percent", "amount"}).value_or("");
    p.value = i.Int("value", true, 1, kMaxFen).value_or(0);
    if (p.kind == "percent" && p.value > 9000)
      i.Fail("value", "a percent promotion is at most 9000 bp");
    auto starts = i.String("starts_on", true, 10, 10);
    auto ends = i.String("ends_on", true, 10, 10);
    auto s = starts ? ParseDate(*starts) : std::nullopt;
    auto e = ends ? ParseDate(*ends) : std::nullopt;
    if (starts && !s) i.Fail("starts_on", "must be YYYY-MM-DD");
    if (ends && !e) i.Fail("ends_on", "must be YYYY-MM-DD");
    if (s && e && DaysBetween(*s, *e) < 0) i.Fail("ends_on", "must not be before starts_on");
    if (s) p.starts_on = *s;
    if (e) p.ends_on = *e;
    p.applies_to = i.Enum("applies_to", true, {"new", "renewal", "both"}).value_or("");
    return p;
  });
  list.sms_packs =
      ReadArray<Pack>(doc, "sms_packs", f, false, [](Fields& i) { return ReadPack(i, "points"); });
  list.fax_packs =
      ReadArray<Pack>(doc, "fax_packs", f, false, [](Fields& i) { return ReadPack(i, "pages"); });
  if (!f.ok()) {
    Error e = f.ToError();
    e.code = "invalid_price_list";
    e.message = "The price list has invalid entries; see details.fields.";
    return e;
  }
  return list;
}

Fen Total(const std::vector<Line>& lines) {
  Fen sum = 0;
  for (const auto& l : lines) sum += l.amount_fen;
  return sum;
}

int SeatGroup::Seats(const PriceList& list) const {
  int n = single_seats;
  for (const auto& p : packages) {
    if (const auto* pkg = list.FindPackage(p.code)) n += pkg->seats * p.quantity;
  }
  return n;
}

json::array PackagesToJson(const std::vector<PackageCount>& packages) {
  json::array out;
  for (const auto& p : packages) {
    out.push_back(json::object{{"code", p.code}, {"quantity", p.quantity}});
  }
  return out;
}

std::vector<PackageCount> PackagesFromJson(const json::value& v) {
  std::vector<PackageCount> out;
  if (!v.is_array()) return out;
  for (const auto& item : v.as_array()) {
    if (!item.is_object()) continue;
    PackageCount p;
    p.code = GetString(item.as_object(), "code").value_or("");
    p.quantity = static_cast<int>(GetInt(item.as_object(), "quantity").value_or(0));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<Line>> PriceTerm(const PriceList& list, const TermsConfig& terms,
                                    const SeatGroup& group, int years, int storage_blocks,
                                    bool renewal, Date today) {
  const Plan* plan = list.FindPlan(group.plan);
  if (!plan) return FieldError("plan", "is not on the price list");
  std::vector<Line> lines;
  Fen seats_subtotal = 0;
  if (group.single_seats > 0) {
    Line l{"seats:" + plan->code,
           fmt::format("{} 授权账号 {} 个 × {} 年", plan->name, group.single_seats, years),
           static_cast<std::int64_t>(group.single_seats) * years, plan->seat_year_fen, 0};
    l.amount_fen = l.unit_fen * l.quantity;
    seats_subtotal += l.amount_fen;
    lines.push_back(std::move(l));
  }
  for (const auto& p : group.packages) {
    const SeatPackage* pkg = list.FindPackage(p.code);
    if (!pkg) return FieldError("packages", fmt::format("{} is not on the price list", p.code));
    if (p.quantity <= 0) continue;
    Line l{"package:" + pkg->code,
           fmt::format("{}（{} 个账号）× {} × {} 年", pkg->name, pkg->seats, p.quantity, years),
           static_cast<std::int64_t>(p.quantity) * years, pkg->year_fen, 0};
    l.amount_fen = l.unit_fen * l.quantity;
    seats_subtotal += l.amount_fen;
    lines.push_back(std::move(l));
  }
  if (group.Seats(list) < plan->min_seats) {
    return FieldError("seats",
                      fmt::format("{} needs at least {} seats", plan->name, plan->min_seats));
  }
  const MultiYearDiscount* best_years = nullptr;
  for (const auto& m : list.multi_year) {
    if (m.years <= years && (!best_years || m.years > best_years->years)) best_years = &m;
  }
  Fen discounted = seats_subtotal;
  if (best_years && best_years->discount_bp > 0) {
    Fen off = RoundHalfUp(static_cast<Wide>(seats_subtotal) * best_years->discount_bp, 10000);
    lines.push_back(
        {"multi_year",
         fmt::format("{} 年期优惠 {:.2f}%", best_years->years, best_years->discount_bp / 100.0), 1,
         -off, -off});
    discounted -= off;
  }
  // The best promotion in force today for this kind of order.
  const Promotion* best = nullptr;
  Fen best_off = 0;
  for (const auto& p : list.promotions) {
    bool kind_ok = p.applies_to == "both" || p.applies_to == (renewal ? "renewal" : "new");
    bool in_force = DaysBetween(p.starts_on, today) >= 0 && DaysBetween(today, p.ends_on) >= 0;
    if (!kind_ok || !in_force) continue;
    Fen off = p.kind == "percent" ? RoundHalfUp(static_cast<Wide>(discounted) * p.value, 10000)
                                  : std::min<Fen>(p.value, discounted);
    if (off > best_off) {
      best = &p;
      best_off = off;
    }
  }
  if (best) {
    lines.push_back(
        {"promotion:" + best->code, fmt::format("促销：{}", best->name), 1, -best_off, -best_off});
  }
  if (storage_blocks > 0) {
    Line l{"storage_renewal",
           fmt::format("附件扩容 {} 块（每块 {} MB）× 12 个月 × {} 年", storage_blocks,
                       terms.storage_block_mib, years),
           static_cast<std::int64_t>(storage_blocks) * 12 * years, terms.storage_block_month_fen,
           StorageRenewalAmount(terms, storage_blocks, years)};
    lines.push_back(std::move(l));
  }
  return lines;
}

}  // namespace kelu::billing
