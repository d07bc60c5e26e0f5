// SMS: the preview, the sensitive-word lists, signatures, templates, sending, the history, the
// opt-out list and the provider's signed callbacks.
#include "http/api.hpp"
#include "http/idempotency.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

void Api::RegisterMessagingRoutes() {
  auto& svc = services_.messaging;
  json::value words = Obj({{"words", Array(Str())}, {"count", Int()}});
  router_.Add("POST", "/api/v1/sms/preview", Access::kTenant,
              {"Characters, segments and points of a draft SMS, and the sensitive words in it",
               "sms",
               Obj({{"text", Str()},
                    {"signature", Str("without 【】; the tenant's by default")},
                    {"recipients", Int()},
                    {"type", Enum({"notification", "marketing"})}},
                   {"text"}),
               Obj({{"message", Str()},
                    {"characters", Int()},
                    {"segments", Int()},
                    {"recipients", Int()},
                    {"points", Int()},
                    {"sensitive_words", Array(Str())},
                    {"sendable", Bool()},
                    {"marketing_window", Str("HH:MM-HH:MM, Asia/Shanghai")}}),
               200,
               {"validation_failed"},
               {}},
              [&svc](Context& ctx) { return Reply(svc.Preview(ctx.who(), ctx.body)); });
  router_.Add("GET", "/api/v1/sms/sensitive-words", Access::kTenant,
              {"The tenant's own sensitive words (added to the operator's list)",
               "sms",
               nullptr,
               words,
               200,
               {},
               {}},
              [&svc](Context& ctx) { return Reply(svc.TenantWords(ctx.who())); });
  router_.Add(
      "PUT", "/api/v1/sms/sensitive-words", Access::kTenant,
      {"Replace the tenant's own sensitive words (boss and admins)",
       "sms",
       Obj({{"words", Array(Str())}}, {"words"}),
       words,
       200,
       {"forbidden", "validation_failed"},
       {}},
      [&svc](Context& ctx) { return Reply(svc.PutTenantWords(ctx.who(), ctx.body, ctx.meta)); });
  json::value signature = Obj({{"tenant_id", Int()},
                               {"signature", Nullable(Str())},
                               {"status", Enum({"none", "pending", "approved", "rejected"})},
                               {"requested_at", Nullable(Time())},
                               {"decided_at", Nullable(Time())},
                               {"reason", Nullable(Str())}});
  router_.Add("GET", "/api/v1/sms/signature", Access::kTenant,
              {"The tenant's SMS signature and whether the operator approved it",
               "sms",
               nullptr,
               signature,
               200,
               {},
               {}},
              [&svc](Context& ctx) { return Reply(svc.Signature(ctx.who())); });
  router_.Add(
      "PUT", "/api/v1/sms/signature", Access::kTenant,
      {"Ask for an SMS signature (2 to 20 characters, without 【】); it waits for the "
       "operator's approval",
       "sms",
       Obj({{"signature", Str()}}, {"signature"}),
       signature,
       200,
       {"forbidden", "validation_failed"},
       {}},
      [&svc](Context& ctx) { return Reply(svc.RequestSignature(ctx.who(), ctx.body, ctx.meta)); });
  router_.Add(
      "GET", "/api/v1/operator/sms/signatures", Access::kOperator,
      {"SMS signatures waiting for approval", "operator", nullptr, ListOf(signature), 200, {}, {}},
      [&svc](Context& ctx) { return Reply(svc.PendingSignatures(ctx.who())); });
  for (bool approve : {true, false}) {
    router_.Add("POST",
                approve ? "/api/v1/operator/sms/signatures/{id}/approve"
                        : "/api/v1/operator/sms/signatures/{id}/reject",
                Access::kOperator,
                {approve ? "Approve a tenant's SMS signature (id: the tenant)"
                         : "Reject a tenant's SMS signature with a reason (id: the tenant)",
                 "operator",
                 Obj({{"reason", Str()}},
                     approve ? std::vector<std::string>{} : std::vector<std::string>{"reason"}),
                 signature,
                 200,
                 {"signature_decided", "validation_failed"},
                 {}},
                ById([&svc, approve](Context& ctx, std::int64_t id) {
                  return Reply(svc.DecideSignature(ctx.who(), id, approve, ctx.body, ctx.meta));
                }));
  }
  router_.Add("GET", "/api/v1/operator/sms/sensitive-words", Access::kOperator,
              {"The operator's sensitive-word list, applied to every tenant",
               "operator",
               nullptr,
               words,
               200,
               {},
               {}},
              [&svc](Context&) { return Reply(svc.OperatorWords()); });
  router_.Add(
      "PUT", "/api/v1/operator/sms/sensitive-words", Access::kOperator,
      {"Replace the operator's sensitive-word list",
       "operator",
       Obj({{"words", Array(Str())}}, {"words"}),
       words,
       200,
       {"validation_failed"},
       {}},
      [&svc](Context& ctx) { return Reply(svc.PutOperatorWords(ctx.who(), ctx.body, ctx.meta)); });
  RegisterSmsSendingRoutes();
  RegisterFaxRoutes();
}

void Api::RegisterSmsSendingRoutes() {
  auto& svc = services_.messaging;
  json::value tmpl =
      Obj({{"id", Int()},
           {"name", Str()},
           {"type", Enum({"notification", "marketing"})},
           {"body", Str("with {客户名称}, {联系人}, {职务}, {负责人}; {联系人|默认}")},
           {"created_at", Time()},
           {"updated_at", Time()}});
  router_.Add("GET", "/api/v1/sms/templates", Access::kTenant,
              {"The tenant's SMS templates", "sms", nullptr, ListOf(tmpl), 200, {}, {}},
              [&svc](Context& ctx) { return Reply(svc.Templates(ctx.who())); });
  router_.Add(
      "POST", "/api/v1/sms/templates", Access::kTenant,
      {"Create an SMS template (boss and admins)",
       "sms",
       Obj({{"name", Str()}, {"type", Enum({"notification", "marketing"})}, {"body", Str()}},
           {"name", "type", "body"}),
       tmpl,
       201,
       {"forbidden", "validation_failed"},
       {}},
      [&svc](Context& ctx) {
        return Reply(svc.CreateTemplate(ctx.who(), ctx.body, ctx.meta), 201);
      });
  router_.Add(
      "PATCH", "/api/v1/sms/templates/{id}", Access::kTenant,
      {"Change an SMS template (boss and admins)",
       "sms",
       Obj({{"name", Str()}, {"type", Enum({"notification", "marketing"})}, {"body", Str()}}),
       tmpl,
       200,
       {"forbidden", "not_found", "validation_failed"},
       {}},
      ById([&svc](Context& ctx, std::int64_t id) {
        return Reply(svc.UpdateTemplate(ctx.who(), id, ctx.body, ctx.meta));
      }));
  router_.Add("DELETE", "/api/v1/sms/templates/{id}", Access::kTenant,
              {"Delete an SMS template (boss and admins)",
               "sms",
               nullptr,
               nullptr,
               204,
               {"forbidden", "not_found"},
               {}},
              ById([&svc](Context& ctx, std::int64_t id) {
                return Reply(svc.DeleteTemplate(ctx.who(), id, ctx.meta));
              }));

  json::value message =
      Obj({{"id", Int()},
           {"batch_id", Int()},
           {"customer_id", Nullable(Int())},
           {"contact_id", Nullable(Int())},
           {"phone", Str()},
           {"content", Str("as sent: 【signature】text")},
           {"segments", Int()},
           {"points", Int("held, then charged on acceptance")},
           {"status", Enum({"queued", "sending", "accepted", "refused", "failed", "cancelled"})},
           {"reason", Nullable(Str())},
           {"detail", Nullable(Str())},
           {"attempts", Int()},
           {"scheduled_for", Nullable(Time())},
           {"accepted_at", Nullable(Time())},
           {"delivery", Nullable(Enum({"delivered", "undelivered"}))},
           {"delivered_at", Nullable(Time())},
           {"receipts", Int()},
           {"created_at", Time()}});
  json::value batch = Obj({{"id", Int()},
                           {"type", Enum({"notification", "marketing"})},
                           {"body", Str()},
                           {"signature", Str()},
                           {"audience", Obj({})},
                           {"recipients", Int()},
                           {"points_held", Int()},
                           {"points_charged", Int()},
                           {"counts", Obj({})},
                           {"delivery", Obj({})},
                           {"scheduled_for", Nullable(Time())},
                           {"created_at", Time()},
                           {"refusals", Array(Obj({{"phone", Str()}, {"reason", Str()}}))}});
  json::value send_body = Obj(
      {{"type", Enum({"notification", "marketing"})},
       {"text", Str("up to 500 characters, template variables allowed")},
       {"template_id", Int()},
       {"to",
        Obj({{"contact_ids", Array(Int())},
             {"customer_ids", Array(Int())},
             {"filter", Obj({{"entity", Enum({"customers", "contacts"})}, {"query", Obj({})}})}})},
       {"send_partial", Bool()}},
      {"to"});
  std::vector<std::string> send_errors{
      "validation_failed", "sensitive_words",       "sms_signature_required",
      "sms_opted_out",     "sms_frequency_limited", "insufficient_points",
      "no_mobile",         "too_many_recipients",   "tenant_suspended"};
  router_.Add(
      "POST", "/api/v1/sms/sends", Access::kTenant,
      {"Send an SMS to contacts, customers or a filtered list (Idempotency-Key "
       "honoured)",
       "sms",
       send_body,
       batch,
       201,
       send_errors,
       {}},
      Idempotent(
          services_.db,
          [&svc](Context& ctx) { return Reply(svc.Send(ctx.who(), ctx.body, ctx.meta), 201); },
          false));
  router_.Add(
      "POST", "/api/v1/contacts/{id}/sms", Access::kTenant,
      {"Send an SMS to one contact",
       "sms",
       Obj({{"type", Enum({"notification", "marketing"})},
            {"text", Str()},
            {"template_id", Int()}}),
       batch,
       201,
       send_errors,
       {}},
      Idempotent(services_.db, ById([&svc, &crm = services_.crm](Context& ctx, std::int64_t id) {
                   // Another tenant's or an invisible contact is 404 before anything else.
                   if (auto seen = crm.GetContact(ctx.who(), id); !seen.ok()) {
                     return Reply(seen);
                   }
                   json::object body = ctx.body;
                   body["to"] = json::object{{"contact_ids", json::array{id}}};
                   return Reply(svc.Send(ctx.who(), body, ctx.meta), 201);
                 }),
                 false));
  router_.Add("GET", "/api/v1/sms/sends", Access::kTenant,
              {"SMS sends (the boss and admins see all, others their own)",
               "sms",
               nullptr,
               ListOf(batch),
               200,
               {},
               Paging()},
              Paged([&svc](Context& ctx, const identity::Page& page) {
                return Reply(svc.Batches(ctx.who(), page));
              }));
  router_.Add(
      "GET", "/api/v1/sms/sends/{id}", Access::kTenant,
      {"One SMS send with its counts and points", "sms", nullptr, batch, 200, {"not_found"}, {}},
      ById([&svc](Context& ctx, std::int64_t id) { return Reply(svc.Batch(ctx.who(), id)); }));
  router_.Add("GET", "/api/v1/sms/sends/{id}/messages", Access::kTenant,
              {"The messages of a send, with their status and delivery",
               "sms",
               nullptr,
               ListOf(message),
               200,
               {"not_found"},
               Paging()},
              PagedById([&svc](Context& ctx, std::int64_t id, const identity::Page& page) {
                return Reply(svc.BatchMessages(ctx.who(), id, page));
              }));
  router_.Add("GET", "/api/v1/customers/{id}/sms", Access::kTenant,
              {"The SMS sent to a customer and its contacts",
               "sms",
               nullptr,
               ListOf(message),
               200,
               {"not_found"},
               Paging()},
              PagedById([&svc](Context& ctx, std::int64_t id, const identity::Page& page) {
                return Reply(svc.CustomerMessages(ctx.who(), id, page));
              }));
  router_.Add("GET", "/api/v1/sms/outbox", Access::kTenant,
              {"What the log gateway accepted, as it would have gone out (the boss)",
               "sms",
               nullptr,
               ListOf(message),
               200,
               {"boss_only"},
               Paging()},
              Paged([&svc](Context& ctx, const identity::Page& page) {
                return Reply(svc.Outbox(ctx.who(), page));
              }));

  json::value opt_out =
      Obj({{"phone", Str()}, {"source", Enum({"reply", "manual"})}, {"at", Time()}});
  router_.Add("GET", "/api/v1/sms/opt-outs", Access::kTenant,
              {"Numbers that opted out of marketing messages",
               "sms",
               nullptr,
               ListOf(opt_out),
               200,
               {},
               Paging()},
              Paged([&svc](Context& ctx, const identity::Page& page) {
                return Reply(svc.OptOuts(ctx.who(), page));
              }));
  router_.Add(
      "POST", "/api/v1/sms/opt-outs", Access::kTenant,
      {"Add a number to the opt-out list",
       "sms",
       Obj({{"phone", Str()}}, {"phone"}),
       opt_out,
       201,
       {"validation_failed"},
       {}},
      [&svc](Context& ctx) { return Reply(svc.AddOptOut(ctx.who(), ctx.body, ctx.meta), 201); });
  router_.Add("DELETE", "/api/v1/sms/opt-outs/{phone}", Access::kTenant,
              {"Take a number off the opt-out list (boss and admins)",
               "sms",
               nullptr,
               nullptr,
               204,
               {"forbidden", "not_found"},
               {}},
              [&svc](Context& ctx) {
                return Reply(svc.RemoveOptOut(ctx.who(), ctx.params.at("phone"), ctx.meta));
              });

  // The provider calls these, signed with sms.callback_secret (X-Kelu-Timestamp and
  // X-Kelu-Signature: sha256=HMAC(secret, timestamp + "." + body)).
  router_.Add("POST", "/api/v1/sms/gateway/receipts", Access::kPublic,
              {"Delivery receipts from the SMS provider (signed)",
               "sms",
               Obj({{"receipts", Array(Obj({{"id", Str()},
                                            {"status", Enum({"delivered", "undelivered"})},
                                            {"code", Str()}}))}},
                   {"receipts"}),
               Obj({{"recorded", Int()}, {"duplicates", Int()}, {"unknown", Int()}}),
               200,
               {"bad_signature", "callback_expired", "callback_replayed", "validation_failed"},
               {}},
              [&svc](Context& ctx) {
                return Reply(svc.Receipts(ctx.request.body,
                                          ctx.request.header("x-kelu-timestamp").value_or(""),
                                          ctx.request.header("x-kelu-signature").value_or("")));
              });
  router_.Add(
      "POST", "/api/v1/sms/gateway/replies", Access::kPublic,
      {"Replies to our messages from the SMS provider (signed); R/TD opts out",
       "sms",
       Obj({{"replies",
             Array(Obj({{"id", Str()}, {"ext", Str()}, {"from", Str()}, {"text", Str()}}))}},
           {"replies"}),
       Obj({{"opted_out", Int()}, {"other", Int()}, {"unknown", Int()}}),
       200,
       {"bad_signature", "callback_expired", "callback_replayed", "validation_failed"},
       {}},
      [&svc](Context& ctx) {
        return Reply(svc.Replies(ctx.request.body,
                                 ctx.request.header("x-kelu-timestamp").value_or(""),
                                 ctx.request.header("x-kelu-signature").value_or("")));
      });
}

void Api::RegisterFaxRoutes() {
  auto& svc = services_.fax;
  json::value fax =
      Obj({{"id", Int()},
           {"attachment_id", Int()},
           {"customer_id", Int()},
           {"filename", Str()},
           {"number", Str()},
           {"pages", Int("counted from the PDF")},
           {"points", Int("one fax point per page")},
           {"status", Enum({"queued", "sending", "sent", "refused", "failed", "cancelled"})},
           {"reason", Nullable(Str())},
           {"detail", Nullable(Str())},
           {"attempts", Int()},
           {"next_attempt_at", Nullable(Time())},
           {"sent_at", Nullable(Time())},
           {"created_at", Time()}});
  router_.Add(
      "POST", "/api/v1/faxes", Access::kTenant,
      {"Fax a PDF attachment to a number (pages counted, points held; Idempotency-Key "
       "honoured)",
       "fax",
       Obj({{"attachment_id", Int()}, {"number", Str()}}, {"attachment_id", "number"}),
       fax,
       201,
       {"validation_failed", "not_found", "not_a_pdf", "pdf_unreadable", "pdf_locked",
        "too_many_pages", "sensitive_words", "insufficient_points", "tenant_suspended"},
       {}},
      Idempotent(
          services_.db,
          [&svc](Context& ctx) { return Reply(svc.Send(ctx.who(), ctx.body, ctx.meta), 201); },
          false));
  router_.Add("GET", "/api/v1/faxes", Access::kTenant,
              {"Faxes (the boss and admins see all, others their own)",
               "fax",
               nullptr,
               ListOf(fax),
               200,
               {},
               Paging()},
              Paged([&svc](Context& ctx, const identity::Page& page) {
                return Reply(svc.List(ctx.who(), page));
              }));
  router_.Add(
      "GET", "/api/v1/faxes/{id}", Access::kTenant,
      {"One fax and its status", "fax", nullptr, fax, 200, {"not_found"}, {}},
      ById([&svc](Context& ctx, std::int64_t id) { return Reply(svc.Get(ctx.who(), id)); }));
}

}  // namespace kelu::http
