// Daily jobs on the injected clock. Each registered job runs once per business day, at the
// configured local time (business.daily_jobs_at), in registration order. Running "due" work up
// to a moment processes every day crossed in date order, each job seeing `now` = that day's
// run time; a run is recorded in job_runs so it never repeats, which makes clock jumps path
// independent (t0 → t2 equals t0 → t1 → t2). Later steps register lifecycle, pool and
// reminder jobs. Thread-safe: one run at a time per process; across processes the key of
// job_runs refuses a second record of the same run.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "storage/database.hpp"

namespace kelu::jobs {

struct JobRun {
  std::string job;
  Date date;
  Timestamp at;
  bool ok = true;
};

class Scheduler {
 public:
  using Job = std::function<Status(Timestamp now)>;

  Scheduler(storage::Database& db, Zone zone, std::chrono::minutes run_at)
      : db_(db), zone_(std::move(zone)), run_at_(run_at) {}

  void Register(std::string name, Job job);

  // Runs every job for every day whose run time is ≤ `until` and has not run yet. The first
  // call on a new database starts from the day of `until` (history is not replayed). When
  // `clock` is given it is set to each run time before the jobs of that day run, and left at
  // the last run time. Returns the runs made, in order.
  std::vector<JobRun> RunDue(Timestamp until, ManualClock* clock = nullptr);

  // On PostgreSQL, RunDue first takes an advisory lock: with several processes on one database
  // one runs the jobs and the others return no runs.

  // Called after each run (metrics).
  void set_observer(std::function<void(const JobRun&)> f) { observer_ = std::move(f); }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<JobRun> RunDueLocked(Timestamp until, ManualClock* clock);

  storage::Database& db_;
  Zone zone_;
  std::chrono::minutes run_at_;
  std::vector<std::string> names_;
  std::vector<Job> jobs_;
  std::mutex mutex_;
  std::function<void(const JobRun&)> observer_;
};

}  // namespace kelu::jobs
