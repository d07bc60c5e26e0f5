// Shared pieces of the BillingService implementation files. Not a public interface.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "billing/service.hpp"

namespace kelu::billing {

// Orders as OrderView reads them.
inline constexpr const char* kOrderColumns =
    "order_id, number, kind, status, price_list_version, plan_code, seats, years, blocks, "
    "points, term_start, term_end, total_fen, details, created_at, accepted_at, accepted_by, "
    "paid_at, cancelled_at, tenant_id";

inline constexpr const char* kTenantColumns =
    "tenant_id, slug, name, state, ending, seats, plan_code, packages, term_anchor, expiry, "
    "terminated_on, non_renewal_at, next_seats, storage_blocks, points_forfeited_at, "
    "contact_email, next_seats_from";

struct BillingService::Tenant {
  std::int64_t id = 0;
  std::string slug;
  std::string name;
  std::string state;
  std::string ending;
  int seats = 0;
  std::optional<std::string> plan;
  std::vector<PackageCount> packages;
  std::optional<Date> anchor;
  std::optional<Date> expiry;
  std::optional<Date> terminated_on;
  bool non_renewal = false;
  std::optional<int> next_seats;  // a reduction taking effect on next_seats_from
  std::optional<Date> next_seats_from;
  int blocks = 0;
  bool points_forfeited = false;
  std::string contact_email;

  static Tenant FromRow(const storage::Row& r);
  Lifecycle lifecycle() const;
  // The seat group as it renews: packages kept, single seats from next_seats when reduced.
  SeatGroup RenewalGroup(const PriceList& list) const;
};

namespace internal {

inline std::optional<Date> OptDate(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return ParseDate(*s);
}
inline std::optional<std::string> OptDateText(const std::optional<Date>& d) {
  if (!d) return std::nullopt;
  return FormatDate(*d);
}

// "SO-2026-000001": the next number of `prefix` in `year`, gapless within a committed history.
std::string NextNumber(storage::Connection& c, std::string_view prefix, int year);

Error BossOnly();
// {"sms": n, "fax": n}: points left in lots not forfeited.
json::object PointBalances(storage::Connection& c, std::int64_t tenant_id);
json::value LinesJson(const std::vector<Line>& lines);

}  // namespace internal
}  // namespace kelu::billing
