// SMS (step 4, in progress): the live preview of a draft and the sensitive-word lists.
#include "http/api.hpp"
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
                    {"sendable", Bool()}}),
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
  json::value signature = Obj({{"signature", Nullable(Str())},
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
}

}  // namespace kelu::http
