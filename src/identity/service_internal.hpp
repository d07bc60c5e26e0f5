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
    "mfa_enabled_at, tenant_id";
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
  kUMfaEnabled,
  kUTenant
};

// Column list for operators, and the index of each column.
inline constexpr const char* kOperatorColumns =
    "operator_id, name, password_hash, status, email, password_changed_at, mfa_enabled_at";
enum OperatorCol { kOId, kOName, kOHash, kOStatus, kOEmail, kOPwChanged, kOMfaEnabled };

// Token forms: ks_<tenant>_<session>_<secret> (user session), ko_<session>_<secret>
// (operator session), kp_<tenant>_<token>_<secret> (personal API token), kr_<tenant>_<link>_
// <secret> (an emailed sign-in link). Only the SHA-256 of the secret is stored.
struct ParsedToken {
  char kind = 0;  // 's', 'o', 'p' or 'r'
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
std::string OperatorDelayKey(std::string_view email);
// The answer while an account's delay runs: the same whether the account exists or not, and
// given before the password is looked at, so it says nothing about either.
Error Delayed(std::int64_t seconds, bool operator_account = false);
std::optional<storage::Row> ReadUser(storage::Connection& c, std::int64_t tenant_id,
                                     std::int64_t user_id);

Error Forbidden();

// Voids the user's emailed sign-in links not yet used: a new password makes them pointless, and
// one in a forwarded mail must not outlive it.
void VoidRecoveryLinks(storage::Connection& c, std::int64_t tenant_id, std::int64_t user_id,
                       Timestamp now);

}  // namespace kelu::identity::internal
