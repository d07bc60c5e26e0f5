// The contract's rules as pure functions (CONTRACT-RULES.md): terms and anniversaries,
// proration of added seats, storage orders, late interest, the amounts of a late renewal and a
// reopening, the tenant lifecycle's daily transitions, notice dates, deemed delivery, the
// liability cap. No I/O: every input is a value, every number comes from TermsConfig.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.hpp"
#include "core/config.hpp"
#include "core/money.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace kelu::billing {

// ---- Dates -------------------------------------------------------------------------------

// d + n days (n may be negative).
Date AddDays(Date d, int n);
// b − a in days.
int DaysBetween(Date a, Date b);
// The same day n years later; 29 February becomes 1 March in a common year, so a term that
// starts on a leap day still lasts a full year.
Date AddYears(Date d, int years);
// The same day n months later, clamped to the month's last day (31 January + 1 = 28 February).
Date AddMonths(Date d, int months);

// ---- Money rules ---------------------------------------------------------------------------

// §7.2: seats added on `added` to a seat group whose term years run anniversary to anniversary
// from `anchor`, expiring on `expiry`: Σ over anniversary-year segments of [added, expiry) of
// yearly_price × seats × days_in_segment ÷ days_in_that_year, rounded once. Adding on the first
// day of a term year costs whole years; on the expiry day, nothing.
Fen AddedSeatsAmount(Fen yearly_price, int seats, Date anchor, Date added, Date expiry);

// §8: calendar months from `opened` to `expiry`, a started month counting whole.
int StartedMonths(Date opened, Date expiry);
// §8: a storage order of `blocks` opened on `opened`: blocks × month price × started months.
Fen StorageOrderAmount(const TermsConfig& terms, int blocks, Date opened, Date expiry);
// §8: storage blocks renewed with the subscription: blocks × month price × 12 per year.
Fen StorageRenewalAmount(const TermsConfig& terms, int blocks, int years);

// §10: simple interest on `overdue` for the days from expiry to the payment date.
Fen LateInterest(const TermsConfig& terms, Fen overdue, int days_late);

// What a renewal costs when paid on `paid_on` for a term expiring (or expired) on `expiry`:
// the renewal itself, plus interest and a fee when late. Refused from the forfeit day on.
struct RenewalDue {
  Fen base = 0;
  int days_late = 0;  // 0 when paid before expiry
  Fen interest = 0;
  Fen reconnection_fee = 0;  // days 0 … termination_day − 1
  Fen reopening_fee = 0;     // days termination_day … points_forfeit_day − 1
  bool reopening = false;
  Fen total() const { return base + interest + reconnection_fee + reopening_fee; }
};
Result<RenewalDue> RenewalAmountDue(const TermsConfig& terms, Fen base, Date expiry, Date paid_on);

// ---- Seats ---------------------------------------------------------------------------------

// §11: the initial term is the first `initial_term_years` paid years from the start.
bool InInitialTerm(const TermsConfig& terms, Date start, Date today);
// §11: a seat reduction is refused in the initial term (409 seat_reduction_in_initial_term)
// and below the active users (409 seats_below_active_users); otherwise it takes effect at the
// next renewal.
Status CheckSeatReduction(const TermsConfig& terms, Date start, Date today, int new_seats,
                          int active_users);

// §8: storage quota in bytes.
std::int64_t StorageQuotaBytes(const TermsConfig& terms, int seats, int blocks);

// ---- Lifecycle -----------------------------------------------------------------------------

enum class State { kOrdered, kProvisioning, kActive, kSuspended, kTerminated, kPurged };
enum class Ending { kNone, kByTenant, kNonPayment, kBreach };

std::string_view StateName(State s);
std::optional<State> StateFromName(std::string_view name);
std::string_view EndingName(Ending e);
std::optional<Ending> EndingFromName(std::string_view name);

struct Lifecycle {
  State state = State::kOrdered;
  Ending ending = Ending::kNone;
  std::optional<Date> expiry;         // first day not paid for
  std::optional<Date> terminated_on;  // business date of the termination
  bool non_renewal_notice = false;    // given by the boss for the current term
  bool points_forfeited = false;
};

// One step the daily job takes, effective on `on` (its deadline, not the day the job noticed).
struct Transition {
  enum class Kind { kSuspend, kTerminateByTenant, kTerminateNonPayment, kForfeitPoints, kPurge };
  Kind kind;
  Date on;
};
std::string_view TransitionName(Transition::Kind k);

// The earliest transition due on or before `today`, or nullopt. The daily job applies it and
// asks again until nothing is due, so a gap of many days is caught up in time order.
std::optional<Transition> NextTransition(const TermsConfig& terms, const Lifecycle& lc, Date today);
// Applies a transition to the lifecycle value (the job also writes its side effects).
Lifecycle Apply(const Lifecycle& lc, const Transition& t);

// §10, §11: a subscription can be renewed while active or suspended, and reopened after a
// termination for non-payment (the day-60 limit is RenewalAmountDue's); 409 renewal_not_allowed
// after any other ending.
Status CheckRenewable(const Lifecycle& lc);

// Day N of arrears: today − expiry (day 0 is the expiry date itself).
int ArrearsDay(Date expiry, Date today);
// When the purge of a terminated tenant is due.
Date PurgeDate(const TermsConfig& terms, Date terminated_on);
// §11, IP: the boss may request the data export while the tenant is active or suspended, and for
// export_window_days after a termination that was not for breach.
bool ExportAllowed(const TermsConfig& terms, const Lifecycle& lc, Date today);
// §10: the operator may purge a non-payment termination by hand from the forfeit day on.
bool ManualPurgeAllowed(const TermsConfig& terms, const Lifecycle& lc, Date today);
// §16: points are spendable only while active and not forfeited.
bool PointsUsable(const Lifecycle& lc);

// ---- Notices -------------------------------------------------------------------------------

// §9: the renewal notice goes out on the first working day of the month before the expiry month.
Result<Date> RenewalNoticeDate(const WorkCalendar& calendar, Date expiry);
// §9: renew by expiry − renewal_deadline_days.
Date RenewalDeadline(const TermsConfig& terms, Date expiry);

enum class Channel { kAnnouncement, kEmail, kMail, kPhone };
std::string_view ChannelName(Channel c);
std::optional<Channel> ChannelFromName(std::string_view name);
// §19: email + 12 h, mail + 48 h, announcement and phone at once.
Timestamp DeemedDelivery(const TermsConfig& terms, Channel channel, Timestamp sent);

// ---- Liability -----------------------------------------------------------------------------

struct Payment {
  Timestamp received_at;
  Fen amount = 0;
};
// §17: the sum of payments received in the liability_months before `at`.
Fen LiabilityCap(const TermsConfig& terms, const std::vector<Payment>& payments, Timestamp at,
                 const Zone& zone);

}  // namespace kelu::billing
