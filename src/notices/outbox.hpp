// The email outbox: mail is queued in the same transaction as the change that causes it (a
// rolled-back change sends nothing), then delivered by one background thread through SMTP
// (libcurl) with retries and exponential backoff. It survives restarts: the queue is a table,
// and a message claimed by a process that died is taken up again after its lease, with the same
// Message-ID so receivers can drop the copy. A delivered notice is entered in the tenant's
// notice register with its SMTP evidence and its deemed-delivery time (sent + 12 h, §19).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/poller.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace kelu::notices {

// A file sent with a mail (faxes by email); never queued in the outbox table.
struct MailAttachment {
  std::string filename;
  std::string content_type;
  std::string data;
};

struct Mail {
  std::string to;
  std::string subject;
  std::string body;
  // A tenant notice this mail carries (entered in the register once delivered), or none.
  std::optional<std::int64_t> tenant_id;
  std::string notice_kind;
  std::string dedupe_key;
  std::vector<MailAttachment> attachments;
};

// The kind of a mail whose body holds a one-time secret (an emailed sign-in link): once sent,
// the outbox keeps its subject and evidence but not its body.
inline constexpr const char* kOneTimeLinkKind = "one_time_link";

// Queues `mail` inside the caller's transaction.
void Enqueue(storage::Connection& c, const Mail& mail, Timestamp now);

// Sends one message; answers the server's evidence ("250 …") or an error.
class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual Result<std::string> Send(const Mail& mail, const std::string& message_id,
                                   Timestamp date) = 0;
};

// SMTP through libcurl (smtp:// or smtps://).
std::unique_ptr<Mailer> MakeSmtpMailer(const MailConfig& config);

class Outbox {
 public:
  Outbox(storage::Database& db, Mailer& mailer, const Clock& clock, const MailConfig& mail,
         const TermsConfig& terms);
  ~Outbox();

  // Delivers every message due now, one at a time; answers how many were sent.
  int DeliverDue();
  // A thread calling DeliverDue every `poll` and when woken.
  void Start(std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  void Wake();
  void Stop();

 private:
  storage::Database& db_;
  Mailer& mailer_;
  const Clock& clock_;
  MailConfig mail_;
  TermsConfig terms_;
  Poller poller_;
};

}  // namespace kelu::notices
