// The contract engine's property test: random sequences of sign-ups, orders, payments (retried),
// seat changes, storage and point purchases, non-renewal notices, breaches, reopen attempts,
// purges and clock jumps of random length, over several tenants, in two worlds driven in
// lockstep. World A moves its clock in many small steps, world B in one jump per action: both
// must end in the same states, invoices, notices and balances (path independence), and every
// invariant of CONTRACT-RULES is checked in world A after every step.
//
// KELU_PROPERTY_SEED and KELU_PROPERTY_STEPS override the fixed seed and the bounded count
// (`make bench` runs it longer).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "billing/service.hpp"
#include "jobs/scheduler.hpp"
#include "storage/migrations.hpp"

namespace kelu::billing {
namespace {

using storage::Connection;
using storage::V;

const Zone kZone = Zone::Shanghai();

Timestamp At(const char* text) { return *ParseRfc3339(text); }

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// One world: a database, its clock, scheduler and services.
struct World {
  std::filesystem::path dir;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<identity::IdentityService> identity;
  std::unique_ptr<BillingService> billing;
  std::unique_ptr<jobs::Scheduler> scheduler;
  std::map<int, identity::Principal> bosses;  // by tenant number
  std::map<int, std::int64_t> tenant_ids;

  World(const std::string& name, Timestamp start) {
    dir = std::filesystem::temp_directory_path() /
          ("kelu-property-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = storage::Database::Open("sqlite:" + (dir / "t.db").string(), 2, 5000);
    EXPECT_TRUE(storage::Migrate(*db, start).ok());
    clock = std::make_unique<ManualClock>(start);
    Config config;
    config.files.dir = (dir / "files").string();
    identity = std::make_unique<identity::IdentityService>(*db, config.security, kZone);
    auto calendar = WorkCalendar::WithShippedYears();
    for (int y = 2027; y <= 2040; ++y) {
      // Later years have no published schedule: weekends and New Year's Day only, as test data.
      EXPECT_TRUE(calendar
                      ->LoadYear(fmt::format(R"({{"year": {0}, "days": [{{"date": "{0}-01-01", )"
                                             R"("isOffDay": true}}]}})",
                                             y))
                      .ok());
    }
    billing = std::make_unique<BillingService>(*db, *identity, config, kZone, calendar);
    EXPECT_TRUE(billing->Start(start).ok());
    scheduler = std::make_unique<jobs::Scheduler>(*db, kZone, std::chrono::minutes(30));
    BillingService* b = billing.get();
    scheduler->Register("billing.lifecycle", [b](Timestamp now) { return b->RunLifecycle(now); });
    scheduler->RunDue(start, clock.get());
    clock->set(start);
  }
  ~World() {
    scheduler.reset();
    billing.reset();
    identity.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  RequestMeta Meta() const { return {"127.0.0.1", "property", "p", clock->now()}; }
  identity::Principal Operator() const {
    identity::Principal p;
    p.kind = identity::PrincipalKind::kOperator;
    p.operator_id = 1;
    p.name = "operator";
    return p;
  }
  void MoveTo(Timestamp t) {
    scheduler->RunDue(t, clock.get());
    clock->set(t);
  }

  // Everything the contract cares about, without ids (which may differ between worlds).
  std::string Snapshot() {
    std::string out;
    db->Read([&](Connection& c) {
      auto dump = [&](const char* sql) {
        for (const auto& r : c.Query(sql).rows) {
          for (std::size_t i = 0; i < r.size(); ++i) {
            out += r.is_null(i) ? "∅" : r.text(i);
            out += '|';
          }
          out += '\n';
        }
        out += "--\n";
      };
      dump(
          "SELECT slug, state, ending, seats, expiry, terminated_on, storage_blocks, next_seats, "
          "non_renewal_at, points_forfeited_at, purged_at FROM tenants ORDER BY slug");
      dump(
          "SELECT t.slug, o.number, o.kind, o.status, o.total_fen, o.term_start, o.term_end, "
          "o.paid_at FROM orders o JOIN tenants t USING (tenant_id) ORDER BY o.number");
      dump(
          "SELECT i.number, i.total_fen, l.line_no, l.code, l.amount_fen FROM invoices i JOIN "
          "invoice_lines l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id "
          "ORDER BY i.number, l.line_no");
      dump(
          "SELECT t.slug, e.kind, e.document, e.amount_fen, e.at FROM ledger_entries e JOIN "
          "tenants t USING (tenant_id) ORDER BY t.slug, e.at, e.kind, e.document");
      dump(
          "SELECT t.slug, n.kind, n.dedupe_key, n.sent_at, n.deemed_at FROM notices n JOIN "
          "tenants t USING (tenant_id) ORDER BY t.slug, n.dedupe_key");
      dump(
          "SELECT t.slug, l.kind, l.points, l.remaining, l.bought_at, l.forfeited_at FROM "
          "point_lots l JOIN tenants t USING (tenant_id) ORDER BY t.slug, l.bought_at, l.kind");
      dump(
          "SELECT t.slug, e.kind, e.at FROM tenant_events e JOIN tenants t USING (tenant_id) "
          "WHERE e.kind LIKE 'lifecycle.%' OR e.kind = 'purged' OR e.kind LIKE 'points.%' "
          "ORDER BY t.slug, e.at, e.kind");
    });
    return out;
  }
};

class Property : public ::testing::Test {};

// Checks every invariant of CONTRACT-RULES that the data can show; returns the violations.
std::vector<std::string> CheckInvariants(World& w, std::map<std::int64_t, int>& seats_seen) {
  std::vector<std::string> bad;
  const TermsConfig terms;
  Date today = kZone.LocalDate(w.clock->now());
  w.db->Read([&](Connection& c) {
    // Money: invoice totals are the sums of their lines; each tenant's ledger balances; every
    // paid order has exactly one payment equal to its invoice.
    for (const auto& r : c.Query("SELECT i.number, i.total_fen, (SELECT coalesce(sum(amount_fen), "
                                 "0) FROM invoice_lines l WHERE l.tenant_id = i.tenant_id AND "
                                 "l.invoice_id = i.invoice_id) FROM invoices i")
                             .rows) {
      if (r.integer(1) != r.integer(2)) bad.push_back("invoice total ≠ lines: " + r.text(0));
    }
    for (const auto& r : c.Query("SELECT tenant_id, sum(amount_fen) FROM ledger_entries GROUP BY "
                                 "tenant_id HAVING sum(amount_fen) <> 0")
                             .rows) {
      bad.push_back("ledger does not balance for tenant " + r.text(0));
    }
    for (const auto& r :
         c.Query("SELECT o.number, (SELECT count(*) FROM payments p WHERE p.tenant_id = "
                 "o.tenant_id AND p.order_id = o.order_id), (SELECT count(*) FROM invoices i "
                 "WHERE i.tenant_id = o.tenant_id AND i.order_id = o.order_id), o.status FROM "
                 "orders o")
             .rows) {
      std::int64_t want = r.text(3) == "paid" ? 1 : 0;
      if (r.integer(1) != want || r.integer(2) != want) {
        bad.push_back("order paid more or less than once: " + r.text(0));
      }
    }
    // Points come out of the oldest usable lot first: no spend drew on a lot while an older lot
    // of the same kind still holds points today and was not forfeited when the spend was made.
    for (const auto& r :
         c.Query("SELECT s.spend_id FROM point_spends s JOIN point_lots l ON l.tenant_id = "
                 "s.tenant_id AND l.lot_id = s.lot_id WHERE EXISTS (SELECT 1 FROM point_lots o "
                 "WHERE o.tenant_id = l.tenant_id AND o.kind = l.kind AND (o.bought_at < "
                 "l.bought_at OR (o.bought_at = l.bought_at AND o.lot_id < l.lot_id)) AND "
                 "o.remaining > 0 AND (o.forfeited_at IS NULL OR o.forfeited_at > s.at))")
             .rows) {
      bad.push_back("points spent from a newer lot while an older one had some: " + r.text(0));
    }
    // Points are never negative (also a CHECK) and forfeited only on day 60 or on breach.
    for (const auto& r :
         c.Query("SELECT l.remaining, l.forfeited_at, t.ending, t.expiry, t.slug FROM point_lots "
                 "l JOIN tenants t USING (tenant_id)")
             .rows) {
      if (r.integer(0) < 0) bad.push_back("negative points: " + r.text(4));
      if (!r.is_null(1) && r.text(2) != "breach") {
        Date forfeited = kZone.LocalDate(FromMicros(r.integer(1)));
        auto expiry = ParseDate(r.text(3));
        if (!expiry || DaysBetween(*expiry, forfeited) < terms.points_forfeit_day) {
          bad.push_back("points forfeited before day 60: " + r.text(4));
        }
      }
    }
    // Nothing is purged before termination + 100 days, except an operator purge of a
    // non-payment termination from day 60.
    for (const auto& r : c.Query("SELECT slug, ending, terminated_on, expiry, purged_at FROM "
                                 "tenants WHERE purged_at IS NOT NULL")
                             .rows) {
      Date purged = kZone.LocalDate(FromMicros(r.integer(4)));
      auto terminated = ParseDate(r.text(2));
      bool on_schedule = terminated && DaysBetween(*terminated, purged) >= terms.purge_after_days;
      bool by_hand = r.text(1) == "non_payment" &&
                     DaysBetween(*ParseDate(r.text(3)), purged) >= terms.points_forfeit_day;
      if (!on_schedule && !by_hand) bad.push_back("purged too early: " + r.text(0));
    }
    // Seats never drop during the initial term.
    for (const auto& r : c.Query("SELECT tenant_id, seats, term_anchor, slug FROM tenants WHERE "
                                 "term_anchor IS NOT NULL")
                             .rows) {
      int seats = static_cast<int>(r.integer(1));
      auto& seen = seats_seen[r.integer(0)];
      if (InInitialTerm(terms, *ParseDate(r.text(2)), today) && seats < seen) {
        bad.push_back("seats dropped in the initial term: " + r.text(3));
      }
      seen = seats;
    }
    // Paid periods are contiguous and never overlap: renewals chain from one term to the next
    // and end at the tenant's expiry.
    for (const auto& t : c.Query("SELECT tenant_id, expiry, slug, state FROM tenants WHERE expiry "
                                 "IS NOT NULL AND state <> 'purged'")
                             .rows) {
      auto terms_paid = c.Query(
          "SELECT term_start, term_end FROM orders WHERE tenant_id = ? AND kind = 'renewal' AND "
          "status = 'paid' ORDER BY term_start",
          {V(t.integer(0))});
      for (std::size_t i = 1; i < terms_paid.rows.size(); ++i) {
        if (terms_paid.rows[i].text(0) != terms_paid.rows[i - 1].text(1)) {
          bad.push_back("renewal terms overlap or leave a gap: " + t.text(2));
        }
      }
      if (!terms_paid.rows.empty() && terms_paid.rows.back().text(1) != t.text(1)) {
        bad.push_back("the last paid term does not end at the expiry: " + t.text(2));
      }
    }
    // An export is granted only while the data is the tenant's to take: never after a breach,
    // and within the window after any other termination.
    for (const auto& r :
         c.Query("SELECT t.slug, t.ending, t.terminated_on, e.requested_at, (SELECT max(v.at) "
                 "FROM tenant_events v WHERE v.tenant_id = t.tenant_id AND v.kind LIKE "
                 "'lifecycle.terminate%') FROM data_exports e JOIN tenants t USING (tenant_id) "
                 "WHERE t.terminated_on IS NOT NULL")
             .rows) {
      if (r.integer(3) <= r.integer(4)) continue;  // asked before (or as) the agreement ended
      Date asked = kZone.LocalDate(FromMicros(r.integer(3)));
      Date ended = *ParseDate(r.text(2));
      if (r.text(1) == "breach" || DaysBetween(ended, asked) >= terms.export_window_days) {
        bad.push_back("export granted outside the window: " + r.text(0));
      }
    }
    // Each state change tied to a notice has exactly one.
    for (const auto& r :
         c.Query("SELECT t.slug, e.kind, (SELECT count(*) FROM notices n WHERE n.tenant_id = "
                 "e.tenant_id AND n.kind = CASE WHEN e.kind = 'lifecycle.suspend' THEN "
                 "'suspension' ELSE 'termination' END AND n.sent_at = e.at) FROM tenant_events e "
                 "JOIN tenants t USING (tenant_id) WHERE e.kind IN ('lifecycle.suspend', "
                 "'lifecycle.terminate_by_tenant', 'lifecycle.terminate_non_payment', "
                 "'lifecycle.terminate_breach')")
             .rows) {
      if (r.integer(2) != 1) bad.push_back(r.text(1) + " without exactly one notice: " + r.text(0));
    }
  });
  return bad;
}

// §8: the boss hears once per term when attachments reach 80 % and 100 % of the quota.
TEST(StorageNotices, EightyAndHundredPercentOncePerTerm) {
  Timestamp start = At("2026-12-01T10:00:00+08:00");
  World w("storage", start);
  json::object body{{"company", "存储公司"},
                    {"slug", "store"},
                    {"plan", "standard"},
                    {"seats", 2},
                    {"years", 1},
                    {"boss", json::object{{"name", "老板"},
                                          {"login", "boss"},
                                          {"email", "boss@store.example"},
                                          {"mobile", "13800000000"},
                                          {"password", "Property-pass-2026"}}}};
  auto r = w.billing->SignUp(body, w.Meta());
  ASSERT_TRUE(r.ok());
  std::int64_t tenant = r->at("tenant").as_object().at("id").as_int64();
  std::int64_t order = r->at("order").as_object().at("id").as_int64();
  json::object pay{{"amount_fen", 240000}, {"bank_reference", "b"}, {"paid_on", "2026-12-01"}};
  ASSERT_TRUE(w.billing->ConfirmPayment(w.Operator(), order, pay, w.Meta()).ok());
  const std::int64_t mib = 1024 * 1024;
  auto quota = w.db->Read([&](Connection& c) { return w.billing->StorageQuota(c, tenant); });
  ASSERT_EQ(*quota, 100 * mib);  // 2 seats × 50 MiB
  auto note = [&](std::int64_t used) {
    ASSERT_TRUE(w.db->Write([&](Connection& c) -> Status {
                      w.billing->NoteStorageUsage(c, tenant, used, w.clock->now());
                      return OkStatus();
                    })
                    .ok());
  };
  auto count = [&](const char* kind) {
    return w.db->Read([&](Connection& c) {
      return c.QueryInt("SELECT count(*) FROM notices WHERE tenant_id = ? AND kind = ?",
                        {V(tenant), V(kind)});
    });
  };
  note(79 * mib);
  EXPECT_EQ(count("storage_80"), 0);
  note(80 * mib);
  note(90 * mib);
  EXPECT_EQ(count("storage_80"), 1);
  EXPECT_EQ(count("storage_100"), 0);
  note(100 * mib);
  note(100 * mib);
  EXPECT_EQ(count("storage_100"), 1);
  // The same notice goes by email to the boss.
  EXPECT_EQ(w.db->Read([&](Connection& c) {
    return c.QueryInt(
        "SELECT count(*) FROM outbox WHERE recipient = 'boss@store.example' "
        "AND notice_kind LIKE 'storage_%'");
  }),
            2);
}

TEST_F(Property, RandomSequencesKeepEveryInvariantAndArePathIndependent) {
  const unsigned seed = static_cast<unsigned>(EnvInt("KELU_PROPERTY_SEED", 20261125));
  const int steps = EnvInt("KELU_PROPERTY_STEPS", 600);
  const int tenant_count = 5;
  Timestamp start = At("2026-12-01T10:00:00+08:00");
  World a("a-" + std::to_string(seed), start);
  World b("b-" + std::to_string(seed), start);
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::map<std::int64_t, int> seats_seen;
  int accepted = 0;
  std::map<std::string, int> outcomes;
  std::map<int, int> generation;

  for (int step = 0; step < steps; ++step) {
    // A clock jump of random length (often none), taken in small steps by A and at once by B.
    if (pick(4) == 0) {
      auto jump = std::chrono::hours(pick(24 * 40) + 1);
      Timestamp target = a.clock->now() + jump;
      while (a.clock->now() < target) {
        a.MoveTo(std::min<Timestamp>(target, a.clock->now() + std::chrono::hours(pick(60) + 1)));
      }
      b.MoveTo(target);
    }
    int k = pick(tenant_count);
    int action = pick(10);
    // A tenant whose agreement is over for good makes room for a new sign-up in its slot.
    std::string ended = a.tenant_ids.contains(k) ? a.db->Read([&](Connection& c) {
      auto r =
          c.QueryOne("SELECT state, ending FROM tenants WHERE tenant_id = ?", {V(a.tenant_ids[k])});
      return r->text(0) == "purged" || (r->text(0) == "terminated" && r->text(1) != "non_payment")
                 ? std::string("ended")
                 : std::string();
    })
                                                 : std::string();
    if (!ended.empty()) {
      ++generation[k];
      a.tenant_ids.erase(k);
      b.tenant_ids.erase(k);
    }
    std::string slug = fmt::format("p{}-{}", k, generation[k]);
    // The same command in both worlds; each resolves "the oldest pending order" in its own data.
    auto act = [&](World& w) -> std::string {
      RequestMeta meta = w.Meta();
      if (!w.tenant_ids.contains(k)) {
        json::object body{{"company", slug + " 公司"},
                          {"slug", slug},
                          {"plan", "standard"},
                          {"seats", 1 + k % 3},
                          {"years", 1 + k % 2},
                          {"boss", json::object{{"name", "老板"},
                                                {"login", "boss"},
                                                {"email", slug + "@x.example"},
                                                {"mobile", "13800000000"},
                                                {"password", "Property-pass-2026"}}}};
        auto r = w.billing->SignUp(body, meta);
        if (!r.ok()) return r.error().code;
        identity::Principal boss;
        boss.kind = identity::PrincipalKind::kUser;
        boss.role = identity::Role::kBoss;
        boss.tenant_id = r->at("tenant").as_object().at("id").as_int64();
        boss.user_id = r->at("tenant").as_object().at("boss").as_object().at("id").as_int64();
        boss.name = "老板";
        w.bosses[k] = boss;
        w.tenant_ids[k] = boss.tenant_id;
        return "signed_up";
      }
      const auto& boss = w.bosses[k];
      switch (action) {
        case 0:
        case 1:
        case 2:
        case 9: {  // pay the oldest accepted pending order, twice (a retry)
          auto row = w.db->Read([&](Connection& c) {
            return c.QueryOne(
                "SELECT order_id FROM orders WHERE tenant_id = ? AND status = 'pending' AND "
                "accepted_at IS NOT NULL ORDER BY order_id LIMIT 1",
                {V(boss.tenant_id)});
          });
          if (!row) return "nothing_to_pay";
          std::string paid_on = FormatDate(kZone.LocalDate(w.clock->now()));
          json::object probe{{"amount_fen", 0}, {"bank_reference", "probe"}, {"paid_on", paid_on}};
          auto due = w.billing->ConfirmPayment(w.Operator(), row->integer(0), probe, meta);
          if (due.ok()) return "paid_zero";
          if (due.error().code != "amount_mismatch") return due.error().code;
          json::object body{{"amount_fen", due.error().details.at("due_fen")},
                            {"bank_reference", "bank"},
                            {"paid_on", paid_on}};
          auto paid = w.billing->ConfirmPayment(w.Operator(), row->integer(0), body, meta);
          auto again = w.billing->ConfirmPayment(w.Operator(), row->integer(0), body, meta);
          EXPECT_FALSE(again.ok());
          return paid.ok() ? "paid" : paid.error().code;
        }
        case 3:
        case 4: {
          json::object body;
          switch (pick(6)) {
            case 0:
            case 5:
              body = {{"kind", "renewal"}, {"years", 1 + pick(2)}};
              break;
            case 1:
              body = {{"kind", "seats"}, {"seats", 1 + pick(3)}};
              break;
            case 2:
              body = {{"kind", "storage"}, {"blocks", 1 + pick(2)}};
              break;
            case 3:
              body = {{"kind", "sms"}, {"pack", "sms-1000"}};
              break;
            default:
              body = {{"kind", "fax"}, {"pack", "fax-100"}};
          }
          // Sometimes the same order twice, as a double click would.
          int copies = pick(4) == 0 ? 2 : 1;
          std::string outcome;
          for (int i = 0; i < copies; ++i) {
            auto placed = w.billing->PlaceOrder(boss, body, meta);
            if (!placed.ok()) return placed.error().code;
            auto acc = w.billing->AcceptOrder(boss, placed->at("id").as_int64(), meta);
            outcome = acc.ok() ? "ordered" : acc.error().code;
          }
          return outcome;
        }
        case 5: {
          auto r = w.billing->ReduceSeats(boss, json::object{{"seats", 1}}, meta);
          return r.ok() ? "reduced" : r.error().code;
        }
        case 6: {
          auto r = w.billing->GiveNonRenewalNotice(boss, meta);
          return r.ok() ? "non_renewal" : r.error().code;
        }
        case 7: {
          if (pick(4) != 0) {
            // Spend points (an SMS campaign or a fax): only while active, oldest lot first.
            std::int64_t n = 1 + pick(700);
            bool active = w.db->Read([&](Connection& c) {
              return c.QueryOne("SELECT state FROM tenants WHERE tenant_id = ?",
                                {V(boss.tenant_id)})
                         ->text(0) == "active";
            });
            const char* kind = pick(3) ? "sms" : "fax";
            auto r = w.db->Write([&](Connection& c) {
              return w.billing->SpendPoints(c, boss.tenant_id, kind, n, "campaign", w.clock->now());
            });
            if (r.ok() && !active) ADD_FAILURE() << "points spent while not active";
            return r.ok() ? "spent" : r.error().code;
          }
          auto r = w.billing->TerminateForBreach(
              w.Operator(), boss.tenant_id, json::object{{"reason", "property test breach"}}, meta);
          return r.ok() ? "breach" : r.error().code;
        }
        case 8: {
          if (pick(2) == 0) {
            auto r = w.billing->RequestExport(boss, meta);
            return r.ok() ? "exported" : r.error().code;
          }
          auto r = w.billing->PurgeNow(w.Operator(), boss.tenant_id, meta);
          return r.ok() ? "purged" : r.error().code;
        }
        default:
          return "unreachable";
      }
    };
    // Both worlds draw the same random numbers: replay the generator for B.
    auto saved = rng;
    std::string ra = act(a);
    auto after_a = rng;
    rng = saved;
    std::string rb = act(b);
    ASSERT_EQ(ra, rb) << "step " << step << ": the worlds answered differently";
    ASSERT_EQ(rng, after_a);
    if (ra == "paid" || ra == "ordered" || ra == "signed_up") ++accepted;
    ++outcomes[ra];
    auto bad = CheckInvariants(a, seats_seen);
    ASSERT_TRUE(bad.empty()) << "step " << step << " (" << ra << "): " << bad.front();
  }
  // Run both to the same final moment, far enough for every pending deadline to pass.
  Timestamp end = a.clock->now() + std::chrono::hours(24 * 400);
  while (a.clock->now() < end) a.MoveTo(std::min(end, a.clock->now() + std::chrono::hours(24 * 9)));
  b.MoveTo(end);
  auto bad = CheckInvariants(a, seats_seen);
  ASSERT_TRUE(bad.empty()) << bad.front();
  EXPECT_EQ(a.Snapshot(), b.Snapshot());
  EXPECT_GT(accepted, steps / 10) << "the sequence did too little to test anything";
  std::string summary;
  for (const auto& [what, n] : outcomes) summary += fmt::format(" {}={}", what, n);
  std::printf("seed %u, %d steps:%s\n", seed, steps, summary.c_str());
}

}  // namespace
}  // namespace kelu::billing
