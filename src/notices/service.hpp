// Start here for what the operator and tenants say to each other outside the lifecycle:
// announcements (to every tenant or chosen ones, each a notice in the register, shown to each
// user until read), postal and phone notices the operator records with their evidence, and the
// support inbox (a tenant writes, the operator answers; both sides are emailed). Thread-safe.
#pragma once

#include <string>

#include "core/config.hpp"
#include "core/json.hpp"
#include "identity/service.hpp"
#include "storage/database.hpp"

namespace kelu::notices {

using identity::Page;
using identity::Principal;
using identity::RequestMeta;

class NoticeService {
 public:
  NoticeService(storage::Database& db, const Config& config, Zone zone);

  // --- Announcements ------------------------------------------------------------------------
  Result<json::object> Publish(const Principal& op, const json::object& body,
                               const RequestMeta& meta);
  Result<json::object> OperatorAnnouncements(const Principal& op, const Page& page);
  // The caller's announcements, unread first.
  Result<json::object> MyAnnouncements(const Principal& who);
  Status MarkRead(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- Notices recorded by the operator (postal mail, phone) ----------------------------------
  Result<json::object> RecordNotice(const Principal& op, std::int64_t tenant_id,
                                    const json::object& body, const RequestMeta& meta);

  // --- Support inbox ------------------------------------------------------------------------
  Result<json::object> ListThreads(const Principal& who, const Page& page);
  Result<json::object> OpenThread(const Principal& who, const json::object& body,
                                  const RequestMeta& meta);
  // The tenant's own thread; the operator reaches any with tenant_id.
  Result<json::object> GetThread(const Principal& who, std::int64_t id);
  Result<json::object> Reply(const Principal& who, std::int64_t id, const json::object& body,
                             const RequestMeta& meta);
  Result<json::object> OperatorThreads(const Principal& op, const std::string& status,
                                       const Page& page);
  Status CloseThread(const Principal& op, std::int64_t id, const RequestMeta& meta);

 private:
  std::string Format(Timestamp t) const { return FormatRfc3339(t, zone_); }
  json::object ThreadView(storage::Connection& c, std::int64_t tenant_id, std::int64_t id);

  storage::Database& db_;
  TermsConfig terms_;
  MailConfig mail_;
  Zone zone_;
};

}  // namespace kelu::notices
