// The OpenAPI 3.1 document, generated from the router so that every route is in it with its
// summary, access, body and answers.
#include "http/api.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

json::value ErrorSchema() {
  return Obj({{"error", Obj({{"code", Str("stable machine code")},
                             {"message", Str("plain words")},
                             {"details", Obj({})}},
                            {"code", "message", "details"})}},
             {"error"});
}

std::string StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No content";
    case 400:
      return "Malformed request (invalid_json, bad_request)";
    case 401:
      return "No or bad credentials (unauthenticated, session_expired, invalid_credentials)";
    case 403:
      return "Not allowed (forbidden, csrf_failed, password_change_required, token_read_only)";
    case 404:
      return "Not found, or not visible to the caller";
    case 409:
      return "A rule forbids it in the current state";
    case 413:
      return "Body too large, or a spreadsheet past one of its limits (spreadsheet_too_large)";
    case 415:
      return "Body is not JSON, or is compressed (unsupported_media_type, "
             "unsupported_content_encoding)";
    case 422:
      return "Validation failed (details.fields)";
    case 429:
      return "Throttled or locked (Retry-After)";
    case 503:
      return "Database unavailable, or a statement ran out of time (database_unavailable, "
             "statement_timeout)";
    default:
      return "Answer";
  }
}

}  // namespace

json::object Api::OpenApi() const {
  json::object paths;
  for (const auto& r : router_.routes()) {
    json::object op;
    op["summary"] = r->doc.summary;
    op["operationId"] = r->method + " " + r->pattern;
    op["tags"] = json::array{r->doc.tag};
    json::array parameters;
    for (const auto& seg : r->segments) {
      if (seg.size() > 2 && seg.front() == '{') {
        std::string name = seg.substr(1, seg.size() - 2);
        parameters.push_back(json::object{{"name", name},
                                          {"in", "path"},
                                          {"required", true},
                                          {"schema", name == "id" ? Int() : Str()}});
      }
    }
    for (const auto& [name, description] : r->doc.query) {
      parameters.push_back(json::object{{"name", name},
                                        {"in", "query"},
                                        {"required", false},
                                        {"description", description},
                                        {"schema", Str()}});
    }
    if (!parameters.empty()) op["parameters"] = std::move(parameters);
    if (r->raw_body) {
      op["requestBody"] = json::object{
          {"required", true},
          {"content", json::object{{"text/csv", json::object{{"schema", Str("the file")}}}}}};
    } else if (!r->doc.request.is_null()) {
      op["requestBody"] = json::object{
          {"required", true},
          {"content",
           json::object{{"application/json", json::object{{"schema", r->doc.request}}}}}};
    }
    json::object responses;
    json::object ok{{"description", StatusText(r->doc.success_status)}};
    if (!r->doc.response.is_null()) {
      std::string type = r->pattern == "/metrics" ? "text/plain"
                         : r->doc.response.as_object().contains("type") &&
                                 r->doc.response.at("type") == "string" && r->pattern != "/metrics"
                             ? "text/csv"
                             : "application/json";
      ok["content"] = json::object{{type, json::object{{"schema", r->doc.response}}}};
    }
    responses[std::to_string(r->doc.success_status)] = std::move(ok);
    std::vector<int> errors = {400, 404, 503};
    if (r->access != Access::kPublic) errors.insert(errors.end(), {401, 403});
    if (!r->doc.request.is_null()) errors.insert(errors.end(), {413, 415, 422});
    for (const auto& code : r->doc.errors) {
      if (code == "seats_exhausted" || code == "last_boss" || code == "login_taken" ||
          code == "slug_taken" || code == "department_not_empty" || code == "boss_scope_fixed" ||
          code == "seats_below_active_users" || code == "clock_moves_forward_only" ||
          code == "duplicate_customer" || code == "customer_not_in_pool" ||
          code == "customer_cap_reached" || code == "daily_claim_cap_reached" ||
          code == "reclaim_cooldown" || code == "customer_in_pool" || code == "pool_name_taken" ||
          code == "restore_window_passed" || code == "parent_deleted" || code == "stage_in_use" ||
          code == "view_name_taken" || code == "field_key_taken" || code == "import_committed" ||
          code == "import_not_committed" || code == "callback_replayed") {
        errors.push_back(409);
      } else if (code == "account_locked" || code == "too_many_attempts") {
        errors.push_back(429);
      } else if (code == "invalid_credentials" || code == "callback_expired") {
        errors.push_back(401);
      } else if (code == "account_disabled" || code == "forbidden" || code == "session_required" ||
                 code == "reauthentication_required" ||
                 code == "export_forbidden") {
        errors.push_back(403);
      } else if (code == "spreadsheet_too_large") {
        errors.push_back(413);
      } else if (code == "weak_password" || code == "validation_failed" || code == "empty_file" ||
                 code == "missing_header" || code == "unsupported_format" ||
                 code == "invalid_xlsx" || code == "invalid_encoding") {
        errors.push_back(422);
      }
    }
    std::sort(errors.begin(), errors.end());
    errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
    for (int status : errors) {
      json::object e{
          {"description", StatusText(status)},
          {"content", json::object{{"application/json", json::object{{"schema", Ref("Error")}}}}}};
      responses[std::to_string(status)] = std::move(e);
    }
    if (!r->doc.errors.empty()) {
      json::array codes;
      for (const auto& c : r->doc.errors) codes.emplace_back(c);
      op["x-error-codes"] = std::move(codes);
    }
    op["responses"] = std::move(responses);
    switch (r->access) {
      case Access::kPublic:
        op["security"] = json::array{};
        break;
      case Access::kOperator:
        op["security"] = json::array{json::object{{"bearer", json::array{}}},
                                     json::object{{"operatorCookie", json::array{}}}};
        break;
      default:
        op["security"] = json::array{json::object{{"bearer", json::array{}}},
                                     json::object{{"sessionCookie", json::array{}}}};
    }
    op["x-access"] = r->access == Access::kPublic       ? "public"
                     : r->access == Access::kOperator   ? "operator"
                     : r->access == Access::kTenantUser ? "tenant_user"
                                                        : "tenant";
    std::string method = r->method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& path_item = paths[r->pattern];
    if (path_item.is_null()) path_item = json::object{};
    path_item.as_object()[method] = std::move(op);
  }
  json::object doc;
  doc["openapi"] = "3.1.0";
  doc["info"] = json::object{
      {"title", "Kelu (客录) API"},
      {"version", "1"},
      {"description",
       "The JSON API of Kelu, a hosted multi-tenant CRM. Money is integer fen in *_fen fields; "
       "timestamps are RFC 3339 with an offset; errors are {\"error\": {\"code\", \"message\", "
       "\"details\"}} with a stable code."}};
  doc["paths"] = std::move(paths);
  doc["components"] = json::object{
      {"schemas",
       json::object{{"Error", ErrorSchema()},
                    {"DuplicateMatch",
                     Obj({{"field", Enum({"name", "phone", "email"})},
                          {"status", Enum({"owned", "pool"})},
                          {"owner", Nullable(Obj({{"id", Int()}, {"name", Str()}}))},
                          {"customer", Nullable(Obj({{"id", Int()}, {"name", Str()}}))}})}}},
      {"securitySchemes",
       json::object{{"bearer", json::object{{"type", "http"}, {"scheme", "bearer"}}},
                    {"sessionCookie",
                     json::object{{"type", "apiKey"}, {"in", "cookie"}, {"name", "kelu_session"}}},
                    {"operatorCookie", json::object{{"type", "apiKey"},
                                                    {"in", "cookie"},
                                                    {"name", "kelu_operator_session"}}}}}};
  return doc;
}

}  // namespace kelu::http
