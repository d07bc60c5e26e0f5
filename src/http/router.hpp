// Routes: a method, a path pattern with {parameters}, who may call it, its body limit and its
// OpenAPI description. The router matches a request to a route, or says which methods the
// path allows (for 405), or that nothing matches (404).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "http/message.hpp"

namespace kelu::http {

struct Context;

enum class Access {
  kPublic,      // no credentials
  kTenant,      // a tenant user, or an operator under the boss's support grant
  kTenantUser,  // a tenant user only: their own account (support gets 404)
  kOperator,    // provider staff
};

// What the OpenAPI document says of a route.
struct RouteDoc {
  std::string summary;
  std::string tag;
  json::value request;   // JSON Schema of the body, or null
  json::value response;  // JSON Schema of the success body, or null
  int success_status = 200;
  std::vector<std::string> errors;  // error codes the route may answer with, besides the usual
  std::vector<std::pair<std::string, std::string>> query;  // name → description
};

using Handler = std::function<Response(Context&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/users/{id}"
  Access access = Access::kPublic;
  Handler handler;
  RouteDoc doc;
  std::size_t body_limit = 0;           // 0: the server's default
  bool allow_pending_password = false;  // usable before a forced password change
  bool allow_inactive_tenant = false;   // usable while the tenant is not active (billing, me)
  bool raw_body = false;                // the body is a file, handed over unparsed
  // With raw_body: a new file path for each request; the body is written there as it arrives
  // (Request::body_file) instead of being held in memory.
  std::function<std::string()> spool_to;
  // May take seconds (uploads, exports, reports over a whole tenant): runs on the server's slow
  // lane, so the other connections of its thread are not held up. Uploads (raw_body) always do.
  bool slow = false;
  std::vector<std::string> segments;  // pattern split on '/'
  std::vector<bool> parameter;        // per segment: a {parameter} (else a literal)
};

struct Match {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  std::vector<std::string> allowed;  // methods of the path when the method did not match
};

class Router {
 public:
  // Adds a route; throws std::logic_error on a duplicate method and pattern.
  Route& Add(std::string method, std::string pattern, Access access, RouteDoc doc, Handler handler);
  Match Find(std::string_view method, std::string_view path) const;
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  std::vector<std::unique_ptr<Route>> routes_;
  // The routes by their number of segments and then their third segment (the resource, in
  // /api/v1/RESOURCE/…) when it is literal, in the order added; those with a parameter there,
  // or shorter, are under "". A path is compared only with the patterns of its length whose
  // third segment is its own or a parameter.
  std::map<std::size_t, std::map<std::string, std::vector<const Route*>, std::less<>>> by_shape_;
};

}  // namespace kelu::http
