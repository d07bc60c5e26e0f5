// IdentityService: two-step sign-in. The factor is a TOTP secret (identity/totp.hpp) sealed
// with the data key, plus Argon2-hashed one-time recovery codes; both live on the user's or the
// operator's own row. A sign-in's first step answers a sealed challenge (who, until when, the
// password's version), so nothing is stored between the steps; a code is spent by a
// compare-and-set on the row, so two requests can never both spend one.
#include <fmt/format.h>

#include "core/qr.hpp"
#include "core/random.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/service.hpp"
#include "identity/service_internal.hpp"
#include "identity/totp.hpp"

namespace kelu::identity {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

constexpr std::string_view kIssuer = "客录";

// Whose factor a row holds: a tenant user's or an operator's.
struct FactorOwner {
  bool is_operator = false;
  std::int64_t tenant_id = 0;
  std::int64_t id = 0;

  static FactorOwner Of(const Principal& who) {
    return who.kind == PrincipalKind::kOperator ? FactorOwner{true, 0, who.operator_id}
                                                : FactorOwner{false, who.tenant_id, who.user_id};
  }
  const char* table() const { return is_operator ? "operators" : "users"; }
  const char* where() const {
    return is_operator ? "operator_id = ?" : "tenant_id = ? AND user_id = ?";
  }
  storage::Params key() const {
    return is_operator ? storage::Params{V(id)} : storage::Params{V(tenant_id), V(id)};
  }
  // `params` followed by the row's key.
  storage::Params with_key(storage::Params params) const {
    for (auto& v : key()) params.push_back(std::move(v));
    return params;
  }
};

struct FactorRow {
  std::optional<std::string> secret;   // sealed
  std::optional<std::string> pending;  // sealed
  std::optional<std::int64_t> enabled_at;
  std::int64_t last_step = 0;
  std::string recovery_codes;  // JSON array of hashes
  std::int64_t password_changed_at = 0;
};

std::optional<FactorRow> ReadFactor(Connection& c, const FactorOwner& owner) {
  auto r = c.QueryOne(
      fmt::format("SELECT mfa_secret, mfa_pending_secret, mfa_enabled_at, mfa_last_step, "
                  "mfa_recovery_codes, password_changed_at FROM {} WHERE {}",
                  owner.table(), owner.where()),
      owner.key());
  if (!r) return std::nullopt;
  return FactorRow{r->opt_text(0), r->opt_text(1), r->opt_integer(2), r->integer(3), r->text(4),
                   r->integer(5)};
}

std::vector<std::string> CodeHashes(const std::string& json_list) {
  std::vector<std::string> out;
  auto v = ParseJson(json_list);
  if (!v || !v->is_array()) return out;
  for (const auto& h : v->as_array()) {
    if (h.is_string()) out.emplace_back(h.as_string());
  }
  return out;
}

std::string CodeList(const std::vector<std::string>& hashes) {
  json::array a;
  for (const auto& h : hashes) a.emplace_back(h);
  return ToJson(a);
}

// What a code proved, spent in the transaction that acts on it.
struct Proof {
  bool recovery = false;
  std::int64_t step = 0;  // the TOTP step matched
  std::string codes_before, codes_after;  // recovery: the list before and after
  int codes_left = 0;
};

// Codes are guessed against a counter of their own, which neither a new password nor the
// emailed link resets: those prove the password, not the phone.
std::string CodeDelayKey(const std::string& account) { return "code:" + account; }

Error InvalidCode() {
  return Error::Make(ErrorKind::kUnauthorized, "invalid_mfa_code",
                     "The code is wrong or has been used; enter the current code from your "
                     "authenticator app, or a recovery code.");
}

Error InvalidChallenge() {
  return Error::Make(ErrorKind::kUnauthorized, "mfa_challenge_invalid",
                     "This sign-in has expired or is no longer valid; sign in again.");
}

Error NoFactor() {
  return Error::Conflict("mfa_not_enrolled", "Two-step sign-in is not set up for this account.");
}

json::array ToArray(const std::vector<std::string>& codes) {
  json::array a;
  for (const auto& c : codes) a.emplace_back(c);
  return a;
}

}  // namespace

const SecretBox& IdentityService::secrets() const {
  if (!secrets_) throw std::logic_error("IdentityService: set_secrets was not called");
  return *secrets_;
}

// --- Checking and spending codes --------------------------------------------------------------

namespace {

// Checks `factor` against the row (outside a transaction: recovery codes take an Argon2 check
// each). `use_pending`: against the secret being enrolled.
std::optional<Proof> Check(const FactorRow& row, const SecondFactor& factor, bool use_pending,
                           const SecretBox& box, Timestamp now) {
  if (!factor.code.empty()) {
    const auto& sealed = use_pending ? row.pending : row.secret;
    if (!sealed) return std::nullopt;
    auto secret = box.Open(*sealed);
    if (!secret) return std::nullopt;
    // A secret being enrolled is new: no code of it has been taken yet.
    auto step = MatchTotp(*secret, factor.code, now, use_pending ? 0 : row.last_step);
    if (!step) return std::nullopt;
    return Proof{false, *step, {}, {}, 0};
  }
  if (factor.recovery_code.empty() || use_pending || !row.enabled_at) return std::nullopt;
  std::string typed = NormalizeRecoveryCode(factor.recovery_code);
  if (typed.empty()) return std::nullopt;
  auto hashes = CodeHashes(row.recovery_codes);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (!VerifyPassword(hashes[i], typed)) continue;
    Proof p;
    p.recovery = true;
    p.codes_before = row.recovery_codes;
    hashes.erase(hashes.begin() + static_cast<std::ptrdiff_t>(i));
    p.codes_after = CodeList(hashes);
    p.codes_left = static_cast<int>(hashes.size());
    return p;
  }
  return std::nullopt;
}

// Spends the proof on the row; false when another request spent it (or a later code) first.
bool Spend(Connection& c, const FactorOwner& owner, const Proof& p) {
  if (p.recovery) {
    return c.Exec(fmt::format("UPDATE {} SET mfa_recovery_codes = ? WHERE {} AND "
                              "mfa_recovery_codes = ?",
                              owner.table(), owner.where()),
                  [&] {
                    auto params = owner.with_key({V(p.codes_after)});
                    params.push_back(V(p.codes_before));
                    return params;
                  }()) == 1;
  }
  auto params = owner.with_key({V(p.step)});
  params.push_back(V(p.step));
  return c.Exec(fmt::format("UPDATE {} SET mfa_last_step = ? WHERE {} AND mfa_last_step < ?",
                            owner.table(), owner.where()),
                params) == 1;
}

// New recovery codes and their hashes (slow on purpose: made before any transaction).
struct NewCodes {
  std::vector<std::string> codes;
  std::string hashes;  // the JSON list kept on the row
};
NewCodes MakeCodes(HashCost cost) {
  NewCodes out;
  out.codes = NewRecoveryCodes();
  std::vector<std::string> hashes;
  for (const auto& code : out.codes) hashes.push_back(HashPassword(code, cost));
  out.hashes = CodeList(hashes);
  return out;
}

// The pending secret becomes the factor, only if it is still the one the code matched.
bool Activate(Connection& c, const FactorOwner& owner, const std::string& pending,
              std::int64_t step, const std::string& hashes, Timestamp now) {
  auto params = owner.with_key({V(ToMicros(now)), V(step), V(hashes)});
  params.push_back(V(pending));
  return c.Exec(fmt::format("UPDATE {} SET mfa_secret = mfa_pending_secret, mfa_pending_secret = "
                            "NULL, mfa_enabled_at = ?, mfa_last_step = ?, mfa_recovery_codes = ? "
                            "WHERE {} AND mfa_pending_secret = ? AND mfa_enabled_at IS NULL",
                            owner.table(), owner.where()),
                params) == 1;
}

// A sign-in's second step checked against the factor's row (outside the transaction), with
// the recovery codes an enrolment shows.
struct CheckedStep {
  FactorRow row;
  bool enrol = false;
  std::optional<Proof> proof;
  NewCodes codes;
};
CheckedStep CheckStep(FactorRow row, bool enrol, const SecondFactor& factor, const SecretBox& box,
                      HashCost cost, Timestamp now) {
  CheckedStep out{std::move(row), enrol, std::nullopt, {}};
  out.proof = Check(out.row, factor, enrol, box, now);
  if (out.proof && enrol) out.codes = MakeCodes(cost);
  return out;
}
// Spends it in the caller's transaction; false when the code was wrong, or spent meanwhile.
bool SpendStep(Connection& c, const FactorOwner& owner, const CheckedStep& step, Timestamp now) {
  if (!step.proof) return false;
  if (step.enrol) {
    return step.row.pending &&
           Activate(c, owner, *step.row.pending, step.proof->step, step.codes.hashes, now);
  }
  return Spend(c, owner, *step.proof);
}
// What the session's answer adds: the codes of a new factor, or how many are left after one.
void AddCodes(LoginResult& out, const CheckedStep& step) {
  if (!step.codes.codes.empty()) out.view["recovery_codes"] = ToArray(step.codes.codes);
  if (step.proof && step.proof->recovery) out.view["recovery_codes_left"] = step.proof->codes_left;
}

}  // namespace

// --- Sign-in --------------------------------------------------------------------------------

Result<LoginResult> IdentityService::MfaChallenge(Connection& c, bool is_operator,
                                                  std::int64_t tenant_id, std::int64_t id,
                                                  std::string_view account,
                                                  std::int64_t password_changed_at, bool enrol,
                                                  const RequestMeta& meta) {
  Timestamp expires = meta.now + kMfaChallengeLifetime;
  json::object claim{{"k", is_operator ? "o" : "u"},
                     {"t", tenant_id},
                     {"i", id},
                     {"e", ToMicros(expires)},
                     {"p", password_changed_at},
                     {"s", enrol ? "enrol" : "verify"}};
  LoginResult out;
  out.mfa_challenge = secrets().Seal(ToJson(claim));
  json::object mfa{{"challenge", out.mfa_challenge},
                   {"state", enrol ? "enrol" : "verify"},
                   {"expires_at", Format(expires)}};
  if (enrol) {
    std::string secret = NewTotpSecret();
    FactorOwner owner{is_operator, tenant_id, id};
    // Only while no factor is on: one enrolled meanwhile is not replaced.
    if (c.Exec(fmt::format("UPDATE {} SET mfa_pending_secret = ? WHERE {} AND mfa_enabled_at IS "
                           "NULL",
                           owner.table(), owner.where()),
               owner.with_key({V(secrets().Seal(secret))})) != 1) {
      return InvalidChallenge();
    }
    std::string uri = OtpauthUri(kIssuer, account, secret);
    mfa["enrolment"] = json::object{
        {"secret", Base32(secret)}, {"otpauth_uri", uri}, {"qr_svg", QrSvg(uri).value_or("")}};
  }
  out.view["mfa"] = std::move(mfa);
  return out;
}

namespace {

struct Claim {
  bool is_operator = false;
  std::int64_t tenant_id = 0;
  std::int64_t id = 0;
  Timestamp expires;
  std::int64_t password_changed_at = 0;
  bool enrol = false;
};

std::optional<Claim> OpenChallenge(const SecretBox& box, std::string_view challenge,
                                   bool is_operator, Timestamp now) {
  auto plain = box.Open(challenge);
  if (!plain) return std::nullopt;
  auto v = ParseJson(*plain);
  if (!v || !v->is_object()) return std::nullopt;
  const auto& o = v->as_object();
  auto kind = GetString(o, "k");
  auto t = GetInt(o, "t");
  auto i = GetInt(o, "i");
  auto e = GetInt(o, "e");
  auto p = GetInt(o, "p");
  auto s = GetString(o, "s");
  if (!kind || !t || !i || !e || !p || !s) return std::nullopt;
  if ((*kind == "o") != is_operator || FromMicros(*e) <= now) return std::nullopt;
  return Claim{is_operator, *t, *i, FromMicros(*e), *p, *s == "enrol"};
}

}  // namespace

Result<LoginResult> IdentityService::CompleteUserMfa(std::string_view challenge,
                                                     const SecondFactor& factor,
                                                     const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(ThrottleAddress(meta));
  auto claim = OpenChallenge(secrets(), challenge, false, meta.now);
  if (!claim) return InvalidChallenge();
  FactorOwner owner{false, claim->tenant_id, claim->id};
  auto user = ActiveUser(claim->tenant_id, claim->id);
  if (!user || user->integer(kUPwChanged) != claim->password_changed_at) {
    return InvalidChallenge();
  }
  const std::string delay_key = CodeDelayKey(UserDelayKey(claim->tenant_id, user->text(kULogin)));
  if (auto wait = delays_.Begin(delay_key, meta.now); wait > 0) return Delayed(wait);
  auto row = db_.Read([&](Connection& c) { return ReadFactor(c, owner); });
  if (!row) return InvalidChallenge();
  auto step = CheckStep(std::move(*row), claim->enrol, factor, secrets(), cost(), meta.now);
  const std::string slug = user->text(kUTenant + 1);
  const std::string state = user->text(kUTenant + 2);
  auto record = [&](Connection& c, const char* outcome, std::string action) {
    c.Exec(
        "INSERT INTO login_history (tenant_id, login_id, user_id, login, at, ip, user_agent, "
        "outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {V(claim->tenant_id), V(c.NextId()), V(claim->id), V(user->text(kULogin)),
         V(ToMicros(meta.now)), V(meta.ip), V(meta.user_agent), V(outcome)});
    AuditEntry e{std::move(action), "user", std::to_string(claim->id), {}, {}};
    e.after["outcome"] = outcome;
    if (step.proof && step.proof->recovery) {
      e.after["recovery_codes_left"] = step.proof->codes_left;
    }
    RecordAnonymousAudit(c, claim->tenant_id, user->text(kULogin), meta, e);
  };
  auto done = db_.Write([&](Connection& c) -> Result<std::optional<LoginResult>> {
    if (!SpendStep(c, owner, step, meta.now)) {
      record(c, "bad_code", "auth.mfa_failed");
      return std::optional<LoginResult>();
    }
    record(c, "success", claim->enrol ? "auth.mfa_enrolled" : "auth.login");
    auto session = IssueUserSession(c, *user, meta);
    if (!session.ok()) return std::move(session).error();
    return std::optional<LoginResult>(std::move(session).value());
  });
  if (!done.ok()) return std::move(done).error();
  if (!*done) return InvalidCode();  // counted by Begin
  delays_.Forget(delay_key);
  delays_.Forget(UserDelayKey(claim->tenant_id, user->text(kULogin)));  // the password's too
  LoginResult out = std::move(**done);
  CompleteUserView(out, *user, slug, state, meta.now);
  AddCodes(out, step);
  return out;
}

Result<LoginResult> IdentityService::CompleteOperatorMfa(std::string_view challenge,
                                                         const SecondFactor& factor,
                                                         const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(ThrottleAddress(meta));
  auto claim = OpenChallenge(secrets(), challenge, true, meta.now);
  if (!claim) return InvalidChallenge();
  FactorOwner owner{true, 0, claim->id};
  auto op = db_.Read([&](Connection& c) {
    return c.QueryOne(
        fmt::format("SELECT {} FROM operators WHERE operator_id = ?", kOperatorColumns),
        {V(claim->id)});
  });
  if (!op || op->text(kOStatus) != "active" ||
      op->integer(kOPwChanged) != claim->password_changed_at) {
    return InvalidChallenge();
  }
  const std::string delay_key = CodeDelayKey(OperatorDelayKey(op->text(kOEmail)));
  if (auto wait = delays_.Begin(delay_key, meta.now); wait > 0) return Delayed(wait, true);
  auto row = db_.Read([&](Connection& c) { return ReadFactor(c, owner); });
  if (!row) return InvalidChallenge();
  auto step = CheckStep(std::move(*row), claim->enrol, factor, secrets(), cost(), meta.now);
  auto done = db_.Write([&](Connection& c) -> Result<std::optional<LoginResult>> {
    bool spent = SpendStep(c, owner, step, meta.now);
    AuditEntry e{spent ? (claim->enrol ? "operator.mfa_enrolled" : "operator.login")
                       : "operator.mfa_failed",
                 "operator", std::to_string(claim->id), {}, {}};
    if (spent && step.proof->recovery) e.after["recovery_codes_left"] = step.proof->codes_left;
    RecordOperatorAudit(c, claim->id, op->text(kOName), meta, e, 0);
    if (!spent) return std::optional<LoginResult>();
    return std::optional<LoginResult>(IssueOperatorSession(c, *op, meta));
  });
  if (!done.ok()) return std::move(done).error();
  if (!*done) return InvalidCode();  // counted by Begin
  delays_.Forget(delay_key);
  delays_.Forget(OperatorDelayKey(op->text(kOEmail)));  // the password's too
  LoginResult out = std::move(**done);
  AddCodes(out, step);
  return out;
}

// --- Managing one's factor ----------------------------------------------------------------------

Result<json::object> IdentityService::StartMfaEnrolment(const Principal& who,
                                                        const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  std::string secret = NewTotpSecret();
  FactorOwner owner = FactorOwner::Of(who);
  auto done = db_.Write([&](Connection& c) -> Status {
    auto row = ReadFactor(c, owner);
    if (!row) return Error::NotFound("user");
    if (row->enabled_at) {
      return Error::Conflict("mfa_already_enrolled",
                             "Two-step sign-in is already on; turn it off first to change phones.");
    }
    c.Exec("UPDATE users SET mfa_pending_secret = ? WHERE tenant_id = ? AND user_id = ? AND "
           "mfa_enabled_at IS NULL",
           {V(secrets().Seal(secret)), V(who.tenant_id), V(who.user_id)});
    RecordAudit(c, who, meta,
                {"user.mfa_enrolment_started", "user", std::to_string(who.user_id), {}, {}});
    return OkStatus();
  });
  KELU_RETURN_IF_ERROR(done);
  std::string uri = OtpauthUri(kIssuer, fmt::format("{}@{}", who.login, who.tenant_slug), secret);
  return json::object{
      {"secret", Base32(secret)}, {"otpauth_uri", uri}, {"qr_svg", QrSvg(uri).value_or("")}};
}

Result<json::object> IdentityService::ConfirmMfaEnrolment(const Principal& who,
                                                          const SecondFactor& factor,
                                                          const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  if (factor.code.empty()) return FieldError("code", "is required");
  const std::string delay_key = CodeDelayKey(UserDelayKey(who.tenant_id, who.login));
  if (auto wait = delays_.Begin(delay_key, meta.now); wait > 0) return Delayed(wait);
  FactorOwner owner = FactorOwner::Of(who);
  auto row = db_.Read([&](Connection& c) { return ReadFactor(c, owner); });
  if (!row) return Error::NotFound("user");
  if (row->enabled_at) {
    return Error::Conflict("mfa_already_enrolled", "Two-step sign-in is already on.");
  }
  if (!row->pending) {
    return Error::Conflict("mfa_enrolment_not_started",
                           "Start the enrolment first (POST /api/v1/me/mfa/enrolment).");
  }
  auto proof = Check(*row, {factor.code, {}}, true, secrets(), meta.now);
  if (!proof) return FieldError("code", "is not the current code of the app you scanned");
  auto codes = MakeCodes(cost());
  auto done = db_.Write([&](Connection& c) -> Status {
    if (!Activate(c, owner, *row->pending, proof->step, codes.hashes, meta.now)) {
      return Error::Conflict("mfa_enrolment_not_started",
                             "The enrolment changed meanwhile; start it again.");
    }
    RecordAudit(c, who, meta, {"user.mfa_enrolled", "user", std::to_string(who.user_id), {}, {}});
    return OkStatus();
  });
  KELU_RETURN_IF_ERROR(done);
  delays_.Forget(delay_key);
  return json::object{{"recovery_codes", ToArray(codes.codes)}, {"enabled_at", Format(meta.now)}};
}

Result<json::object> IdentityService::RenewRecoveryCodes(const Principal& who,
                                                         const SecondFactor& factor,
                                                         const RequestMeta& meta) {
  if (who.kind == PrincipalKind::kSupport || who.credential == Credential::kApiToken) {
    return Error::Forbidden("session_required", "Only a signed-in session manages its factor.");
  }
  FactorOwner owner = FactorOwner::Of(who);
  auto row = db_.Read([&](Connection& c) { return ReadFactor(c, owner); });
  if (!row) return Error::NotFound();
  if (!row->enabled_at) return NoFactor();
  std::optional<Proof> proof;
  if (owner.is_operator) {
    // Operator sessions carry no proof time: a current code is the proof.
    const std::string delay_key = CodeDelayKey(OperatorDelayKey(who.login));
    if (auto wait = delays_.Begin(delay_key, meta.now); wait > 0) return Delayed(wait, true);
    proof = Check(*row, {factor.code, {}}, false, secrets(), meta.now);
    if (!proof) return FieldError("code", "is wrong or has been used");
    delays_.Forget(delay_key);
  } else {
    KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  }
  auto codes = MakeCodes(cost());
  auto done = db_.Write([&](Connection& c) -> Status {
    if (proof && !Spend(c, owner, *proof)) return FieldError("code", "is wrong or has been used");
    c.Exec(fmt::format("UPDATE {} SET mfa_recovery_codes = ? WHERE {}", owner.table(),
                       owner.where()),
           owner.with_key({V(codes.hashes)}));
    RecordAudit(c, who, meta,
                {owner.is_operator ? "operator.mfa_recovery_codes_renewed"
                                   : "user.mfa_recovery_codes_renewed",
                 owner.is_operator ? "operator" : "user", std::to_string(owner.id), {}, {}});
    return OkStatus();
  });
  KELU_RETURN_IF_ERROR(done);
  return json::object{{"recovery_codes", ToArray(codes.codes)}};
}

Status IdentityService::DisableMfa(const Principal& who, const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  return db_.Write([&](Connection& c) -> Status {
    auto t = c.QueryOne("SELECT mfa_required FROM tenants WHERE tenant_id = ?",
                        {V(who.tenant_id)});
    if (t && t->boolean(0)) {
      return Error::Conflict("mfa_required",
                             "Your company requires two-step sign-in; it cannot be turned off.");
    }
    if (c.Exec("UPDATE users SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_enabled_at = "
               "NULL, mfa_recovery_codes = '[]' WHERE tenant_id = ? AND user_id = ? AND "
               "mfa_enabled_at IS NOT NULL",
               {V(who.tenant_id), V(who.user_id)}) != 1) {
      return NoFactor();
    }
    RecordAudit(c, who, meta, {"user.mfa_disabled", "user", std::to_string(who.user_id), {}, {}});
    return OkStatus();
  });
}

Status IdentityService::ResetUserMfa(const Principal& who, std::int64_t user_id,
                                     const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireManager(who));
  KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  return db_.Write([&](Connection& c) -> Status {
    auto target = ReadUser(c, who.tenant_id, user_id);
    if (!target) return Error::NotFound("user");
    // Only the boss resets the boss's factor: an admin removing it would weaken the one
    // account that sees everything.
    if (target->text(kURole) == "boss" && !who.is_boss()) return Forbidden();
    if (c.Exec("UPDATE users SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_enabled_at = "
               "NULL, mfa_recovery_codes = '[]' WHERE tenant_id = ? AND user_id = ? AND "
               "mfa_enabled_at IS NOT NULL",
               {V(who.tenant_id), V(user_id)}) != 1) {
      return NoFactor();
    }
    // Whoever has the lost phone keeps nothing: the user's sessions end too.
    RevokeAllOf(c, who.tenant_id, user_id, meta.now);
    RecordAudit(c, who, meta, {"user.mfa_reset", "user", std::to_string(user_id), {}, {}});
    return OkStatus();
  });
}

Result<json::object> IdentityService::SetTenantMfaRequired(const Principal& who, bool required,
                                                           const RequestMeta& meta) {
  if (!who.is_boss()) return Forbidden();
  KELU_RETURN_IF_ERROR(RequireRecentProof(who, meta));
  auto done = db_.Write([&](Connection& c) -> Status {
    auto row = ReadFactor(c, FactorOwner::Of(who));
    if (required && (!row || !row->enabled_at)) {
      return Error::Conflict("mfa_not_enrolled",
                             "Turn on two-step sign-in for your own account first.");
    }
    c.Exec("UPDATE tenants SET mfa_required = ?, updated_at = ? WHERE tenant_id = ?",
           {V(required), V(ToMicros(meta.now)), V(who.tenant_id)});
    // Sessions signed in on the password alone end, so everyone's next step is the enrolment.
    // API tokens stay: each was made by its user and is revoked on its own.
    std::int64_t ended = 0;
    if (required) {
      ended = c.Exec(
          "UPDATE user_sessions SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NULL AND "
          "user_id IN (SELECT user_id FROM users WHERE tenant_id = ? AND mfa_enabled_at IS NULL)",
          {V(ToMicros(meta.now)), V(who.tenant_id), V(who.tenant_id)});
    }
    AuditEntry e{"tenant.mfa_required", "tenant", std::to_string(who.tenant_id), {}, {}};
    e.after["mfa_required"] = required;
    e.after["sessions_ended"] = ended;
    RecordAudit(c, who, meta, e);
    return OkStatus();
  });
  KELU_RETURN_IF_ERROR(done);
  return GetTenant(who);
}

json::object IdentityService::MfaStatus(const Principal& who) {
  FactorOwner owner = FactorOwner::Of(who);
  auto row = db_.Read([&](Connection& c) { return ReadFactor(c, owner); });
  bool required = owner.is_operator;
  if (!owner.is_operator) {
    auto t = db_.Read([&](Connection& c) {
      return c.QueryOne("SELECT mfa_required FROM tenants WHERE tenant_id = ?",
                        {V(who.tenant_id)});
    });
    required = t && t->boolean(0);
  }
  bool enabled = row && row->enabled_at;
  return json::object{
      {"enabled", enabled},
      {"required", required},
      {"enabled_at", enabled ? json::value(FormatMicros(*row->enabled_at)) : json::value(nullptr)},
      {"recovery_codes_left",
       enabled ? static_cast<std::int64_t>(CodeHashes(row->recovery_codes).size()) : 0}};
}

// --- Re-authentication ------------------------------------------------------------------------

Result<json::object> IdentityService::Reauthenticate(const Principal& who,
                                                     std::string_view password,
                                                     const SecondFactor& factor,
                                                     const RequestMeta& meta) {
  if (who.kind != PrincipalKind::kUser) return Error::NotFound();
  if (who.credential == Credential::kApiToken) {
    return Error::Forbidden("session_required", "Only a signed-in session proves a password.");
  }
  KELU_RETURN_IF_ERROR(ThrottleAddress(meta));
  // Passwords and codes are guessed against counters of their own.
  const std::string account = UserDelayKey(who.tenant_id, who.login);
  const std::string delay_key = password.empty() ? CodeDelayKey(account) : account;
  if (auto wait = delays_.Begin(delay_key, meta.now); wait > 0) return Delayed(wait);
  FactorOwner owner = FactorOwner::Of(who);
  bool ok = false;
  std::optional<Proof> proof;
  if (!password.empty()) {
    auto row = db_.Read([&](Connection& c) {
      return c.QueryOne("SELECT password_hash FROM users WHERE tenant_id = ? AND user_id = ?",
                        {V(who.tenant_id), V(who.user_id)});
    });
    ok = row && VerifyPassword(row->text(0), password);
  } else if (!factor.code.empty()) {
    // A code proves the holder only for a factor already on (recovery codes are kept for
    // getting in, not for this).
    auto row = db_.Read([&](Connection& c) { return ReadFactor(c, owner); });
    if (row && row->enabled_at) proof = Check(*row, {factor.code, {}}, false, secrets(), meta.now);
    ok = proof.has_value();
  }
  auto done = db_.Write([&](Connection& c) -> Status {
    if (ok && proof) ok = Spend(c, owner, *proof);
    if (ok) {
      c.Exec("UPDATE user_sessions SET proved_at = ? WHERE tenant_id = ? AND session_id = ?",
             {V(ToMicros(meta.now)), V(who.tenant_id), V(who.session_id)});
    }
    AuditEntry e{ok ? "auth.reauthenticate" : "auth.reauthenticate_failed", "user",
                 std::to_string(who.user_id), {}, {}};
    e.after["by"] = password.empty() ? "code" : "password";
    RecordAudit(c, who, meta, e);
    return OkStatus();
  });
  KELU_RETURN_IF_ERROR(done);
  if (!ok) {
    return password.empty() ? FieldError("code", "is wrong or has been used")
                            : FieldError("password", "is wrong");
  }
  delays_.Forget(delay_key);
  return json::object{{"proved_at", Format(meta.now)},
                      {"valid_until", Format(meta.now + kRecentProof)}};
}

// --- Set-up -----------------------------------------------------------------------------------

Result<std::vector<std::string>> IdentityService::EnsureOperatorMfa(std::string_view email,
                                                                    std::string_view secret,
                                                                    Timestamp now) {
  auto codes = MakeCodes(cost());
  auto done = db_.Write([&](Connection& c) -> Status {
    if (c.Exec("UPDATE operators SET mfa_secret = ?, mfa_pending_secret = NULL, mfa_enabled_at "
               "= ?, mfa_last_step = 0, mfa_recovery_codes = ?, updated_at = ? WHERE email = ?",
               {V(secrets().Seal(secret)), V(ToMicros(now)), V(codes.hashes),
                V(ToMicros(now)), V(email)}) != 1) {
      return Error::NotFound("operator");
    }
    return OkStatus();
  });
  KELU_RETURN_IF_ERROR(done);
  return codes.codes;
}

Status IdentityService::ResetOperatorMfa(std::string_view email, Timestamp now) {
  return db_.Write([&](Connection& c) -> Status {
    auto op = c.QueryOne("SELECT operator_id FROM operators WHERE email = ?", {V(email)});
    if (!op) return Error::NotFound("operator");
    c.Exec("UPDATE operators SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_enabled_at = "
           "NULL, mfa_recovery_codes = '[]', updated_at = ? WHERE operator_id = ?",
           {V(ToMicros(now)), V(op->integer(0))});
    c.Exec("UPDATE operator_sessions SET revoked_at = ? WHERE operator_id = ? AND revoked_at IS "
           "NULL",
           {V(ToMicros(now)), V(op->integer(0))});
    RequestMeta meta{"", "kelu reset-operator-mfa", "cli", now};
    RecordOperatorAudit(c, op->integer(0), std::string(email), meta,
                        {"operator.mfa_reset", "operator", std::to_string(op->integer(0)), {}, {}},
                        0);
    return OkStatus();
  });
}

}  // namespace kelu::identity
