#include "billing/rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace kelu::billing {

using std::chrono::days;
using std::chrono::sys_days;

Date AddDays(Date d, int n) { return Date{sys_days{d} + days{n}}; }

int DaysBetween(Date a, Date b) { return static_cast<int>((sys_days{b} - sys_days{a}).count()); }

Date AddYears(Date d, int years) {
  Date r = d + std::chrono::years{years};
  if (r.ok()) return r;
  return Date{sys_days{r.year() / r.month() / std::chrono::last} + days{1}};
}

Date AddMonths(Date d, int months) {
  Date r = d + std::chrono::months{months};
  if (r.ok()) return r;
  return Date{r.year() / r.month() / std::chrono::last};
}

Fen AddedSeatsAmount(Fen yearly_price, int seats, Date anchor, Date added, Date expiry) {
  if (seats <= 0 || yearly_price <= 0 || sys_days{added} >= sys_days{expiry}) return 0;
  // The anniversary-year containing `added`.
  int k = std::max(0, static_cast<int>(added.year()) - static_cast<int>(anchor.year()) - 1);
  while (sys_days{AddYears(anchor, k + 1)} <= sys_days{added}) ++k;
  FenFraction sum{0, 1};
  Wide price = static_cast<Wide>(yearly_price) * seats;
  for (Date from = added; sys_days{from} < sys_days{expiry}; ++k) {
    Date year_start = AddYears(anchor, k);
    Date year_end = AddYears(anchor, k + 1);
    Date to = sys_days{year_end} < sys_days{expiry} ? year_end : expiry;
    sum += FenFraction{price * DaysBetween(from, to), DaysBetween(year_start, year_end)};
    from = to;
  }
  return RoundHalfUp(sum);
}

int StartedMonths(Date opened, Date expiry) {
  int months = 0;
  while (sys_days{AddMonths(opened, months)} < sys_days{expiry}) ++months;
  return months;
}

Fen StorageOrderAmount(const TermsConfig& terms, int blocks, Date opened, Date expiry) {
  return static_cast<Fen>(terms.storage_block_month_fen) * blocks * StartedMonths(opened, expiry);
}

Fen StorageRenewalAmount(const TermsConfig& terms, int blocks, int years) {
  return static_cast<Fen>(terms.storage_block_month_fen) * blocks * 12 * years;
}

Fen LateInterest(const TermsConfig& terms, Fen overdue, int days_late) {
  if (overdue <= 0 || days_late <= 0) return 0;
  return RoundHalfUp(static_cast<Wide>(overdue) * terms.late_interest_bp_per_30_days * days_late,
                     static_cast<Wide>(10000) * 30);
}

Result<RenewalDue> RenewalAmountDue(const TermsConfig& terms, Fen base, Date expiry, Date paid_on) {
  RenewalDue due;
  due.base = base;
  int day = DaysBetween(expiry, paid_on);
  if (day < 0) return due;
  if (day >= terms.points_forfeit_day) {
    return Error::Conflict(
        "reopening_refused",
        fmt::format(
            "合同第十条：欠费第 {} 天起不再恢复服务（今天是第 {} 天）。Service can no longer "
            "be reopened from day {} after expiry (today is day {}).",
            terms.points_forfeit_day, day, terms.points_forfeit_day, day),
        {{"arrears_day", day}, {"last_day", terms.points_forfeit_day - 1}});
  }
  due.days_late = day;
  due.interest = LateInterest(terms, base, day);
  if (day >= terms.termination_day) {
    due.reopening = true;
    due.reopening_fee = terms.reopening_fee_fen;
  } else {
    due.reconnection_fee = terms.reconnection_fee_fen;
  }
  return due;
}

bool InInitialTerm(const TermsConfig& terms, Date start, Date today) {
  return sys_days{today} < sys_days{AddYears(start, terms.initial_term_years)};
}

Status CheckSeatReduction(const TermsConfig& terms, Date start, Date today, int new_seats,
                          int active_users) {
  if (InInitialTerm(terms, start, today)) {
    return Error::Conflict(
        "seat_reduction_in_initial_term",
        fmt::format("合同第十一条：首个服务年度内不得减少账号数（首年至 {} 止）。Seats cannot be "
                    "reduced during the initial term, which ends on {}.",
                    FormatDate(AddYears(start, terms.initial_term_years)),
                    FormatDate(AddYears(start, terms.initial_term_years))),
        {{"initial_term_ends", FormatDate(AddYears(start, terms.initial_term_years))}});
  }
  if (new_seats < active_users) {
    return Error::Conflict(
        "seats_below_active_users",
        fmt::format("There are {} active users; disable {} of them before reducing to {} seats.",
                    active_users, active_users - new_seats, new_seats),
        {{"active_users", active_users}, {"seats", new_seats}});
  }
  return OkStatus();
}

std::int64_t StorageQuotaBytes(const TermsConfig& terms, int seats, int blocks) {
  constexpr std::int64_t kMiB = std::int64_t{1024} * 1024;
  return static_cast<std::int64_t>(seats) * terms.seat_storage_mib * kMiB +
         static_cast<std::int64_t>(blocks) * terms.storage_block_mib * kMiB;
}

namespace {

constexpr std::array<std::string_view, 6> kStateNames = {"ordered",   "provisioning", "active",
                                                         "suspended", "terminated",   "purged"};
constexpr std::array<std::string_view, 4> kEndingNames = {"none", "by_tenant", "non_payment",
                                                          "breach"};
constexpr std::array<std::string_view, 4> kChannelNames = {"announcement", "email", "mail",
                                                           "phone"};

template <class E, std::size_t N>
std::optional<E> FromName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view StateName(State s) { return kStateNames.at(static_cast<std::size_t>(s)); }
std::optional<State> StateFromName(std::string_view name) {
  return FromName<State>(kStateNames, name);
}
std::string_view EndingName(Ending e) { return kEndingNames.at(static_cast<std::size_t>(e)); }
std::optional<Ending> EndingFromName(std::string_view name) {
  return FromName<Ending>(kEndingNames, name);
}
std::string_view ChannelName(Channel c) { return kChannelNames.at(static_cast<std::size_t>(c)); }
std::optional<Channel> ChannelFromName(std::string_view name) {
  return FromName<Channel>(kChannelNames, name);
}

std::string_view TransitionName(Transition::Kind k) {
  switch (k) {
    case Transition::Kind::kSuspend:
      return "suspend";
    case Transition::Kind::kTerminateByTenant:
      return "terminate_by_tenant";
    case Transition::Kind::kTerminateNonPayment:
      return "terminate_non_payment";
    case Transition::Kind::kForfeitPoints:
      return "forfeit_points";
    case Transition::Kind::kPurge:
      return "purge";
  }
  return "unknown";
}

std::optional<Transition> NextTransition(const TermsConfig& terms, const Lifecycle& lc,
                                         Date today) {
  std::optional<Transition> best;
  auto consider = [&](Transition::Kind kind, Date on) {
    if (sys_days{on} > sys_days{today}) return;
    if (!best || sys_days{on} < sys_days{best->on}) best = Transition{kind, on};
  };
  if (lc.expiry) {
    Date expiry = *lc.expiry;
    if (lc.state == State::kActive) {
      consider(
          lc.non_renewal_notice ? Transition::Kind::kTerminateByTenant : Transition::Kind::kSuspend,
          expiry);
    }
    if (lc.state == State::kSuspended) {
      consider(Transition::Kind::kTerminateNonPayment, AddDays(expiry, terms.termination_day));
    }
    bool lapsed = lc.state == State::kSuspended || lc.state == State::kTerminated;
    if (lapsed && !lc.points_forfeited) {
      consider(Transition::Kind::kForfeitPoints, AddDays(expiry, terms.points_forfeit_day));
    }
  }
  if (lc.state == State::kTerminated && lc.terminated_on) {
    // Always after the forfeit day (purge_after_days > points_forfeit_day − termination_day).
    consider(Transition::Kind::kPurge, PurgeDate(terms, *lc.terminated_on));
  }
  return best;
}

Lifecycle Apply(const Lifecycle& lc, const Transition& t) {
  Lifecycle next = lc;
  switch (t.kind) {
    case Transition::Kind::kSuspend:
      next.state = State::kSuspended;
      break;
    case Transition::Kind::kTerminateByTenant:
      next.state = State::kTerminated;
      next.ending = Ending::kByTenant;
      next.terminated_on = t.on;
      break;
    case Transition::Kind::kTerminateNonPayment:
      next.state = State::kTerminated;
      next.ending = Ending::kNonPayment;
      next.terminated_on = t.on;
      break;
    case Transition::Kind::kForfeitPoints:
      next.points_forfeited = true;
      break;
    case Transition::Kind::kPurge:
      next.state = State::kPurged;
      break;
  }
  return next;
}

Status CheckRenewable(const Lifecycle& lc) {
  if (lc.state == State::kActive || lc.state == State::kSuspended ||
      (lc.state == State::kTerminated && lc.ending == Ending::kNonPayment)) {
    return OkStatus();
  }
  return Error::Conflict("renewal_not_allowed",
                         "This agreement has ended; it cannot be renewed or reopened.");
}

int ArrearsDay(Date expiry, Date today) { return DaysBetween(expiry, today); }

Date PurgeDate(const TermsConfig& terms, Date terminated_on) {
  return AddDays(terminated_on, terms.purge_after_days);
}

bool ExportAllowed(const TermsConfig& terms, const Lifecycle& lc, Date today) {
  if (lc.state == State::kActive || lc.state == State::kSuspended) return true;
  if (lc.state != State::kTerminated || lc.ending == Ending::kBreach || !lc.terminated_on) {
    return false;
  }
  return sys_days{today} < sys_days{AddDays(*lc.terminated_on, terms.export_window_days)};
}

bool ManualPurgeAllowed(const TermsConfig& terms, const Lifecycle& lc, Date today) {
  return lc.state == State::kTerminated && lc.ending == Ending::kNonPayment && lc.expiry &&
         ArrearsDay(*lc.expiry, today) >= terms.points_forfeit_day;
}

bool PointsUsable(const Lifecycle& lc) {
  return lc.state == State::kActive && !lc.points_forfeited;
}

Result<Date> RenewalNoticeDate(const WorkCalendar& calendar, Date expiry) {
  std::chrono::year_month ym{expiry.year(), expiry.month()};
  ym -= std::chrono::months{1};
  return calendar.FirstWorkingDay(ym);
}

Date RenewalDeadline(const TermsConfig& terms, Date expiry) {
  return AddDays(expiry, -terms.renewal_deadline_days);
}

Timestamp DeemedDelivery(const TermsConfig& terms, Channel channel, Timestamp sent) {
  switch (channel) {
    case Channel::kEmail:
      return sent + std::chrono::hours{terms.email_deemed_hours};
    case Channel::kMail:
      return sent + std::chrono::hours{terms.mail_deemed_hours};
    case Channel::kAnnouncement:
    case Channel::kPhone:
      break;
  }
  return sent;
}

Fen LiabilityCap(const TermsConfig& terms, const std::vector<Payment>& payments, Timestamp at,
                 const Zone& zone) {
  Date today = zone.LocalDate(at);
  Timestamp since = at - days{DaysBetween(AddMonths(today, -terms.liability_months), today)};
  Fen sum = 0;
  for (const auto& p : payments) {
    if (p.received_at >= since && p.received_at < at) sum += p.amount;
  }
  return sum;
}

}  // namespace kelu::billing
