// Start here for SMS (step 4, in progress): the live preview of a draft (characters, segments,
// points, sensitive words) and the sensitive-word lists — the operator's for every tenant, and
// each tenant's own additions. Thread-safe: the operator's automaton is rebuilt when its list
// changes and shared by every check.
#pragma once

#include <memory>
#include <mutex>

#include "core/config.hpp"
#include "core/json.hpp"
#include "identity/service.hpp"
#include "messaging/text.hpp"
#include "storage/database.hpp"

namespace kelu::messaging {

using identity::Principal;
using identity::RequestMeta;

// Appended to every marketing message (China's rules), counted in its segments.
inline constexpr const char* kUnsubscribeText = "拒收请回复R";

class MessagingService {
 public:
  MessagingService(storage::Database& db, Zone zone);

  // {text, signature?, recipients?, type: notification|marketing} → size, points and the
  // sensitive words found (a message with any is refused before any charge).
  Result<json::object> Preview(const Principal& who, const json::object& body);
  Result<json::object> OperatorWords();
  Result<json::object> PutOperatorWords(const Principal& op, const json::object& body,
                                        const RequestMeta& meta);
  Result<json::object> TenantWords(const Principal& who);
  Result<json::object> PutTenantWords(const Principal& who, const json::object& body,
                                      const RequestMeta& meta);
  // The signature: the boss asks for one (it waits for the operator), the operator approves or
  // rejects it with a reason. Only an approved signature is sent.
  Result<json::object> Signature(const Principal& who);
  Result<json::object> RequestSignature(const Principal& who, const json::object& body,
                                        const RequestMeta& meta);
  Result<json::object> PendingSignatures(const Principal& op);
  Result<json::object> DecideSignature(const Principal& op, std::int64_t tenant_id, bool approve,
                                       const json::object& body, const RequestMeta& meta);

  // Every sensitive word in `text` for the tenant (the operator's list and its own).
  std::vector<std::string> Check(std::int64_t tenant_id, std::string_view text);

 private:
  std::shared_ptr<const SensitiveWords> OperatorFilter();

  storage::Database& db_;
  Zone zone_;
  std::mutex mutex_;
  std::shared_ptr<const SensitiveWords> operator_filter_;
};

}  // namespace kelu::messaging
