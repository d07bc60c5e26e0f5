// The contract engine over HTTP: the public price list and sign-up, the boss's subscription,
// orders, points, ledger and notices, and the operator's price lists, payment confirmation,
// activation queue, SLA report, breach termination, purge, tenant timeline and calendar.
#include <fmt/format.h>

#include "billing/service.hpp"
#include "core/files.hpp"
#include "core/validation.hpp"
#include "http/api.hpp"
#include "http/idempotency.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

json::value LineSchema() {
  return Obj({{"code", Str()},
              {"description", Str()},
              {"quantity", Int()},
              {"unit_fen", Int()},
              {"amount_fen", Int()}});
}

json::value OrderSchema() {
  return Obj({{"id", Int()},
              {"number", Str("SO-YYYY-NNNNNN")},
              {"kind", Enum({"subscription", "renewal", "seats", "storage", "sms", "fax"})},
              {"status", Enum({"pending", "paid", "cancelled"})},
              {"tenant_id", Int()},
              {"price_list_version", Int()},
              {"term_start", Nullable(Str("YYYY-MM-DD"))},
              {"term_end", Nullable(Str("YYYY-MM-DD, exclusive"))},
              {"lines", Array(LineSchema())},
              {"total_fen", Int()},
              {"created_at", Time()},
              {"accepted_at", Nullable(Time())},
              {"paid_at", Nullable(Time())},
              {"invoice", Nullable(Obj({{"id", Int()}, {"number", Str()}}))},
              {"bank", Obj({{"payee", Str()}, {"bank_name", Str()}, {"bank_account", Str()}})}});
}

json::value NoticeSchema() {
  return Obj({{"id", Int()},
              {"kind", Str()},
              {"channel", Enum({"announcement", "email", "mail", "phone"})},
              {"recipient", Str()},
              {"subject", Str()},
              {"body", Str()},
              {"sent_at", Time()},
              {"deemed_delivered_at", Time()},
              {"evidence", Str()}});
}

json::value ActivationSchema() {
  return Obj({{"id", Int()},
              {"tenant_id", Int()},
              {"tenant_slug", Str()},
              {"kind", Str()},
              {"order_number", Str()},
              {"confirmed_at", Time()},
              {"deadline_at", Nullable(Time())},
              {"deadline_error", Nullable(Str())},
              {"activated_at", Nullable(Time())},
              {"met", Nullable(Bool())},
              {"late", Bool()}});
}

Response Html(const Result<std::string>& r) {
  if (!r.ok()) return ErrorToResponse(r.error());
  Response res;
  res.status = 200;
  res.body = *r;
  res.set_header("Content-Type", "text/html; charset=utf-8");
  return res;
}

}  // namespace

void Api::RegisterBillingRoutes() {
  auto& billing = services_.billing;
  auto& db = services_.db;
  const Clock& clock = services_.clock;

  // --- Public -------------------------------------------------------------------------------
  router_.Add(
      "GET", "/api/v1/price-list", Access::kPublic,
      {"The current price list (the contract's official prices)",
       "billing",
       nullptr,
       Obj({{"version", Int()},
            {"plans", Array(Obj({{"code", Str()}, {"name", Str()}, {"seat_year_fen", Int()}}))},
            {"seat_packages", Array(Obj({{"code", Str()}, {"seats", Int()}, {"year_fen", Int()}}))},
            {"multi_year", Array(Obj({{"years", Int()}, {"discount_bp", Int()}}))},
            {"promotions", Array(Obj({{"code", Str()}, {"kind", Str()}, {"value", Int()}}))},
            {"sms_packs", Array(Obj({{"code", Str()}, {"points", Int()}, {"price_fen", Int()}}))},
            {"fax_packs", Array(Obj({{"code", Str()}, {"pages", Int()}, {"price_fen", Int()}}))},
            {"storage",
             Obj({{"seat_mib", Int()}, {"block_mib", Int()}, {"block_month_fen", Int()}})}}),
       200,
       {},
       {}},
      [&billing](Context&) { return Reply(billing.CurrentPriceList()); });
  router_.Add("POST", "/api/v1/signup", Access::kPublic,
              {"Self-service sign-up: a company places its first order; nothing is active until "
               "the payment is confirmed",
               "billing",
               Obj({{"company", Str()},
                    {"slug", Str()},
                    {"boss", Obj({{"name", Str()},
                                  {"login", Str()},
                                  {"email", Str()},
                                  {"mobile", Str()},
                                  {"password", Str()}},
                                 {"name", "login", "email", "mobile", "password"})},
                    {"plan", Str()},
                    {"seats", Int()},
                    {"packages", Array(Obj({{"code", Str()}, {"quantity", Int()}}))},
                    {"years", Int()}},
                   {"company", "slug", "boss", "plan", "years"}),
               Obj({{"tenant", Obj({{"id", Int()}, {"slug", Str()}, {"state", Str()}})},
                    {"order", OrderSchema()},
                    {"next_step", Str()}}),
               201,
               {"slug_taken", "validation_failed"},
               {}},
              [&billing](Context& ctx) { return Reply(billing.SignUp(ctx.body, ctx.meta), 201); });

  // --- The boss -------------------------------------------------------------------------------
  auto boss = [this](std::string method, std::string path, RouteDoc doc, Handler h) {
    Route& r = router_.Add(std::move(method), std::move(path), Access::kTenantUser, std::move(doc),
                           std::move(h));
    r.allow_inactive_tenant = true;
    return &r;
  };
  boss("GET", "/api/v1/billing/subscription",
       {"The subscription: state, term, seats, storage quota, points, renewal quote",
        "billing",
        nullptr,
        Obj({{"state", Str()},
             {"ending", Str()},
             {"seats", Int()},
             {"expiry", Nullable(Str())},
             {"days_left", Int()},
             {"renewal_deadline", Str()},
             {"storage_quota_bytes", Int()},
             {"points", Obj({{"sms", Int()}, {"fax", Int()}})},
             {"renewal_quote", Obj({{"total_fen", Int()}, {"lines", Array(LineSchema())}})}}),
        200,
        {"boss_only"},
        {}},
       [&billing, &clock](Context& ctx) {
         return Reply(billing.Subscription(ctx.who(), clock.now()));
       });
  boss("GET", "/api/v1/billing/orders",
       {"The tenant's orders, newest first",
        "billing",
        nullptr,
        ListOf(OrderSchema()),
        200,
        {"boss_only"},
        Paging()},
       Paged([&billing](Context& ctx, const identity::Page& page) {
         return Reply(billing.ListOrders(ctx.who(), page));
       }));
  boss("POST", "/api/v1/billing/orders",
       {"Place an order: renewal (years), seats (added, prorated), storage (blocks), sms or fax "
        "(pack, quantity)",
        "billing",
        Obj({{"kind", Enum({"renewal", "seats", "storage", "sms", "fax"})},
             {"years", Int()},
             {"seats", Int()},
             {"blocks", Int()},
             {"pack", Str()},
             {"quantity", Int()}},
            {"kind"}),
        OrderSchema(),
        201,
        {"boss_only", "reopening_refused", "renewal_not_allowed", "tenant_suspended",
         "idempotency_key_reused", "idempotency_in_progress"},
        {}},
       Idempotent(
           db,
           [&billing](Context& ctx) {
             return Reply(billing.PlaceOrder(ctx.who(), ctx.body, ctx.meta), 201);
           },
           false));
  boss("GET", "/api/v1/billing/orders/{id}",
       {"One order of the tenant", "billing", nullptr, OrderSchema(), 200, {"boss_only"}, {}},
       ById([&billing](Context& ctx, std::int64_t id) {
         return Reply(billing.GetOrder(ctx.who(), id));
       }));
  // Printable HTML documents of the tenant's own orders and invoices.
  using Document = Result<std::string> (billing::BillingService::*)(const identity::Principal&,
                                                                   std::int64_t);
  auto document = [&](std::string path, const char* summary, Document render) {
    boss("GET", std::move(path),
         {summary, "billing", nullptr, Str("text/html"), 200, {"boss_only"}, {}},
         ById([&billing, render](Context& ctx, std::int64_t id) {
           return Html((billing.*render)(ctx.who(), id));
         }));
  };
  document("/api/v1/billing/orders/{id}/document", "The printable order document (HTML)",
           &billing::BillingService::OrderDocument);
  document("/api/v1/billing/invoices/{id}/document",
           "The printable invoice (HTML): the order's parties, the lines invoiced and the payment",
           &billing::BillingService::InvoiceDocument);
  boss("POST", "/api/v1/billing/orders/{id}/accept",
       {"Accept an order (recorded with time and user)",
        "billing",
        nullptr,
        OrderSchema(),
        200,
        {"boss_only", "order_not_pending"},
        {}},
       ById([&billing](Context& ctx, std::int64_t id) {
         return Reply(billing.AcceptOrder(ctx.who(), id, ctx.meta));
       }));
  boss("POST", "/api/v1/billing/orders/{id}/cancel",
       {"Cancel a pending order",
        "billing",
        nullptr,
        OrderSchema(),
        200,
        {"boss_only", "order_not_pending"},
        {}},
       ById([&billing](Context& ctx, std::int64_t id) {
         return Reply(billing.CancelOrder(ctx.who(), id, ctx.meta));
       }));
  json::value agreement_schema = Obj({{"title", Str()},
                                      {"version", Str()},
                                      {"parties", Obj({{"tenant", Str()}, {"provider", Str()}})},
                                      {"clauses", Array(Obj({{"title", Str()}, {"text", Str()}}))},
                                      {"accepted_at", Nullable(Time())},
                                      {"accepted_by", Nullable(Int())}});
  boss("GET", "/api/v1/billing/agreement",
       {"The data-confidentiality agreement and whether the boss accepted it",
        "billing",
        nullptr,
        agreement_schema,
        200,
        {"boss_only"},
        {}},
       [&billing](Context& ctx) { return Reply(billing.Agreement(ctx.who())); });
  boss("GET", "/api/v1/billing/agreement/document",
       {"The printable data-confidentiality agreement (HTML)",
        "billing",
        nullptr,
        Str("text/html"),
        200,
        {"boss_only"},
        {}},
       [&billing](Context& ctx) { return Html(billing.AgreementDocument(ctx.who())); });
  boss("POST", "/api/v1/billing/agreement/accept",
       {"Accept the data-confidentiality agreement (recorded with time and user)",
        "billing",
        nullptr,
        agreement_schema,
        200,
        {"boss_only"},
        {}},
       [&billing](Context& ctx) { return Reply(billing.AcceptAgreement(ctx.who(), ctx.meta)); });
  boss("POST", "/api/v1/billing/seat-reduction",
       {"Reduce seats from the next renewal (refused in the initial term)",
        "billing",
        Obj({{"seats", Int()}}, {"seats"}),
        Obj({{"seats", Int()}, {"next_seats", Int()}, {"next_seats_from", Str()}}),
        200,
        {"boss_only", "seat_reduction_in_initial_term", "seats_below_active_users"},
        {}},
       [&billing](Context& ctx) {
         return Reply(billing.ReduceSeats(ctx.who(), ctx.body, ctx.meta));
       });
  boss("POST", "/api/v1/billing/non-renewal",
       {"Give notice of non-renewal: the agreement ends at expiry",
        "billing",
        nullptr,
        Obj({{"non_renewal_notice", Bool()}, {"ends_on", Str()}}),
        200,
        {"boss_only", "non_renewal_in_initial_term"},
        {}},
       [&billing](Context& ctx) {
         return Reply(billing.GiveNonRenewalNotice(ctx.who(), ctx.meta));
       });
  boss("GET", "/api/v1/billing/points",
       {"SMS and fax point lots: bought, remaining, frozen or forfeited",
        "billing",
        nullptr,
        Obj({{"balances", Obj({{"sms", Int()}, {"fax", Int()}})},
             {"held", Obj({{"sms", Int()}, {"fax", Int()}})},
             {"usable", Bool()},
             {"lots",
              Array(Obj(
                  {{"id", Int()}, {"kind", Str()}, {"remaining", Int()}, {"status", Str()}}))}}),
        200,
        {"boss_only"},
        {}},
       [&billing](Context& ctx) { return Reply(billing.Points(ctx.who())); });
  boss("GET", "/api/v1/billing/ledger",
       {"The tenant's ledger: invoices and payments with the running balance, and invoices",
        "billing",
        nullptr,
        Obj({{"entries",
              Array(Obj({{"kind", Str()}, {"amount_fen", Int()}, {"balance_fen", Int()}}))},
             {"balance_fen", Int()},
             {"invoices",
              Array(Obj(
                  {{"number", Str()}, {"total_fen", Int()}, {"lines", Array(LineSchema())}}))}}),
        200,
        {"boss_only"},
        {}},
       [&billing](Context& ctx) { return Reply(billing.Ledger(ctx.who())); });
  boss("GET", "/api/v1/billing/notices",
       {"The notice register: every formal notice with its deemed-delivery time",
        "billing",
        nullptr,
        ListOf(NoticeSchema()),
        200,
        {"boss_only"},
        Paging()},
       Paged([&billing](Context& ctx, const identity::Page& page) {
         return Reply(billing.ListNotices(ctx.who(), page));
       }));
  boss("GET", "/api/v1/billing/liability-cap",
       {"The liability cap now: payments of the last 12 months (§17)",
        "billing",
        nullptr,
        Obj({{"cap_fen", Int()}, {"at", Time()}, {"months", Int()}}),
        200,
        {"boss_only"},
        {}},
       [&billing, &clock](Context& ctx) {
         return Reply(billing.LiabilityCap(ctx.who(), std::nullopt, clock.now()));
       });

  json::value export_schema =
      Obj({{"id", Int()},
           {"status", Enum({"queued", "running", "ready", "failed", "expired"})},
           {"requested_at", Time()},
           {"finished_at", Nullable(Time())},
           {"expires_at", Nullable(Time())},
           {"bytes", Nullable(Int())},
           {"sha256", Nullable(Str())}});
  boss("POST", "/api/v1/billing/exports",
       {"Request the data export archive (all records as JSON and CSV, attachments, manifest)",
        "billing",
        nullptr,
        export_schema,
        202,
        {"boss_only", "export_not_allowed", "export_in_progress"},
        {}},
       [&billing](Context& ctx) { return Reply(billing.RequestExport(ctx.who(), ctx.meta), 202); });
  boss("GET", "/api/v1/billing/exports",
       {"The tenant's export requests, newest first",
        "billing",
        nullptr,
        ListOf(export_schema),
        200,
        {"boss_only"},
        {}},
       [&billing](Context& ctx) { return Reply(billing.ListExports(ctx.who())); });
  boss("GET", "/api/v1/billing/exports/{id}",
       {"One export request and its progress",
        "billing",
        nullptr,
        export_schema,
        200,
        {"boss_only"},
        {}},
       ById([&billing](Context& ctx, std::int64_t id) {
         return Reply(billing.GetExport(ctx.who(), id));
       }));
  boss("GET", "/api/v1/billing/exports/{id}/download",
       {"Download a ready archive (zip), audited; kept for 7 days",
        "billing",
        nullptr,
        Str("application/zip"),
        200,
        {"boss_only", "export_not_ready", "export_expired"},
        {}},
       ById([&billing](Context& ctx, std::int64_t id) {
         auto file = billing.DownloadExport(ctx.who(), id, ctx.meta);
         if (!file.ok()) return ErrorToResponse(file.error());
         auto bytes = ReadFile(file->path);
         if (!bytes) return ErrorToResponse(Error::NotFound("archive"));
         Response res;
         res.body = std::move(*bytes);
         res.set_header("Content-Type", "application/zip");
         res.set_header("Content-Disposition",
                        fmt::format("attachment; filename=\"{}\"", file->filename));
         return res;
       }));

  // --- The operator ----------------------------------------------------------------------------
  router_.Add("GET", "/api/v1/operator/price-lists", Access::kOperator,
              {"Every published price list version, newest first",
               "operator",
               nullptr,
               ListOf(Obj({{"version", Int()}, {"note", Str()}, {"published_at", Time()}})),
               200,
               {},
               Paging()},
              Paged([&billing](Context& ctx, const identity::Page& page) {
                return Reply(billing.ListPriceLists(ctx.who(), page));
              }));
  router_.Add(
      "POST", "/api/v1/operator/price-lists", Access::kOperator,
      {"Publish a new price list version (orders keep the version they used)",
       "operator",
       Obj({{"note", Str()}, {"document", Obj({{"plans", Array(Obj({}))}})}}, {"note", "document"}),
       Obj({{"version", Int()}, {"note", Str()}}),
       201,
       {"invalid_price_list", "idempotency_key_required"},
       {}},
      Idempotent(db, [&billing](Context& ctx) {
        return Reply(billing.PublishPriceList(ctx.who(), ctx.body, ctx.meta), 201);
      }));
  router_.Add(
      "GET", "/api/v1/operator/orders", Access::kOperator,
      {"Orders of every tenant, newest first",
       "operator",
       nullptr,
       ListOf(OrderSchema()),
       200,
       {},
       {{"status", "pending, paid or cancelled"},
        {"limit", "1 to 200"},
        {"cursor", "from next_cursor"}}},
      Paged([&billing](Context& ctx, const identity::Page& page) {
        std::string status = ctx.request.query_param("status").value_or("");
        if (!status.empty() && status != "pending" && status != "paid" && status != "cancelled") {
          return ErrorToResponse(FieldError("status", "must be pending, paid or cancelled"));
        }
        return Reply(billing.OperatorOrders(ctx.who(), status, page));
      }));
  router_.Add(
      "GET", "/api/v1/operator/orders/{id}/document", Access::kOperator,
      {"The printable order document (HTML)", "operator", nullptr, Str("text/html"), 200, {}, {}},
      ById([&billing](Context& ctx, std::int64_t id) {
        return Html(billing.OrderDocument(ctx.who(), id));
      }));
  router_.Add(
      "GET", "/api/v1/operator/invoices/{id}/document", Access::kOperator,
      {"The printable invoice (HTML)", "operator", nullptr, Str("text/html"), 200, {}, {}},
      ById([&billing](Context& ctx, std::int64_t id) {
        return Html(billing.InvoiceDocument(ctx.who(), id));
      }));
  router_.Add(
      "POST", "/api/v1/operator/orders/{id}/payments", Access::kOperator,
      {"Confirm a bank payment of an order (Idempotency-Key required): invoice, ledger, "
       "activation",
       "operator",
       Obj({{"amount_fen", Int()}, {"bank_reference", Str()}, {"paid_on", Str("YYYY-MM-DD")}},
           {"amount_fen", "bank_reference", "paid_on"}),
       Obj({{"order_id", Int()},
            {"payment_id", Int()},
            {"invoice",
             Obj({{"number", Str()}, {"total_fen", Int()}, {"lines", Array(LineSchema())}})},
            {"activation",
             Obj({{"id", Int()}, {"deadline_at", Nullable(Time())}, {"activated", Bool()}})},
            {"tenant", Obj({{"id", Int()}, {"state", Str()}, {"expiry", Nullable(Str())}})}}),
       201,
       {"amount_mismatch", "order_already_paid", "order_not_accepted", "order_stale",
        "order_cancelled", "reopening_refused", "idempotency_key_required",
        "idempotency_key_reused", "idempotency_in_progress"},
       {}},
      Idempotent(db, ById([&billing](Context& ctx, std::int64_t id) {
                   return Reply(billing.ConfirmPayment(ctx.who(), id, ctx.body, ctx.meta), 201);
                 })));
  router_.Add("GET", "/api/v1/operator/activations", Access::kOperator,
              {"The activation queue with working-day deadlines; late items flagged",
               "operator",
               nullptr,
               ListOf(ActivationSchema()),
               200,
               {},
               {}},
              [&billing, &clock](Context& ctx) {
                return Reply(billing.ActivationQueue(ctx.who(), clock.now()));
              });
  router_.Add("POST", "/api/v1/operator/activations/{id}/activate", Access::kOperator,
              {"Activate a queued subscription or renewal",
               "operator",
               nullptr,
               Obj({{"activation_id", Int()}, {"tenant", Obj({{"state", Str()}})}}),
               200,
               {"already_activated", "idempotency_key_required"},
               {}},
              Idempotent(db, ById([&billing](Context& ctx, std::int64_t id) {
                           return Reply(billing.Activate(ctx.who(), id, ctx.meta));
                         })));
  Route& activation_report = router_.Add(
      "GET", "/api/v1/operator/reports/activation-sla", Access::kOperator,
      {"Every activation with its deadline and whether it was met; per month of payment "
       "confirmation, the twelve months to this one, how many were met, missed, are pending "
       "and are pending past their deadline",
       "operator",
       nullptr,
       Obj({{"items", Array(ActivationSchema())},
            {"summary",
             Obj({{"met", Int()}, {"missed", Int()}, {"pending", Int()}, {"late_pending", Int()}})},
            {"months", Array(Str())},
            {"by_month", Obj({{"met", Array(Int())},
                              {"missed", Array(Int())},
                              {"pending", Array(Int())},
                              {"late_pending", Array(Int())}})}}),
       200,
       {},
       {}},
      [&billing, &clock](Context& ctx) {
        return Reply(billing.ActivationSla(ctx.who(), clock.now()));
      });
  activation_report.slow = true;
  Route& revenue_report = router_.Add(
      "GET", "/api/v1/operator/reports/revenue", Access::kOperator,
      {"Payments received per month (by the date paid), the twelve months to this one, in "
       "all and by what was bought",
       "operator",
       nullptr,
       Obj({{"months", Array(Str("YYYY-MM"))},
            {"total_fen", Array(Int())},
            {"by_kind_fen", Obj({}, {})},
            {"twelve_months_fen", Int()}}),
       200,
       {},
       {}},
      [&billing, &clock](Context& ctx) { return Reply(billing.Revenue(ctx.who(), clock.now())); });
  revenue_report.slow = true;
  router_.Add(
      "POST", "/api/v1/operator/tenants/{id}/terminate", Access::kOperator,
      {"Terminate a tenant for breach (§12): immediate, points forfeited, no export",
       "operator",
       Obj({{"reason", Str()}}, {"reason"}),
       Obj({{"id", Int()}, {"state", Str()}, {"ending", Str()}, {"purge_on", Str()}}),
       200,
       {"tenant_terminated", "idempotency_key_required"},
       {}},
      Idempotent(db, ById([&billing](Context& ctx, std::int64_t id) {
                   return Reply(billing.TerminateForBreach(ctx.who(), id, ctx.body, ctx.meta));
                 })));
  router_.Add("POST", "/api/v1/operator/tenants/{id}/purge", Access::kOperator,
              {"Purge a non-payment termination from day 60 (§10): records deleted, billing kept",
               "operator",
               nullptr,
               Obj({{"id", Int()}, {"state", Str()}, {"report", Obj({{"deleted", Obj({})}})}}),
               200,
               {"purge_not_allowed", "idempotency_key_required"},
               {}},
              Idempotent(db, ById([&billing](Context& ctx, std::int64_t id) {
                           return Reply(billing.PurgeNow(ctx.who(), id, ctx.meta));
                         })));
  router_.Add(
      "GET", "/api/v1/operator/purges", Access::kOperator,
      {"The purge queue (terminated tenants, purge dates, manual purge allowed) and the "
       "purge reports",
       "operator",
       nullptr,
       Obj({{"upcoming", Array(Obj({{"tenant_id", Int()},
                                    {"slug", Str()},
                                    {"purge_on", Str()},
                                    {"manual_purge_allowed", Bool()}}))},
            {"done", Array(Obj({{"tenant_id", Int()},
                                {"slug", Str()},
                                {"purged_at", Time()},
                                {"report", Obj({})}}))}}),
       200,
       {},
       {}},
      [&billing, &clock](Context& ctx) { return Reply(billing.Purges(ctx.who(), clock.now())); });
  router_.Add("GET", "/api/v1/operator/tenants/{id}/timeline", Access::kOperator,
              {"A tenant's lifecycle, orders, payments and alerts (never its records)",
               "operator",
               nullptr,
               ListOf(Obj({{"id", Int()}, {"at", Time()}, {"kind", Str()}, {"detail", Obj({})}})),
               200,
               {},
               Paging()},
              PagedById([&billing](Context& ctx, std::int64_t id, const identity::Page& page) {
                return Reply(billing.TenantTimeline(ctx.who(), id, page));
              }));
  router_.Add("GET", "/api/v1/operator/tenants/{id}/notices", Access::kOperator,
              {"A tenant's notice register",
               "operator",
               nullptr,
               ListOf(NoticeSchema()),
               200,
               {},
               Paging()},
              PagedById([&billing](Context& ctx, std::int64_t id, const identity::Page& page) {
                return Reply(billing.TenantNotices(ctx.who(), id, page));
              }));
  router_.Add("GET", "/api/v1/operator/tenants/{id}/liability-cap", Access::kOperator,
              {"The liability cap of a tenant at a moment (default now)",
               "operator",
               nullptr,
               Obj({{"cap_fen", Int()}, {"at", Time()}, {"months", Int()}}),
               200,
               {},
               {{"at", "RFC 3339 time"}}},
              ById([&billing, &clock](Context& ctx, std::int64_t id) {
                Timestamp at = clock.now();
                if (auto text = ctx.request.query_param("at")) {
                  auto parsed = ParseRfc3339(*text);
                  if (!parsed) return ErrorToResponse(FieldError("at", "must be an RFC 3339 time"));
                  at = *parsed;
                }
                return Reply(billing.LiabilityCap(ctx.who(), id, at));
              }));
  router_.Add(
      "GET", "/api/v1/operator/exports", Access::kOperator,
      {"Data export requests of every tenant (metadata only)",
       "operator",
       nullptr,
       ListOf(Obj(
           {{"id", Int()}, {"tenant_slug", Str()}, {"status", Str()}, {"bytes", Nullable(Int())}})),
       200,
       {},
       Paging()},
      Paged([&billing](Context& ctx, const identity::Page& page) {
        return Reply(billing.OperatorExports(ctx.who(), page));
      }));
  router_.Add("GET", "/api/v1/operator/calendar", Access::kOperator,
              {"The years the working-day calendar knows",
               "operator",
               nullptr,
               Obj({{"years", Array(Int())}}),
               200,
               {},
               {}},
              [&billing](Context& ctx) { return Reply(billing.Calendar(ctx.who())); });
  router_.Add("PUT", "/api/v1/operator/calendar/years", Access::kOperator,
              {"Load a year of the State Council holiday schedule (holiday-cn JSON)",
               "operator",
               Obj({{"year", Int()}, {"days", Array(Obj({{"date", Str()}, {"isOffDay", Bool()}}))}},
                   {"year", "days"}),
               Obj({{"year", Int()}, {"years", Array(Int())}}),
               200,
               {"invalid_calendar"},
               {}},
              [&billing](Context& ctx) {
                return Reply(billing.LoadCalendarYear(ctx.who(), ctx.body, ctx.meta));
              });
}

}  // namespace kelu::http
