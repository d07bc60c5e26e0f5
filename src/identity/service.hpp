// Start here for identity: operators, tenants, users, departments, roles, sessions, API
// tokens, the audit log, login history, unauthorized-use reports and support grants.
// Every method takes the calling Principal (or a login) and RequestMeta, checks permission
// and tenancy itself, and writes its audit entry in the same transaction as the change.
// Results are JSON views for the HTTP layer; failures are Errors with stable codes.
// Thread-safe: state lives in the database (and the per-address login limiter).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "identity/paging.hpp"
#include "identity/password.hpp"
#include "identity/principal.hpp"
#include "identity/throttle.hpp"
#include "storage/database.hpp"

namespace kelu::identity {

struct LoginResult {
  std::string token;
  std::string csrf_token;
  Timestamp expires_at;
  json::object view;  // the body of the login answer, token included
};

// A new tenant and its first boss, validated and with the password hashed (outside any
// transaction: hashing is slow on purpose).
struct TenantSeed {
  std::string slug;
  std::string name;
  int seats = 1;
  std::string boss_login;
  std::string boss_name;
  std::string boss_email;
  std::string boss_mobile;
  std::optional<std::string> boss_password;  // nullopt: a temporary one is made
  bool temporary = false;
  std::string password_hash;
};

class IdentityService {
 public:
  IdentityService(storage::Database& db, const SecurityConfig& config, Zone zone);

  // --- Authentication -------------------------------------------------------------------
  Result<LoginResult> LoginUser(std::string_view tenant_slug, std::string_view login,
                                std::string_view password, const RequestMeta& meta);
  Result<LoginResult> LoginOperator(std::string_view email, std::string_view password,
                                    const RequestMeta& meta);
  // Resolves a bearer or cookie token. 401 unauthenticated / session_expired.
  Result<Principal> Authenticate(std::string_view token, Credential credential,
                                 const RequestMeta& meta);
  // The user `user_id` as a principal, for work done on their behalf after the request
  // (import jobs); 404 when the user is not active.
  Result<Principal> UserPrincipal(std::int64_t tenant_id, std::int64_t user_id);
  // An operator acting inside the tenant `slug`: needs an active grant, else 404.
  Result<Principal> ResolveSupport(const Principal& op, std::string_view slug,
                                   const RequestMeta& meta);
  Status Logout(const Principal& who, const RequestMeta& meta);
  // Revokes every session and API token of the caller.
  Status LogoutEverywhere(const Principal& who, const RequestMeta& meta);
  // How long a proof of the password counts for the changes that want a recent one.
  static constexpr auto kRecentProof = std::chrono::minutes(5);
  // Proves the caller's password again for this session (slowed like sign-in); answers until
  // when the proof counts. 422 when the password is wrong.
  Result<json::object> Reauthenticate(const Principal& who, std::string_view password,
                                      const RequestMeta& meta);
  // 403 reauthentication_required unless the caller is a session whose password was proved
  // within kRecentProof (never an API token or support access).
  Status RequireRecentProof(const Principal& who, const RequestMeta& meta) const;
  Status ChangePassword(const Principal& who, std::string_view current, std::string_view next,
                        const RequestMeta& meta);

  // --- The caller ------------------------------------------------------------------------
  Result<json::object> Me(const Principal& who);
  Result<json::object> MyLoginHistory(const Principal& who, const Page& page);

  // --- Users, departments, roles (boss and admin manage) ----------------------------------
  Result<json::object> ListUsers(const Principal& who, const Page& page);
  Result<json::object> GetUser(const Principal& who, std::int64_t id);
  Result<json::object> CreateUser(const Principal& who, const json::object& body,
                                  const RequestMeta& meta);
  Result<json::object> UpdateUser(const Principal& who, std::int64_t id, const json::object& body,
                                  const RequestMeta& meta);
  // Sets a temporary password the user must change at next sign-in; returns it once.
  Result<json::object> ResetPassword(const Principal& who, std::int64_t id,
                                     const RequestMeta& meta);
  Result<json::object> ListDepartments(const Principal& who);
  Result<json::object> CreateDepartment(const Principal& who, const json::object& body,
                                        const RequestMeta& meta);
  Result<json::object> UpdateDepartment(const Principal& who, std::int64_t id,
                                        const json::object& body, const RequestMeta& meta);
  Status DeleteDepartment(const Principal& who, std::int64_t id, const RequestMeta& meta);
  Result<json::object> ListRoles(const Principal& who);
  Result<json::object> SetRoleScope(const Principal& who, std::string_view role,
                                    const json::object& body, const RequestMeta& meta);
  // Where incident alerts are emailed (the operator's address).
  void set_alert_email(std::string address) { alert_email_ = std::move(address); }

  // --- Tenants (operator creation and self-service sign-up share these) ---------------------
  // Reads {slug, name, seats, boss {login, name, email, mobile, password?}} and prepares it.
  Result<TenantSeed> ReadTenantSeed(const json::object& body);
  // Checks the boss password against the policy (or makes a temporary one) and hashes it.
  Status PrepareTenantSeed(TenantSeed& seed);
  // Inserts the tenant in `state` and its boss in `c`; 409 slug_taken. Answers the tenant's
  // metadata with "boss" {id, login, temporary_password?}.
  Result<json::object> InsertTenant(storage::Connection& c, const TenantSeed& seed,
                                    std::string_view state, const RequestMeta& meta);

  // The scope of `who` as configured by the tenant (the boss: always all).
  DataScope ScopeOf(const Principal& who);

  // --- API tokens (each user their own) -------------------------------------------------------
  Result<json::object> ListApiTokens(const Principal& who);
  Result<json::object> CreateApiToken(const Principal& who, const json::object& body,
                                      const RequestMeta& meta);
  Status RevokeApiToken(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- Security: audit, login history, unauthorized use, support grants ---------------------
  Result<json::object> ListAudit(const Principal& who, const Page& page,
                                 const std::map<std::string, std::string>& filters);
  Result<json::object> TenantLoginHistory(const Principal& who, const Page& page,
                                          std::optional<std::int64_t> user_id);
  // A user reports their own account (`body` may carry a note); the boss may name users
  // ("user_ids") or all ("all": true).
  Result<json::object> ReportUnauthorizedUse(const Principal& who, const json::object& body,
                                             bool own_account, const RequestMeta& meta);
  Result<json::object> ListGrants(const Principal& who, Timestamp now);
  Result<json::object> CreateGrant(const Principal& who, const json::object& body,
                                   const RequestMeta& meta);
  Status RevokeGrant(const Principal& who, std::int64_t id, const RequestMeta& meta);
  Result<json::object> GetTenant(const Principal& who);

  // --- Operator ------------------------------------------------------------------------------
  Result<json::object> OperatorMe(const Principal& op);
  Result<json::object> CreateTenant(const Principal& op, const json::object& body,
                                    const RequestMeta& meta);
  Result<json::object> ListTenants(const Principal& op, const Page& page);
  Result<json::object> OperatorGetTenant(const Principal& op, std::int64_t id);
  Result<json::object> OperatorUpdateTenant(const Principal& op, std::int64_t id,
                                            const json::object& body, const RequestMeta& meta);
  Result<json::object> ListIncidents(const Principal& op, const Page& page);
  Result<json::object> ListOperatorAudit(const Principal& op, const Page& page);
  // Records one request made under a support grant in the tenant's audit log.
  void RecordSupportRequest(const Principal& support, std::string_view method,
                            std::string_view path, int status, const RequestMeta& meta);

  // --- Set-up (CLI)
  // ------------------------------------------------------------------------------- Creates or
  // updates the operator `email` with `password`.
  Status EnsureOperator(std::string_view email, std::string_view name, std::string_view password,
                        Timestamp now);
  // Creates tenant `slug` when missing; returns its id.
  Result<std::int64_t> EnsureTenant(std::string_view slug, std::string_view name, int seats,
                                    Timestamp now);
  // Creates or updates a user with `password` (not forced to change it).
  Result<std::int64_t> EnsureUser(std::int64_t tenant_id, std::string_view login,
                                  std::string_view name, Role role, std::string_view password,
                                  Timestamp now);
  // Deletes sessions that ended more than a day ago (a daily job).
  std::int64_t PurgeEndedSessions(Timestamp now);

  const PasswordPolicy& policy() const { return policy_; }
  const Zone& zone() const { return zone_; }

 private:
  // The user row (kUserColumns, then tenant slug and state) when the user is active.
  std::optional<storage::Row> ActiveUser(std::int64_t tenant_id, std::int64_t user_id);
  static Principal PrincipalOf(const storage::Row& user);
  Result<LoginResult> IssueUserSession(storage::Connection& c, const storage::Row& user,
                                       const RequestMeta& meta);
  Status RequireManager(const Principal& who) const;
  // 429 too_many_attempts when the caller's address has tried to sign in too often.
  Status ThrottleAddress(const RequestMeta& meta);
  json::object UserView(const storage::Row& r) const;
  std::string Format(Timestamp t) const { return FormatRfc3339(t, zone_); }
  std::string FormatMicros(std::int64_t us) const { return Format(FromMicros(us)); }
  json::value OptTime(const storage::Row& r, std::size_t i) const;
  HashCost cost() const { return {config_.argon2_memory_kib, config_.argon2_iterations}; }

  // Credentials checked within security.credential_cache_ms and before this process's last
  // write: the rows Authenticate read for a token (its session or API token, and the user),
  // taken again without a read. Only credentials that passed are kept.
  struct CheckedCredential {
    storage::Row credential;
    std::optional<storage::Row> user;
    std::uint64_t writes = 0;  // Database::write_count() before they were read
    std::chrono::steady_clock::time_point read_at;
  };
  std::optional<CheckedCredential> RecentlyChecked(std::string_view token);
  void RememberChecked(std::string_view token, CheckedCredential checked);

  storage::Database& db_;
  std::mutex checked_mutex_;
  std::unordered_map<std::string, CheckedCredential> checked_;
  SecurityConfig config_;
  PasswordPolicy policy_;
  Zone zone_;
  AttemptLimiter ip_limiter_;
  LoginDelays delays_;
  std::string dummy_hash_;
  std::string alert_email_;  // verified against for unknown logins, so timing does not tell
};

}  // namespace kelu::identity
