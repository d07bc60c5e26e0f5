#include "core/calendar.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <mutex>

namespace kelu {

// Generated from share/holidays/*.json.
std::vector<std::pair<std::string_view, std::string_view>> HolidayFiles();

namespace {

Error CalendarError(std::string message) {
  return Error::Make(ErrorKind::kInvalid, "invalid_calendar", std::move(message));
}

Error MissingYear(int year) {
  return Error::Make(
      ErrorKind::kConflict, "calendar_year_missing",
      fmt::format("The working-day calendar has no data for {}: load the State Council schedule "
                  "of that year first.",
                  year),
      {{"year", year}});
}

}  // namespace

Result<int> WorkCalendar::LoadYear(std::string_view json_text) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(json_text, ec);
  if (ec || !doc.is_object()) return CalendarError("The calendar file is not a JSON object.");
  const auto& o = doc.as_object();
  const auto* year_v = o.if_contains("year");
  const auto* days_v = o.if_contains("days");
  if (!year_v || !year_v->is_int64() || year_v->as_int64() < 2000 || year_v->as_int64() > 2200) {
    return CalendarError("\"year\" must be a year from 2000 to 2200.");
  }
  if (!days_v || !days_v->is_array() || days_v->as_array().empty()) {
    return CalendarError("\"days\" must list the year's days off and makeup working days.");
  }
  int year = static_cast<int>(year_v->as_int64());
  std::map<Date, bool> days;
  for (const auto& item : days_v->as_array()) {
    const auto* d = item.is_object() ? item.as_object().if_contains("date") : nullptr;
    const auto* off = item.is_object() ? item.as_object().if_contains("isOffDay") : nullptr;
    std::optional<Date> date;
    if (d && d->is_string()) date = ParseDate(std::string_view(d->as_string()));
    if (!date || !off || !off->is_bool()) {
      return CalendarError("Each day needs \"date\" (YYYY-MM-DD) and \"isOffDay\" (true/false).");
    }
    // A schedule may reach into the neighbouring year (New Year makeup days), never further.
    int y = static_cast<int>(date->year());
    if (y < year - 1 || y > year + 1) {
      return CalendarError(fmt::format("{} is not near the year {}.", FormatDate(*date), year));
    }
    days[*date] = off->as_bool();
  }
  std::unique_lock lock(mutex_);
  years_[year] = std::move(days);
  return year;
}

std::shared_ptr<WorkCalendar> WorkCalendar::WithShippedYears() {
  auto cal = std::make_shared<WorkCalendar>();
  for (const auto& [name, text] : HolidayFiles()) {
    auto r = cal->LoadYear(text);
    if (!r.ok())
      throw std::runtime_error(fmt::format("shipped calendar {}: {}", name, r.error().message));
  }
  return cal;
}

std::vector<int> WorkCalendar::years() const {
  std::shared_lock lock(mutex_);
  std::vector<int> out;
  out.reserve(years_.size());
  for (const auto& entry : years_) out.push_back(entry.first);
  return out;
}

Result<bool> WorkCalendar::IsWorkingDay(Date d) const {
  std::shared_lock lock(mutex_);
  int year = static_cast<int>(d.year());
  if (!years_.contains(year)) return MissingYear(year);
  // An exception may be listed in its own year's file or a neighbour's (New Year 调休).
  for (int y : {year, year + 1, year - 1}) {
    auto it = years_.find(y);
    if (it == years_.end()) continue;
    auto day = it->second.find(d);
    if (day != it->second.end()) return !day->second;
  }
  std::chrono::weekday wd{std::chrono::sys_days{d}};
  return wd != std::chrono::Saturday && wd != std::chrono::Sunday;
}

Result<Date> WorkCalendar::AddWorkingDays(Date from, int n) const {
  std::chrono::sys_days day{from};
  for (int found = 0; found < n;) {
    day += std::chrono::days{1};
    auto working = IsWorkingDay(Date{day});
    if (!working.ok()) return std::move(working).error();
    if (*working) ++found;
  }
  return Date{day};
}

Result<Date> WorkCalendar::FirstWorkingDay(std::chrono::year_month ym) const {
  std::chrono::sys_days day{ym / std::chrono::day{1}};
  for (;;) {
    auto working = IsWorkingDay(Date{day});
    if (!working.ok()) return std::move(working).error();
    if (*working) return Date{day};
    day += std::chrono::days{1};
  }
}

Result<Timestamp> WorkCalendar::WorkingDayDeadline(Timestamp t, int n, const Zone& zone) const {
  auto day = AddWorkingDays(zone.LocalDate(t), n);
  if (!day.ok()) return std::move(day).error();
  Date next{std::chrono::sys_days{*day} + std::chrono::days{1}};
  return zone.At(next, std::chrono::minutes{0}) - std::chrono::seconds{1};
}

}  // namespace kelu
