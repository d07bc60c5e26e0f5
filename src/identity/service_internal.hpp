// Shared pieces of the IdentityService implementation files. Not a public interface.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "identity/service.hpp"

namespace kelu::identity::internal {

// Column list for users and the index of each column in a row read with it.
inline constexpr const char* kUserColumns =
    "user_id, login, name, email, mobile, role, department_id, status, must_change_password, "
    "password_changed_at, created_at, updated_at, password_hash, failed_logins, locked_until, "
    "tenant_id";
enum UserCol {
  kUId,
  kULogin,
  kUName,
  kUEmail,
  kUMobile,
  kURole,
  kUDept,
  kUStatus,
  kUMustChange,
  kUPwChanged,
  kUCreated,
  kUUpdated,
  kUHash,
  kUFailed,
  kULocked,
  kUTenant
};

// Token forms: ks_<tenant>_<session>_<secret> (user session), ko_<session>_<secret>
// (operator session), kp_<tenant>_<token>_<secret> (personal API token). Only the SHA-256
// of the secret is stored.
struct ParsedToken {
  char kind = 0;  // 's', 'o' or 'p'
  std::int64_t tenant_id = 0;
  std::int64_t id = 0;
  std::string secret;
};
bool ParseToken(std::string_view token, ParsedToken& out);

// Revokes every session and API token of one user; returns how many.
std::int64_t RevokeAllOf(storage::Connection& c, std::int64_t tenant_id, std::int64_t user_id,
                         Timestamp now);

// One user row read with kUserColumns, or nullopt.
// The key of a tenant user's sign-in delays (LoginDelays).
std::string UserDelayKey(std::int64_t tenant_id, std::string_view login);
std::optional<storage::Row> ReadUser(storage::Connection& c, std::int64_t tenant_id,
                                     std::int64_t user_id);

Error Forbidden();

}  // namespace kelu::identity::internal
