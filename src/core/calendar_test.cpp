#include "core/calendar.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

Date D(std::string_view s) { return *ParseDate(s); }

std::string Deadline(const WorkCalendar& cal, std::string_view confirmed, int n) {
  auto r = cal.WorkingDayDeadline(*ParseRfc3339(confirmed), n, Zone::Shanghai());
  if (!r.ok()) return r.error().code;
  return FormatRfc3339(*r, Zone::Shanghai());
}

class Calendar : public ::testing::Test {
 protected:
  std::shared_ptr<WorkCalendar> cal = WorkCalendar::WithShippedYears();
};

TEST_F(Calendar, ShipsTheYearsOfTheStateCouncilSchedule) {
  EXPECT_EQ(cal->years(), (std::vector<int>{2025, 2026}));
}

TEST_F(Calendar, WeekendsHolidaysAndMakeupDays) {
  EXPECT_TRUE(*cal->IsWorkingDay(D("2026-11-25")));   // a Wednesday
  EXPECT_FALSE(*cal->IsWorkingDay(D("2026-11-28")));  // a Saturday
  EXPECT_FALSE(*cal->IsWorkingDay(D("2026-10-05")));  // National Day, a Monday
  EXPECT_TRUE(*cal->IsWorkingDay(D("2026-10-10")));   // 调休: a Saturday worked
  EXPECT_TRUE(*cal->IsWorkingDay(D("2025-01-26")));   // 调休: a Sunday worked
  EXPECT_FALSE(*cal->IsWorkingDay(D("2025-01-28")));  // Spring Festival eve
}

TEST_F(Calendar, WorkingDaysInEachShippedYear) {
  for (int year : {2025, 2026}) {
    int working = 0;
    for (auto d = std::chrono::sys_days{Date{std::chrono::year{year} / 1 / 1}};
         d < std::chrono::sys_days{Date{std::chrono::year{year + 1} / 1 / 1}};
         d += std::chrono::days{1}) {
      if (*cal->IsWorkingDay(Date{d})) ++working;
    }
    EXPECT_EQ(working, 248) << year;  // share/holidays/README.md
  }
}

// Activation deadlines (§9): 2 working days for a new subscription, 1 for a renewal, counted
// from the day after the confirmation, whatever its hour.
TEST_F(Calendar, ActivationDeadlinesAcrossSpringFestival2025) {
  // Confirmed Monday 27 Jan; 28 Jan – 4 Feb off.
  EXPECT_EQ(Deadline(*cal, "2025-01-27T09:00:00+08:00", 2), "2025-02-06T23:59:59+08:00");
  EXPECT_EQ(Deadline(*cal, "2025-01-27T09:00:00+08:00", 1), "2025-02-05T23:59:59+08:00");
  // Confirmed on Saturday 25 Jan: Sunday 26 Jan is a makeup working day.
  EXPECT_EQ(Deadline(*cal, "2025-01-25T10:00:00+08:00", 2), "2025-01-27T23:59:59+08:00");
}

TEST_F(Calendar, ActivationDeadlinesAcrossSpringFestival2026) {
  // Confirmed Friday 13 Feb late at night (still the 13th in Shanghai): Saturday 14 Feb is a
  // makeup day, 15–23 Feb off.
  EXPECT_EQ(Deadline(*cal, "2026-02-13T15:30:00Z", 2), "2026-02-24T23:59:59+08:00");
  EXPECT_EQ(Deadline(*cal, "2026-02-13T15:30:00Z", 1), "2026-02-14T23:59:59+08:00");
  EXPECT_EQ(Deadline(*cal, "2026-02-14T10:00:00+08:00", 2), "2026-02-25T23:59:59+08:00");
}

TEST_F(Calendar, ActivationDeadlinesAcrossNationalDay2025) {
  // 1–8 Oct off, Saturday 11 Oct worked.
  EXPECT_EQ(Deadline(*cal, "2025-09-30T18:00:00+08:00", 2), "2025-10-10T23:59:59+08:00");
  EXPECT_EQ(Deadline(*cal, "2025-10-09T18:00:00+08:00", 2), "2025-10-11T23:59:59+08:00");
  // Sunday 28 Sep is a makeup day.
  EXPECT_EQ(Deadline(*cal, "2025-09-27T12:00:00+08:00", 2), "2025-09-29T23:59:59+08:00");
}

TEST_F(Calendar, ActivationDeadlinesAcrossNationalDay2026) {
  // 1–7 Oct off, Saturday 10 Oct worked.
  EXPECT_EQ(Deadline(*cal, "2026-09-30T16:00:00+08:00", 2), "2026-10-09T23:59:59+08:00");
  EXPECT_EQ(Deadline(*cal, "2026-09-30T16:00:00+08:00", 1), "2026-10-08T23:59:59+08:00");
  EXPECT_EQ(Deadline(*cal, "2026-10-09T16:00:00+08:00", 2), "2026-10-12T23:59:59+08:00");
}

TEST_F(Calendar, AYearWithoutDataIsAnErrorNotAGuess) {
  EXPECT_EQ(Deadline(*cal, "2026-12-31T10:00:00+08:00", 2), "calendar_year_missing");
  auto r = cal->IsWorkingDay(D("2024-06-03"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details.at("year").as_int64(), 2024);
}

TEST_F(Calendar, LoadsANewYearWithoutARebuild) {
  auto r = cal->LoadYear(R"({"year": 2027, "days": [
      {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
      {"name": "春节", "date": "2027-02-06", "isOffDay": false}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 2027);
  EXPECT_EQ(Deadline(*cal, "2026-12-31T10:00:00+08:00", 2), "2027-01-05T23:59:59+08:00");
  EXPECT_TRUE(*cal->IsWorkingDay(D("2027-02-06")));
}

TEST_F(Calendar, RefusesMalformedYearFiles) {
  for (const char* bad :
       {"", "[]", R"({"year": 2027})", R"({"year": 2027, "days": []})",
        R"({"year": "2027", "days": [{"date": "2027-01-01", "isOffDay": true}]})",
        R"({"year": 2027, "days": [{"date": "2027-02-30", "isOffDay": true}]})",
        R"({"year": 2027, "days": [{"date": "2027-01-01"}]})",
        R"({"year": 2027, "days": [{"date": "2031-01-01", "isOffDay": true}]})"}) {
    auto r = cal->LoadYear(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_calendar") << bad;
  }
  EXPECT_EQ(cal->years(), (std::vector<int>{2025, 2026}));
}

TEST_F(Calendar, FirstWorkingDayOfAMonth) {
  EXPECT_EQ(FormatDate(*cal->FirstWorkingDay(std::chrono::year{2026} / 10)), "2026-10-08");
  EXPECT_EQ(FormatDate(*cal->FirstWorkingDay(std::chrono::year{2026} / 2)), "2026-02-02");
  EXPECT_EQ(FormatDate(*cal->FirstWorkingDay(std::chrono::year{2025} / 1)), "2025-01-02");
}

}  // namespace
}  // namespace kelu
