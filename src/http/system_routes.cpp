// Health, readiness, metrics, the OpenAPI document and the operator's test clock.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "core/random.hpp"
#include "core/validation.hpp"
#include "http/api.hpp"
#include "http/schema.hpp"
#include "identity/audit.hpp"

namespace kelu::http {

using namespace schema;

// A ping reads; a full or read-only disk only shows when something is written. Each probe
// writes a little, as real writes would, and answers what failed.
std::optional<std::string> Api::ProbeDatabaseWrite(Timestamp now) {
  try {
    auto done = services_.db.Write([&](storage::Connection& c) {
      c.Exec("DELETE FROM kelu_settings WHERE key = 'ready.probe'");
      c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('ready.probe', ?)",
             {storage::V(std::to_string(ToMicros(now)))});
      return OkStatus();
    });
    if (!done.ok()) return "database_unwritable";
  } catch (const std::exception&) {
    return "database_unwritable";
  }
  return std::nullopt;
}

std::optional<std::string> Api::ProbeFilesWrite() {
  // A page of bytes, synced: a full disk refuses it even where a byte would still fit.
  std::string path = config_.files.dir + "/.ready-probe-" + UniqueId();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return "files_unwritable";
  static const std::string page(4096, 'k');
  bool ok = std::fwrite(page.data(), 1, page.size(), f) == page.size() && std::fflush(f) == 0 &&
            ::fsync(fileno(f)) == 0;
  ok = std::fclose(f) == 0 && ok;
  std::remove(path.c_str());
  if (!ok) return "files_unwritable";
  return std::nullopt;
}

void Api::RegisterSystemRoutes() {
  router_.Add(
      "GET", "/healthz", Access::kPublic,
      {"Liveness: the process answers", "system", nullptr, Obj({{"status", Str()}}), 200, {}, {}},
      [](Context&) {
        return JsonResponse(200, json::object{{"status", "ok"}});
      });

  router_.Add("GET", "/readyz", Access::kPublic,
              {"Readiness: the database is reachable and takes a write, and the files directory "
               "takes one; else 503 not_ready naming each reason",
               "system",
               nullptr,
               Obj({{"status", Str()}}),
               200,
               {"database_unavailable", "not_ready"},
               {}},
              [this](Context& ctx) {
                if (!services_.db.Ping()) {
                  Response r = ErrorToResponse(
                      Error::Make(ErrorKind::kUnavailable, "database_unavailable",
                                  "The database is unavailable; try again shortly."));
                  r.set_header("Retry-After", "5");
                  return r;
                }
                json::array reasons;
                if (auto why = ProbeDatabaseWrite(ctx.meta.now)) reasons.emplace_back(*why);
                if (auto why = ProbeFilesWrite()) reasons.emplace_back(*why);
                if (!reasons.empty()) {
                  Response r = ErrorToResponse(Error::Make(
                      ErrorKind::kUnavailable, "not_ready",
                      "The service cannot save writes now (a full disk, or a read-only one).",
                      json::object{{"reasons", std::move(reasons)}}));
                  r.set_header("Retry-After", "5");
                  return r;
                }
                return JsonResponse(200, json::object{{"status", "ready"}});
              });

  router_.Add("GET", "/metrics", Access::kPublic,
              {"Prometheus metrics: requests, latency, database pool, job runs, the list's cache "
               "(only with Authorization: Bearer server.metrics_token; 404 otherwise)",
               "system",
               nullptr,
               Str("Prometheus text format"),
               200,
               {},
               {}},
              [this](Context& ctx) {
                // Not found, rather than forbidden, for a request without the token.
                const std::string& token = config_.server.metrics_token;
                auto auth = ctx.request.header("authorization").value_or("");
                if (token.empty() || !auth.starts_with("Bearer ") ||
                    !ConstantTimeEqual(auth.substr(7), token)) {
                  return ErrorToResponse(Error::NotFound("route"));
                }
                auto pool = services_.db.Stats();
                Metrics::Gauges g;
                g["kelu_db_pool_in_use"] = {"Database connections in use.", pool.in_use};
                g["kelu_db_pool_idle"] = {"Idle database connections.", pool.idle};
                auto lists = services_.crm.list_cache_stats();
                g["kelu_customer_list_cache_entries"] = {
                    "Customers the list keeps rendered.", static_cast<double>(lists.entries)};
                g["kelu_customer_list_cache_bytes"] = {"Memory those take, about.",
                                                       static_cast<double>(lists.bytes)};
                g["kelu_customer_list_cache_hits"] = {
                    "Listed customers served from what was kept, since start.",
                    static_cast<double>(lists.hits)};
                g["kelu_customer_list_cache_misses"] = {
                    "Listed customers read and rendered anew, since start.",
                    static_cast<double>(lists.misses)};
                Response r;
                r.body = metrics_.Render(g);
                r.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                return r;
              });

  router_.Add(
      "GET", "/api/openapi.json", Access::kPublic,
      {"This OpenAPI 3.1 document", "system", nullptr, Obj({{"openapi", Str()}}), 200, {}, {}},
      [this](Context&) { return JsonResponse(200, OpenApi()); });

  auto clock_view = [this] {
    json::object o;
    o["now"] = FormatRfc3339(services_.clock.now(), services_.identity.zone());
    o["test_clock"] = services_.test_clock != nullptr;
    return o;
  };
  auto clock_schema =
      Obj({{"now", Time()},
           {"test_clock", Bool()},
           {"jobs_run", Array(Obj({{"job", Str()}, {"date", Str()}, {"ok", Bool()}}))}});
  router_.Add("GET", "/api/v1/operator/clock", Access::kOperator,
              {"The server's clock (test clock when serving with --test-clock)",
               "operator",
               nullptr,
               clock_schema,
               200,
               {},
               {}},
              [clock_view](Context&) { return JsonResponse(200, clock_view()); });

  router_.Add(
      "POST", "/api/v1/operator/clock", Access::kOperator,
      {"Move the test clock forward, running every daily job for each day crossed",
       "operator",
       Obj({{"now", Time()}}, {"now"}),
       clock_schema,
       200,
       {"test_clock_disabled", "clock_moves_forward_only"},
       {}},
      [this, clock_view](Context& ctx) {
        if (!services_.test_clock) {
          return ErrorToResponse(
              Error::Make(ErrorKind::kNotFound, "test_clock_disabled",
                          "The clock can only be moved when the server runs with --test-clock."));
        }
        auto text = GetString(ctx.body, "now");
        auto target = text ? ParseRfc3339(*text) : std::nullopt;
        if (!target)
          return ErrorToResponse(FieldError("now", "must be an RFC 3339 timestamp with an offset"));
        Timestamp current = services_.test_clock->now();
        if (*target < current) {
          json::object d;
          d["now"] = FormatRfc3339(current, services_.identity.zone());
          return ErrorToResponse(
              Error::Conflict("clock_moves_forward_only",
                              "The test clock only moves forward; it is already at " +
                                  FormatRfc3339(current, services_.identity.zone()) + ".",
                              std::move(d)));
        }
        auto runs = services_.scheduler.RunDue(*target, services_.test_clock);
        services_.test_clock->set(*target);
        services_.db
            .Write([&](storage::Connection& c) {
              c.Exec("DELETE FROM kelu_settings WHERE key = 'test_clock.now'");
              c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('test_clock.now', ?)",
                     {storage::V(std::to_string(ToMicros(*target)))});
              const auto& zone = services_.identity.zone();
              identity::RecordOperatorAudit(c, ctx.who().operator_id, ctx.who().name, ctx.meta,
                                            {"clock.move", "clock", "test_clock",
                                             json::object{{"now", FormatRfc3339(current, zone)}},
                                             json::object{{"now", FormatRfc3339(*target, zone)}}},
                                            0);
              return OkStatus();
            })
            .ok();
        json::object o = clock_view();
        json::array jobs;
        for (const auto& r : runs) {
          jobs.push_back(json::object{{"job", r.job}, {"date", FormatDate(r.date)}, {"ok", r.ok}});
        }
        o["jobs_run"] = std::move(jobs);
        return JsonResponse(200, o);
      });
}

}  // namespace kelu::http
