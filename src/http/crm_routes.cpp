// CRM routes: customers, 查重, timeline, contacts, follow-ups, tasks, pools, settings and the
// recycle bin. Thin: parse, call CrmService, answer.
#include <fmt/format.h>

#include <tuple>

#include "core/validation.hpp"
#include "crm/service.hpp"
#include "http/api.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

json::value CustomerSchema() {
  return Obj({{"id", Int()},
              {"kind", Enum({"company", "person"})},
              {"name", Str()},
              {"short_name", Str()},
              {"industry", Str()},
              {"source", Str()},
              {"level", Str()},
              {"status", Str()},
              {"province", Str()},
              {"city", Str()},
              {"address", Str()},
              {"phones", Array(Str())},
              {"website", Str()},
              {"tags", Array(Str())},
              {"owner", Nullable(Obj({{"id", Int()}, {"name", Str()}}))},
              {"department_id", Nullable(Int())},
              {"pool_id", Nullable(Int())},
              {"in_pool", Bool()},
              {"last_follow_up_at", Nullable(Time())},
              {"next_follow_up_at", Nullable(Time())},
              {"notes", Str()},
              {"created_by", Nullable(Int())},
              {"created_at", Time()},
              {"updated_by", Nullable(Int())},
              {"updated_at", Time()},
              {"duplicates", Array(Ref("DuplicateMatch"))}});
}

json::value CustomerBody(bool creating) {
  std::vector<std::string> required;
  if (creating) required.push_back("name");
  std::vector<std::pair<std::string, json::value>> props = {
      {"kind", Enum({"company", "person"})},
      {"name", Str()},
      {"short_name", Str()},
      {"industry", Str("one of the tenant's industries")},
      {"source", Str("one of the tenant's sources")},
      {"level", Str("one of the tenant's levels")},
      {"status", Str("one of the tenant's statuses")},
      {"province", Str()},
      {"city", Str()},
      {"address", Str()},
      {"phones", Array(Str())},
      {"website", Str()},
      {"tags", Array(Str())},
      {"notes", Str()},
      {"custom", Obj({})}};
  if (creating) {
    props.push_back({"owner_id", Nullable(Int("default: the caller"))});
    props.push_back({"pool_id", Nullable(Int("create into this pool, with no owner"))});
  }
  return Obj(props, required);
}

json::value ContactSchema() {
  return Obj({{"id", Int()},
              {"customer_id", Int()},
              {"name", Str()},
              {"title", Str()},
              {"mobile", Str()},
              {"phone", Str()},
              {"email", Str()},
              {"wechat", Str()},
              {"birthday", Nullable(Str("YYYY-MM-DD"))},
              {"is_primary", Bool()},
              {"notes", Str()},
              {"created_at", Time()},
              {"updated_at", Time()}});
}

json::value FollowUpSchema() {
  return Obj({{"id", Int()},
              {"customer_id", Int()},
              {"contact_id", Nullable(Int())},
              {"type", Enum({"call", "visit", "wechat", "email", "sms", "other"})},
              {"content", Str()},
              {"at", Time()},
              {"next_at", Nullable(Time())},
              {"created_by", Obj({{"id", Int()}, {"name", Str()}})},
              {"created_at", Time()}});
}

json::value TaskSchema() {
  return Obj({{"id", Int()},
              {"title", Str()},
              {"due_at", Time()},
              {"assignee_id", Int()},
              {"customer_id", Nullable(Int())},
              {"follow_up_id", Nullable(Int())},
              {"done", Bool()},
              {"done_at", Nullable(Time())},
              {"created_at", Time()},
              {"updated_at", Time()}});
}

json::value PoolSchema() {
  return Obj({{"id", Int()}, {"name", Str()}, {"customers", Int()}, {"created_at", Time()}});
}

}  // namespace

void Api::RegisterCrmRoutes() {
  auto& crm = services_.crm;

  // --- Settings ---
  auto settings_schema = Obj({{"levels", Array(Str())},
                              {"statuses", Array(Str())},
                              {"sources", Array(Str())},
                              {"industries", Array(Str())},
                              {"duplicates", Obj({{"name", Enum({"warn", "block"})},
                                                  {"phone", Enum({"warn", "block"})},
                                                  {"email", Enum({"warn", "block"})}})},
                              {"pool", Obj({{"max_customers_per_user", Int()},
                                            {"max_claims_per_day", Int()},
                                            {"cooldown_days", Int()},
                                            {"warn_days", Int()},
                                            {"return_after_days", Obj({})},
                                            {"no_won_opportunity_days", Int()}})}});
  router_.Add("GET", "/api/v1/crm/settings", Access::kTenant,
              {"The tenant's CRM settings: choice lists, duplicate policy, pool rules",
               "crm",
               nullptr,
               settings_schema,
               200,
               {},
               {}},
              [&crm](Context& ctx) { return Reply(crm.GetSettings(ctx.who())); });
  router_.Add(
      "PUT", "/api/v1/crm/settings", Access::kTenant,
      {"Replace the CRM settings (boss and admin); omitted keys take the defaults",
       "crm",
       settings_schema,
       settings_schema,
       200,
       {"forbidden", "validation_failed"},
       {}},
      [&crm](Context& ctx) { return Reply(crm.PutSettings(ctx.who(), ctx.body, ctx.meta)); });

  // --- Customers ---
  router_.Add("GET", "/api/v1/customers", Access::kTenant,
              {"Customers within the caller's data scope, filtered and sorted",
               "customers",
               nullptr,
               ListOf(CustomerSchema()),
               200,
               {"validation_failed"},
               {{"limit", "1 to 200"},
                {"cursor", "from next_cursor"},
                {"sort",
                 "-updated_at (default), updated_at, -created_at, created_at, name, -name, "
                 "next_follow_up_at, -last_follow_up_at"},
                {"q", "name, short name or phone digits"},
                {"owner_id", "an id, me, or none (pool)"},
                {"pool_id", "customers waiting in this pool"},
                {"level", ""},
                {"status", ""},
                {"source", ""},
                {"industry", ""},
                {"province", ""},
                {"city", ""},
                {"kind", ""},
                {"tag", ""},
                {"created_from", "RFC 3339"},
                {"created_to", "RFC 3339"},
                {"with_total", "any value: also answer total"}}},
              Paged([&crm](Context& ctx, const identity::Page& page) {
                return Reply(crm.ListCustomersJson(ctx.who(), ctx.request.query, page));
              }));
  router_.Add(
      "POST", "/api/v1/customers", Access::kTenant,
      {"Create a customer; a duplicate under a block policy is refused, under a warn policy "
       "reported in duplicates",
       "customers",
       CustomerBody(true),
       CustomerSchema(),
       201,
       {"duplicate_customer", "validation_failed"},
       {}},
      [&crm](Context& ctx) {
        return Reply(crm.CreateCustomer(ctx.who(), ctx.body, ctx.meta), 201);
      });
  router_.Add(
      "GET", "/api/v1/customers/duplicates", Access::kTenant,
      {"查重: whether a customer with this name, phone or email exists, owned or in a pool",
       "customers",
       nullptr,
       Obj({{"exists", Bool()}, {"matches", Array(Ref("DuplicateMatch"))}}),
       200,
       {"validation_failed"},
       {{"name", "company or person name"}, {"phone", "any format"}, {"email", ""}}},
      [&crm](Context& ctx) { return Reply(crm.CheckDuplicates(ctx.who(), ctx.request.query)); });
  router_.Add("GET", "/api/v1/customers/{id}", Access::kTenant,
              {"One customer (in scope, or waiting in a pool)",
               "customers",
               nullptr,
               CustomerSchema(),
               200,
               {},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.GetCustomer(ctx.who(), id));
              }));
  router_.Add("PATCH", "/api/v1/customers/{id}", Access::kTenant,
              {"Update a customer's fields (owners change through assign, claim and return)",
               "customers",
               CustomerBody(false),
               CustomerSchema(),
               200,
               {"duplicate_customer", "validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.UpdateCustomer(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("DELETE", "/api/v1/customers/{id}", Access::kTenant,
              {"Move a customer to the recycle bin (restorable for 30 days)",
               "customers",
               nullptr,
               nullptr,
               204,
               {},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.DeleteCustomer(ctx.who(), id, ctx.meta));
              }));
  router_.Add("GET", "/api/v1/customers/{id}/timeline", Access::kTenant,
              {"The customer's timeline: follow-ups, contacts, ownership and pool moves",
               "customers",
               nullptr,
               ListOf(Obj({{"id", Int()},
                           {"at", Time()},
                           {"kind", Str()},
                           {"actor", Nullable(Obj({{"id", Int()}, {"name", Str()}}))},
                           {"data", Obj({})}})),
               200,
               {},
               Paging()},
              PagedById([&crm](Context& ctx, std::int64_t id, const identity::Page& page) {
                return Reply(crm.Timeline(ctx.who(), id, page));
              }));
  router_.Add("POST", "/api/v1/customers/{id}/claim", Access::kTenant,
              {"Claim a customer from its pool, within the holding and daily caps",
               "pool",
               nullptr,
               CustomerSchema(),
               200,
               {"customer_not_in_pool", "customer_cap_reached", "daily_claim_cap_reached",
                "reclaim_cooldown"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.Claim(ctx.who(), id, ctx.meta));
              }));
  router_.Add("POST", "/api/v1/customers/{id}/return", Access::kTenant,
              {"Return a customer to a pool, with a reason",
               "pool",
               Obj({{"reason", Str()}, {"pool_id", Nullable(Int())}}, {"reason"}),
               CustomerSchema(),
               200,
               {"customer_in_pool", "validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.Return(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("POST", "/api/v1/customers/{id}/assign", Access::kTenant,
              {"A manager gives a customer (owned in scope, or in a pool) to a user",
               "pool",
               Obj({{"owner_id", Int()}}, {"owner_id"}),
               CustomerSchema(),
               200,
               {"forbidden", "customer_cap_reached", "validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.Assign(ctx.who(), id, ctx.body, ctx.meta));
              }));

  router_.Add("POST", "/api/v1/customers/{id}/merge", Access::kTenant,
              {"Merge another customer into this one: contacts, follow-ups, opportunities, tasks "
               "and timeline move here",
               "customers",
               Obj({{"from_id", Int()}}, {"from_id"}),
               CustomerSchema(),
               200,
               {"validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.MergeCustomers(ctx.who(), id, ctx.body, ctx.meta));
              }));

  router_.Add("GET", "/api/v1/search", Access::kTenant,
              {"Search customers and contacts by any 2+ characters of a name, phone digits or "
               "email, within your scope; exact matches first",
               "search",
               nullptr,
               ListOf(Obj({{"type", Enum({"customer", "contact"})},
                           {"id", Int()},
                           {"customer_id", Int()},
                           {"name", Str()},
                           {"customer_name", Str()},
                           {"rank", Int("0 exact, 1 prefix, 2 anywhere")}})),
               200,
               {"validation_failed"},
               {{"q", "2 to 100 characters"}, {"limit", "1 to 50"}}},
              [&crm](Context& ctx) { return Reply(crm.Search(ctx.who(), ctx.request.query)); });

  // --- Saved views and dashboard ---
  auto view_schema =
      Obj({{"id", Int()},
           {"entity", Enum({"customers", "contacts", "follow_ups", "opportunities", "tasks"})},
           {"name", Str()},
           {"filters", Obj({})},
           {"created_at", Time()}});
  router_.Add("GET", "/api/v1/saved-views", Access::kTenant,
              {"Your saved list views", "views", nullptr, ListOf(view_schema), 200, {}, {}},
              [&crm](Context& ctx) { return Reply(crm.ListSavedViews(ctx.who())); });
  router_.Add("POST", "/api/v1/saved-views", Access::kTenant,
              {"Save a list's filters under a name",
               "views",
               Obj({{"entity", Str()}, {"name", Str()}, {"filters", Obj({})}},
                   {"entity", "name", "filters"}),
               view_schema,
               201,
               {"view_name_taken", "validation_failed"},
               {}},
              [&crm](Context& ctx) {
                return Reply(crm.CreateSavedView(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add("DELETE", "/api/v1/saved-views/{id}", Access::kTenant,
              {"Delete one of your saved views", "views", nullptr, nullptr, 204, {}, {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.DeleteSavedView(ctx.who(), id, ctx.meta));
              }));
  Route& dashboard = router_.Add(
      "GET", "/api/v1/dashboard", Access::kTenant,
      {"Dashboard figures within your scope: funnel, new customers and follow-ups per "
       "week, won amount per month, overdue follow-ups",
       "dashboard",
       nullptr,
       Obj({{"funnel", Array(Obj({{"stage_id", Int()},
                                  {"stage", Str()},
                                  {"probability", Int()},
                                  {"count", Int()},
                                  {"amount_fen", Int()}}))},
            {"weeks", Array(Str("Monday of each week"))},
            {"new_customers_per_week", Array(Int())},
            {"follow_ups_per_user_per_week",
             Array(Obj({{"user_id", Int()}, {"name", Str()}, {"counts", Array(Int())}}))},
            {"won_amount_per_month", Array(Obj({{"month", Str()}, {"amount_fen", Int()}}))},
            {"overdue_follow_ups", Int()}}),
       200,
       {"validation_failed"},
       {{"pipeline_id", "default: the first pipeline"}}},
      [&crm](Context& ctx) {
        return Reply(crm.Dashboard(ctx.who(), ctx.request.query, ctx.meta.now));
      });
  dashboard.slow = true;

  // --- Contacts ---
  auto contact_body = [](bool creating) {
    std::vector<std::string> required;
    if (creating) required = {"customer_id", "name"};
    std::vector<std::pair<std::string, json::value>> props = {
        {"name", Str()},
        {"title", Str()},
        {"mobile", Str()},
        {"phone", Str()},
        {"email", Str()},
        {"wechat", Str()},
        {"birthday", Nullable(Str("YYYY-MM-DD"))},
        {"is_primary", Bool()},
        {"notes", Str()},
        {"custom", Obj({})}};
    if (creating) props.push_back({"customer_id", Int()});
    return Obj(props, required);
  };
  router_.Add("GET", "/api/v1/contacts", Access::kTenant,
              {"Contacts of the customers the caller sees",
               "contacts",
               nullptr,
               ListOf(ContactSchema()),
               200,
               {"validation_failed"},
               {{"limit", "1 to 200"},
                {"cursor", "from next_cursor"},
                {"customer_id", ""},
                {"q", "name, mobile or email"}}},
              Paged([&crm](Context& ctx, const identity::Page& page) {
                return Reply(crm.ListContacts(ctx.who(), ctx.request.query, page));
              }));
  router_.Add("POST", "/api/v1/contacts", Access::kTenant,
              {"Add a contact to a customer; the first becomes primary",
               "contacts",
               contact_body(true),
               ContactSchema(),
               201,
               {"validation_failed"},
               {}},
              [&crm](Context& ctx) {
                return Reply(crm.CreateContact(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add(
      "GET", "/api/v1/contacts/{id}", Access::kTenant,
      {"One contact of a customer the caller sees",
       "contacts",
       nullptr,
       ContactSchema(),
       200,
       {},
       {}},
      ById([&crm](Context& ctx, std::int64_t id) { return Reply(crm.GetContact(ctx.who(), id)); }));
  router_.Add("PATCH", "/api/v1/contacts/{id}", Access::kTenant,
              {"Update a contact",
               "contacts",
               contact_body(false),
               ContactSchema(),
               200,
               {"validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.UpdateContact(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("DELETE", "/api/v1/contacts/{id}", Access::kTenant,
              {"Move a contact to the recycle bin", "contacts", nullptr, nullptr, 204, {}, {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.DeleteContact(ctx.who(), id, ctx.meta));
              }));

  // --- Follow-ups ---
  router_.Add("GET", "/api/v1/follow-ups", Access::kTenant,
              {"Follow-ups on the customers the caller sees, newest first",
               "follow-ups",
               nullptr,
               ListOf(FollowUpSchema()),
               200,
               {"validation_failed"},
               {{"limit", "1 to 200"},
                {"cursor", "from next_cursor"},
                {"customer_id", ""},
                {"created_by", ""},
                {"type", ""}}},
              Paged([&crm](Context& ctx, const identity::Page& page) {
                return Reply(crm.ListFollowUps(ctx.who(), ctx.request.query, page));
              }));
  router_.Add("POST", "/api/v1/follow-ups", Access::kTenant,
              {"Log a follow-up; a next_at time makes a reminder for the customer's owner",
               "follow-ups",
               Obj({{"customer_id", Int()},
                    {"contact_id", Nullable(Int())},
                    {"type", Enum({"call", "visit", "wechat", "email", "sms", "other"})},
                    {"content", Str()},
                    {"at", Time()},
                    {"next_at", Nullable(Time())}},
                   {"customer_id", "type", "content"}),
               FollowUpSchema(),
               201,
               {"validation_failed"},
               {}},
              [&crm](Context& ctx) {
                return Reply(crm.CreateFollowUp(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add("DELETE", "/api/v1/follow-ups/{id}", Access::kTenant,
              {"Move a follow-up to the recycle bin", "follow-ups", nullptr, nullptr, 204, {}, {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.DeleteFollowUp(ctx.who(), id, ctx.meta));
              }));

  // --- Tasks ---
  router_.Add("GET", "/api/v1/tasks", Access::kTenant,
              {"Your tasks and reminders: open, today, overdue or done",
               "tasks",
               nullptr,
               ListOf(TaskSchema()),
               200,
               {"validation_failed", "forbidden"},
               {{"limit", "1 to 200"},
                {"cursor", "from next_cursor"},
                {"view", "open (default), today, overdue, done"},
                {"assignee_id", "another user's (scope all)"}}},
              Paged([&crm](Context& ctx, const identity::Page& page) {
                return Reply(crm.ListTasks(ctx.who(), ctx.request.query, page, ctx.meta.now));
              }));
  router_.Add(
      "POST", "/api/v1/tasks", Access::kTenant,
      {"Create a task for yourself or, within your scope, for another user",
       "tasks",
       Obj({{"title", Str()},
            {"due_at", Time()},
            {"assignee_id", Nullable(Int())},
            {"customer_id", Nullable(Int())}},
           {"title", "due_at"}),
       TaskSchema(),
       201,
       {"validation_failed"},
       {}},
      [&crm](Context& ctx) { return Reply(crm.CreateTask(ctx.who(), ctx.body, ctx.meta), 201); });
  router_.Add("PATCH", "/api/v1/tasks/{id}", Access::kTenant,
              {"Update a task or mark it done",
               "tasks",
               Obj({{"title", Str()}, {"due_at", Time()}, {"done", Bool()}}),
               TaskSchema(),
               200,
               {"validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.UpdateTask(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("DELETE", "/api/v1/tasks/{id}", Access::kTenant,
              {"Move a task to the recycle bin", "tasks", nullptr, nullptr, 204, {}, {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.DeleteTask(ctx.who(), id, ctx.meta));
              }));

  // --- Pools ---
  router_.Add("GET", "/api/v1/pools", Access::kTenant,
              {"The tenant's customer pools (公海) with how many customers wait in each",
               "pool",
               nullptr,
               ListOf(PoolSchema()),
               200,
               {},
               {}},
              [&crm](Context& ctx) { return Reply(crm.ListPools(ctx.who())); });
  router_.Add(
      "POST", "/api/v1/pools", Access::kTenant,
      {"Create a pool (boss and admin)",
       "pool",
       Obj({{"name", Str()}}, {"name"}),
       PoolSchema(),
       201,
       {"forbidden", "pool_name_taken"},
       {}},
      [&crm](Context& ctx) { return Reply(crm.CreatePool(ctx.who(), ctx.body, ctx.meta), 201); });
  router_.Add("GET", "/api/v1/pools/{id}/customers", Access::kTenant,
              {"Customers waiting in a pool, open to every user to claim",
               "pool",
               nullptr,
               ListOf(CustomerSchema()),
               200,
               {},
               Paging()},
              PagedById([&crm](Context& ctx, std::int64_t id, const identity::Page& page) {
                return Reply(crm.PoolCustomers(ctx.who(), id, page));
              }));

  // --- Pipelines and opportunities ---
  auto stage_schema =
      Obj({{"id", Int()}, {"name", Str()}, {"probability", Int("0 to 100")}, {"position", Int()}});
  auto pipeline_schema = Obj({{"id", Int()}, {"name", Str()}, {"stages", Array(stage_schema)}});
  auto pipeline_body = [](bool creating) {
    std::vector<std::string> required;
    if (creating) required = {"name", "stages"};
    return Obj({{"name", Str()},
                {"stages", Array(Obj({{"id", Int("keep an existing stage")},
                                      {"name", Str()},
                                      {"probability", Int("0 to 100")}},
                                     {"name", "probability"}))}},
               required);
  };
  auto opportunity_schema =
      Obj({{"id", Int()},
           {"customer", Obj({{"id", Int()}, {"name", Str()}})},
           {"name", Str()},
           {"amount_fen", Int("fen")},
           {"weighted_amount_fen", Int("amount × stage probability")},
           {"pipeline_id", Int()},
           {"stage", Obj({{"id", Int()}, {"name", Str()}, {"probability", Int()}})},
           {"status", Enum({"open", "won", "lost"})},
           {"lost_reason", Str()},
           {"expected_close_date", Nullable(Str("YYYY-MM-DD"))},
           {"owner", Obj({{"id", Int()}, {"name", Str()}})},
           {"closed_at", Nullable(Time())},
           {"created_at", Time()},
           {"updated_at", Time()}});
  router_.Add("GET", "/api/v1/pipelines", Access::kTenant,
              {"Sales pipelines with their stages and win probabilities",
               "opportunities",
               nullptr,
               ListOf(pipeline_schema),
               200,
               {},
               {}},
              [&crm](Context& ctx) { return Reply(crm.ListPipelines(ctx.who(), ctx.meta.now)); });
  router_.Add("POST", "/api/v1/pipelines", Access::kTenant,
              {"Create a pipeline with its stages (boss and admin)",
               "opportunities",
               pipeline_body(true),
               pipeline_schema,
               201,
               {"forbidden", "validation_failed"},
               {}},
              [&crm](Context& ctx) {
                return Reply(crm.CreatePipeline(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add("PUT", "/api/v1/pipelines/{id}", Access::kTenant,
              {"Rename a pipeline or replace its stages; a stage holding opportunities stays",
               "opportunities",
               pipeline_body(false),
               pipeline_schema,
               200,
               {"forbidden", "stage_in_use", "validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.UpdatePipeline(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("GET", "/api/v1/opportunities", Access::kTenant,
              {"Opportunities the caller sees (by owner's scope)",
               "opportunities",
               nullptr,
               ListOf(opportunity_schema),
               200,
               {"validation_failed"},
               {{"limit", "1 to 200"},
                {"cursor", "from next_cursor"},
                {"pipeline_id", ""},
                {"stage_id", ""},
                {"customer_id", ""},
                {"owner_id", ""},
                {"status", "open, won or lost"}}},
              Paged([&crm](Context& ctx, const identity::Page& page) {
                return Reply(crm.ListOpportunities(ctx.who(), ctx.request.query, page));
              }));
  router_.Add("POST", "/api/v1/opportunities", Access::kTenant,
              {"Create an opportunity on a customer; it starts in the pipeline's first stage",
               "opportunities",
               Obj({{"customer_id", Int()},
                    {"name", Str()},
                    {"amount_fen", Int("fen")},
                    {"pipeline_id", Int()},
                    {"stage_id", Int()},
                    {"expected_close_date", Str("YYYY-MM-DD")},
                    {"owner_id", Int()},
                    {"custom", Obj({})}},
                   {"customer_id", "name", "amount_fen"}),
               opportunity_schema,
               201,
               {"validation_failed"},
               {}},
              [&crm](Context& ctx) {
                return Reply(crm.CreateOpportunity(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add("GET", "/api/v1/opportunities/{id}", Access::kTenant,
              {"One opportunity", "opportunities", nullptr, opportunity_schema, 200, {}, {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.GetOpportunity(ctx.who(), id));
              }));
  router_.Add("PATCH", "/api/v1/opportunities/{id}", Access::kTenant,
              {"Change an opportunity: move its stage, win it, lose it with a reason, reopen it",
               "opportunities",
               Obj({{"name", Str()},
                    {"amount_fen", Int()},
                    {"pipeline_id", Int()},
                    {"stage_id", Int()},
                    {"status", Enum({"open", "won", "lost"})},
                    {"lost_reason", Str("required when lost")},
                    {"expected_close_date", Nullable(Str())},
                    {"custom", Obj({})}}),
               opportunity_schema,
               200,
               {"validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.UpdateOpportunity(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add(
      "DELETE", "/api/v1/opportunities/{id}", Access::kTenant,
      {"Move an opportunity to the recycle bin", "opportunities", nullptr, nullptr, 204, {}, {}},
      ById([&crm](Context& ctx, std::int64_t id) {
        return Reply(crm.DeleteOpportunity(ctx.who(), id, ctx.meta));
      }));
  router_.Add("GET", "/api/v1/opportunities/{id}/history", Access::kTenant,
              {"Every stage and status change of an opportunity, oldest first",
               "opportunities",
               nullptr,
               ListOf(Obj({{"id", Int()},
                           {"at", Time()},
                           {"actor_id", Nullable(Int())},
                           {"from_stage", Nullable(Obj({{"id", Int()}, {"name", Str()}}))},
                           {"to_stage", Obj({{"id", Int()}, {"name", Str()}})},
                           {"from_status", Nullable(Str())},
                           {"to_status", Str()}})),
               200,
               {},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.OpportunityHistory(ctx.who(), id));
              }));

  // --- Import and export ---
  auto import_schema = Obj(
      {{"id", Int()},
       {"user_id", Int()},
       {"entity", Enum({"customers", "contacts", "follow_ups"})},
       {"filename", Str()},
       {"encoding", Enum({"utf-8", "utf-8-bom", "gb18030", "xlsx"})},
       {"status", Enum({"uploaded", "validating", "validated", "committing", "committed",
                        "reverted", "failed"})},
       {"dry_run", Bool()},
       {"mapping", Obj({})},
       {"progress", Obj({{"processed", Int()}, {"total", Int()}})},
       {"report", Obj({{"total", Int()},
                       {"valid", Int()},
                       {"invalid", Int()},
                       {"duplicates", Int()},
                       {"errors", Array(Obj({{"line", Int()}, {"code", Str()}, {"error", Str()}}))},
                       {"error_file", Nullable(Str())},
                       {"failure", Obj({{"code", Str()}, {"message", Str()}})}})},
       {"created_at", Time()},
       {"updated_at", Time()}});
  // A dry run or commit answers 200 when done within the request, 202 while it runs as a job
  // (poll GET /api/v1/imports/{id}).
  auto started = [](Result<json::object> r) {
    if (!r.ok()) return ErrorToResponse(r.error());
    const auto& status = r->at("status").as_string();
    return Reply(r, status == "validating" || status == "committing" ? 202 : 200);
  };
  auto mapping_body = Obj({{"mapping", Obj({}, {})}});
  Route& upload = router_.Add(
      "POST", "/api/v1/imports", Access::kTenant,
      {"Upload customers, contacts or follow-ups as CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX "
       "(the body is the file); answers the headers, a sample, the row count and a suggested "
       "mapping",
       "import",
       nullptr,
       Obj({{"id", Int()},
            {"entity", Str()},
            {"encoding", Str()},
            {"total_rows", Int()},
            {"headers", Array(Str())},
            {"mapping", Obj({})},
            {"fields", Array(Obj({{"key", Str()}, {"label", Str()}}))},
            {"sample", Array(Array(Str()))}}),
       201,
       {"empty_file", "missing_header", "unsupported_format", "invalid_encoding", "invalid_xlsx",
        "spreadsheet_too_large"},
       {{"entity", "customers (default), contacts or follow_ups"},
        {"filename", "the file's name"}}},
      [&crm](Context& ctx) {
        return Reply(crm.UploadImport(ctx.who(), ctx.request.query, ctx.request.body, ctx.meta),
                     201);
      });
  upload.raw_body = true;
  upload.body_limit = std::size_t{256} << 20;
  router_.Add("GET", "/api/v1/imports", Access::kTenant,
              {"Your imports (boss and admin: everyone's)",
               "import",
               nullptr,
               ListOf(import_schema),
               200,
               {},
               Paging()},
              Paged([&crm](Context& ctx, const identity::Page& page) {
                return Reply(crm.ListImports(ctx.who(), page));
              }));
  router_.Add(
      "GET", "/api/v1/imports/{id}", Access::kTenant,
      {"One import with its mapping and last report",
       "import",
       nullptr,
       import_schema,
       200,
       {},
       {}},
      ById([&crm](Context& ctx, std::int64_t id) { return Reply(crm.GetImport(ctx.who(), id)); }));
  Route& dry_run = router_.Add(
      "POST", "/api/v1/imports/{id}/dry-run", Access::kTenant,
      {"Check every row with the mapping and report errors and duplicates; writes nothing. "
       "Long files run as a job: 202, then poll the import",
       "import",
       mapping_body,
       import_schema,
       200,
       {"import_committed", "import_busy", "validation_failed"},
       {}},
      ById([&crm, started](Context& ctx, std::int64_t id) {
        return started(crm.DryRunImport(ctx.who(), id, ctx.body, ctx.meta));
      }));
  dry_run.slow = true;
  Route& commit = router_.Add(
      "POST", "/api/v1/imports/{id}/commit", Access::kTenant,
      {"Create the valid rows; bad rows go to the error file; a second commit answers the "
       "first's report. Long files run as a job: 202, then poll the import",
       "import",
       mapping_body,
       import_schema,
       200,
       {"import_busy", "validation_failed"},
       {}},
      ById([&crm, started](Context& ctx, std::int64_t id) {
        return started(crm.CommitImport(ctx.who(), id, ctx.body, ctx.meta));
      }));
  commit.slow = true;
  Route& revert = router_.Add("POST", "/api/v1/imports/{id}/revert", Access::kTenant,
                              {"Move what a committed import created to the recycle bin",
                               "import",
                               nullptr,
                               Obj({{"id", Int()}, {"status", Str()}, {"reverted", Int()}}),
                               200,
                               {"import_not_committed", "import_busy"},
                               {}},
                              ById([&crm](Context& ctx, std::int64_t id) {
                                return Reply(crm.RevertImport(ctx.who(), id, ctx.meta));
                              }));
  revert.slow = true;
  Route& errors =
      router_.Add("GET", "/api/v1/imports/{id}/errors", Access::kTenant,
                  {"The rows that failed, as CSV with an error column",
                   "import",
                   nullptr,
                   Str("CSV, UTF-8 with BOM"),
                   200,
                   {"no_error_file", "import_busy"},
                   {}},
                  ById([&crm](Context& ctx, std::int64_t id) {
                    auto csv = crm.ImportErrors(ctx.who(), id);
                    if (!csv.ok()) return ErrorToResponse(csv.error());
                    Response r;
                    r.body = std::move(csv).value();
                    r.set_header("Content-Type", "text/csv; charset=utf-8");
                    r.set_header("Content-Disposition",
                                 "attachment; filename=\"import-errors.csv\"; "
                                 "filename*=UTF-8''%E5%AF%BC%E5%85%A5%E9%94%99%E8%AF%AF.csv");
                    return r;
                  }));
  errors.slow = true;
  Route& customers_export = router_.Add(
      "GET", "/api/v1/exports/customers", Access::kTenant,
      {"Export the customer list (with the list's filters) as CSV, UTF-8 with BOM, formula "
       "cells neutralised; boss and admin",
       "export",
       nullptr,
       Str("CSV, UTF-8 with BOM"),
       200,
       {"export_forbidden", "validation_failed"},
       {{"format", "csv (default) or xlsx"},
        {"q", "and every other filter of GET /api/v1/customers"}}},
      [&crm](Context& ctx) {
        auto file = crm.ExportCustomers(ctx.who(), ctx.request.query, ctx.meta);
        if (!file.ok()) return ErrorToResponse(file.error());
        Response r;
        r.body = std::move(file->body);
        r.set_header("Content-Type", file->content_type);
        r.set_header("Content-Disposition", fmt::format("attachment; filename=\"customers.{0}\"; "
                                                        "filename*=UTF-8''%E5%AE%A2%E6%88%B7.{0}",
                                                        file->extension));
        return r;
      });
  customers_export.slow = true;

  for (const auto& [path, entity, what] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"/api/v1/exports/contacts", "contacts", "contacts"},
           {"/api/v1/exports/opportunities", "opportunities", "opportunities"},
           {"/api/v1/exports/follow-ups", "follow_ups", "follow-ups"}}) {
    Route& list_export = router_.Add(
        "GET", path, Access::kTenant,
        {"Export the " + what + " list (with its filters) as CSV or XLSX; boss and admin",
         "export",
         nullptr,
         Str("CSV, UTF-8 with BOM, or XLSX"),
         200,
         {"export_forbidden", "validation_failed"},
         {{"format", "csv (default) or xlsx"}, {"customer_id", "and the list's other filters"}}},
        [&crm, entity = entity](Context& ctx) {
          auto file = crm.ExportList(ctx.who(), entity, ctx.request.query, ctx.meta);
          if (!file.ok()) return ErrorToResponse(file.error());
          Response r;
          r.body = std::move(file->body);
          r.set_header("Content-Type", file->content_type);
          r.set_header("Content-Disposition",
                       fmt::format("attachment; filename=\"{}.{}\"", entity, file->extension));
          return r;
        });
    list_export.slow = true;
  }

  // --- Custom fields ---
  auto field_schema =
      Obj({{"id", Int()},
           {"entity", Enum({"customer", "contact", "opportunity"})},
           {"key", Str("the key in the records' custom object")},
           {"label", Str()},
           {"type", Enum({"text", "number", "money", "date", "select", "multi_select"})},
           {"options", Array(Str())},
           {"required", Bool()}});
  router_.Add(
      "GET", "/api/v1/custom-fields", Access::kTenant,
      {"Custom fields of customers, contacts and opportunities",
       "custom-fields",
       nullptr,
       ListOf(field_schema),
       200,
       {"validation_failed"},
       {{"entity", "customer, contact or opportunity"}}},
      [&crm](Context& ctx) { return Reply(crm.ListCustomFields(ctx.who(), ctx.request.query)); });
  router_.Add("POST", "/api/v1/custom-fields", Access::kTenant,
              {"Define a custom field (boss and admin); records carry its value under custom.KEY",
               "custom-fields",
               Obj({{"entity", Str()},
                    {"key", Str()},
                    {"label", Str()},
                    {"type", Str()},
                    {"options", Array(Str())},
                    {"required", Bool()}},
                   {"entity", "key", "label", "type"}),
               field_schema,
               201,
               {"forbidden", "field_key_taken", "validation_failed"},
               {}},
              [&crm](Context& ctx) {
                return Reply(crm.CreateCustomField(ctx.who(), ctx.body, ctx.meta), 201);
              });
  router_.Add("PATCH", "/api/v1/custom-fields/{id}", Access::kTenant,
              {"Change a custom field's label, options or whether it is required",
               "custom-fields",
               Obj({{"label", Str()}, {"options", Array(Str())}, {"required", Bool()}}),
               field_schema,
               200,
               {"forbidden", "validation_failed"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.UpdateCustomField(ctx.who(), id, ctx.body, ctx.meta));
              }));
  router_.Add("DELETE", "/api/v1/custom-fields/{id}", Access::kTenant,
              {"Remove a custom field and its values from every record",
               "custom-fields",
               nullptr,
               nullptr,
               204,
               {"forbidden"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.DeleteCustomField(ctx.who(), id, ctx.meta));
              }));

  // --- Recycle bin ---
  router_.Add(
      "GET", "/api/v1/recycle-bin", Access::kTenant,
      {"Deleted customers, contacts, follow-ups and tasks, restorable for 30 days (boss and "
       "admin)",
       "recycle-bin",
       nullptr,
       ListOf(Obj({{"id", Int()},
                   {"type", Enum({"customer", "contact", "follow_up", "task", "opportunity"})},
                   {"label", Str()},
                   {"deleted_at", Time()},
                   {"deleted_by", Nullable(Int())},
                   {"purge_at", Time()}})),
       200,
       {"forbidden"},
       Paging()},
      Paged([&crm](Context& ctx, const identity::Page& page) {
        return Reply(crm.RecycleBin(ctx.who(), page));
      }));
  router_.Add("POST", "/api/v1/recycle-bin/{type}/{id}/restore", Access::kTenant,
              {"Restore a deleted record within 30 days (boss and admin)",
               "recycle-bin",
               nullptr,
               Obj({{"type", Str()}, {"id", Int()}, {"restored", Bool()}}),
               200,
               {"forbidden", "restore_window_passed", "parent_deleted"},
               {}},
              ById([&crm](Context& ctx, std::int64_t id) {
                return Reply(crm.Restore(ctx.who(), ctx.params.at("type"), id, ctx.meta));
              }));
}

}  // namespace kelu::http
