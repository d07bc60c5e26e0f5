// Faxes: a PDF attachment sent to a fax number. Its pages are counted from the PDF (one fax
// point per page) and its text passes the sensitive-word filter, both before anything is held.
// Points are held at submit, charged when the gateway takes the fax, given back when it refuses
// or the fax cannot go — the same rules as SMS. One dispatcher thread sends due faxes with
// retries and backoff; the status is tracked per fax. Thread-safe.
#pragma once

#include "attachments/blob_store.hpp"
#include "attachments/service.hpp"
#include "billing/service.hpp"
#include "core/clock.hpp"
#include "core/poller.hpp"
#include "messaging/gateway.hpp"
#include "messaging/service.hpp"

namespace kelu::messaging {

class FaxService {
 public:
  FaxService(storage::Database& db, billing::BillingService& billing,
             attachments::AttachmentService& attachments, attachments::BlobStore& blobs,
             MessagingService& messaging, FaxGateway& gateway, const Config& config,
             const Clock& clock, Zone zone);
  ~FaxService();

  // {attachment_id, number} → the fax, queued. 422 not_a_pdf, pdf_unreadable, pdf_locked,
  // too_many_pages, sensitive_words; 409 insufficient_points / points_frozen.
  Result<json::object> Send(const Principal& who, const json::object& body,
                            const RequestMeta& meta);
  // The boss and admins see every fax; others their own.
  Result<json::object> List(const Principal& who, const Page& page);
  Result<json::object> Get(const Principal& who, std::int64_t id);

  int DispatchDue();
  void Start(std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  void Stop();

 private:
  storage::Database& db_;
  billing::BillingService& billing_;
  attachments::AttachmentService& attachments_;
  attachments::BlobStore& blobs_;
  MessagingService& messaging_;
  FaxGateway& gateway_;
  FaxConfig fax_;
  const Clock& clock_;
  Zone zone_;
  Poller poller_;
};

}  // namespace kelu::messaging
