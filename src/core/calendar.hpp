// The PRC working-day calendar (工作日): weekends and statutory holidays off, 调休 makeup days
// on, from the State Council schedule of each year (holiday-cn JSON, one file per year). A year
// without data is unknown: asking about it is the error `calendar_year_missing`, never a guess.
// Thread-safe: years can be loaded while others read.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace kelu {

class WorkCalendar {
 public:
  // Parses one year's file ({"year", "days": [{"date", "isOffDay"}]}) and adds it, replacing
  // an earlier load of the same year. 422 `invalid_calendar` naming what is wrong.
  Result<int> LoadYear(std::string_view json_text);
  // The calendar with the years shipped in the binary (share/holidays).
  static std::shared_ptr<WorkCalendar> WithShippedYears();

  std::vector<int> years() const;
  Result<bool> IsWorkingDay(Date d) const;
  // The n-th working day after `from` (`from` itself never counts), n ≥ 1.
  Result<Date> AddWorkingDays(Date from, int n) const;
  // The first working day of a month.
  Result<Date> FirstWorkingDay(std::chrono::year_month ym) const;
  // "Within n working days after t": the end (23:59:59 local) of the n-th working day after
  // the local date of t, whatever its hour.
  Result<Timestamp> WorkingDayDeadline(Timestamp t, int n, const Zone& zone) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<int, std::map<Date, bool>> years_;  // year → exceptions (date → is a day off)
};

}  // namespace kelu
