// Timestamps, business dates and their text forms. A Timestamp is a UTC instant with
// microsecond precision; a Date is a civil date in the business zone (Asia/Shanghai by
// default). Pure functions apart from the zone database lookup.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace date {
class time_zone;
}

namespace kelu {

using Microseconds = std::chrono::microseconds;
using Timestamp = std::chrono::sys_time<Microseconds>;
using Date = std::chrono::year_month_day;

// Microseconds since the Unix epoch, the form stored in the database.
inline std::int64_t ToMicros(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromMicros(std::int64_t us) { return Timestamp{Microseconds{us}}; }

// A time zone for business dates. Thread-safe and cheap to copy.
class Zone {
 public:
  // Looks the zone up in the system database (tzdata); nullopt when unknown.
  static std::optional<Zone> Find(std::string_view name);
  static Zone Shanghai();

  const std::string& name() const { return name_; }
  // The offset from UTC at `t`.
  std::chrono::seconds OffsetAt(Timestamp t) const;
  // The civil date of `t` in this zone.
  Date LocalDate(Timestamp t) const;
  // The instant of `time_of_day` on `d` in this zone.
  Timestamp At(Date d, std::chrono::minutes time_of_day) const;

 private:
  Zone(const date::time_zone* tz, std::string name) : tz_(tz), name_(std::move(name)) {}
  const date::time_zone* tz_;
  std::string name_;
};

// "2026-11-24T09:00:00+08:00" (fractions of a second only when not zero).
std::string FormatRfc3339(Timestamp t, const Zone& zone);
// The same text written into `out`, which has room for kRfc3339Max characters; answers its
// length (for writers that format many, without a string each).
inline constexpr std::size_t kRfc3339Max = 40;
std::size_t FormatRfc3339(Timestamp t, const Zone& zone, char* out);
// The years a date or time from outside may name: anything earlier or later is a typing
// mistake or a probe, and PostgreSQL and SQLite disagree about it.
inline constexpr int kEarliestYear = 1900;
inline constexpr int kLatestYear = 2200;
// Accepts RFC 3339 with "Z" or a numeric offset; nullopt when malformed or its date is outside
// kEarliestYear..kLatestYear.
std::optional<Timestamp> ParseRfc3339(std::string_view text);
// "Tue, 08 Dec 2026 02:05:24 GMT": the HTTP Date form (RFC 9110 IMF-fixdate), whatever the
// locale.
std::string FormatHttpDate(Timestamp t);
// "2026-11-24".
std::string FormatDate(Date d);
// Strict YYYY-MM-DD; nullopt when malformed, not a real date, or outside
// kEarliestYear..kLatestYear.
std::optional<Date> ParseDate(std::string_view text);
// A time as people write it in spreadsheets, read in `zone` unless it carries an offset:
// RFC 3339, "2026-11-24 09:30[:15]", "2026/11/24 9:30", or a date alone ("2026-11-24",
// "2026/1/5": midnight). nullopt when malformed or outside kEarliestYear..kLatestYear.
std::optional<Timestamp> ParseLocalTime(std::string_view text, const Zone& zone);
// "HH:MM" → minutes after midnight; nullopt when malformed.
std::optional<std::chrono::minutes> ParseTimeOfDay(std::string_view text);
// "HH:MM-HH:MM" → [from, to) in minutes after midnight, from before to; nullopt otherwise.
std::optional<std::pair<std::chrono::minutes, std::chrono::minutes>> ParseTimeWindow(
    std::string_view text);

}  // namespace kelu
