// Payment confirmation, invoices and the ledger, activation and its SLA, and the boss's views of
// the subscription, points and ledger; the operator's revenue report.
#include <fmt/format.h>

#include <array>
#include <map>
#include <set>

#include "billing/internal.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"

namespace kelu::billing {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

constexpr std::int64_t kMaxFen = 100'000'000'000;

Error Stale() {
  return Error::Conflict("order_stale",
                         "The subscription's term changed after this order was placed (another "
                         "renewal was paid): place a new order.");
}

std::string_view ActivationKind(std::string_view order_kind) {
  if (order_kind == "subscription") return "new";
  return order_kind;
}

}  // namespace

Result<json::object> BillingService::ConfirmPayment(const Principal& op, std::int64_t order_id,
                                                    const json::object& body,
                                                    const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"amount_fen", "bank_reference", "paid_on"});
  auto amount = f.Int("amount_fen", true, 0, kMaxFen);
  auto reference = f.String("bank_reference", true, 1, 100);
  auto paid_text = f.String("paid_on", true, 10, 10);
  std::optional<Date> paid_on = paid_text ? ParseDate(*paid_text) : std::nullopt;
  Date today = zone_.LocalDate(meta.now);
  if (paid_text && !paid_on) f.Fail("paid_on", "must be YYYY-MM-DD");
  if (paid_on && DaysBetween(today, *paid_on) > 0) f.Fail("paid_on", "must not be in the future");
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto order = c.QueryOne(
        "SELECT tenant_id, kind, status, accepted_at, total_fen, term_start, term_end, number, "
        "created_at FROM orders WHERE order_id = ?",
        {V(order_id)});
    if (!order) return Error::NotFound("order");
    std::int64_t tenant_id = order->integer(0);
    std::string kind = order->text(1);
    if (order->text(2) == "paid") {
      return Error::Conflict("order_already_paid", "This order has been paid already.");
    }
    if (order->text(2) != "pending") {
      return Error::Conflict("order_cancelled", "This order was cancelled.");
    }
    if (order->is_null(3)) {
      return Error::Conflict("order_not_accepted",
                             "The tenant has not accepted this order yet; it cannot be paid.");
    }
    if (DaysBetween(zone_.LocalDate(FromMicros(order->integer(8))), *paid_on) < 0) {
      return FieldError("paid_on", "must not be before the order was placed");
    }
    auto t = LoadTenant(c, tenant_id);
    Lifecycle lc = t->lifecycle();
    std::vector<Line> lines;
    for (const auto& l :
         c.Query("SELECT code, description, quantity, unit_fen, amount_fen FROM order_lines "
                 "WHERE tenant_id = ? AND order_id = ? ORDER BY line_no",
                 {V(tenant_id), V(order_id)})
             .rows) {
      lines.push_back({l.text(0), l.text(1), l.integer(2), l.integer(3), l.integer(4)});
    }
    Fen base = order->integer(4);
    json::object due_view{{"order_total_fen", base}};
    if (kind == "subscription") {
      if (lc.state != State::kOrdered) return Stale();
    } else if (kind == "renewal") {
      KELU_RETURN_IF_ERROR(CheckRenewable(lc));
      if (!t->expiry || order->opt_text(5) != FormatDate(*t->expiry)) return Stale();
      auto due = RenewalAmountDue(terms_, base, *t->expiry, *paid_on);
      if (!due.ok()) return std::move(due).error();
      if (due->interest > 0) {
        lines.push_back({"late_interest",
                         fmt::format("逾期利息：{} 元 × 1.5% / 30 日 × {} 日", FormatYuan(base),
                                     due->days_late),
                         due->days_late, 0, due->interest});
      }
      if (due->reconnection_fee > 0) {
        lines.push_back(
            {"reconnection_fee", "恢复连接费", 1, due->reconnection_fee, due->reconnection_fee});
      }
      if (due->reopening_fee > 0) {
        lines.push_back({"reopening_fee", "重新开通费（欠费第 30–59 日）", 1, due->reopening_fee,
                         due->reopening_fee});
      }
      due_view["days_late"] = due->days_late;
      due_view["interest_fen"] = due->interest;
      due_view["fee_fen"] = due->reconnection_fee + due->reopening_fee;
      due_view["reopening"] = due->reopening;
    } else if (kind == "seats" || kind == "storage") {
      if (lc.state != State::kActive) {
        return Error::Conflict("tenant_suspended",
                               "Seats and storage open only on an active subscription.");
      }
      if (!t->expiry || order->opt_text(6) != FormatDate(*t->expiry)) return Stale();
    } else if (lc.state == State::kPurged || lc.state == State::kTerminated) {
      return Error::Conflict("tenant_terminated", "This agreement has ended.");
    }
    Fen due_total = Total(lines);
    due_view["due_fen"] = due_total;
    if (*amount != due_total) {
      due_view["amount_fen"] = *amount;
      return Error::Make(
          ErrorKind::kInvalid, "amount_mismatch",
          fmt::format("The payment of {} yuan does not match the {} yuan due on {} for order {}.",
                      FormatYuan(*amount), FormatYuan(due_total), FormatDate(*paid_on),
                      order->text(7)),
          std::move(due_view));
    }
    std::int64_t now = ToMicros(meta.now);
    std::int64_t invoice_id = c.NextId();
    std::string invoice_number = NextNumber(c, "INV", static_cast<int>(today.year()));
    c.Exec(
        "INSERT INTO invoices (tenant_id, invoice_id, number, order_id, total_fen, issued_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(invoice_id), V(invoice_number), V(order_id), V(due_total), V(now)});
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& l = lines[i];
      c.Exec(
          "INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, code, description, "
          "quantity, unit_fen, amount_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {V(tenant_id), V(invoice_id), V(static_cast<std::int64_t>(i + 1)), V(l.code),
           V(l.description), V(l.quantity), V(l.unit_fen), V(l.amount_fen)});
    }
    std::int64_t payment_id = c.NextId();
    c.Exec(
        "INSERT INTO payments (tenant_id, payment_id, order_id, invoice_id, amount_fen, "
        "bank_reference, paid_on, confirmed_at, confirmed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(payment_id), V(order_id), V(invoice_id), V(*amount), V(*reference),
         V(FormatDate(*paid_on)), V(now), V(op.operator_id)});
    c.Exec(
        "INSERT INTO ledger_entries (tenant_id, entry_id, at, kind, document, amount_fen) "
        "VALUES (?, ?, ?, 'invoice', ?, ?), (?, ?, ?, 'payment', ?, ?)",
        {V(tenant_id), V(c.NextId()), V(now), V(invoice_number), V(due_total), V(tenant_id),
         V(c.NextId()), V(now), V(*reference), V(-*amount)});
    c.Exec("UPDATE orders SET status = 'paid', paid_at = ? WHERE tenant_id = ? AND order_id = ?",
           {V(now), V(tenant_id), V(order_id)});

    // Activation: a new subscription or a renewal within the working-day deadline (automatic
    // unless the operator works a queue); add-ons open at once.
    std::string activation_kind(ActivationKind(kind));
    bool main_kind = kind == "subscription" || kind == "renewal";
    int days = kind == "subscription" ? terms_.activation_working_days_new
                                      : terms_.activation_working_days_renewal;
    auto deadline = calendar_->WorkingDayDeadline(meta.now, days, zone_);
    std::optional<std::int64_t> deadline_at;
    std::optional<std::string> deadline_error;
    if (deadline.ok()) {
      deadline_at = ToMicros(*deadline);
    } else {
      deadline_error = deadline.error().message;
      RecordEvent(c, tenant_id, meta.now, "alert.calendar_missing",
                  json::object{{"message", deadline.error().message},
                               {"details", deadline.error().details}});
    }
    std::int64_t activation_id = c.NextId();
    c.Exec(
        "INSERT INTO activations (tenant_id, activation_id, order_id, kind, confirmed_at, "
        "deadline_at, deadline_error, activated_at, activated_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        {V(tenant_id), V(activation_id), V(order_id), V(activation_kind), V(now), V(deadline_at),
         V(deadline_error)});
    if (kind == "renewal") {
      // The paid period is fixed now, contiguous with the old one, whatever the activation.
      c.Exec(
          "UPDATE tenants SET expiry = ?, non_renewal_at = NULL, updated_at = ? "
          "WHERE tenant_id = ?",
          {V(order->text(6)), V(now), V(tenant_id)});
    }
    bool automatic = terms_.activation == "automatic" || !main_kind;
    if (automatic) {
      KELU_RETURN_IF_ERROR(ApplyActivation(c, tenant_id, activation_id, meta.now, "automatic"));
    } else if (kind == "subscription") {
      c.Exec("UPDATE tenants SET state = 'provisioning', updated_at = ? WHERE tenant_id = ?",
             {V(now), V(tenant_id)});
    }
    json::object detail{
        {"order_id", order_id},  {"order", order->text(7)},         {"invoice", invoice_number},
        {"amount_fen", *amount}, {"paid_on", FormatDate(*paid_on)}, {"bank_reference", *reference}};
    RecordEvent(c, tenant_id, meta.now, "payment.confirmed", detail);
    identity::RecordOperatorAudit(
        c, op.operator_id, op.name, meta,
        {"payment.confirm", "order", std::to_string(order_id), {}, detail}, tenant_id);
    auto state =
        c.QueryOne("SELECT state, expiry FROM tenants WHERE tenant_id = ?", {V(tenant_id)});
    json::object out{
        {"order_id", order_id},
        {"payment_id", payment_id},
        {"invoice", json::object{{"id", invoice_id},
                                 {"number", invoice_number},
                                 {"total_fen", due_total},
                                 {"lines", LinesJson(lines)}}},
        {"activation",
         json::object{{"id", activation_id},
                      {"kind", activation_kind},
                      {"deadline_at", deadline_at ? json::value(Format(FromMicros(*deadline_at)))
                                                  : json::value(nullptr)},
                      {"deadline_error", OrNull(deadline_error)},
                      {"activated", automatic}}},
        {"tenant", json::object{{"id", tenant_id},
                                {"state", state->text(0)},
                                {"expiry", OrNull(state->opt_text(1))}}}};
    return out;
  });
}

Status BillingService::ApplyActivation(Connection& c, std::int64_t tenant_id,
                                       std::int64_t activation_id, Timestamp at,
                                       const std::string& by) {
  auto a = c.QueryOne(
      "SELECT a.kind, a.activated_at, o.order_id, o.seats, o.years, o.blocks, o.points, o.kind "
      "FROM activations a JOIN orders o ON o.tenant_id = a.tenant_id AND o.order_id = a.order_id "
      "WHERE a.tenant_id = ? AND a.activation_id = ?",
      {V(tenant_id), V(activation_id)});
  if (!a) return Error::NotFound("activation");
  if (!a->is_null(1)) {
    return Error::Conflict("already_activated", "This activation was done already.");
  }
  auto t = LoadTenant(c, tenant_id);
  Date today = zone_.LocalDate(at);
  std::int64_t now = ToMicros(at);
  std::string kind = a->text(0);
  if (kind == "new") {
    Date start = today;
    Date expiry = AddYears(start, static_cast<int>(a->integer(4)));
    c.Exec(
        "UPDATE tenants SET state = 'active', ending = 'none', term_anchor = ?, expiry = ?, "
        "seats = ?, updated_at = ? WHERE tenant_id = ?",
        {V(FormatDate(start)), V(FormatDate(expiry)), V(a->integer(3)), V(now), V(tenant_id)});
    RecordNotice(c, tenant_id, "activated", "activated:" + FormatDate(start), "服务已开通",
                 fmt::format("您的客录服务已开通，服务期至 {}（不含）。Your Kelu service is open "
                             "until {} (exclusive).",
                             FormatDate(expiry), FormatDate(expiry)),
                 at);
  } else if (kind == "renewal") {
    Lifecycle lc = t->lifecycle();
    bool reopened = lc.state == State::kTerminated;
    if (lc.state != State::kActive) {
      c.Exec(
          "UPDATE tenants SET state = 'active', ending = 'none', terminated_on = NULL, "
          "updated_at = ? WHERE tenant_id = ?",
          {V(now), V(tenant_id)});
      RecordNotice(c, tenant_id, reopened ? "reopened" : "reactivated",
                   fmt::format("{}:{}", reopened ? "reopened" : "reactivated", activation_id),
                   reopened ? "服务已重新开通" : "服务已恢复",
                   fmt::format("续费已到账，服务恢复，服务期至 {}。The renewal is paid and the "
                               "service is open again until {}.",
                               t->expiry ? FormatDate(*t->expiry) : "",
                               t->expiry ? FormatDate(*t->expiry) : ""),
                   at);
    }
    if (t->next_seats && t->next_seats_from && DaysBetween(*t->next_seats_from, today) >= 0) {
      c.Exec(
          "UPDATE tenants SET seats = next_seats, next_seats = NULL, next_seats_from = NULL "
          "WHERE tenant_id = ?",
          {V(tenant_id)});
    }
  } else if (kind == "seats") {
    c.Exec("UPDATE tenants SET seats = seats + ?, updated_at = ? WHERE tenant_id = ?",
           {V(a->integer(3)), V(now), V(tenant_id)});
  } else if (kind == "storage") {
    c.Exec(
        "UPDATE tenants SET storage_blocks = storage_blocks + ?, updated_at = ? "
        "WHERE tenant_id = ?",
        {V(a->integer(5)), V(now), V(tenant_id)});
  } else if (kind == "sms" || kind == "fax") {
    c.Exec(
        "INSERT INTO point_lots (tenant_id, lot_id, kind, order_id, points, remaining, "
        "bought_at, forfeited_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        {V(tenant_id), V(c.NextId()), V(kind), V(a->integer(2)), V(a->integer(6)), V(a->integer(6)),
         V(now)});
  }
  c.Exec(
      "UPDATE activations SET activated_at = ?, activated_by = ? "
      "WHERE tenant_id = ? AND activation_id = ?",
      {V(now), V(by), V(tenant_id), V(activation_id)});
  RecordEvent(c, tenant_id, at, "activation.done",
              json::object{{"activation_id", activation_id}, {"kind", kind}, {"by", by}});
  return OkStatus();
}

Result<json::object> BillingService::Activate(const Principal& op, std::int64_t activation_id,
                                              const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row =
        c.QueryOne("SELECT tenant_id FROM activations WHERE activation_id = ?", {V(activation_id)});
    if (!row) return Error::NotFound("activation");
    std::int64_t tenant_id = row->integer(0);
    KELU_RETURN_IF_ERROR(ApplyActivation(c, tenant_id, activation_id, meta.now,
                                         fmt::format("operator:{}", op.operator_id)));
    identity::RecordOperatorAudit(
        c, op.operator_id, op.name, meta,
        {"activation.activate", "activation", std::to_string(activation_id), {}, {}}, tenant_id);
    auto t = LoadTenant(c, tenant_id);
    return json::object{{"activation_id", activation_id},
                        {"tenant", json::object{{"id", tenant_id},
                                                {"state", t->state},
                                                {"expiry", OrNull(OptDateText(t->expiry))}}}};
  });
}

namespace {

json::object ActivationView(const Row& r, Timestamp now, const Zone& zone) {
  // activation_id, tenant_id, slug, kind, order number, confirmed_at, deadline_at,
  // deadline_error, activated_at, activated_by
  auto time = [&](std::size_t i) -> json::value {
    if (r.is_null(i)) return nullptr;
    return json::value(FormatRfc3339(FromMicros(r.integer(i)), zone));
  };
  json::object o{{"id", r.integer(0)},        {"tenant_id", r.integer(1)},
                 {"tenant_slug", r.text(2)},  {"kind", r.text(3)},
                 {"order_number", r.text(4)}, {"confirmed_at", time(5)},
                 {"deadline_at", time(6)},    {"deadline_error", OrNull(r.opt_text(7))},
                 {"activated_at", time(8)},   {"activated_by", OrNull(r.opt_text(9))}};
  std::optional<std::int64_t> deadline = r.opt_integer(6);
  std::optional<std::int64_t> done = r.opt_integer(8);
  if (!deadline) {
    o["met"] = nullptr;
    o["late"] = false;
  } else if (done) {
    o["met"] = *done <= *deadline;
    o["late"] = *done > *deadline;
  } else {
    o["met"] = nullptr;
    o["late"] = ToMicros(now) > *deadline;
  }
  return o;
}

// "YYYY-MM" of a business date.
std::string MonthOf(Date d) {
  return fmt::format("{:04d}-{:02d}", int(d.year()), unsigned(d.month()));
}

// The twelve months up to and including the one of `today`, oldest first, as "YYYY-MM".
std::vector<std::string> TwelveMonths(Date today) {
  std::chrono::year_month this_month{today.year(), today.month()};
  std::vector<std::string> months;
  for (int i = 11; i >= 0; --i) {
    auto m = this_month - std::chrono::months(i);
    months.push_back(MonthOf(m / std::chrono::day{1}));
  }
  return months;
}

constexpr const char* kActivationSelect =
    "SELECT a.activation_id, a.tenant_id, t.slug, a.kind, o.number, a.confirmed_at, "
    "a.deadline_at, a.deadline_error, a.activated_at, a.activated_by FROM activations a "
    "JOIN tenants t ON t.tenant_id = a.tenant_id "
    "JOIN orders o ON o.tenant_id = a.tenant_id AND o.order_id = a.order_id ";

}  // namespace

Result<json::object> BillingService::ActivationQueue(const Principal&, Timestamp now) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(std::string(kActivationSelect) +
                        "WHERE a.activated_at IS NULL ORDER BY a.confirmed_at");
    json::array items;
    for (const auto& r : rows.rows) items.push_back(ActivationView(r, now, zone_));
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> BillingService::ActivationSla(const Principal&, Timestamp now) {
  std::vector<std::string> months = TwelveMonths(zone_.LocalDate(now));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(std::string(kActivationSelect) +
                        "WHERE a.kind IN ('new', 'renewal') ORDER BY a.confirmed_at");
    json::array items;
    std::int64_t met = 0, missed = 0, pending = 0, late_pending = 0;
    // Per month in which payment was confirmed (the clock's start): how each activation did.
    std::map<std::string, std::array<std::int64_t, 4>> by_month;  // met, missed, pending, late
    for (const auto& r : rows.rows) {
      auto v = ActivationView(r, now, zone_);
      int outcome;
      if (v["met"].is_bool()) {
        outcome = v["met"].as_bool() ? 0 : 1;
      } else {
        outcome = v["late"].as_bool() ? 3 : 2;
      }
      std::int64_t* counters[] = {&met, &missed, &pending, &late_pending};
      ++*counters[outcome];
      if (!r.is_null(5)) ++by_month[MonthOf(zone_.LocalDate(FromMicros(r.integer(5))))][outcome];
      items.push_back(std::move(v));
    }
    json::object series{{"met", json::array{}},
                        {"missed", json::array{}},
                        {"pending", json::array{}},
                        {"late_pending", json::array{}}};
    const char* names[] = {"met", "missed", "pending", "late_pending"};
    for (const auto& m : months) {
      auto counts = by_month[m];
      for (int i = 0; i < 4; ++i) series[names[i]].as_array().emplace_back(counts[i]);
    }
    json::array labels(months.begin(), months.end());
    return json::object{{"items", std::move(items)},
                        {"summary", json::object{{"met", met},
                                                 {"missed", missed},
                                                 {"pending", pending},
                                                 {"late_pending", late_pending}}},
                        {"months", std::move(labels)},
                        {"by_month", std::move(series)}};
  });
}

Result<json::object> BillingService::Revenue(const Principal&, Timestamp now) {
  std::vector<std::string> months = TwelveMonths(zone_.LocalDate(now));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    // paid_on is a business date (YYYY-MM-DD): its first seven characters are its month.
    auto rows = c.Query(
        "SELECT substr(p.paid_on, 1, 7), o.kind, sum(p.amount_fen) FROM payments p JOIN orders o "
        "ON o.tenant_id = p.tenant_id AND o.order_id = p.order_id WHERE p.paid_on >= ? "
        "GROUP BY substr(p.paid_on, 1, 7), o.kind",
        {V(months.front() + "-01")});
    std::map<std::string, std::map<std::string, std::int64_t>> by_month;  // month → kind → fen
    std::set<std::string> kinds;
    for (const auto& r : rows.rows) {
      by_month[r.text(0)][r.text(1)] += r.integer(2);
      kinds.insert(r.text(1));
    }
    json::array total, labels;
    json::object by_kind;
    for (const auto& k : kinds) by_kind[k] = json::array{};
    std::int64_t sum = 0;
    for (const auto& m : months) {
      labels.emplace_back(m);
      std::int64_t month_total = 0;
      for (const auto& k : kinds) {
        std::int64_t v = by_month[m][k];
        by_kind[k].as_array().emplace_back(v);
        month_total += v;
      }
      total.emplace_back(month_total);
      sum += month_total;
    }
    return json::object{{"months", std::move(labels)},
                        {"total_fen", std::move(total)},
                        {"by_kind_fen", std::move(by_kind)},
                        {"twelve_months_fen", sum}};
  });
}

Result<json::object> BillingService::OperatorOrders(const Principal&, const std::string& status,
                                                    const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    std::string where = status.empty() ? "" : "status = ? AND ";
    storage::Params params;
    if (!status.empty()) params.push_back(V(status));
    params.push_back(V(identity::CursorBefore(page)));
    params.push_back(V(page.limit));
    auto rows = c.Query(
        fmt::format("SELECT {} FROM orders WHERE {}order_id < ? ORDER BY order_id DESC LIMIT ?",
                    kOrderColumns, where),
        params);
    return identity::PageOfRows(rows, page, [&](const Row& r) { return OrderView(c, r); });
  });
}

namespace internal {

json::object PointBalances(Connection& c, std::int64_t tenant_id) {
  json::object balances{{"sms", 0}, {"fax", 0}};
  for (const auto& r : c.Query("SELECT kind, coalesce(sum(remaining), 0) FROM point_lots WHERE "
                               "tenant_id = ? AND forfeited_at IS NULL GROUP BY kind",
                               {V(tenant_id)})
                           .rows) {
    balances[r.text(0)] = r.integer(1);
  }
  return balances;
}

}  // namespace internal

void BillingService::AddBillingMeta(json::object& view, Timestamp now) {
  if (!view.contains("id") || !view["id"].is_int64()) return;
  std::int64_t id = view["id"].as_int64();
  db_.Read([&](Connection& c) {
    auto t = LoadTenant(c, id);
    if (!t) return;
    Date today = zone_.LocalDate(now);
    view["ending"] = t->ending;
    view["plan"] = OrNull(t->plan);
    view["expiry"] = OrNull(OptDateText(t->expiry));
    view["arrears_day"] = nullptr;
    if (t->expiry && t->state != "active" && ArrearsDay(*t->expiry, today) >= 0) {
      view["arrears_day"] = ArrearsDay(*t->expiry, today);
    }
    view["storage_blocks"] = t->blocks;
    view["storage_quota_bytes"] = StorageQuotaBytes(terms_, t->seats, t->blocks);
    view["points"] = PointBalances(c, id);
  });
}

Result<std::int64_t> BillingService::SpendPoints(Connection& c, std::int64_t tenant_id,
                                                 std::string_view kind, std::int64_t points,
                                                 std::string_view reference, Timestamp at) {
  return TakePoints(c, tenant_id, kind, points, reference, at, "charged");
}

Result<std::int64_t> BillingService::HoldPoints(Connection& c, std::int64_t tenant_id,
                                                std::string_view kind, std::int64_t points,
                                                std::string_view reference, Timestamp at) {
  return TakePoints(c, tenant_id, kind, points, reference, at, "held");
}

void BillingService::SettleHeld(Connection& c, std::int64_t tenant_id, std::string_view reference,
                                std::int64_t charge, std::int64_t release, Timestamp at) {
  auto held = c.Query(
      "SELECT spend_id, lot_id, kind, points FROM point_spends WHERE tenant_id = ? AND "
      "reference = ? AND state = 'held' ORDER BY spend_id",
      {V(tenant_id), V(reference)});
  std::int64_t total = 0;
  for (const auto& r : held.rows) total += r.integer(3);
  if (charge < 0 || release < 0 || charge + release > total) {
    throw std::logic_error(fmt::format("settling {} + {} points of {} held under {}", charge,
                                       release, total, reference));
  }
  std::vector<std::int64_t> left;  // what each held row keeps
  left.reserve(held.rows.size());
  for (const auto& r : held.rows) left.push_back(r.integer(3));
  // Charges from the oldest lot, releases to the newest: the points kept are the oldest.
  for (std::size_t i = 0; i < held.rows.size() && charge > 0; ++i) {
    std::int64_t take = std::min(charge, left[i]);
    if (take == 0) continue;
    c.Exec(
        "INSERT INTO point_spends (tenant_id, spend_id, lot_id, kind, points, reference, at, "
        "state) VALUES (?, ?, ?, ?, ?, ?, ?, 'charged')",
        {V(tenant_id), V(c.NextId()), V(held.rows[i].integer(1)), V(held.rows[i].text(2)), V(take),
         V(reference), V(ToMicros(at))});
    left[i] -= take;
    charge -= take;
  }
  for (std::size_t i = held.rows.size(); i-- > 0 && release > 0;) {
    std::int64_t take = std::min(release, left[i]);
    if (take == 0) continue;
    c.Exec("UPDATE point_lots SET remaining = remaining + ? WHERE tenant_id = ? AND lot_id = ?",
           {V(take), V(tenant_id), V(held.rows[i].integer(1))});
    left[i] -= take;
    release -= take;
  }
  for (std::size_t i = 0; i < held.rows.size(); ++i) {
    if (left[i] == held.rows[i].integer(3)) continue;
    if (left[i] == 0) {
      c.Exec("DELETE FROM point_spends WHERE tenant_id = ? AND spend_id = ?",
             {V(tenant_id), V(held.rows[i].integer(0))});
    } else {
      c.Exec("UPDATE point_spends SET points = ? WHERE tenant_id = ? AND spend_id = ?",
             {V(left[i]), V(tenant_id), V(held.rows[i].integer(0))});
    }
  }
}

Result<std::int64_t> BillingService::TakePoints(Connection& c, std::int64_t tenant_id,
                                                std::string_view kind, std::int64_t points,
                                                std::string_view reference, Timestamp at,
                                                std::string_view state) {
  auto t = LoadTenant(c, tenant_id);
  if (!t) return Error::NotFound("tenant");
  if (!PointsUsable(t->lifecycle())) {
    return Error::Conflict("points_frozen",
                           "合同第十六条：服务暂停或终止期间点数冻结，不能使用。Points are frozen "
                           "while the service is not active.");
  }
  auto lots = c.Query(
      "SELECT lot_id, remaining FROM point_lots WHERE tenant_id = ? AND kind = ? AND "
      "forfeited_at IS NULL AND remaining > 0 ORDER BY bought_at, lot_id",
      {V(tenant_id), V(kind)});
  std::int64_t available = 0;
  for (const auto& l : lots.rows) available += l.integer(1);
  if (points <= 0 || available < points) {
    return Error::Conflict(
        "insufficient_points",
        fmt::format("{} points are needed and {} are left; buy a pack first.", points, available),
        {{"needed", points}, {"available", available}});
  }
  std::int64_t left = points;
  for (const auto& l : lots.rows) {
    if (left == 0) break;
    std::int64_t take = std::min(left, l.integer(1));
    c.Exec("UPDATE point_lots SET remaining = remaining - ? WHERE tenant_id = ? AND lot_id = ?",
           {V(take), V(tenant_id), V(l.integer(0))});
    c.Exec(
        "INSERT INTO point_spends (tenant_id, spend_id, lot_id, kind, points, reference, at, "
        "state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(c.NextId()), V(l.integer(0)), V(kind), V(take), V(reference),
         V(ToMicros(at)), V(state)});
    left -= take;
  }
  return available - points;
}

Result<std::int64_t> BillingService::StorageQuota(Connection& c, std::int64_t tenant_id) {
  auto t = LoadTenant(c, tenant_id);
  if (!t) return Error::NotFound("tenant");
  return StorageQuotaBytes(terms_, t->seats, t->blocks);
}

void BillingService::NoteStorageUsage(Connection& c, std::int64_t tenant_id,
                                      std::int64_t used_bytes, Timestamp at) {
  auto t = LoadTenant(c, tenant_id);
  if (!t) return;
  std::int64_t quota = StorageQuotaBytes(terms_, t->seats, t->blocks);
  if (quota <= 0) return;
  std::string term = t->expiry ? FormatDate(*t->expiry) : "none";
  auto mib = [](std::int64_t b) { return fmt::format("{:.1f}", static_cast<double>(b) / 1048576); };
  for (int percent : {terms_.storage_warn_percent, 100}) {
    if (static_cast<Wide>(used_bytes) * 100 < static_cast<Wide>(quota) * percent) continue;
    RecordNotice(
        c, tenant_id, fmt::format("storage_{}", percent),
        fmt::format("storage_{}:{}", percent, term),
        percent >= 100 ? "附件空间已用完" : fmt::format("附件空间已用 {}%", percent),
        fmt::format("附件空间已用 {0} MB，共 {1} MB（{2}%）。可购买扩容（每 {3} MB 每月 {4} 元）。"
                    "Attachments use {0} MB of {1} MB ({2} %). More space can be bought in "
                    "blocks of {3} MB at {4} yuan a month.",
                    mib(used_bytes), mib(quota), percent, terms_.storage_block_mib,
                    FormatYuan(terms_.storage_block_month_fen)),
        at, &t->contact_email);
  }
}

// ---- The boss's views --------------------------------------------------------------------------

Result<json::object> BillingService::Subscription(const Principal& who, Timestamp now) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, who.tenant_id);
    Date today = zone_.LocalDate(now);
    Lifecycle lc = t->lifecycle();
    std::int64_t active_users = c.QueryInt(
        "SELECT count(*) FROM users WHERE tenant_id = ? AND status = 'active'", {V(t->id)});
    json::object out{{"state", t->state},
                     {"ending", t->ending},
                     {"plan", OrNull(t->plan)},
                     {"seats", t->seats},
                     {"active_users", active_users},
                     {"packages", PackagesToJson(t->packages)},
                     {"next_seats", t->next_seats ? json::value(*t->next_seats) : nullptr},
                     {"next_seats_from", OrNull(OptDateText(t->next_seats_from))},
                     {"term_start", OrNull(OptDateText(t->anchor))},
                     {"expiry", OrNull(OptDateText(t->expiry))},
                     {"non_renewal_notice", t->non_renewal},
                     {"storage_blocks", t->blocks},
                     {"storage_quota_bytes", StorageQuotaBytes(terms_, t->seats, t->blocks)},
                     {"export_allowed", ExportAllowed(terms_, lc, today)}};
    if (t->anchor) {
      Date initial_end = AddYears(*t->anchor, terms_.initial_term_years);
      out["initial_term_ends"] = FormatDate(initial_end);
      out["in_initial_term"] = InInitialTerm(terms_, *t->anchor, today);
    }
    if (t->expiry) {
      int day = ArrearsDay(*t->expiry, today);
      out["days_left"] = std::max(0, -day);
      out["renewal_deadline"] = FormatDate(RenewalDeadline(terms_, *t->expiry));
      if (day >= 0 && lc.state != State::kActive) {
        out["arrears_day"] = day;
        out["termination_on"] = FormatDate(AddDays(*t->expiry, terms_.termination_day));
        out["reopen_until"] = FormatDate(AddDays(*t->expiry, terms_.points_forfeit_day - 1));
      }
      if (t->terminated_on) {
        out["terminated_on"] = FormatDate(*t->terminated_on);
        out["purge_on"] = FormatDate(PurgeDate(terms_, *t->terminated_on));
      }
      // What renewing for one year costs if paid today.
      auto list = LoadPriceList(c, nullptr);
      if (list.ok() && t->plan && CheckRenewable(lc).ok()) {
        auto lines = PriceTerm(*list, terms_, t->RenewalGroup(*list), 1, t->blocks, true, today);
        if (lines.ok()) {
          auto due = RenewalAmountDue(terms_, Total(*lines), *t->expiry, today);
          json::object quote{
              {"years", 1}, {"lines", LinesJson(*lines)}, {"base_fen", Total(*lines)}};
          if (due.ok()) {
            quote["interest_fen"] = due->interest;
            quote["fee_fen"] = due->reconnection_fee + due->reopening_fee;
            quote["total_fen"] = due->total();
            quote["reopening"] = due->reopening;
          } else {
            quote["refused"] = due.error().code;
          }
          out["renewal_quote"] = std::move(quote);
        }
      }
    }
    out["points"] = PointBalances(c, t->id);
    out["points_usable"] = PointsUsable(lc);
    return out;
  });
}

Result<json::object> BillingService::Points(const Principal& who) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, who.tenant_id);
    bool usable = PointsUsable(t->lifecycle());
    auto rows = c.Query(
        "SELECT l.lot_id, l.kind, l.points, l.remaining, l.bought_at, l.forfeited_at, o.number "
        "FROM point_lots l JOIN orders o ON o.tenant_id = l.tenant_id AND o.order_id = l.order_id "
        "WHERE l.tenant_id = ? ORDER BY l.bought_at, l.lot_id",
        {V(who.tenant_id)});
    json::array lots;
    json::object balances{{"sms", 0}, {"fax", 0}};
    for (const auto& r : rows.rows) {
      bool forfeited = !r.is_null(5);
      if (!forfeited) balances[r.text(1)] = balances[r.text(1)].as_int64() + r.integer(3);
      lots.push_back(json::object{
          {"id", r.integer(0)},
          {"kind", r.text(1)},
          {"points", r.integer(2)},
          {"remaining", r.integer(3)},
          {"bought_at", Format(FromMicros(r.integer(4)))},
          {"forfeited_at", forfeited ? json::value(Format(FromMicros(r.integer(5)))) : nullptr},
          {"order_number", r.text(6)},
          {"status", forfeited ? "forfeited"
                     : usable  ? "usable"
                               : "frozen"}});
    }
    // Points held for messages not yet accepted or refused by a gateway (not in the balance).
    json::object held{{"sms", 0}, {"fax", 0}};
    for (const auto& r : c.Query("SELECT kind, coalesce(sum(points), 0) FROM point_spends WHERE "
                                 "tenant_id = ? AND state = 'held' GROUP BY kind",
                                 {V(who.tenant_id)})
                             .rows) {
      held[r.text(0)] = r.integer(1);
    }
    return json::object{{"balances", std::move(balances)},
                        {"held", std::move(held)},
                        {"usable", usable},
                        {"lots", std::move(lots)}};
  });
}

Result<json::object> BillingService::Ledger(const Principal& who) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(
        "SELECT entry_id, at, kind, document, amount_fen FROM ledger_entries WHERE tenant_id = ? "
        "ORDER BY at, entry_id",
        {V(who.tenant_id)});
    json::array entries;
    Fen balance = 0;
    for (const auto& r : rows.rows) {
      balance += r.integer(4);
      entries.push_back(json::object{{"id", r.integer(0)},
                                     {"at", Format(FromMicros(r.integer(1)))},
                                     {"kind", r.text(2)},
                                     {"document", r.text(3)},
                                     {"amount_fen", r.integer(4)},
                                     {"balance_fen", balance}});
    }
    json::array invoices;
    for (const auto& r : c.Query("SELECT i.invoice_id, i.number, o.number, i.total_fen, "
                                 "i.issued_at FROM invoices i JOIN orders o ON "
                                 "o.tenant_id = i.tenant_id AND o.order_id = i.order_id "
                                 "WHERE i.tenant_id = ? ORDER BY i.invoice_id",
                                 {V(who.tenant_id)})
                             .rows) {
      std::vector<Line> lines;
      for (const auto& l : c.Query("SELECT code, description, quantity, unit_fen, amount_fen "
                                   "FROM invoice_lines WHERE tenant_id = ? AND invoice_id = ? "
                                   "ORDER BY line_no",
                                   {V(who.tenant_id), V(r.integer(0))})
                               .rows) {
        lines.push_back({l.text(0), l.text(1), l.integer(2), l.integer(3), l.integer(4)});
      }
      invoices.push_back(json::object{{"id", r.integer(0)},
                                      {"number", r.text(1)},
                                      {"order_number", r.text(2)},
                                      {"total_fen", r.integer(3)},
                                      {"issued_at", Format(FromMicros(r.integer(4)))},
                                      {"lines", LinesJson(lines)}});
    }
    return json::object{{"entries", std::move(entries)},
                        {"balance_fen", balance},
                        {"invoices", std::move(invoices)}};
  });
}

Result<json::object> BillingService::LiabilityCap(const Principal& who,
                                                  std::optional<std::int64_t> tenant_id,
                                                  Timestamp at) {
  std::int64_t id = 0;
  if (who.kind == identity::PrincipalKind::kOperator) {
    if (!tenant_id) return Error::NotFound("tenant");
    id = *tenant_id;
  } else {
    KELU_RETURN_IF_ERROR(RequireBoss(who));
    id = who.tenant_id;
  }
  return db_.Read([&](Connection& c) -> Result<json::object> {
    if (!LoadTenant(c, id)) return Error::NotFound("tenant");
    std::vector<Payment> payments;
    for (const auto& r :
         c.Query("SELECT confirmed_at, amount_fen FROM payments WHERE tenant_id = ?", {V(id)})
             .rows) {
      payments.push_back({FromMicros(r.integer(0)), r.integer(1)});
    }
    return json::object{{"tenant_id", id},
                        {"at", Format(at)},
                        {"months", terms_.liability_months},
                        {"cap_fen", billing::LiabilityCap(terms_, payments, at, zone_)}};
  });
}

Result<json::object> BillingService::ReduceSeats(const Principal& who, const json::object& body,
                                                 const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  Fields f(body);
  f.OnlyKeys({"seats"});
  auto seats = f.Int("seats", true, 1, 100000);
  if (!f.ok()) return f.ToError();
  Date today = zone_.LocalDate(meta.now);
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, who.tenant_id);
    if (t->state != "active" || !t->anchor || !t->expiry) {
      return Error::Conflict("tenant_not_active", "Seats change only on an active subscription.");
    }
    if (*seats >= t->seats) {
      return FieldError("seats", "must be fewer than today's seats; buy seats to add them");
    }
    auto users = c.Query(
        "SELECT user_id, login, name FROM users WHERE tenant_id = ? AND status = 'active' "
        "ORDER BY user_id",
        {V(t->id)});
    auto check = CheckSeatReduction(terms_, *t->anchor, today, static_cast<int>(*seats),
                                    static_cast<int>(users.rows.size()));
    if (!check.ok()) {
      Error e = std::move(check).error();
      if (e.code == "seats_below_active_users") {
        json::array list;
        for (const auto& u : users.rows) {
          list.push_back(
              json::object{{"id", u.integer(0)}, {"login", u.text(1)}, {"name", u.text(2)}});
        }
        e.details["users"] = std::move(list);
      }
      return e;
    }
    c.Exec("UPDATE tenants SET next_seats = ?, next_seats_from = ? WHERE tenant_id = ?",
           {V(*seats), V(FormatDate(*t->expiry)), V(t->id)});
    identity::RecordAudit(c, who, meta,
                          {"subscription.reduce_seats", "tenant", std::to_string(t->id),
                           json::object{{"seats", t->seats}},
                           json::object{{"next_seats", *seats}, {"from", FormatDate(*t->expiry)}}});
    RecordEvent(c, t->id, meta.now, "seats.reduction_scheduled",
                json::object{{"seats", *seats}, {"from", FormatDate(*t->expiry)}});
    return json::object{
        {"seats", t->seats}, {"next_seats", *seats}, {"next_seats_from", FormatDate(*t->expiry)}};
  });
}

Result<json::object> BillingService::GiveNonRenewalNotice(const Principal& who,
                                                          const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  Date today = zone_.LocalDate(meta.now);
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, who.tenant_id);
    if (t->state != "active" || !t->anchor || !t->expiry) {
      return Error::Conflict("tenant_not_active", "Only an active subscription can be ended.");
    }
    if (InInitialTerm(terms_, *t->anchor, today)) {
      Date ends = AddYears(*t->anchor, terms_.initial_term_years);
      return Error::Conflict(
          "non_renewal_in_initial_term",
          fmt::format("合同第十一条：首个服务年度（至 {} 止）内不得终止协议。The agreement cannot "
                      "be ended during the initial term, which ends on {}.",
                      FormatDate(ends), FormatDate(ends)),
          {{"initial_term_ends", FormatDate(ends)}});
    }
    if (!t->non_renewal) {
      c.Exec("UPDATE tenants SET non_renewal_at = ? WHERE tenant_id = ?",
             {V(ToMicros(meta.now)), V(t->id)});
      identity::RecordAudit(c, who, meta,
                            {"subscription.non_renewal", "tenant", std::to_string(t->id), {}, {}});
      RecordEvent(c, t->id, meta.now, "non_renewal.given",
                  json::object{{"ends_on", FormatDate(*t->expiry)}});
      RecordNotice(
          c, t->id, "non_renewal_received", "non_renewal:" + FormatDate(*t->expiry),
          "不续约通知已收到",
          fmt::format("我们已收到您的不续约通知，协议将于 {} 终止；终止后 {} 日内可申请导出"
                      "数据。Your notice of non-renewal is recorded: the agreement ends "
                      "on {}; you may request your data export within {} days after.",
                      FormatDate(*t->expiry), terms_.export_window_days, FormatDate(*t->expiry),
                      terms_.export_window_days),
          meta.now);
    }
    return json::object{{"non_renewal_notice", true}, {"ends_on", FormatDate(*t->expiry)}};
  });
}

}  // namespace kelu::billing
