// Who is calling, as resolved from a session or token, and what the request says about
// where it came from. Plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "identity/roles.hpp"

namespace kelu::identity {

enum class PrincipalKind {
  kUser,      // a tenant's user
  kOperator,  // the provider's staff
  kSupport,   // an operator acting inside a tenant under the boss's grant
};

enum class Credential { kCookie, kSession, kApiToken };

struct Principal {
  PrincipalKind kind = PrincipalKind::kUser;
  Credential credential = Credential::kSession;
  std::int64_t tenant_id = 0;
  std::string tenant_slug;
  std::string tenant_state;
  std::int64_t user_id = 0;
  std::int64_t operator_id = 0;
  std::string name;
  std::string login;
  Role role = Role::kMember;
  std::optional<std::int64_t> department_id;
  std::int64_t session_id = 0;  // or the API token's id
  std::int64_t grant_id = 0;    // kSupport only
  bool read_only = false;       // a read-scoped API token or a read-only grant
  bool must_change_password = false;
  std::string csrf_token;
  // When the holder of this session last proved their password (sign-in or re-authentication);
  // never for API tokens and support access.
  std::optional<Timestamp> proved_at;

  bool is_tenant() const { return kind != PrincipalKind::kOperator; }
  // A tenant user signed in as the boss (support access never counts).
  bool is_boss() const { return kind == PrincipalKind::kUser && role == Role::kBoss; }
  // The boss or an admin, signed in themselves.
  bool is_boss_or_admin() const {
    return kind == PrincipalKind::kUser && (role == Role::kBoss || role == Role::kAdmin);
  }
};

// Where a request came from, for audit and login history; `now` from the injected clock.
struct RequestMeta {
  std::string ip;
  std::string user_agent;
  std::string request_id;
  Timestamp now;
};

}  // namespace kelu::identity
