#include "core/time.hpp"

#include <date/tz.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace kelu {
namespace {

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

std::optional<Zone> Zone::Find(std::string_view name) {
  try {
    const date::time_zone* tz = date::locate_zone(name);
    return Zone(tz, std::string(name));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Zone Zone::Shanghai() {
  static const Zone zone = *Find("Asia/Shanghai");
  return zone;
}

std::chrono::seconds Zone::OffsetAt(Timestamp t) const {
  // The span around the last instant asked for, per thread: a list of records formats many
  // times that fall in the same span (Asia/Shanghai has had one since 1991), and looking the
  // rules up costs more than the rest of formatting.
  struct Span {
    const date::time_zone* tz = nullptr;
    date::sys_seconds begin, end;
    std::chrono::seconds offset{0};
  };
  thread_local Span last;
  auto s = std::chrono::floor<std::chrono::seconds>(t);
  if (last.tz == tz_ && s >= last.begin && s < last.end) return last.offset;
  auto info = tz_->get_info(s);
  last = {tz_, info.begin, info.end, info.offset};
  return info.offset;
}

Date Zone::LocalDate(Timestamp t) const {
  auto local = t + OffsetAt(t);
  return Date{std::chrono::floor<std::chrono::days>(local)};
}

Timestamp Zone::At(Date d, std::chrono::minutes time_of_day) const {
  date::local_time<std::chrono::minutes> local{std::chrono::local_days{d}.time_since_epoch() +
                                               time_of_day};
  auto sys = tz_->to_sys(local, date::choose::earliest);
  return std::chrono::time_point_cast<Microseconds>(sys);
}

namespace {
// Writes `value` as exactly `width` decimal digits ending just before `end`; answers the start.
char* Digits(char* end, long long value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return end;
}
}  // namespace

// Written digit by digit: list answers format several times per row, and snprintf was a tenth of
// a list request's time.
std::size_t FormatRfc3339(Timestamp t, const Zone& zone, char* out) {
  auto offset = zone.OffsetAt(t);
  auto local = t + offset;
  auto day = std::chrono::floor<std::chrono::days>(local);
  Date d{day};
  std::chrono::hh_mm_ss<Microseconds> tod{local - day};
  int year = int(d.year());
  year = std::clamp(year, 0, 9999);  // RFC 3339 has four digits
  char* buf = out;
  std::memcpy(buf, "0000-00-00T00:00:00", 19);
  Digits(buf + 4, year, 4);
  Digits(buf + 7, unsigned(d.month()), 2);
  Digits(buf + 10, unsigned(d.day()), 2);
  Digits(buf + 13, tod.hours().count(), 2);
  Digits(buf + 16, tod.minutes().count(), 2);
  Digits(buf + 19, tod.seconds().count(), 2);
  char* p = buf + 19;
  if (auto frac = static_cast<long long>(tod.subseconds().count()); frac != 0) {
    *p++ = '.';
    int width = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    p = Digits(p + width, frac, width) + width;
  }
  auto mins = static_cast<long long>(std::chrono::duration_cast<std::chrono::minutes>(offset).count());
  if (mins == 0) {
    *p++ = 'Z';
  } else {
    *p++ = mins < 0 ? '-' : '+';
    if (mins < 0) mins = -mins;
    p = Digits(p + 2, mins / 60, 2) + 2;
    *p++ = ':';
    p = Digits(p + 2, mins % 60, 2) + 2;
  }
  return static_cast<std::size_t>(p - buf);
}

std::string FormatRfc3339(Timestamp t, const Zone& zone) {
  char buf[kRfc3339Max];
  return std::string(buf, FormatRfc3339(t, zone, buf));
}

std::optional<Timestamp> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto d = ParseDate(s.substr(0, 10));
  int hh, mm, ss;
  if (!d || !ParseInt(s.substr(11, 2), hh) || !ParseInt(s.substr(14, 2), mm) ||
      !ParseInt(s.substr(17, 2), ss) || hh > 23 || mm > 59 || ss > 59) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) {
        micros = micros * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (; digits < 6; ++digits) micros *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  std::int64_t offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    if (pos + 1 != s.size()) return std::nullopt;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (s.size() - pos != 6 || s[pos + 3] != ':') return std::nullopt;
    int oh, om;
    if (!ParseInt(s.substr(pos + 1, 2), oh) || !ParseInt(s.substr(pos + 4, 2), om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset_minutes = oh * 60 + om;
    if (s[pos] == '-') offset_minutes = -offset_minutes;
  } else {
    return std::nullopt;
  }
  auto local = std::chrono::sys_days{*d} + std::chrono::hours{hh} + std::chrono::minutes{mm} +
               std::chrono::seconds{ss} + Microseconds{micros};
  return Timestamp{local - std::chrono::minutes{offset_minutes}};
}

std::string FormatHttpDate(Timestamp t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
  unsigned weekday = std::chrono::weekday{day}.c_encoding();
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[weekday],
                     static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                     static_cast<int>(ymd.year()), hms.hours().count(), hms.minutes().count(),
                     hms.seconds().count());
}

std::string FormatDate(Date d) {
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()),
                        unsigned(d.day()));
  return std::string(buf, n);
}

std::optional<Date> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y, m, d;
  if (!ParseInt(s.substr(0, 4), y) || !ParseInt(s.substr(5, 2), m) ||
      !ParseInt(s.substr(8, 2), d)) {
    return std::nullopt;
  }
  Date date{std::chrono::year{y}, std::chrono::month{unsigned(m)}, std::chrono::day{unsigned(d)}};
  if (!date.ok() || y < kEarliestYear || y > kLatestYear) return std::nullopt;
  return date;
}

std::optional<Timestamp> ParseLocalTime(std::string_view s, const Zone& zone) {
  if (auto t = ParseRfc3339(s)) return t;
  // Y[-/]M[-/]D, then optionally a space (or T) and H:MM[:SS].
  std::size_t pos = 0;
  auto number = [&](int max_digits, int& out) {
    std::size_t start = pos;
    while (pos < s.size() && pos - start < static_cast<std::size_t>(max_digits) && s[pos] >= '0' &&
           s[pos] <= '9') {
      ++pos;
    }
    return pos > start && ParseInt(s.substr(start, pos - start), out);
  };
  int y, m, d;
  if (!number(4, y) || pos != 4 || pos >= s.size() || (s[pos] != '-' && s[pos] != '/'))
    return std::nullopt;
  char sep = s[pos++];
  if (!number(2, m) || pos >= s.size() || s[pos++] != sep || !number(2, d)) return std::nullopt;
  Date date{std::chrono::year{y}, std::chrono::month{unsigned(m)}, std::chrono::day{unsigned(d)}};
  if (!date.ok() || y < kEarliestYear || y > kLatestYear) return std::nullopt;
  int hh = 0, mm = 0, ss = 0;
  if (pos < s.size()) {
    if (s[pos] != ' ' && s[pos] != 'T') return std::nullopt;
    ++pos;
    if (!number(2, hh) || pos >= s.size() || s[pos++] != ':' || !number(2, mm) || hh > 23 ||
        mm > 59) {
      return std::nullopt;
    }
    if (pos < s.size() && (s[pos++] != ':' || !number(2, ss) || ss > 59)) return std::nullopt;
    if (pos != s.size()) return std::nullopt;
  }
  return zone.At(date, std::chrono::minutes{hh * 60 + mm}) + std::chrono::seconds{ss};
}

std::optional<std::chrono::minutes> ParseTimeOfDay(std::string_view s) {
  int h, m;
  if (s.size() != 5 || s[2] != ':' || !ParseInt(s.substr(0, 2), h) ||
      !ParseInt(s.substr(3, 2), m) || h > 23 || m > 59) {
    return std::nullopt;
  }
  return std::chrono::minutes{h * 60 + m};
}

std::optional<std::pair<std::chrono::minutes, std::chrono::minutes>> ParseTimeWindow(
    std::string_view s) {
  if (s.size() != 11 || s[5] != '-') return std::nullopt;
  auto from = ParseTimeOfDay(s.substr(0, 5));
  auto to = ParseTimeOfDay(s.substr(6));
  if (!from || !to || *from >= *to) return std::nullopt;
  return std::pair{*from, *to};
}

}  // namespace kelu
