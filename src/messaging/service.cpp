#include "messaging/service.hpp"

#include <fmt/format.h>

#include "core/validation.hpp"
#include "identity/audit.hpp"

namespace kelu::messaging {

using storage::Connection;
using storage::V;

namespace {

// A list of words from body["words"]: strings of 1 to 50 characters, at most `max`.
Result<std::vector<std::string>> ReadWords(const json::object& body, std::size_t max) {
  const auto* v = body.if_contains("words");
  if (!v || !v->is_array()) return FieldError("words", "required: a list of words");
  if (v->as_array().size() > max) {
    return FieldError("words", fmt::format("at most {} words", max));
  }
  std::vector<std::string> words;
  words.reserve(v->as_array().size());
  for (const auto& w : v->as_array()) {
    auto len = w.is_string() ? Utf8Length(std::string_view(w.as_string())) : std::nullopt;
    if (!len || *len < 1 || *len > 50) return FieldError("words", "each word: 1 to 50 characters");
    words.emplace_back(w.as_string());
  }
  return words;
}

json::object WordsView(const std::vector<std::string>& words) {
  json::array list;
  for (const auto& w : words) list.push_back(json::value(w));
  return json::object{{"words", std::move(list)},
                      {"count", static_cast<std::int64_t>(words.size())}};
}

}  // namespace

MessagingService::MessagingService(storage::Database& db, billing::BillingService& billing,
                                   crm::CrmService& crm, SmsGateway& gateway, const Config& config,
                                   const Clock& clock, Zone zone)
    : db_(db),
      billing_(billing),
      crm_(crm),
      gateway_(gateway),
      sms_(config.sms),
      clock_(clock),
      zone_(std::move(zone)) {
  auto window = ParseTimeWindow(sms_.marketing_window);
  if (window) {
    window_.from_minute = static_cast<int>(window->first.count());
    window_.to_minute = static_cast<int>(window->second.count());
  }
}

MessagingService::~MessagingService() { Stop(); }

std::shared_ptr<const SensitiveWords> MessagingService::OperatorFilter() {
  std::lock_guard lock(mutex_);
  if (!operator_filter_) {
    std::vector<std::string> words;
    db_.Read([&](Connection& c) {
      for (const auto& r : c.Query("SELECT word FROM sensitive_words ORDER BY word").rows) {
        words.push_back(r.text(0));
      }
    });
    operator_filter_ = std::make_shared<const SensitiveWords>(words);
  }
  return operator_filter_;
}

std::shared_ptr<const SensitiveWords> MessagingService::TenantFilter(std::int64_t tenant_id) {
  std::vector<std::string> own;
  db_.Read([&](Connection& c) {
    for (const auto& r :
         c.Query("SELECT word FROM tenant_sensitive_words WHERE tenant_id = ?", {V(tenant_id)})
             .rows) {
      own.push_back(r.text(0));
    }
  });
  return std::make_shared<const SensitiveWords>(own);
}

std::vector<std::string> MessagingService::Check(std::int64_t tenant_id, std::string_view text) {
  auto found = OperatorFilter()->Find(text);
  for (auto& w : TenantFilter(tenant_id)->Find(text)) {
    if (std::find(found.begin(), found.end(), w) == found.end()) found.push_back(std::move(w));
  }
  return found;
}

Result<json::object> MessagingService::Preview(const Principal& who, const json::object& body) {
  Fields f(body);
  f.OnlyKeys({"text", "signature", "recipients", "type"});
  auto text = f.String("text", true, 1, 2000);
  auto signature = f.String("signature", false, 2, 20);
  auto recipients = f.Int("recipients", false, 1, 10'000'000).value_or(1);
  auto type = f.Enum("type", false, {"notification", "marketing"}).value_or("notification");
  if (!f.ok()) return f.ToError();
  std::string sig = signature.value_or("");
  if (sig.empty()) {
    auto current = Signature(who);
    sig = current.ok() && current->at("status") == "approved"
              ? std::string(current->at("signature").as_string())
              : who.tenant_slug;
  }
  std::string sent = *text;
  if (type == "marketing") sent += sms_.unsubscribe_text;
  auto size = MeasureSms(sig, sent);
  if (!size) return FieldError("text", "must be valid UTF-8");
  auto words = Check(who.tenant_id, sig + *text);
  json::array found;
  for (const auto& w : words) found.push_back(json::value(w));
  return json::object{{"message", Bracketed(sig) + sent},
                      {"characters", size->characters},
                      {"segments", size->segments},
                      {"recipients", recipients},
                      {"points", SmsPoints(size->segments, recipients)},
                      {"sensitive_words", std::move(found)},
                      {"sendable", words.empty()},
                      // Marketing messages go out only within this window (Asia/Shanghai);
                      // outside it they wait for its next opening.
                      {"marketing_window", sms_.marketing_window}};
}

namespace {

json::object SignatureView(const storage::Row& r, const Zone& zone) {
  // signature, status, requested_at, decided_at, reason, tenant_id
  auto time = [&](std::size_t i) -> json::value {
    if (r.is_null(i)) return nullptr;
    return json::value(FormatRfc3339(FromMicros(r.integer(i)), zone));
  };
  return json::object{{"tenant_id", r.integer(5)}, {"signature", r.text(0)},
                      {"status", r.text(1)},       {"requested_at", time(2)},
                      {"decided_at", time(3)},     {"reason", OrNull(r.opt_text(4))}};
}

constexpr const char* kSignatureColumns =
    "signature, status, requested_at, decided_at, reason, tenant_id";

}  // namespace

Result<json::object> MessagingService::Signature(const Principal& who) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        fmt::format("SELECT {} FROM sms_signatures WHERE tenant_id = ?", kSignatureColumns),
        {V(who.tenant_id)});
    if (!row) return json::object{{"signature", nullptr}, {"status", "none"}};
    return SignatureView(*row, zone_);
  });
}

Result<json::object> MessagingService::RequestSignature(const Principal& who,
                                                        const json::object& body,
                                                        const RequestMeta& meta) {
  if (!who.is_boss_or_admin()) {
    return Error::Forbidden("forbidden", "Only the boss and admins ask for a signature.");
  }
  Fields f(body);
  f.OnlyKeys({"signature"});
  // Carriers accept 2 to 20 characters, without the brackets.
  auto sig = f.String("signature", true, 2, 20);
  if (sig && (sig->find("【") != std::string::npos || sig->find("】") != std::string::npos)) {
    f.Fail("signature", "without 【】: they are added when sending");
  }
  if (!f.ok()) return f.ToError();
  auto done = db_.Write([&](Connection& c) -> Status {
    c.Exec("DELETE FROM sms_signatures WHERE tenant_id = ?", {V(who.tenant_id)});
    c.Exec(
        "INSERT INTO sms_signatures (tenant_id, signature, status, requested_at, requested_by) "
        "VALUES (?, ?, 'pending', ?, ?)",
        {V(who.tenant_id), V(*sig), V(ToMicros(meta.now)), V(who.user_id)});
    identity::RecordAudit(c, who, meta, {"sms.signature_request", "sms_signature", *sig, {}, {}});
    return OkStatus();
  });
  if (!done.ok()) return std::move(done).error();
  return Signature(who);
}

Result<json::object> MessagingService::PendingSignatures(const Principal&) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    json::array items;
    for (const auto& r : c.Query(fmt::format("SELECT {} FROM sms_signatures WHERE status = "
                                             "'pending' ORDER BY requested_at",
                                             kSignatureColumns))
                             .rows) {
      items.push_back(SignatureView(r, zone_));
    }
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> MessagingService::DecideSignature(const Principal& op, std::int64_t tenant_id,
                                                       bool approve, const json::object& body,
                                                       const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"reason"});
  auto reason = f.String("reason", !approve, 1, 500);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        fmt::format("SELECT {} FROM sms_signatures WHERE tenant_id = ?", kSignatureColumns),
        {V(tenant_id)});
    if (!row) return Error::NotFound("signature");
    if (row->text(1) != "pending") {
      return Error::Conflict("signature_decided", "This signature was decided already.");
    }
    c.Exec(
        "UPDATE sms_signatures SET status = ?, decided_at = ?, decided_by = ?, reason = ? "
        "WHERE tenant_id = ?",
        {V(approve ? "approved" : "rejected"), V(ToMicros(meta.now)), V(op.operator_id), V(reason),
         V(tenant_id)});
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {approve ? "sms.signature_approve" : "sms.signature_reject",
                                   "sms_signature",
                                   row->text(0),
                                   {},
                                   json::object{{"reason", OrNull(reason)}}},
                                  tenant_id);
    auto again = c.QueryOne(
        fmt::format("SELECT {} FROM sms_signatures WHERE tenant_id = ?", kSignatureColumns),
        {V(tenant_id)});
    return SignatureView(*again, zone_);
  });
}

Result<json::object> MessagingService::OperatorWords() {
  std::vector<std::string> words;
  db_.Read([&](Connection& c) {
    for (const auto& r : c.Query("SELECT word FROM sensitive_words ORDER BY word").rows) {
      words.push_back(r.text(0));
    }
  });
  return WordsView(words);
}

Result<json::object> MessagingService::PutOperatorWords(const Principal& op,
                                                        const json::object& body,
                                                        const RequestMeta& meta) {
  auto words = ReadWords(body, 200000);
  if (!words.ok()) return std::move(words).error();
  auto done = db_.Write([&](Connection& c) -> Status {
    c.Exec("DELETE FROM sensitive_words");
    for (const auto& w : *words) {
      c.Exec(
          "INSERT INTO sensitive_words (word, added_at) VALUES (?, ?) ON CONFLICT (word) DO "
          "NOTHING",
          {V(w), V(ToMicros(meta.now))});
    }
    identity::RecordOperatorAudit(
        c, op.operator_id, op.name, meta,
        {"sms.sensitive_words",
         "sensitive_words",
         "operator",
         {},
         json::object{{"count", static_cast<std::int64_t>(words->size())}}},
        0);
    return OkStatus();
  });
  if (!done.ok()) return std::move(done).error();
  {
    std::lock_guard lock(mutex_);
    operator_filter_.reset();  // rebuilt on the next check
  }
  return OperatorWords();
}

Result<json::object> MessagingService::TenantWords(const Principal& who) {
  std::vector<std::string> words;
  db_.Read([&](Connection& c) {
    for (const auto& r : c.Query("SELECT word FROM tenant_sensitive_words WHERE tenant_id = ? "
                                 "ORDER BY word",
                                 {V(who.tenant_id)})
                             .rows) {
      words.push_back(r.text(0));
    }
  });
  return WordsView(words);
}

Result<json::object> MessagingService::PutTenantWords(const Principal& who,
                                                      const json::object& body,
                                                      const RequestMeta& meta) {
  if (!who.is_boss_or_admin()) {
    return Error::Forbidden("forbidden", "Only the boss and admins change the word list.");
  }
  auto words = ReadWords(body, 5000);
  if (!words.ok()) return std::move(words).error();
  auto done = db_.Write([&](Connection& c) -> Status {
    c.Exec("DELETE FROM tenant_sensitive_words WHERE tenant_id = ?", {V(who.tenant_id)});
    for (const auto& w : *words) {
      c.Exec(
          "INSERT INTO tenant_sensitive_words (tenant_id, word, added_at) VALUES (?, ?, ?) "
          "ON CONFLICT (tenant_id, word) DO NOTHING",
          {V(who.tenant_id), V(w), V(ToMicros(meta.now))});
    }
    identity::RecordAudit(c, who, meta,
                          {"sms.sensitive_words",
                           "sensitive_words",
                           "tenant",
                           {},
                           json::object{{"count", static_cast<std::int64_t>(words->size())}}});
    return OkStatus();
  });
  if (!done.ok()) return std::move(done).error();
  return TenantWords(who);
}

}  // namespace kelu::messaging
