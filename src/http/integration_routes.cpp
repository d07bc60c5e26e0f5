// §6: the directory of third-party links (with its disclaimer) and the tenant's webhooks.
#include "http/api.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

json::value LinkSchema() {
  return Obj({{"id", Int()},
              {"name", Str()},
              {"url", Str()},
              {"category", Str()},
              {"description", Str()}});
}

json::value WebhookSchema() {
  return Obj({{"id", Int()},
              {"url", Str()},
              {"events", Array(Str())},
              {"status", Enum({"active", "revoked"})},
              {"created_at", Time()},
              {"revoked_at", Nullable(Time())},
              {"secret", Str("only when created")}});
}

}  // namespace

void Api::RegisterIntegrationRoutes() {
  auto& svc = services_.integrations;
  json::value directory = Obj({{"disclaimer", Str()}, {"items", Array(LinkSchema())}});
  router_.Add("GET", "/api/v1/integrations", Access::kTenantUser,
              {"Third-party links and integrations, with the operator's disclaimer (§6)",
               "integrations",
               nullptr,
               directory,
               200,
               {},
               {}},
              [&svc](Context&) { return Reply(svc.Directory()); });
  router_.Add("GET", "/api/v1/webhooks", Access::kTenantUser,
              {"The tenant's outgoing webhooks and the events they may subscribe to",
               "integrations",
               nullptr,
               Obj({{"items", Array(WebhookSchema())}, {"events", Array(Str())}}),
               200,
               {"forbidden"},
               {}},
              [&svc](Context& ctx) { return Reply(svc.ListWebhooks(ctx.who())); });
  router_.Add("POST", "/api/v1/webhooks", Access::kTenantUser,
              {"Add a webhook for chosen events; its signing secret is shown once",
               "integrations",
               Obj({{"url", Str()}, {"events", Array(Str())}}, {"url", "events"}),
               WebhookSchema(),
               201,
               {"forbidden", "validation_failed"},
               {}},
              [&svc](Context& ctx) {
                return Reply(svc.CreateWebhook(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add("DELETE", "/api/v1/webhooks/{id}", Access::kTenantUser,
              {"Revoke a webhook: nothing more is sent to it",
               "integrations",
               nullptr,
               nullptr,
               204,
               {"forbidden"},
               {}},
              ById([&svc](Context& ctx, std::int64_t id) {
                return Reply(svc.RevokeWebhook(ctx.who(), id, ctx.meta));
              }));
  router_.Add("GET", "/api/v1/webhooks/{id}/deliveries", Access::kTenantUser,
              {"Deliveries of a webhook, newest first, with their outcome",
               "integrations",
               nullptr,
               ListOf(Obj({{"id", Int()},
                           {"event", Str()},
                           {"status", Str()},
                           {"attempts", Int()},
                           {"last_status", Nullable(Int())}})),
               200,
               {"forbidden"},
               {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}}},
              PagedById([&svc](Context& ctx, std::int64_t id, const identity::Page& page) {
                return Reply(svc.Deliveries(ctx.who(), id, page));
              }));
  router_.Add("GET", "/api/v1/operator/integrations", Access::kOperator,
              {"The directory of third-party links as tenants see it",
               "operator",
               nullptr,
               directory,
               200,
               {},
               {}},
              [&svc](Context&) { return Reply(svc.Directory()); });
  router_.Add(
      "POST", "/api/v1/operator/integrations", Access::kOperator,
      {"Add a third-party link or integration to the directory",
       "operator",
       Obj({{"name", Str()}, {"url", Str()}, {"category", Str()}, {"description", Str()}},
           {"name", "url"}),
       LinkSchema(),
       201,
       {"validation_failed"},
       {}},
      [&svc](Context& ctx) { return Reply(svc.AddLink(ctx.who(), ctx.body, ctx.meta), 201); });
  router_.Add("DELETE", "/api/v1/operator/integrations/{id}", Access::kOperator,
              {"Remove a link from the directory", "operator", nullptr, nullptr, 204, {}, {}},
              ById([&svc](Context& ctx, std::int64_t id) {
                return Reply(svc.RemoveLink(ctx.who(), id, ctx.meta));
              }));
}

}  // namespace kelu::http
