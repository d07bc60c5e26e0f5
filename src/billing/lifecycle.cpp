// The tenant lifecycle run daily on the injected clock, the operator's breach termination and
// purge, the notice register and the tenant's timeline, and calendar years.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <unordered_set>

#include "billing/internal.hpp"
#include "core/files.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"
#include "notices/outbox.hpp"
#include "storage/schema_check.hpp"

namespace kelu::billing {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

// What a purge keeps: the billing records (orders, invoices, payments, the ledger, activations,
// point lots), the notice register, the tenant's timeline, and the tenant row as a tombstone.
const std::unordered_set<std::string> kKeptAtPurge = {
    "tenants",       "orders",       "order_lines",    "invoices",
    "invoice_lines", "payments",     "ledger_entries", "activations",
    "point_lots",    "point_spends", "notices",        "tenant_events"};

}  // namespace

void BillingService::RecordEvent(Connection& c, std::int64_t tenant_id, Timestamp at,
                                 const std::string& kind, const json::object& detail) {
  c.Exec("INSERT INTO tenant_events (tenant_id, event_id, at, kind, detail) VALUES (?, ?, ?, ?, ?)",
         {V(tenant_id), V(c.NextId()), V(ToMicros(at)), V(kind), V(ToJson(detail))});
}

void BillingService::RecordNotice(Connection& c, std::int64_t tenant_id, const std::string& kind,
                                  const std::string& dedupe_key, const std::string& subject,
                                  const std::string& body, Timestamp at,
                                  const std::string* contact_email) {
  // In-app announcement to the tenant: deemed delivered when published (§19).
  Timestamp deemed = DeemedDelivery(terms_, Channel::kAnnouncement, at);
  auto inserted = c.Exec(
      "INSERT INTO notices (tenant_id, notice_id, kind, channel, recipient, subject, body, "
      "sent_at, deemed_at, evidence, dedupe_key, recorded_by) "
      "VALUES (?, ?, ?, 'announcement', 'tenant', ?, ?, ?, ?, 'published in the app', ?, NULL) "
      "ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
      {V(tenant_id), V(c.NextId()), V(kind), V(subject), V(body), V(ToMicros(at)),
       V(ToMicros(deemed)), V(dedupe_key)});
  // The same notice by email to the tenant's contact, entered in the register once delivered.
  if (inserted == 0) return;
  std::string email;
  if (contact_email) {
    email = *contact_email;
  } else if (auto row = c.QueryOne("SELECT contact_email FROM tenants WHERE tenant_id = ?",
                                   {V(tenant_id)})) {
    email = row->opt_text(0).value_or("");
  }
  if (email.find('@') != std::string::npos) {
    notices::Enqueue(c, {email, subject, body, tenant_id, kind, dedupe_key}, at);
  }
}

json::object BillingService::PurgeData(Connection& c, std::int64_t tenant_id) {
  json::object counts;
  counts["attachment_bytes"] = c.QueryInt(
      "SELECT coalesce(sum(size_bytes), 0) FROM attachments WHERE tenant_id = ?", {V(tenant_id)});
  std::error_code ec;
  std::uintmax_t removed = 0;
  if (auto dir = PathUnder(files_dir_, {"exports", std::to_string(tenant_id)}); dir.ok()) {
    removed = std::filesystem::remove_all(*dir, ec);
  }
  if (removed > 0) counts["export_files"] = static_cast<std::int64_t>(removed);
  if (blobs_.remove_tenant) {
    if (auto files = blobs_.remove_tenant(tenant_id); files > 0) counts["attachment_files"] = files;
  }
  for (const auto& table : storage::TenantTablesChildrenFirst(c)) {
    if (kKeptAtPurge.contains(table)) continue;
    auto n = c.Exec(fmt::format("DELETE FROM {} WHERE tenant_id = ?", table), {V(tenant_id)});
    if (n > 0) counts[table] = n;
  }
  c.Exec(
      "UPDATE tenants SET contact_email = NULL, contact_mobile = NULL, packages = '[]' "
      "WHERE tenant_id = ?",
      {V(tenant_id)});
  return counts;
}

void BillingService::StepLifecycle(Connection& c, const Tenant& t, const Transition& step) {
  // Each step is dated at the start of its own day, whenever the job gets to it.
  Timestamp at = zone_.At(step.on, std::chrono::minutes{0});
  std::int64_t now = ToMicros(at);
  std::string on = FormatDate(step.on);
  switch (step.kind) {
    case Transition::Kind::kSuspend:
      c.Exec("UPDATE tenants SET state = 'suspended', updated_at = ? WHERE tenant_id = ?",
             {V(now), V(t.id)});
      RecordNotice(
          c, t.id, "suspension", "suspension:" + on, "服务已暂停（欠费）",
          fmt::format("服务期已于 {0} 届满且未续费，服务暂停。{1} 日内续费（按日计息）即可恢复；第 "
                      "{1} 日起协议终止。The term ended on {0} without renewal and the service is "
                      "suspended. Renew within {1} days (with daily interest) to resume; on day "
                      "{1} the agreement ends.",
                      on, terms_.termination_day),
          at);
      break;
    case Transition::Kind::kTerminateByTenant:
    case Transition::Kind::kTerminateNonPayment: {
      bool by_tenant = step.kind == Transition::Kind::kTerminateByTenant;
      c.Exec(
          "UPDATE tenants SET state = 'terminated', ending = ?, terminated_on = ?, "
          "updated_at = ? WHERE tenant_id = ?",
          {V(by_tenant ? "by_tenant" : "non_payment"), V(on), V(now), V(t.id)});
      Date purge = PurgeDate(terms_, step.on);
      RecordNotice(
          c, t.id, "termination", "termination:" + on, "协议已终止",
          fmt::format("协议已于 {0} 终止（{1}）。{2} 日内可申请导出数据；{3} 将删除全部数据。The "
                      "agreement ended on {0} ({4}). You may request your data export within {2} "
                      "days; all data will be deleted on {3}.",
                      on, by_tenant ? "不续约" : "欠费", terms_.export_window_days,
                      FormatDate(purge), by_tenant ? "non-renewal" : "non-payment"),
          at);
      break;
    }
    case Transition::Kind::kForfeitPoints: {
      c.Exec("UPDATE tenants SET points_forfeited_at = ? WHERE tenant_id = ?", {V(now), V(t.id)});
      auto n = c.QueryInt(
          "SELECT coalesce(sum(remaining), 0) FROM point_lots WHERE tenant_id = ? AND "
          "forfeited_at IS NULL",
          {V(t.id)});
      c.Exec("UPDATE point_lots SET forfeited_at = ? WHERE tenant_id = ? AND forfeited_at IS NULL",
             {V(now), V(t.id)});
      RecordEvent(c, t.id, at, "points.forfeited", json::object{{"points", n}, {"on", on}});
      break;
    }
    case Transition::Kind::kPurge: {
      json::object counts = PurgeData(c, t.id);
      c.Exec(
          "UPDATE tenants SET state = 'purged', purged_at = ?, updated_at = ? WHERE tenant_id = ?",
          {V(now), V(now), V(t.id)});
      RecordEvent(c, t.id, at, "purged",
                  json::object{{"on", on}, {"by", "schedule"}, {"deleted", std::move(counts)}});
      break;
    }
  }
  RecordEvent(c, t.id, at, std::string("lifecycle.") + std::string(TransitionName(step.kind)),
              json::object{{"on", on}});
}

Status BillingService::RunLifecycle(Timestamp now) {
  Date today = zone_.LocalDate(now);
  // Archives past their download window are deleted.
  auto expired = db_.Read([&](Connection& c) {
    return c
        .Query(
            "SELECT tenant_id, export_id, file_path FROM data_exports WHERE status = "
            "'ready' AND expires_at <= ?",
            {V(ToMicros(now))})
        .rows;
  });
  for (const auto& e : expired) {
    std::error_code ec;
    std::filesystem::remove(e.text(2), ec);
    db_.Write([&](Connection& c) {
      c.Exec(
          "UPDATE data_exports SET status = 'expired', file_path = NULL WHERE tenant_id = ? "
          "AND export_id = ?",
          {V(e.integer(0)), V(e.integer(1))});
    });
  }
  auto rows = db_.Read([&](Connection& c) {
    return c
        .Query(fmt::format("SELECT {} FROM tenants WHERE state IN ('active', 'suspended', "
                           "'terminated') AND expiry IS NOT NULL",
                           kTenantColumns))
        .rows;
  });
  // Notices already sent, so each dated notice is written once per term.
  std::unordered_set<std::string> sent;
  db_.Read([&](Connection& c) {
    c.ForEach("SELECT tenant_id, dedupe_key FROM notices WHERE sent_at >= ?",
              {V(ToMicros(now) - std::int64_t{200} * 24 * 3600 * 1000000)},
              [&](const Row& r) { sent.insert(fmt::format("{}:{}", r.integer(0), r.text(1))); });
  });
  Status result = OkStatus();
  int calendar_missing = 0;
  std::string missing_message;
  struct Due {
    std::string kind, key, subject, body;
  };
  auto prices = db_.Read([&](Connection& c) { return LoadPriceList(c, nullptr); });
  struct Work {
    Tenant t;
    std::vector<Transition> steps;
    std::vector<Due> notices;
    bool seats_roll = false;
  };
  std::vector<Work> work;
  for (const auto& row : rows) {
    Tenant t = Tenant::FromRow(row);
    Lifecycle lc = t.lifecycle();
    std::vector<Transition> steps;
    for (Lifecycle probe = lc; auto step = NextTransition(terms_, probe, today);) {
      steps.push_back(*step);
      probe = Apply(probe, *step);
    }
    std::vector<Due> notices;
    Lifecycle after = lc;
    for (const auto& s : steps) after = Apply(after, s);
    if (after.state == State::kActive && t.expiry && DaysBetween(today, *t.expiry) > 0) {
      std::string expiry = FormatDate(*t.expiry);
      auto notice_date = RenewalNoticeDate(*calendar_, *t.expiry);
      if (!notice_date.ok()) {
        ++calendar_missing;
        missing_message = notice_date.error().message;
      } else if (!t.non_renewal && DaysBetween(*notice_date, today) >= 0 &&
                 !sent.contains(fmt::format("{}:renewal_notice:{}", t.id, expiry))) {
        // §9: the notice states the amount (one year at today's prices and promotions).
        std::string amount = "—";
        if (prices.ok() && t.plan) {
          auto lines =
              PriceTerm(*prices, terms_, t.RenewalGroup(*prices), 1, t.blocks, true, today);
          if (lines.ok()) amount = FormatYuan(Total(*lines));
        }
        notices.push_back(
            {"renewal_notice", "renewal_notice:" + expiry, "续费通知",
             fmt::format("您的服务将于 {0} 到期，续费一年金额 {2} 元，请于 {1} 前付款。The "
                         "service expires on {0}; renewing for one year costs {2} yuan, to be "
                         "paid by {1}.",
                         expiry, FormatDate(RenewalDeadline(terms_, *t.expiry)), amount)});
      }
      Date deadline = RenewalDeadline(terms_, *t.expiry);
      if (!t.non_renewal && DaysBetween(deadline, today) >= 0) {
        notices.push_back({"renewal_deadline", "renewal_deadline:" + expiry, "续费截止提醒",
                           fmt::format("今天是续费截止日，服务将于 {0} 到期。Today is the renewal "
                                       "deadline; the service expires on {0}.",
                                       expiry)});
      }
      Date last = AddDays(*t.expiry, -terms_.expiry_reminder_days);
      if (!t.non_renewal && DaysBetween(last, today) >= 0) {
        notices.push_back(
            {"expiry_reminder", "expiry_reminder:" + expiry, "到期提醒",
             fmt::format("服务将于 {0} 到期，未续费将暂停服务。The service expires on "
                         "{0} and will be suspended unless renewed.",
                         expiry)});
      }
    }
    if (after.state == State::kTerminated && after.terminated_on) {
      Date purge = PurgeDate(terms_, *after.terminated_on);
      Date warn = AddDays(purge, -terms_.purge_warning_days);
      if (DaysBetween(warn, today) >= 0 && DaysBetween(today, purge) > 0) {
        notices.push_back({"purge_warning", "purge_warning:" + FormatDate(purge), "数据删除预告",
                           fmt::format("您的全部数据将于 {0} 删除。All your data will be deleted "
                                       "on {0}.",
                                       FormatDate(purge))});
      }
    }
    std::erase_if(notices,
                  [&](const Due& d) { return sent.contains(fmt::format("{}:{}", t.id, d.key)); });
    bool seats_roll = t.next_seats && t.next_seats_from && after.state == State::kActive &&
                      t.expiry && DaysBetween(*t.next_seats_from, today) >= 0 &&
                      DaysBetween(*t.next_seats_from, *t.expiry) > 0;
    if (steps.empty() && notices.empty() && !seats_roll) continue;
    work.push_back({std::move(t), std::move(steps), std::move(notices), seats_roll});
  }
  // The writes go in transactions of many tenants each (one round trip per statement instead of
  // per transaction as well): a day with thousands of notices stays a few transactions.
  constexpr std::size_t kBatch = 256;
  for (std::size_t from = 0; from < work.size(); from += kBatch) {
    std::size_t to = std::min(work.size(), from + kBatch);
    auto status = db_.Write([&](Connection& c) -> Status {
      // Ids for the notices, mails and events below, fetched at once (PostgreSQL).
      int ids = 0;
      for (std::size_t i = from; i < to; ++i) {
        ids += static_cast<int>(work[i].notices.size() * 3 + work[i].steps.size() * 4 + 1);
      }
      c.ReserveIds(ids);
      for (std::size_t i = from; i < to; ++i) {
        const Work& w = work[i];
        for (const auto& s : w.steps) StepLifecycle(c, w.t, s);
        for (const auto& n : w.notices) {
          RecordNotice(c, w.t.id, n.kind, n.key, n.subject, n.body, now, &w.t.contact_email);
        }
        if (w.seats_roll) {
          c.Exec(
              "UPDATE tenants SET seats = next_seats, next_seats = NULL, next_seats_from = NULL "
              "WHERE tenant_id = ?",
              {V(w.t.id)});
          RecordEvent(c, w.t.id, now, "seats.reduced", json::object{{"seats", *w.t.next_seats}});
        }
      }
      return OkStatus();
    });
    if (!status.ok()) result = status;
  }
  if (calendar_missing > 0) {
    // Never a guess: the notice waits until the operator loads the year.
    spdlog::warn("renewal notices of {} tenants wait for the calendar: {}", calendar_missing,
                 missing_message);
  }
  return result;
}

Result<json::object> BillingService::TerminateForBreach(const Principal& op, std::int64_t tenant_id,
                                                        const json::object& body,
                                                        const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"reason"});
  auto reason = f.String("reason", true, 5, 2000);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, tenant_id);
    if (!t) return Error::NotFound("tenant");
    if (t->state == "terminated" || t->state == "purged") {
      return Error::Conflict("tenant_terminated", "This agreement has ended already.");
    }
    Date today = zone_.LocalDate(meta.now);
    std::string on = FormatDate(today);
    std::int64_t now = ToMicros(meta.now);
    c.Exec(
        "UPDATE tenants SET state = 'terminated', ending = 'breach', termination_reason = ?, "
        "terminated_on = ?, points_forfeited_at = ?, updated_at = ? WHERE tenant_id = ?",
        {V(*reason), V(on), V(now), V(now), V(tenant_id)});
    c.Exec("UPDATE point_lots SET forfeited_at = ? WHERE tenant_id = ? AND forfeited_at IS NULL",
           {V(now), V(tenant_id)});
    Date purge = PurgeDate(terms_, today);
    RecordNotice(c, tenant_id, "termination", "termination:" + on, "协议因违约终止",
                 fmt::format("因违约（{0}），协议于 {1} 终止；剩余短信点数不予退还，数据将于 {2} "
                             "删除。The agreement is terminated for breach ({0}) on {1}; remaining "
                             "points are forfeited and the data will be deleted on {2}.",
                             *reason, on, FormatDate(purge)),
                 meta.now);
    json::object detail{{"reason", *reason}, {"on", on}, {"purge_on", FormatDate(purge)}};
    RecordEvent(c, tenant_id, meta.now, "lifecycle.terminate_breach", detail);
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"tenant.terminate_breach", "tenant", std::to_string(tenant_id),
                                   json::object{{"state", t->state}}, detail},
                                  tenant_id);
    return json::object{{"id", tenant_id},
                        {"state", "terminated"},
                        {"ending", "breach"},
                        {"terminated_on", on},
                        {"purge_on", FormatDate(purge)}};
  });
}

Result<json::object> BillingService::PurgeNow(const Principal& op, std::int64_t tenant_id,
                                              const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, tenant_id);
    if (!t) return Error::NotFound("tenant");
    Date today = zone_.LocalDate(meta.now);
    if (!ManualPurgeAllowed(terms_, t->lifecycle(), today)) {
      return Error::Conflict(
          "purge_not_allowed",
          fmt::format("合同第十条：只有欠费终止且欠费满 {0} 日的租户可以提前删除数据。Only a "
                      "tenant terminated for non-payment may be purged by hand, from day {0} "
                      "after expiry.",
                      terms_.points_forfeit_day));
    }
    json::object counts = PurgeData(c, tenant_id);
    std::int64_t now = ToMicros(meta.now);
    c.Exec("UPDATE tenants SET state = 'purged', purged_at = ?, updated_at = ? WHERE tenant_id = ?",
           {V(now), V(now), V(tenant_id)});
    json::object report{{"on", FormatDate(today)}, {"by", "operator"}, {"deleted", counts}};
    RecordEvent(c, tenant_id, meta.now, "purged", report);
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"tenant.purge", "tenant", std::to_string(tenant_id), {}, report},
                                  tenant_id);
    return json::object{{"id", tenant_id}, {"state", "purged"}, {"report", std::move(report)}};
  });
}

Result<json::object> BillingService::Purges(const Principal&, Timestamp now) {
  Date today = zone_.LocalDate(now);
  return db_.Read([&](Connection& c) -> Result<json::object> {
    json::array upcoming;
    for (const auto& r : c.Query(fmt::format("SELECT {} FROM tenants WHERE state = 'terminated' "
                                             "ORDER BY terminated_on, tenant_id",
                                             kTenantColumns))
                             .rows) {
      Tenant t = Tenant::FromRow(r);
      if (!t.terminated_on) continue;
      upcoming.push_back(
          json::object{{"tenant_id", t.id},
                       {"slug", t.slug},
                       {"ending", t.ending},
                       {"terminated_on", FormatDate(*t.terminated_on)},
                       {"purge_on", FormatDate(PurgeDate(terms_, *t.terminated_on))},
                       {"manual_purge_allowed", ManualPurgeAllowed(terms_, t.lifecycle(), today)}});
    }
    json::array done;
    for (const auto& r : c.Query("SELECT t.tenant_id, t.slug, t.purged_at, e.detail FROM tenants t "
                                 "JOIN tenant_events e ON e.tenant_id = t.tenant_id AND e.kind = "
                                 "'purged' WHERE t.state = 'purged' ORDER BY t.purged_at DESC "
                                 "LIMIT 200")
                             .rows) {
      done.push_back(json::object{{"tenant_id", r.integer(0)},
                                  {"slug", r.text(1)},
                                  {"purged_at", Format(FromMicros(r.integer(2)))},
                                  {"report", ParseJson(r.text(3)).value_or(json::object{})}});
    }
    return json::object{{"upcoming", std::move(upcoming)}, {"done", std::move(done)}};
  });
}

Result<json::object> BillingService::TenantTimeline(const Principal&, std::int64_t tenant_id,
                                                    const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    if (!LoadTenant(c, tenant_id)) return Error::NotFound("tenant");
    auto rows = c.Query(
        "SELECT event_id, at, kind, detail FROM tenant_events WHERE tenant_id = ? AND "
        "event_id < ? ORDER BY event_id DESC LIMIT ?",
        {V(tenant_id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) {
      return json::object{{"id", r.integer(0)},
                          {"at", Format(FromMicros(r.integer(1)))},
                          {"kind", r.text(2)},
                          {"detail", ParseJson(r.text(3)).value_or(json::object{})}};
    });
  });
}

namespace {

json::object NoticeView(const Row& r, const Zone& zone) {
  return json::object{{"id", r.integer(0)},
                      {"kind", r.text(1)},
                      {"channel", r.text(2)},
                      {"recipient", r.text(3)},
                      {"subject", r.text(4)},
                      {"body", r.text(5)},
                      {"sent_at", FormatRfc3339(FromMicros(r.integer(6)), zone)},
                      {"deemed_delivered_at", FormatRfc3339(FromMicros(r.integer(7)), zone)},
                      {"evidence", r.text(8)}};
}

constexpr const char* kNoticeSelect =
    "SELECT notice_id, kind, channel, recipient, subject, body, sent_at, deemed_at, evidence "
    "FROM notices WHERE tenant_id = ? AND notice_id < ? ORDER BY notice_id DESC LIMIT ?";

}  // namespace

Result<json::object> BillingService::ListNotices(const Principal& who, const Page& page) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return TenantNotices(who, who.tenant_id, page);
}

Result<json::object> BillingService::TenantNotices(const Principal&, std::int64_t tenant_id,
                                                   const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    if (!LoadTenant(c, tenant_id)) return Error::NotFound("tenant");
    auto rows =
        c.Query(kNoticeSelect, {V(tenant_id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) { return NoticeView(r, zone_); });
  });
}

Result<json::object> BillingService::Calendar(const Principal&) {
  json::array years;
  for (int y : calendar_->years()) years.push_back(y);
  return json::object{{"years", std::move(years)}};
}

Result<json::object> BillingService::LoadCalendarYear(const Principal& op, const json::object& body,
                                                      const RequestMeta& meta) {
  std::string text = ToJson(body);
  auto year = calendar_->LoadYear(text);
  if (!year.ok()) return std::move(year).error();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    c.Exec("DELETE FROM calendar_years WHERE year = ?", {V(*year)});
    c.Exec("INSERT INTO calendar_years (year, document, loaded_at, loaded_by) VALUES (?, ?, ?, ?)",
           {V(*year), V(text), V(ToMicros(meta.now)), V(op.operator_id)});
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"calendar.load", "calendar_year", std::to_string(*year), {}, {}},
                                  0);
    json::array years;
    for (int y : calendar_->years()) years.push_back(y);
    return json::object{{"year", *year}, {"years", std::move(years)}};
  });
}

}  // namespace kelu::billing
