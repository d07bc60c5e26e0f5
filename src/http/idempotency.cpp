#include "http/idempotency.hpp"

#include <fmt/format.h>

#include "core/random.hpp"

namespace kelu::http {

using storage::Connection;
using storage::V;

namespace {

// An entry left "in progress" this long by a process that died is taken over.
constexpr std::int64_t kStaleMicros = std::int64_t{5} * 60 * 1000000;

std::string ScopeOf(const identity::Principal& p) {
  if (p.kind == identity::PrincipalKind::kOperator)
    return fmt::format("operator:{}", p.operator_id);
  return fmt::format("user:{}:{}", p.tenant_id, p.user_id);
}

}  // namespace

Handler Idempotent(storage::Database& db, Handler handler, bool required) {
  return [&db, handler = std::move(handler), required](Context& ctx) -> Response {
    auto key = ctx.request.header("idempotency-key");
    if (!key && !required) return handler(ctx);
    if (!key || key->empty() || key->size() > 200) {
      return ErrorToResponse(Error::Make(
          ErrorKind::kBadRequest, "idempotency_key_required",
          "Send an Idempotency-Key header (1 to 200 characters) with this request, and the "
          "same key when you retry it."));
    }
    std::string scope = ScopeOf(ctx.who());
    std::string k(*key);
    std::string digest =
        Sha256Hex(ctx.request.method + " " + ctx.request.path + "\n" + ctx.request.body);
    std::int64_t now = ToMicros(ctx.meta.now);
    enum class Claim { kRun, kReplay, kReused, kBusy };
    struct Outcome {
      Claim claim = Claim::kRun;
      int status = 0;
      std::string body;
    };
    auto claimed = db.Write([&](Connection& c) -> Result<Outcome> {
      auto row = c.QueryOne(
          "SELECT request_hash, status_code, response, created_at FROM idempotency_keys "
          "WHERE scope = ? AND key = ?",
          {V(scope), V(k)});
      Outcome o;
      if (!row) {
        // Two first requests racing: only one inserts; the other is told to retry.
        if (c.Exec("INSERT INTO idempotency_keys (scope, key, request_hash, status_code, "
                   "response, created_at) VALUES (?, ?, ?, NULL, NULL, ?) "
                   "ON CONFLICT (scope, key) DO NOTHING",
                   {V(scope), V(k), V(digest), V(now)}) == 0) {
          o.claim = Claim::kBusy;
        }
        return o;
      }
      if (row->text(0) != digest) {
        o.claim = Claim::kReused;
      } else if (!row->is_null(1)) {
        o.claim = Claim::kReplay;
        o.status = static_cast<int>(row->integer(1));
        o.body = row->text(2);
      } else if (now - row->integer(3) < kStaleMicros) {
        o.claim = Claim::kBusy;
      } else {
        c.Exec("UPDATE idempotency_keys SET created_at = ? WHERE scope = ? AND key = ?",
               {V(now), V(scope), V(k)});
      }
      return o;
    });
    if (!claimed.ok()) return ErrorToResponse(claimed.error());
    switch (claimed->claim) {
      case Claim::kReused:
        return ErrorToResponse(
            Error::Make(ErrorKind::kInvalid, "idempotency_key_reused",
                        "This Idempotency-Key was used with a different request; use a new key."));
      case Claim::kBusy:
        return ErrorToResponse(Error::Conflict(
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still being processed; retry shortly."));
      case Claim::kReplay: {
        Response r;
        r.status = claimed->status;
        r.body = claimed->body;
        r.set_header("Content-Type", "application/json");
        r.set_header("Idempotent-Replayed", "true");
        return r;
      }
      case Claim::kRun:
        break;
    }
    Response response = handler(ctx);
    db.Write([&](Connection& c) {
      if (response.status >= 500) {
        c.Exec("DELETE FROM idempotency_keys WHERE scope = ? AND key = ?", {V(scope), V(k)});
      } else {
        c.Exec(
            "UPDATE idempotency_keys SET status_code = ?, response = ? WHERE scope = ? AND key = ?",
            {V(response.status), V(response.body), V(scope), V(k)});
      }
    });
    return response;
  };
}

}  // namespace kelu::http
