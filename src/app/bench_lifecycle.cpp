// make bench: the daily lifecycle run over many tenants, beside a single SQL scan of the same
// rows. Seeds N active tenants whose expiries spread over two years around the start day (so a
// day brings its share of suspensions, terminations and renewal notices), then times one daily
// run and the scan. Prints one JSON object.
//
//   kelu_bench_lifecycle --db URL --tenants N
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "billing/service.hpp"
#include "storage/migrations.hpp"

using namespace kelu;

int main(int argc, char** argv) {
  std::string url;
  int tenants = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--db") == 0) url = argv[i + 1];
    if (std::strcmp(argv[i], "--tenants") == 0) tenants = std::atoi(argv[i + 1]);
  }
  if (url.empty()) {
    std::fprintf(stderr, "usage: kelu_bench_lifecycle --db URL --tenants N\n");
    return 2;
  }
  Zone zone = Zone::Shanghai();
  Timestamp start = *ParseRfc3339("2027-06-01T00:30:00+08:00");
  auto db = storage::Database::Open(url, 4, 10000);
  if (auto m = storage::Migrate(*db, start); !m.ok()) {
    std::fprintf(stderr, "%s\n", m.error().message.c_str());
    return 1;
  }
  // Seed: expiries from one year back to one year ahead; those already past are suspended or
  // terminated as the lifecycle would have left them, so the measured day is an ordinary one.
  Date today = zone.LocalDate(start);
  std::mt19937 rng(42);
  db->Write([&](storage::Connection& c) {
    std::int64_t base = c.NextId() + 1000000;
    c.CopyIn(
        "tenants",
        {"tenant_id", "slug", "name", "state", "ending", "seats", "plan_code", "term_anchor",
         "expiry", "terminated_on", "points_forfeited_at", "contact_email", "created_at",
         "updated_at"},
        [&](const storage::Connection::RowSink& sink) {
          for (int i = 0; i < tenants; ++i) {
            int offset = static_cast<int>(rng() % 730) - 365;
            Date expiry = billing::AddDays(today, offset);
            Date anchor = billing::AddYears(expiry, -1);
            std::string state = "active", ending = "none";
            std::optional<std::string> terminated;
            // As the previous day's run left them: today's deadlines are still to come.
            if (offset < 0 && offset >= -30) state = "suspended";
            if (offset < -30) {
              state = offset < -130 ? "purged" : "terminated";
              ending = "non_payment";
              terminated = FormatDate(billing::AddDays(expiry, 30));
            }
            sink(storage::Row(
                {base + i, fmt::format("t{}", i), fmt::format("租户{}", i), state, ending,
                 std::int64_t{5}, std::string("standard"), FormatDate(anchor), FormatDate(expiry),
                 terminated ? storage::Value(*terminated) : storage::Null{},
                 offset < -60 ? storage::Value(ToMicros(start)) : storage::Value(storage::Null{}),
                 fmt::format("boss@t{}.example", i), ToMicros(start), ToMicros(start)}));
          }
        });
  });
  Config config;
  config.files.dir = "/tmp/kelu-bench-lifecycle-files";
  auto calendar = WorkCalendar::WithShippedYears();
  for (int y = 2027; y <= 2029; ++y) {
    calendar
        ->LoadYear(fmt::format(
            R"({{"year": {0}, "days": [{{"date": "{0}-01-01", "isOffDay": true}}]}})", y))
        .ok();
  }
  identity::IdentityService ids(*db, config.security, zone);
  billing::BillingService billing(*db, ids, config, zone, calendar);
  billing.Start(start).ok();

  // The day before, untimed (nothing of its own is due, the seed is as that day left it): the
  // first run catches up on notices due earlier, so the measured run is an ordinary day's.
  billing.RunLifecycle(start - std::chrono::hours(24)).ok();
  std::int64_t changed_before = db->Read([](storage::Connection& c) {
    return c.QueryInt("SELECT count(*) FROM tenant_events WHERE kind LIKE 'lifecycle.%'");
  });
  std::int64_t notices_before =
      db->Read([](storage::Connection& c) { return c.QueryInt("SELECT count(*) FROM notices"); });

  auto t0 = std::chrono::steady_clock::now();
  std::int64_t scanned = 0;
  db->Read([&](storage::Connection& c) {
    c.ForEach(
        "SELECT tenant_id, slug, name, state, ending, seats, plan_code, packages, term_anchor, "
        "expiry, terminated_on, non_renewal_at, next_seats, storage_blocks, points_forfeited_at, "
        "contact_email, next_seats_from FROM tenants WHERE state IN ('active', 'suspended', "
        "'terminated') AND expiry IS NOT NULL",
        {}, [&](const storage::Row& r) { scanned += r.integer(0) > 0; });
  });
  double scan = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto t1 = std::chrono::steady_clock::now();
  auto status = billing.RunLifecycle(start);
  double run = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.error().message.c_str());
    return 1;
  }
  std::int64_t changed = db->Read([](storage::Connection& c) {
    return c.QueryInt("SELECT count(*) FROM tenant_events WHERE kind LIKE 'lifecycle.%'");
  });
  std::int64_t notices =
      db->Read([](storage::Connection& c) { return c.QueryInt("SELECT count(*) FROM notices"); });
  std::printf(
      "{\"tenants\": %d, \"scanned\": %lld, \"lifecycle_seconds\": %.4f, \"scan_seconds\": "
      "%.4f, \"transitions\": %lld, \"notices\": %lld}\n",
      tenants, static_cast<long long>(scanned), run, scan,
      static_cast<long long>(changed - changed_before),
      static_cast<long long>(notices - notices_before));
  return 0;
}
