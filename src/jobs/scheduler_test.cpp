#include "jobs/scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "storage/migrations.hpp"

namespace kelu::jobs {
namespace {

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kelu-jobs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    db_ = storage::Database::Open("sqlite:" + (dir_ / "t.db").string(), 2, 1000);
    ASSERT_TRUE(storage::Migrate(*db_, At("2026-11-24T08:00:00+08:00")).ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  static Timestamp At(const char* text) { return *ParseRfc3339(text); }

  // Registers two jobs that log "job@local time" into `log_`.
  std::unique_ptr<Scheduler> Make() {
    auto s = std::make_unique<Scheduler>(*db_, Zone::Shanghai(), std::chrono::minutes(30));
    for (const char* name : {"a", "b"}) {
      s->Register(name, [this, name](Timestamp now) {
        log_.push_back(std::string(name) + "@" + FormatRfc3339(now, Zone::Shanghai()));
        return OkStatus();
      });
    }
    return s;
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Database> db_;
  std::vector<std::string> log_;
};

TEST_F(SchedulerTest, RunsEachDayCrossedInOrderAtItsRunTime) {
  auto s = Make();
  s->RunDue(At("2026-11-24T08:00:00+08:00"));  // today's run (00:30) is past: it runs
  ManualClock clock(At("2026-11-24T08:00:00+08:00"));
  auto runs = s->RunDue(At("2026-11-27T00:29:00+08:00"), &clock);
  EXPECT_EQ(runs.size(), 4u);  // the 25th and 26th, two jobs each; the 27th is not due yet
  EXPECT_EQ(log_, (std::vector<std::string>{
                      "a@2026-11-24T00:30:00+08:00", "b@2026-11-24T00:30:00+08:00",
                      "a@2026-11-25T00:30:00+08:00", "b@2026-11-25T00:30:00+08:00",
                      "a@2026-11-26T00:30:00+08:00", "b@2026-11-26T00:30:00+08:00"}));
  EXPECT_EQ(clock.now(), At("2026-11-26T00:30:00+08:00"));
}

TEST_F(SchedulerTest, OneJumpEqualsManySmallSteps) {
  auto s = Make();
  s->RunDue(At("2026-11-24T08:00:00+08:00"));
  s->RunDue(At("2026-11-25T12:00:00+08:00"));
  s->RunDue(At("2026-11-25T13:00:00+08:00"));
  s->RunDue(At("2026-11-28T09:00:00+08:00"));
  auto stepped = log_;

  TearDown();
  SetUp();
  log_.clear();
  auto t = Make();
  t->RunDue(At("2026-11-24T08:00:00+08:00"));
  t->RunDue(At("2026-11-28T09:00:00+08:00"));
  EXPECT_EQ(log_, stepped);
}

TEST_F(SchedulerTest, NeverRunsADayTwice) {
  auto s = Make();
  s->RunDue(At("2026-11-24T08:00:00+08:00"));
  s->RunDue(At("2026-11-24T09:00:00+08:00"));
  auto again = Make();  // a restarted process
  again->RunDue(At("2026-11-24T10:00:00+08:00"));
  EXPECT_EQ(log_.size(), 2u);
}

TEST_F(SchedulerTest, AFailedJobIsRetriedAndHoldsLaterDays) {
  auto s = std::make_unique<Scheduler>(*db_, Zone::Shanghai(), std::chrono::minutes(30));
  int calls = 0;
  bool fail = true;
  s->Register("flaky", [&](Timestamp) -> Status {
    ++calls;
    if (fail) return Error::Make(ErrorKind::kInternal, "boom", "failed");
    return OkStatus();
  });
  auto first = s->RunDue(At("2026-11-24T08:00:00+08:00"));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].ok);
  auto held = s->RunDue(At("2026-11-26T08:00:00+08:00"));
  ASSERT_EQ(held.size(), 1u);  // the 24th again, and nothing after it
  EXPECT_EQ(FormatDate(held[0].date), "2026-11-24");
  fail = false;
  auto caught_up = s->RunDue(At("2026-11-26T08:00:00+08:00"));
  EXPECT_EQ(caught_up.size(), 3u);
  EXPECT_EQ(calls, 5);
}

}  // namespace
}  // namespace kelu::jobs

namespace kelu::jobs {
namespace {

// Two processes on one PostgreSQL database (two schedulers with their own pools): each day's
// jobs run once, whichever process gets there; the other one waits its turn or skips.
TEST(SchedulerPostgres, TwoProcessesRunEachDayOnce) {
  const char* url = std::getenv("KELU_TEST_PG_URL");
  if (!url) GTEST_SKIP() << "KELU_TEST_PG_URL not set";
  std::string name = "kelu_sched_" + std::to_string(::getpid());
  auto admin = storage::Database::Open(url, 1, 1000);
  admin->Read([&](storage::Connection& c) {
    c.ExecScript("DROP DATABASE IF EXISTS " + name);
    c.ExecScript("CREATE DATABASE " + name);
  });
  std::string base(url);
  std::string db_url = base.substr(0, base.rfind('/') + 1) + name;
  Timestamp start = *ParseRfc3339("2026-11-24T08:00:00+08:00");
  {
    auto a_db = storage::Database::Open(db_url, 3, 1000);
    ASSERT_TRUE(storage::Migrate(*a_db, start).ok());
    auto b_db = storage::Database::Open(db_url, 3, 1000);
    std::atomic<int> calls{0};
    auto make = [&](storage::Database& db) {
      auto s = std::make_unique<Scheduler>(db, Zone::Shanghai(), std::chrono::minutes(30));
      s->Register("slow", [&calls](Timestamp) {
        ++calls;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return OkStatus();
      });
      return s;
    };
    auto a = make(*a_db);
    auto b = make(*b_db);
    a->RunDue(start);
    calls = 0;
    Timestamp until = *ParseRfc3339("2026-12-04T08:00:00+08:00");  // ten more days
    std::thread ta([&] { a->RunDue(until); });
    std::thread tb([&] { b->RunDue(until); });
    ta.join();
    tb.join();
    // Whichever lost the race runs again later and finds nothing left to do.
    a->RunDue(until);
    b->RunDue(until);
    EXPECT_EQ(calls.load(), 10);
    EXPECT_EQ(a_db->Read([](storage::Connection& c) {
      return c.QueryInt("SELECT count(*) FROM job_runs WHERE job = 'slow'");
    }),
              11);
  }
  admin->Read([&](storage::Connection& c) { c.ExecScript("DROP DATABASE IF EXISTS " + name); });
}

}  // namespace
}  // namespace kelu::jobs
