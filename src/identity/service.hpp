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
#include "core/secret_box.hpp"
#include "core/time.hpp"
#include "identity/paging.hpp"
#include "identity/password.hpp"
#include "identity/principal.hpp"
#include "identity/throttle.hpp"
#include "storage/database.hpp"

namespace kelu::identity {

struct LoginResult {
  std::string token;  // empty while the second step is pending
  std::string csrf_token;
  Timestamp expires_at;
  json::object view;  // the body of the login answer, token included
  // The password was right and a second step is wanted: view holds "mfa" {challenge, state,
  // expires_at, enrolment?}, and the challenge goes to CompleteUserMfa / CompleteOperatorMfa.
  std::string mfa_challenge;
};

// The second step of a sign-in or of a re-authentication: a code from the authenticator app or
// one of the recovery codes (one of the two).
struct SecondFactor {
  std::string code;
  std::string recovery_code;
  bool empty() const { return code.empty() && recovery_code.empty(); }
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
  // --- Two-step sign-in (mfa.cpp) ---------------------------------------------------------
  // How long the challenge of a sign-in's first step counts.
  static constexpr auto kMfaChallengeLifetime = std::chrono::minutes(5);
  // The second step: the challenge LoginUser answered and a code. Enrols the factor when the
  // challenge's state is "enrol" (the view then carries the recovery codes, shown once).
  // 401 mfa_challenge_invalid (expired, tampered, the password changed since), 401
  // invalid_mfa_code (wrong, or already used), 429 too_many_attempts.
  Result<LoginResult> CompleteUserMfa(std::string_view challenge, const SecondFactor& factor,
                                      const RequestMeta& meta);
  Result<LoginResult> CompleteOperatorMfa(std::string_view challenge, const SecondFactor& factor,
                                          const RequestMeta& meta);
  // The caller's own factor: a new secret to scan (recent proof wanted); confirmed by a code
  // from it, which answers the recovery codes.
  Result<json::object> StartMfaEnrolment(const Principal& who, const RequestMeta& meta);
  Result<json::object> ConfirmMfaEnrolment(const Principal& who, const SecondFactor& factor,
                                           const RequestMeta& meta);
  // New recovery codes, the old ones void. A user needs a recent proof; an operator gives a
  // current code.
  Result<json::object> RenewRecoveryCodes(const Principal& who, const SecondFactor& factor,
                                          const RequestMeta& meta);
  // Turns the caller's factor off (recent proof); 409 mfa_required when the tenant requires it.
  Status DisableMfa(const Principal& who, const RequestMeta& meta);
  // The boss or an admin removes a user's factor (a lost phone and no recovery codes left): the
  // user signs in with the password alone, or enrols again where the tenant requires it.
  Status ResetUserMfa(const Principal& who, std::int64_t user_id, const RequestMeta& meta);
  // The boss requires two-step sign-in of everyone in the tenant (or no longer does). The boss
  // must have a factor first: 409 mfa_not_enrolled.
  Result<json::object> SetTenantMfaRequired(const Principal& who, bool required,
                                            const RequestMeta& meta);
  // {enabled, required, enabled_at, recovery_codes_left}
  json::object MfaStatus(const Principal& who);
  // Gives the operator `email` the factor `secret` (set-up: the demo operator). Answers the
  // recovery codes.
  Result<std::vector<std::string>> EnsureOperatorMfa(std::string_view email,
                                                     std::string_view secret, Timestamp now);
  // Removes the operator's factor and ends their sessions (set-up, `kelu reset-operator-mfa`):
  // they enrol a new one at their next sign-in. 404 when there is no such operator.
  Status ResetOperatorMfa(std::string_view email, Timestamp now);
  // Seals the factors' secrets. Set once at start, before serving.
  void set_secrets(const SecretBox* secrets) { secrets_ = secrets; }
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
  // Proves the caller again for this session, by the password or a code of their factor
  // (slowed like sign-in); answers until when the proof counts. 422 when it is wrong.
  Result<json::object> Reauthenticate(const Principal& who, std::string_view password,
                                      const SecondFactor& factor, const RequestMeta& meta);
  // 403 reauthentication_required unless the caller is a session whose password was proved
  // within kRecentProof (never an API token or support access).
  Status RequireRecentProof(const Principal& who, const RequestMeta& meta) const;
  Status ChangePassword(const Principal& who, std::string_view current, std::string_view next,
                        const RequestMeta& meta);
  // --- Getting back in by email (recovery.cpp) --------------------------------------------
  // "Forgot password": emails the user of `login` in tenant `slug` a link that sets a new
  // password, when the account exists, is active and has an email; the same answer (OK)
  // whatever the case, so it tells nobody which accounts exist. At most one link per
  // security.recovery_link_interval_seconds per account.
  Status SendRecoveryLink(std::string_view slug, std::string_view login, const RequestMeta& meta);
  // The link's token and the new password: sets it, ends every session of the user, voids the
  // user's other links and lifts the sign-in delays. 401 recovery_link_invalid (unknown, used,
  // expired or superseded), 422 weak_password. Two-step sign-in stays as it was.
  Status CompleteRecovery(std::string_view token, std::string_view new_password,
                          const RequestMeta& meta);
  // Where links in emails point (server.public_url).
  void set_site_url(std::string url) { site_url_ = std::move(url); }

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
  LoginResult IssueOperatorSession(storage::Connection& c, const storage::Row& op,
                                   const RequestMeta& meta);
  // What a signed-in user's answer adds to the session: must_change_password and the tenant.
  void CompleteUserView(LoginResult& out, const storage::Row& user, std::string_view slug,
                        std::string_view state, Timestamp now) const;
  // The first step passed and a second is wanted: a challenge for `owner` in `state` ("verify"
  // or "enrol", which makes a new pending secret to scan).
  Result<LoginResult> MfaChallenge(storage::Connection& c, bool is_operator,
                                   std::int64_t tenant_id, std::int64_t id,
                                   std::string_view account, std::int64_t password_changed_at,
                                   bool enrol, const RequestMeta& meta);
  const SecretBox& secrets() const;
  Status RequireManager(const Principal& who) const;
  // validation_failed when `next` is one of the user's last policy().history passwords.
  Status CheckPasswordHistory(std::int64_t tenant_id, std::int64_t user_id, std::string_view next);
  // Keeps the old hash in the history and sets the new one (no longer to be changed).
  static void StorePassword(storage::Connection& c, std::int64_t tenant_id, std::int64_t user_id,
                            const std::string& old_hash, const std::string& new_hash,
                            Timestamp now);
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
  const SecretBox* secrets_ = nullptr;
  std::string site_url_ = "http://127.0.0.1:8080";
};

}  // namespace kelu::identity
