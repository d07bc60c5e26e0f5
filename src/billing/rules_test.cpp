// One test per rule of CONTRACT-RULES.md that is pure arithmetic or dates; docs/contract-rules.md
// names each test beside its clause.
#include "billing/rules.hpp"

#include <gtest/gtest.h>

namespace kelu::billing {
namespace {

Date D(std::string_view s) { return *ParseDate(s); }
Timestamp T(std::string_view s) { return *ParseRfc3339(s); }

const TermsConfig kTerms{};

// ---- §7.2 added seats ----------------------------------------------------------------------

TEST(Rules, AddedSeatsOnTheFirstDayCostTheFullPrice) {
  EXPECT_EQ(AddedSeatsAmount(120000, 2, D("2026-03-01"), D("2026-03-01"), D("2027-03-01")), 240000);
}

TEST(Rules, AddedSeatsOnTheExpiryDayCostNothing) {
  EXPECT_EQ(AddedSeatsAmount(120000, 2, D("2026-03-01"), D("2027-03-01"), D("2027-03-01")), 0);
}

TEST(Rules, AddedSeatsArePricedByDaysLeftInTheTermYear) {
  // 181 of 365 days left: 240000 × 181 / 365 = 119013.70 → 119014.
  EXPECT_EQ(AddedSeatsAmount(120000, 2, D("2026-03-01"), D("2026-09-01"), D("2027-03-01")), 119014);
  // A term year with 29 February has 366 days: 240000 × 182 / 366 = 119344.26 → 119344.
  EXPECT_EQ(AddedSeatsAmount(120000, 2, D("2027-03-01"), D("2027-09-01"), D("2028-03-01")), 119344);
}

TEST(Rules, AddedSeatsAddWholeTermYearsLeft) {
  // 181/365 of the current year plus one whole year (366 days, 2027-03-01 → 2028-03-01).
  EXPECT_EQ(AddedSeatsAmount(120000, 2, D("2026-03-01"), D("2026-09-01"), D("2028-03-01")), 359014);
  // Anniversaries run from the first start, also after renewals.
  EXPECT_EQ(AddedSeatsAmount(120000, 1, D("2025-03-01"), D("2026-03-01"), D("2027-03-01")), 120000);
}

TEST(Rules, AddedSeatsNeverCostMoreAsTheDayMovesLater) {
  Date anchor = D("2026-03-01");
  Date expiry = D("2029-03-01");
  Fen previous = AddedSeatsAmount(99999, 3, anchor, anchor, expiry);
  EXPECT_EQ(previous, 99999 * 3 * 3);
  for (Date d = AddDays(anchor, 1); DaysBetween(d, expiry) >= 0; d = AddDays(d, 1)) {
    Fen amount = AddedSeatsAmount(99999, 3, anchor, d, expiry);
    ASSERT_LE(amount, previous) << FormatDate(d);
    previous = amount;
  }
  EXPECT_EQ(previous, 0);
}

TEST(Rules, TermsOfALeapDayStartLastAFullYear) {
  EXPECT_EQ(FormatDate(AddYears(D("2028-02-29"), 1)), "2029-03-01");
  EXPECT_EQ(FormatDate(AddYears(D("2028-02-29"), 4)), "2032-02-29");
  EXPECT_EQ(FormatDate(AddMonths(D("2026-01-31"), 1)), "2026-02-28");
}

// ---- §8 storage ----------------------------------------------------------------------------

TEST(Rules, StorageQuotaIsFiftyMebibytesPerSeatPlusBlocks) {
  EXPECT_EQ(StorageQuotaBytes(kTerms, 4, 0), 200LL * 1024 * 1024);
  EXPECT_EQ(StorageQuotaBytes(kTerms, 4, 3), 500LL * 1024 * 1024);
}

TEST(Rules, StorageOrderCountsAStartedMonthAsWhole) {
  EXPECT_EQ(StartedMonths(D("2026-09-01"), D("2027-03-01")), 6);
  EXPECT_EQ(StartedMonths(D("2026-09-02"), D("2027-03-01")), 6);
  EXPECT_EQ(StartedMonths(D("2026-08-31"), D("2027-03-01")), 7);
  EXPECT_EQ(StartedMonths(D("2027-02-28"), D("2027-03-01")), 1);
  EXPECT_EQ(StartedMonths(D("2027-03-01"), D("2027-03-01")), 0);
  // 2 blocks × 30 yuan × 6 months.
  EXPECT_EQ(StorageOrderAmount(kTerms, 2, D("2026-09-15"), D("2027-03-01")), 36000);
}

TEST(Rules, StorageBlocksRenewAtTwelveMonthsAYear) {
  EXPECT_EQ(StorageRenewalAmount(kTerms, 2, 1), 72000);
  EXPECT_EQ(StorageRenewalAmount(kTerms, 2, 3), 216000);
}

// ---- §10 arrears ---------------------------------------------------------------------------

TEST(Rules, LateInterestIsOnePointFivePercentPerThirtyDaysProRata) {
  EXPECT_EQ(LateInterest(kTerms, 240000, 30), 3600);
  EXPECT_EQ(LateInterest(kTerms, 240000, 7), 840);
  EXPECT_EQ(LateInterest(kTerms, 100, 10), 1);  // 0.5 fen rounds up
  EXPECT_EQ(LateInterest(kTerms, 100, 9), 0);   // 0.45 fen rounds down
  EXPECT_EQ(LateInterest(kTerms, 240000, 0), 0);
}

TEST(Rules, RenewalBeforeExpiryCostsTheRenewalAlone) {
  auto due = RenewalAmountDue(kTerms, 240000, D("2027-03-01"), D("2027-02-10"));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->total(), 240000);
  EXPECT_FALSE(due->reopening);
}

TEST(Rules, LateRenewalOnDay10AddsInterest) {
  auto due = RenewalAmountDue(kTerms, 240000, D("2027-03-01"), D("2027-03-11"));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->days_late, 10);
  EXPECT_EQ(due->interest, 1200);
  EXPECT_EQ(due->reconnection_fee, 0);
  EXPECT_EQ(due->total(), 241200);
}

TEST(Rules, ReconnectionFeeIsConfigurable) {
  TermsConfig terms;
  terms.reconnection_fee_fen = 5000;
  auto due = RenewalAmountDue(terms, 240000, D("2027-03-01"), D("2027-03-01"));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->total(), 245000);
}

TEST(Rules, ReopeningOnDay45CostsInterestAndFee) {
  auto due = RenewalAmountDue(kTerms, 240000, D("2027-03-01"), D("2027-04-15"));
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->reopening);
  EXPECT_EQ(due->interest, 5400);
  EXPECT_EQ(due->reopening_fee, 20000);
  EXPECT_EQ(due->total(), 265400);
  auto day30 = RenewalAmountDue(kTerms, 240000, D("2027-03-01"), D("2027-03-31"));
  ASSERT_TRUE(day30.ok());
  EXPECT_TRUE(day30->reopening);
}

TEST(Rules, ReopeningIsRefusedFromDay60) {
  EXPECT_TRUE(RenewalAmountDue(kTerms, 240000, D("2027-03-01"), D("2027-04-29")).ok());
  auto due = RenewalAmountDue(kTerms, 240000, D("2027-03-01"), D("2027-04-30"));
  ASSERT_FALSE(due.ok());
  EXPECT_EQ(due.error().code, "reopening_refused");
  EXPECT_EQ(due.error().details.at("arrears_day").as_int64(), 60);
}

// ---- §11 seats -----------------------------------------------------------------------------

TEST(Rules, SeatReductionIsRefusedInTheInitialTerm) {
  auto s = CheckSeatReduction(kTerms, D("2026-03-01"), D("2027-02-28"), 3, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "seat_reduction_in_initial_term");
  EXPECT_NE(s.error().message.find("2027-03-01"), std::string::npos);
  EXPECT_TRUE(CheckSeatReduction(kTerms, D("2026-03-01"), D("2027-03-01"), 3, 1).ok());
}

TEST(Rules, SeatReductionBelowActiveUsersIsRefused) {
  auto s = CheckSeatReduction(kTerms, D("2025-03-01"), D("2026-06-01"), 3, 5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "seats_below_active_users");
}

// ---- Lifecycle -----------------------------------------------------------------------------

Lifecycle ActiveUntil(std::string_view expiry) {
  Lifecycle lc;
  lc.state = State::kActive;
  lc.expiry = D(expiry);
  return lc;
}

// Runs the daily job on every day from `from` to `to` and returns the transitions taken.
std::vector<std::string> RunDaily(Lifecycle& lc, Date from, Date to) {
  std::vector<std::string> taken;
  for (Date d = from; DaysBetween(d, to) >= 0; d = AddDays(d, 1)) {
    while (auto t = NextTransition(kTerms, lc, d)) {
      taken.push_back(std::string(TransitionName(t->kind)) + "@" + FormatDate(t->on));
      lc = Apply(lc, *t);
    }
  }
  return taken;
}

TEST(Lifecycle, ExpiryWithoutRenewalSuspendsOnDay0) {
  Lifecycle lc = ActiveUntil("2027-03-01");
  EXPECT_FALSE(NextTransition(kTerms, lc, D("2027-02-28")));
  auto t = NextTransition(kTerms, lc, D("2027-03-01"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, Transition::Kind::kSuspend);
}

TEST(Lifecycle, NonPaymentTerminatesOnDay30AndPurgesAfter100Days) {
  Lifecycle lc = ActiveUntil("2027-03-01");
  auto taken = RunDaily(lc, D("2027-02-01"), D("2027-12-31"));
  EXPECT_EQ(taken,
            (std::vector<std::string>{"suspend@2027-03-01", "terminate_non_payment@2027-03-31",
                                      "forfeit_points@2027-04-30", "purge@2027-07-09"}));
  EXPECT_EQ(lc.state, State::kPurged);
  EXPECT_EQ(lc.ending, Ending::kNonPayment);
}

TEST(Lifecycle, NonRenewalNoticeTerminatesAtExpiryNotSuspends) {
  Lifecycle lc = ActiveUntil("2027-03-01");
  lc.non_renewal_notice = true;
  auto taken = RunDaily(lc, D("2027-02-01"), D("2027-12-31"));
  EXPECT_EQ(taken, (std::vector<std::string>{"terminate_by_tenant@2027-03-01",
                                             "forfeit_points@2027-04-30", "purge@2027-06-09"}));
}

TEST(Lifecycle, AClockJumpTakesEveryDeadlineInTimeOrder) {
  Lifecycle daily = ActiveUntil("2027-03-01");
  Lifecycle jump = daily;
  auto by_day = RunDaily(daily, D("2027-02-01"), D("2027-12-31"));
  auto at_once = RunDaily(jump, D("2027-12-31"), D("2027-12-31"));
  EXPECT_EQ(by_day, at_once);
  EXPECT_EQ(daily.state, jump.state);
  EXPECT_EQ(daily.terminated_on, jump.terminated_on);
}

TEST(Lifecycle, ExportIsAllowedFor30DaysAfterANonBreachTermination) {
  Lifecycle lc = ActiveUntil("2027-03-01");
  EXPECT_TRUE(ExportAllowed(kTerms, lc, D("2027-01-01")));
  RunDaily(lc, D("2027-03-01"), D("2027-03-31"));
  ASSERT_EQ(lc.state, State::kTerminated);
  EXPECT_TRUE(ExportAllowed(kTerms, lc, D("2027-04-29")));
  EXPECT_FALSE(ExportAllowed(kTerms, lc, D("2027-04-30")));
  lc.ending = Ending::kBreach;
  EXPECT_FALSE(ExportAllowed(kTerms, lc, D("2027-04-01")));
}

TEST(Lifecycle, OperatorPurgeOfANonPaymentTerminationFromDay60) {
  Lifecycle lc = ActiveUntil("2027-03-01");
  RunDaily(lc, D("2027-03-01"), D("2027-04-29"));
  EXPECT_FALSE(ManualPurgeAllowed(kTerms, lc, D("2027-04-29")));
  EXPECT_TRUE(ManualPurgeAllowed(kTerms, lc, D("2027-04-30")));
  lc.ending = Ending::kByTenant;
  EXPECT_FALSE(ManualPurgeAllowed(kTerms, lc, D("2027-05-30")));
}

TEST(Lifecycle, PointsAreUsableOnlyWhileActive) {
  Lifecycle lc = ActiveUntil("2027-03-01");
  EXPECT_TRUE(PointsUsable(lc));
  RunDaily(lc, D("2027-03-01"), D("2027-03-01"));
  EXPECT_FALSE(PointsUsable(lc));
  EXPECT_FALSE(lc.points_forfeited);
}

TEST(Lifecycle, NamesRoundTrip) {
  for (auto s : {State::kOrdered, State::kProvisioning, State::kActive, State::kSuspended,
                 State::kTerminated, State::kPurged}) {
    EXPECT_EQ(StateFromName(StateName(s)), s);
  }
  for (auto e : {Ending::kNone, Ending::kByTenant, Ending::kNonPayment, Ending::kBreach}) {
    EXPECT_EQ(EndingFromName(EndingName(e)), e);
  }
  EXPECT_FALSE(StateFromName("paused"));
}

// ---- §9 and §19 notices --------------------------------------------------------------------

TEST(Rules, RenewalNoticeOnTheFirstWorkingDayOfTheMonthBeforeExpiry) {
  auto cal = WorkCalendar::WithShippedYears();
  EXPECT_EQ(FormatDate(*RenewalNoticeDate(*cal, D("2026-11-15"))), "2026-10-08");
  EXPECT_EQ(FormatDate(*RenewalNoticeDate(*cal, D("2026-03-10"))), "2026-02-02");
  auto missing = RenewalNoticeDate(*cal, D("2027-03-01"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "calendar_year_missing");
}

TEST(Rules, RenewalDeadlineIs15DaysBeforeExpiry) {
  EXPECT_EQ(FormatDate(RenewalDeadline(kTerms, D("2027-03-01"))), "2027-02-14");
}

TEST(Rules, EmailIsDeemedDeliveredAfter12HoursMailAfter48) {
  Timestamp sent = T("2026-11-24T09:00:00+08:00");
  Zone z = Zone::Shanghai();
  EXPECT_EQ(FormatRfc3339(DeemedDelivery(kTerms, Channel::kEmail, sent), z),
            "2026-11-24T21:00:00+08:00");
  EXPECT_EQ(FormatRfc3339(DeemedDelivery(kTerms, Channel::kMail, sent), z),
            "2026-11-26T09:00:00+08:00");
  EXPECT_EQ(DeemedDelivery(kTerms, Channel::kAnnouncement, sent), sent);
  EXPECT_EQ(DeemedDelivery(kTerms, Channel::kPhone, sent), sent);
}

// ---- §17 liability -------------------------------------------------------------------------

TEST(Rules, LiabilityCapIsThePaymentsOfThe12MonthsBefore) {
  std::vector<Payment> paid = {{T("2025-11-01T10:00:00+08:00"), 100000},
                               {T("2025-11-24T10:00:00+08:00"), 7000},
                               {T("2026-03-01T10:00:00+08:00"), 200000},
                               {T("2026-11-24T09:00:00+08:00"), 50000},
                               {T("2026-11-24T11:00:00+08:00"), 90000}};
  EXPECT_EQ(LiabilityCap(kTerms, paid, T("2026-11-24T10:00:00+08:00"), Zone::Shanghai()), 257000);
}

}  // namespace
}  // namespace kelu::billing
