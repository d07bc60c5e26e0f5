#include "jobs/scheduler.hpp"

#include <spdlog/spdlog.h>

namespace kelu::jobs {

namespace {

// The advisory lock the daily jobs hold on PostgreSQL ("kelujobs" as a number).
constexpr std::int64_t kAdvisoryLockKey = 0x6b656c756a6f6273;

}  // namespace

using storage::Connection;
using storage::V;

void Scheduler::Register(std::string name, Job job) {
  names_.push_back(std::move(name));
  jobs_.push_back(std::move(job));
}

std::vector<JobRun> Scheduler::RunDue(Timestamp until, ManualClock* clock) {
  std::lock_guard lock(mutex_);
  // Daily jobs walk whole tenants: not bounded by the request that may have started them
  // (the test clock's), nor by any other.
  storage::StatementTimeout unbounded(0);
  if (db_.dialect() != storage::Dialect::kPostgres) return RunDueLocked(until, clock);
  // Several processes on one PostgreSQL: the one holding the advisory lock runs the jobs, the
  // others skip this round (the lock is the session's: a process that dies releases it).
  std::vector<JobRun> runs;
  db_.Read([&](Connection& c) {
    if (c.QueryInt("SELECT CASE WHEN pg_try_advisory_lock(?) THEN 1 ELSE 0 END",
                   {V(kAdvisoryLockKey)}) == 0) {
      return;
    }
    try {
      runs = RunDueLocked(until, clock);
    } catch (...) {
      c.Query("SELECT pg_advisory_unlock(?)", {V(kAdvisoryLockKey)});
      throw;
    }
    c.Query("SELECT pg_advisory_unlock(?)", {V(kAdvisoryLockKey)});
  });
  return runs;
}

std::vector<JobRun> Scheduler::RunDueLocked(Timestamp until, ManualClock* clock) {
  std::vector<JobRun> runs;
  // The last day fully processed is kept in kelu_settings.
  auto last = db_.Read([&](Connection& c) {
    return c.QueryOne("SELECT value FROM kelu_settings WHERE key = 'jobs.last_day'");
  });
  Date today = zone_.LocalDate(until);
  std::chrono::sys_days day;
  if (last) {
    auto d = ParseDate(last->text(0));
    day = std::chrono::sys_days{d ? *d : today} + std::chrono::days(1);
  } else {
    // A new database starts with today; remember that, so a failure today is retried
    // tomorrow instead of being skipped.
    day = std::chrono::sys_days{today};
    std::string yesterday = FormatDate(Date{day - std::chrono::days(1)});
    db_.Write([&](Connection& c) {
         c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('jobs.last_day', ?)",
                {V(yesterday)});
         return OkStatus();
       })
        .ok();
  }
  for (; day <= std::chrono::sys_days{today}; day += std::chrono::days(1)) {
    Date date{day};
    Timestamp at = zone_.At(date, run_at_);
    if (at > until) break;
    if (clock) clock->set(at);
    std::string date_text = FormatDate(date);
    for (std::size_t i = 0; i < jobs_.size(); ++i) {
      bool done = db_.Read([&](Connection& c) {
        return c.QueryInt("SELECT count(*) FROM job_runs WHERE job = ? AND run_date = ?",
                          {V(names_[i]), V(date_text)}) > 0;
      });
      if (done) continue;
      auto started = std::chrono::steady_clock::now();
      Status s = OkStatus();
      try {
        s = jobs_[i](at);
      } catch (const std::exception& e) {
        s = Error::Make(ErrorKind::kInternal, "job_failed", e.what());
      }
      auto took = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
      JobRun run{names_[i], date, at, s.ok()};
      if (!s.ok()) {
        // A failed job is not recorded as run: it is tried again on the next call.
        spdlog::error("daily job {} for {} failed: {}", names_[i], date_text, s.error().message);
      } else {
        db_.Write([&](Connection& c) {
             c.Exec(
                 "INSERT INTO job_runs (job, run_date, ran_at, duration_us) VALUES (?, ?, ?, ?)",
                 {V(names_[i]), V(date_text), V(ToMicros(at)), V(static_cast<std::int64_t>(took))});
             return OkStatus();
           })
            .ok();
      }
      if (observer_) observer_(run);
      runs.push_back(run);
      if (!s.ok()) return runs;  // later days wait until this one succeeds
    }
    db_.Write([&](Connection& c) {
         c.Exec("DELETE FROM kelu_settings WHERE key = 'jobs.last_day'");
         c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('jobs.last_day', ?)",
                {V(date_text)});
         return OkStatus();
       })
        .ok();
  }
  return runs;
}

}  // namespace kelu::jobs
