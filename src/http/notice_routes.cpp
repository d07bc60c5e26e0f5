// Announcements, notices the operator records (postal mail, phone) and the support inbox.
#include "core/validation.hpp"
#include "http/api.hpp"
#include "http/idempotency.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

json::value ThreadSchema() {
  return Obj({{"id", Int()},
              {"tenant_slug", Str()},
              {"subject", Str()},
              {"status", Enum({"open", "answered", "closed"})},
              {"created_at", Time()},
              {"updated_at", Time()},
              {"messages", Array(Obj({{"id", Int()},
                                      {"author_kind", Enum({"tenant", "operator"})},
                                      {"author_name", Str()},
                                      {"body", Str()},
                                      {"created_at", Time()}}))}});
}

}  // namespace

void Api::RegisterNoticeRoutes() {
  auto& notices = services_.notices;
  auto& db = services_.db;
  auto open = [this](std::string method, std::string path, RouteDoc doc, Handler h) {
    Route& r = router_.Add(std::move(method), std::move(path), Access::kTenantUser, std::move(doc),
                           std::move(h));
    r.allow_inactive_tenant = true;
  };

  open("GET", "/api/v1/announcements",
       {"The operator's announcements to this tenant, unread first",
        "notices",
        nullptr,
        Obj({{"items", Array(Obj({{"id", Int()},
                                  {"title", Str()},
                                  {"body", Str()},
                                  {"published_at", Time()},
                                  {"read_at", Nullable(Time())}}))},
             {"unread", Int()}}),
        200,
        {},
        {}},
       [&notices](Context& ctx) { return Reply(notices.MyAnnouncements(ctx.who())); });
  open("POST", "/api/v1/announcements/{id}/read",
       {"Mark an announcement read for the caller", "notices", nullptr, nullptr, 204, {}, {}},
       ById([&notices](Context& ctx, std::int64_t id) {
         return Reply(notices.MarkRead(ctx.who(), id, ctx.meta));
       }));
  open("GET", "/api/v1/support/threads",
       {"The tenant's support conversations with the operator",
        "notices",
        nullptr,
        ListOf(Obj({{"id", Int()}, {"subject", Str()}, {"status", Str()}, {"updated_at", Time()}})),
        200,
        {"boss_only"},
        {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
       Paged([&notices](Context& ctx, const identity::Page& page) {
         return Reply(notices.ListThreads(ctx.who(), page));
       }));
  open("POST", "/api/v1/support/threads",
       {"Write to the operator (the operator is emailed)",
        "notices",
        Obj({{"subject", Str()}, {"body", Str()}}, {"subject", "body"}),
        ThreadSchema(),
        201,
        {"boss_only", "validation_failed"},
        {}},
       [&notices](Context& ctx) {
         return Reply(notices.OpenThread(ctx.who(), ctx.body, ctx.meta), 201);
       });
  open("GET", "/api/v1/support/threads/{id}",
       {"One support conversation with its messages",
        "notices",
        nullptr,
        ThreadSchema(),
        200,
        {"boss_only"},
        {}},
       ById([&notices](Context& ctx, std::int64_t id) {
         return Reply(notices.GetThread(ctx.who(), id));
       }));
  open("POST", "/api/v1/support/threads/{id}/messages",
       {"Add a message to a support conversation",
        "notices",
        Obj({{"body", Str()}}, {"body"}),
        ThreadSchema(),
        201,
        {"boss_only", "validation_failed"},
        {}},
       ById([&notices](Context& ctx, std::int64_t id) {
         return Reply(notices.Reply(ctx.who(), id, ctx.body, ctx.meta), 201);
       }));

  router_.Add(
      "POST", "/api/v1/operator/announcements", Access::kOperator,
      {"Publish an announcement to every tenant or chosen ones (a notice in each register)",
       "operator",
       Obj({{"title", Str()}, {"body", Str()}, {"tenant_ids", Array(Int())}}, {"title", "body"}),
       Obj({{"id", Int()}, {"audience", Str()}, {"tenants", Int()}}),
       201,
       {"validation_failed", "idempotency_key_required"},
       {}},
      Idempotent(db, [&notices](Context& ctx) {
        return Reply(notices.Publish(ctx.who(), ctx.body, ctx.meta), 201);
      }));
  router_.Add("GET", "/api/v1/operator/announcements", Access::kOperator,
              {"Published announcements with how many tenants and reads",
               "operator",
               nullptr,
               ListOf(Obj({{"id", Int()}, {"title", Str()}, {"tenants", Int()}, {"reads", Int()}})),
               200,
               {},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              Paged([&notices](Context& ctx, const identity::Page& page) {
                return Reply(notices.OperatorAnnouncements(ctx.who(), page));
              }));
  router_.Add("POST", "/api/v1/operator/tenants/{id}/notices", Access::kOperator,
              {"Record a notice sent by post (deemed delivered 48 h later) or by phone, with its "
               "evidence",
               "operator",
               Obj({{"channel", Enum({"mail", "phone"})},
                    {"kind", Str()},
                    {"recipient", Str()},
                    {"subject", Str()},
                    {"body", Str()},
                    {"sent_at", Time()},
                    {"evidence", Str("tracking number or call record")}},
                   {"channel", "kind", "recipient", "subject", "sent_at", "evidence"}),
               Obj({{"id", Int()}, {"sent_at", Time()}, {"deemed_delivered_at", Time()}}),
               201,
               {"validation_failed"},
               {}},
              ById([&notices](Context& ctx, std::int64_t id) {
                return Reply(notices.RecordNotice(ctx.who(), id, ctx.body, ctx.meta), 201);
              }));
  router_.Add(
      "GET", "/api/v1/operator/support/threads", Access::kOperator,
      {"The support inbox: conversations of every tenant",
       "operator",
       nullptr,
       ListOf(Obj({{"id", Int()}, {"tenant_slug", Str()}, {"subject", Str()}, {"status", Str()}})),
       200,
       {},
       {{"status", "open, answered or closed"},
        {"limit", "1 to 200"},
        {"cursor", "from next_cursor"}}},
      Paged([&notices](Context& ctx, const identity::Page& page) {
        std::string status = ctx.request.query_param("status").value_or("");
        if (!status.empty() && status != "open" && status != "answered" && status != "closed") {
          return ErrorToResponse(FieldError("status", "must be open, answered or closed"));
        }
        return Reply(notices.OperatorThreads(ctx.who(), status, page));
      }));
  router_.Add("GET", "/api/v1/operator/support/threads/{id}", Access::kOperator,
              {"One support conversation", "operator", nullptr, ThreadSchema(), 200, {}, {}},
              ById([&notices](Context& ctx, std::int64_t id) {
                return Reply(notices.GetThread(ctx.who(), id));
              }));
  router_.Add("POST", "/api/v1/operator/support/threads/{id}/messages", Access::kOperator,
              {"Answer a support conversation (the tenant is emailed)",
               "operator",
               Obj({{"body", Str()}}, {"body"}),
               ThreadSchema(),
               201,
               {"validation_failed"},
               {}},
              ById([&notices](Context& ctx, std::int64_t id) {
                return Reply(notices.Reply(ctx.who(), id, ctx.body, ctx.meta), 201);
              }));
  router_.Add("POST", "/api/v1/operator/support/threads/{id}/close", Access::kOperator,
              {"Close a support conversation", "operator", nullptr, nullptr, 204, {}, {}},
              ById([&notices](Context& ctx, std::int64_t id) {
                return Reply(notices.CloseThread(ctx.who(), id, ctx.meta));
              }));
}

}  // namespace kelu::http
