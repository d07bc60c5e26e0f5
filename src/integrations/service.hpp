// Start here for §6: third-party products are only linked, and the operator owes nothing for
// them. The operator keeps a directory of third-party links and integrations, shown to tenants
// with that disclaimer. A tenant's outgoing webhooks are scoped to chosen events, revocable and
// audited; each write of a CRM record is offered to them in its own transaction (identity's
// audit layer), and a background thread delivers the queue: POST with an HMAC-SHA256
// signature, retries with backoff, never to private addresses unless configured. Thread-safe.
#pragma once

#include <string>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/json.hpp"
#include "core/poller.hpp"
#include "core/secret_box.hpp"
#include "identity/service.hpp"
#include "storage/database.hpp"

namespace kelu::integrations {

using identity::Page;
using identity::Principal;
using identity::RequestMeta;

class IntegrationService {
 public:
  // Signing secrets are kept sealed by `secrets`.
  IntegrationService(storage::Database& db, const Config& config, const Clock& clock, Zone zone,
                     const SecretBox& secrets);
  ~IntegrationService();

  // --- The directory (the operator curates it; tenants read it with the disclaimer) ----------
  Result<json::object> Directory();
  Result<json::object> AddLink(const Principal& op, const json::object& body,
                               const RequestMeta& meta);
  Status RemoveLink(const Principal& op, std::int64_t id, const RequestMeta& meta);

  // --- Webhooks (boss and admins) -------------------------------------------------------------
  Result<json::object> ListWebhooks(const Principal& who);
  // Answers the signing secret once.
  Result<json::object> CreateWebhook(const Principal& who, const json::object& body,
                                     const RequestMeta& meta);
  Status RevokeWebhook(const Principal& who, std::int64_t id, const RequestMeta& meta);
  Result<json::object> Deliveries(const Principal& who, std::int64_t id, const Page& page);

  // --- Delivery ---------------------------------------------------------------------------------
  // Delivers every queued delivery that is due; answers how many succeeded.
  int DeliverDue();
  // Seals any signing secret still kept in clear (written before secrets were sealed), then
  // starts delivering.
  void Start(std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  void Stop();

 private:
  Status RequireManager(const Principal& who) const;
  std::string Format(Timestamp t) const { return FormatRfc3339(t, zone_); }

  storage::Database& db_;
  WebhooksConfig config_;
  const Clock& clock_;
  Zone zone_;
  const SecretBox& secrets_;
  Poller poller_;
};

}  // namespace kelu::integrations
