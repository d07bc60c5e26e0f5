// make bench: a bulk SMS send to N contacts through the log gateway — the send (recipients
// listed through the CRM's scoped list, rendered, checked, points held, messages stored) and
// the dispatch (every message handed to the gateway, points charged) — beside storing the same
// N message rows with plain INSERTs in one transaction, on the same database. Peak RSS is
// reported beside the RSS before the send. Prints one JSON object.
//
//   kelu_bench_sms --db URL --recipients N
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "billing/service.hpp"
#include "crm/service.hpp"
#include "messaging/service.hpp"
#include "storage/migrations.hpp"

using namespace kelu;

namespace {

// The resident set now, in KiB (from /proc), and the peak so far.
long RssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
  }
  return 0;
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int Fail(const Error& e) {
  std::fprintf(stderr, "%s: %s\n", e.code.c_str(), e.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int recipients = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--db") == 0) url = argv[i + 1];
    if (std::strcmp(argv[i], "--recipients") == 0) recipients = std::atoi(argv[i + 1]);
  }
  if (url.empty()) {
    std::fprintf(stderr, "usage: kelu_bench_sms --db URL --recipients N\n");
    return 2;
  }
  Zone zone = Zone::Shanghai();
  Timestamp start = *ParseRfc3339("2026-06-01T10:00:00+08:00");
  ManualClock clock(start);
  auto db = storage::Database::Open(url, 4, 10000);
  if (auto m = storage::Migrate(*db, start); !m.ok()) return Fail(m.error());
  Config config;
  config.files.dir = "/tmp/kelu-bench-sms-files";
  config.sms.max_recipients = std::max(recipients, 1);
  identity::IdentityService ids(*db, config.security, zone);
  billing::BillingService billing(*db, ids, config, zone, WorkCalendar::WithShippedYears());
  if (auto s = billing.Start(start); !s.ok()) return Fail(s.error());
  crm::CrmService crm(*db, ids, config.files.dir, config.server.render_cache_bytes());
  auto gateway = messaging::MakeSmsGateway(config.sms);
  messaging::MessagingService sms(*db, billing, crm, *gateway, config, clock, zone);
  identity::RequestMeta meta{"127.0.0.1", "bench", "bench", start};
  identity::Principal op;
  op.kind = identity::PrincipalKind::kOperator;
  op.operator_id = 1;
  op.name = "bench";

  // A tenant, paid and active, with enough points for everyone.
  auto signed_up =
      billing.SignUp(json::object{{"company", "压测科技有限公司"},
                                  {"slug", "bench"},
                                  {"plan", "standard"},
                                  {"seats", 5},
                                  {"years", 1},
                                  {"boss", json::object{{"name", "老板"},
                                                        {"login", "boss"},
                                                        {"email", "boss@bench.example"},
                                                        {"mobile", "13800000000"},
                                                        {"password", "Bench-pass-2026"}}}},
                     meta);
  if (!signed_up.ok()) return Fail(signed_up.error());
  identity::Principal boss;
  boss.kind = identity::PrincipalKind::kUser;
  boss.role = identity::Role::kBoss;
  boss.tenant_id = signed_up->at("tenant").as_object().at("id").as_int64();
  boss.user_id = signed_up->at("tenant").as_object().at("boss").as_object().at("id").as_int64();
  boss.tenant_slug = "bench";
  boss.name = "老板";
  auto pay = [&](const json::object& order) {
    return billing.ConfirmPayment(
        op, order.at("id").as_int64(),
        json::object{{"amount_fen", order.at("total_fen")},
                     {"bank_reference", fmt::format("B{}", order.at("id").as_int64())},
                     {"paid_on", "2026-06-01"}},
        meta);
  };
  if (auto p = pay(signed_up->at("order").as_object()); !p.ok()) return Fail(p.error());
  auto pack = billing.PlaceOrder(
      boss,
      json::object{{"kind", "sms"}, {"pack", "sms-10000"}, {"quantity", recipients / 10000 + 1}},
      meta);
  if (!pack.ok()) return Fail(pack.error());
  if (auto a = billing.AcceptOrder(boss, pack->at("id").as_int64(), meta); !a.ok()) {
    return Fail(a.error());
  }
  if (auto p = pay(*pack); !p.ok()) return Fail(p.error());

  // The approved signature, one customer and its N contacts.
  auto customer = crm.CreateCustomer(boss, json::object{{"name", "压测客户"}}, meta);
  if (!customer.ok()) return Fail(customer.error());
  std::int64_t customer_id = customer->at("id").as_int64();
  db->Write([&](storage::Connection& c) {
    c.Exec(
        "INSERT INTO sms_signatures (tenant_id, signature, status, requested_at, requested_by, "
        "decided_at, decided_by) VALUES (?, '客录', 'approved', ?, ?, ?, 1)",
        {storage::V(boss.tenant_id), storage::V(ToMicros(start)), storage::V(boss.user_id),
         storage::V(ToMicros(start))});
    c.ReserveIds(recipients);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(recipients));
    for (auto& id : ids) id = c.NextId();
    c.CopyIn(
        "contacts",
        {"tenant_id", "contact_id", "customer_id", "name", "mobile", "created_at", "updated_at"},
        [&](const storage::Connection::RowSink& sink) {
          for (int i = 0; i < recipients; ++i) {
            sink(storage::Row({boss.tenant_id, ids[static_cast<std::size_t>(i)], customer_id,
                               fmt::format("联系人{}", i), fmt::format("139{:08d}", i),
                               ToMicros(start), ToMicros(start)}));
          }
        });
  });

  // Baseline: the same number of message rows stored with plain INSERTs in one transaction.
  db->Write([&](storage::Connection& c) {
    c.ExecScript(
        "CREATE TABLE bench_messages (tenant_id BIGINT NOT NULL, message_id BIGINT NOT NULL, "
        "phone TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY "
        "(tenant_id, message_id))");
  });
  auto t0 = std::chrono::steady_clock::now();
  db->Write([&](storage::Connection& c) {
    for (int i = 0; i < recipients; ++i) {
      c.Exec(
          "INSERT INTO bench_messages (tenant_id, message_id, phone, content, status) VALUES (?, "
          "?, ?, ?, 'queued')",
          {storage::V(boss.tenant_id), storage::V(std::int64_t{i}),
           storage::V(fmt::format("139{:08d}", i)),
           storage::V(fmt::format("【客录】联系人{}您好，您的订单已发货。", i))});
    }
  });
  double baseline = Since(t0);

  long rss_before = RssKib();
  auto t1 = std::chrono::steady_clock::now();
  auto sent = sms.Send(
      boss,
      json::object{
          {"type", "notification"},
          {"text", "{联系人}您好，您的订单已发货。"},
          {"to",
           json::object{
               {"filter", json::object{{"entity", "contacts"},
                                       {"query", json::object{{"customer_id",
                                                               std::to_string(customer_id)}}}}}}}},
      meta);
  if (!sent.ok()) return Fail(sent.error());
  double submit = Since(t1);
  auto t2 = std::chrono::steady_clock::now();
  int dispatched = sms.DispatchDue();
  double dispatch = Since(t2);
  long peak = PeakRssKib();
  auto batch = sms.Batch(boss, sent->at("id").as_int64());
  if (!batch.ok()) return Fail(batch.error());
  std::int64_t accepted = batch->at("counts").as_object().at("accepted").as_int64();
  if (accepted != recipients || dispatched != recipients) {
    std::fprintf(stderr, "accepted %lld, dispatched %d of %d\n", static_cast<long long>(accepted),
                 dispatched, recipients);
    return 1;
  }
  std::printf(
      "{\"recipients\": %d, \"submit_seconds\": %.3f, \"dispatch_seconds\": %.3f, "
      "\"total_seconds\": %.3f, \"insert_baseline_seconds\": %.3f, \"rss_before_mib\": %.1f, "
      "\"peak_rss_mib\": %.1f}\n",
      recipients, submit, dispatch, submit + dispatch, baseline,
      static_cast<double>(rss_before) / 1024.0, static_cast<double>(peak) / 1024.0);
  return 0;
}
