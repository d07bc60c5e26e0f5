#include "core/time.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

using namespace std::chrono;

TEST(Time, FormatsShanghaiWithOffset) {
  auto t = ParseRfc3339("2026-11-24T01:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t, Zone::Shanghai()), "2026-11-24T09:00:00+08:00");
}

TEST(Time, ParsesOffsetsAndFractions) {
  auto a = ParseRfc3339("2027-03-01T09:00:00+08:00");
  auto b = ParseRfc3339("2027-03-01T01:00:00.250Z");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*b - *a, milliseconds(250));
  EXPECT_EQ(FormatRfc3339(*b, Zone::Shanghai()), "2027-03-01T09:00:00.25+08:00");
}

TEST(Time, FormatsFractionsOffsetsAndUtc) {
  auto t = *ParseRfc3339("2026-01-05T23:59:59.000001Z");
  EXPECT_EQ(FormatRfc3339(t, Zone::Shanghai()), "2026-01-06T07:59:59.000001+08:00");
  EXPECT_EQ(FormatRfc3339(t + microseconds(120999), Zone::Shanghai()),
            "2026-01-06T07:59:59.121+08:00");
  EXPECT_EQ(FormatRfc3339(t + microseconds(999999), Zone::Shanghai()),
            "2026-01-06T08:00:00+08:00");
  EXPECT_EQ(FormatRfc3339(t, *Zone::Find("UTC")), "2026-01-05T23:59:59.000001Z");
  EXPECT_EQ(FormatRfc3339(t, *Zone::Find("America/New_York")), "2026-01-05T18:59:59.000001-05:00");
  EXPECT_EQ(FormatRfc3339(t, *Zone::Find("Asia/Kolkata")), "2026-01-06T05:29:59.000001+05:30");
  EXPECT_EQ(FormatRfc3339(Timestamp{}, Zone::Shanghai()), "1970-01-01T08:00:00+08:00");
}

TEST(Time, OffsetsFollowTheZoneAcrossItsChangesWhateverWasAskedBefore) {
  // Offsets are remembered per span of a zone: alternate spans and zones, and step over a
  // change by one second each way.
  auto ny = *Zone::Find("America/New_York");
  auto shanghai = Zone::Shanghai();
  auto change = *ParseRfc3339("2026-03-08T07:00:00Z");  // 02:00 EST becomes 03:00 EDT
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(FormatRfc3339(change - seconds(1), ny), "2026-03-08T01:59:59-05:00");
    EXPECT_EQ(FormatRfc3339(change, ny), "2026-03-08T03:00:00-04:00");
    EXPECT_EQ(FormatRfc3339(change, shanghai), "2026-03-08T15:00:00+08:00");
    EXPECT_EQ(FormatRfc3339(change - seconds(1), ny), "2026-03-08T01:59:59-05:00");
    EXPECT_EQ(ny.OffsetAt(change + hours(24 * 365)), hours(-5));  // 2027-03-08: EST again
    EXPECT_EQ(shanghai.OffsetAt(*ParseRfc3339("1988-07-01T00:00:00Z")), hours(9));  // DST then
    EXPECT_EQ(shanghai.OffsetAt(change), hours(8));
  }
}

TEST(Time, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2026-11-24", "2026-11-24T09:00:00", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T09:00:00+8",
                          "2026-11-24T09:00:00Zjunk", "2026-11-24T09:00:00."}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

TEST(Time, LocalDateUsesTheBusinessZone) {
  // 2026-11-23T16:30Z is already the 24th in Shanghai.
  auto t = *ParseRfc3339("2026-11-23T16:30:00Z");
  EXPECT_EQ(FormatDate(Zone::Shanghai().LocalDate(t)), "2026-11-24");
  EXPECT_EQ(FormatDate(Zone::Find("UTC")->LocalDate(t)), "2026-11-23");
}

TEST(Time, HttpDateIsImfFixdateInUtc) {
  EXPECT_EQ(FormatHttpDate(*ParseRfc3339("2026-12-08T10:05:24+08:00")),
            "Tue, 08 Dec 2026 02:05:24 GMT");
  EXPECT_EQ(FormatHttpDate(*ParseRfc3339("1994-11-06T08:49:37.5Z")),
            "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's own example
  EXPECT_EQ(FormatHttpDate(*ParseRfc3339("2028-02-29T23:59:59Z")),
            "Tue, 29 Feb 2028 23:59:59 GMT");
}

TEST(Time, AtGivesTheLocalInstant) {
  auto d = *ParseDate("2026-11-24");
  auto t = Zone::Shanghai().At(d, minutes(30));
  EXPECT_EQ(FormatRfc3339(t, Zone::Shanghai()), "2026-11-24T00:30:00+08:00");
}

TEST(Time, ParsesDatesStrictly) {
  EXPECT_TRUE(ParseDate("2028-02-29"));
  EXPECT_FALSE(ParseDate("2027-02-29"));
  EXPECT_FALSE(ParseDate("2027-2-01"));
  EXPECT_FALSE(ParseDate("2027-02-01x"));
  EXPECT_EQ(ParseTimeOfDay("00:30"), minutes(30));
  EXPECT_FALSE(ParseTimeOfDay("24:00"));
}

TEST(Time, RefusesDatesOutsideTheSaneYears) {
  EXPECT_TRUE(ParseDate("1900-01-01"));
  EXPECT_TRUE(ParseDate("2200-12-31"));
  EXPECT_FALSE(ParseDate("1899-12-31"));
  EXPECT_FALSE(ParseDate("2201-01-01"));
  EXPECT_FALSE(ParseDate("0000-01-01"));
  EXPECT_FALSE(ParseDate("9999-12-31"));
  EXPECT_TRUE(ParseRfc3339("2200-12-31T23:59:59+08:00"));
  EXPECT_FALSE(ParseRfc3339("2201-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("1899-12-31T23:59:59+08:00"));
  const Zone& sh = Zone::Shanghai();
  EXPECT_TRUE(ParseLocalTime("1900/1/1", sh));
  EXPECT_FALSE(ParseLocalTime("1899/12/31 09:00", sh));
  EXPECT_FALSE(ParseLocalTime("2201-01-01", sh));
}

TEST(Time, ParsesTimeWindows) {
  auto w = ParseTimeWindow("08:00-21:00");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->first, minutes(8 * 60));
  EXPECT_EQ(w->second, minutes(21 * 60));
  EXPECT_FALSE(ParseTimeWindow("21:00-08:00"));  // the start before the end
  EXPECT_FALSE(ParseTimeWindow("08:00-08:00"));
  EXPECT_FALSE(ParseTimeWindow("8:00-21:00"));
  EXPECT_FALSE(ParseTimeWindow("08:00~21:00"));
}

TEST(Time, UnknownZoneIsNotFound) { EXPECT_FALSE(Zone::Find("Mars/Olympus")); }

TEST(Time, ParsesSpreadsheetTimesInTheZone) {
  Zone sh = Zone::Shanghai();
  auto expect = [&](std::string_view text, std::string_view rfc) {
    auto t = ParseLocalTime(text, sh);
    ASSERT_TRUE(t) << text;
    EXPECT_EQ(FormatRfc3339(*t, sh), rfc) << text;
  };
  expect("2026-11-24 09:30", "2026-11-24T09:30:00+08:00");
  expect("2026/1/5 9:05:07", "2026-01-05T09:05:07+08:00");
  expect("2026-11-24", "2026-11-24T00:00:00+08:00");
  expect("2026-11-24T01:00:00Z", "2026-11-24T09:00:00+08:00");
  for (std::string_view bad : {"", "24/11/2026", "2026-11-31", "2026-11/24", "2026-11-24 25:00",
                               "2026-11-24 9", "2026-11-24 09:30 x", "2026-11-24x"}) {
    EXPECT_FALSE(ParseLocalTime(bad, sh)) << bad;
  }
}

}  // namespace
}  // namespace kelu
