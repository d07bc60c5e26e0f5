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

bool Manager(const Principal& who) {
  return who.kind == identity::PrincipalKind::kUser &&
         (who.role == identity::Role::kBoss || who.role == identity::Role::kAdmin);
}

}  // namespace

MessagingService::MessagingService(storage::Database& db) : db_(db) {}

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

std::vector<std::string> MessagingService::Check(std::int64_t tenant_id, std::string_view text) {
  auto found = OperatorFilter()->Find(text);
  std::vector<std::string> own;
  db_.Read([&](Connection& c) {
    for (const auto& r :
         c.Query("SELECT word FROM tenant_sensitive_words WHERE tenant_id = ?", {V(tenant_id)})
             .rows) {
      own.push_back(r.text(0));
    }
  });
  for (auto& w : SensitiveWords(own).Find(text)) {
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
  std::string sig = signature ? *signature : who.tenant_slug;
  std::string sent = *text;
  if (type == "marketing") sent += kUnsubscribeText;
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
                      {"sendable", words.empty()}};
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
  if (!Manager(who)) {
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
