#include "notices/outbox.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/time.hpp"

namespace kelu::notices {

using storage::Connection;
using storage::V;

namespace {

constexpr std::int64_t kLeaseMicros = std::int64_t{120} * 1000000;

// RFC 2047: a UTF-8 header word.
std::string EncodedWord(std::string_view text) { return "=?UTF-8?B?" + Base64Encode(text) + "?="; }

// The body in base64 lines of 76 characters (RFC 2045).
std::string BodyLines(std::string_view text) {
  std::string b64 = Base64Encode(text);
  std::string out;
  out.reserve(b64.size() + b64.size() / 76 * 2 + 2);
  for (std::size_t i = 0; i < b64.size(); i += 76) {
    out.append(b64, i, 76);
    out += "\r\n";
  }
  return out;
}

struct Upload {
  std::string data;
  std::size_t offset = 0;
};

std::size_t ReadChunk(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::copy_n(up->data.data() + up->offset, n, buffer);
  up->offset += n;
  return n;
}

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(MailConfig config) : config_(std::move(config)) {}

  Result<std::string> Send(const Mail& mail, const std::string& message_id,
                           Timestamp date) override {
    std::string domain = config_.from_address.substr(config_.from_address.find('@') + 1);
    std::string id = fmt::format("<{}@{}>", message_id, domain);
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(date.time_since_epoch());
    std::time_t tt = seconds.count();
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char when[64];
    std::strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    Upload up;
    up.data = fmt::format(
        "Date: {}\r\nFrom: {} <{}>\r\nTo: <{}>\r\nSubject: {}\r\nMessage-ID: {}\r\n"
        "MIME-Version: 1.0\r\n",
        when, EncodedWord(config_.from_name), config_.from_address, mail.to,
        EncodedWord(mail.subject), id);
    constexpr const char* kText =
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    if (mail.attachments.empty()) {
      up.data.append(kText).append(BodyLines(mail.body));
    } else {
      // multipart/mixed: the text, then each file (RFC 2231 names keep Chinese).
      std::string boundary = "kelu-" + message_id;
      up.data += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", boundary);
      up.data.append("--").append(boundary).append("\r\n").append(kText);
      up.data.append(BodyLines(mail.body));
      for (const auto& a : mail.attachments) {
        up.data += fmt::format(
            "--{}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename*=UTF-8''{}\r\n\r\n",
            boundary, a.content_type, PercentEncode(a.filename));
        up.data.append(BodyLines(a.data));
      }
      up.data.append("--").append(boundary).append("--\r\n");
    }
    CURL* curl = curl_easy_init();
    if (!curl) return Error::Make(ErrorKind::kUnavailable, "mail_failed", "curl_easy_init failed");
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + mail.to + ">").c_str());
    std::string from = "<" + config_.from_address + ">";
    char err[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, config_.smtp_url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadChunk);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
      return Error::Make(ErrorKind::kUnavailable, "mail_failed",
                         fmt::format("{}: {}", curl_easy_strerror(rc), err));
    }
    return fmt::format("{} accepted by {} as {}", code, config_.smtp_url, id);
  }

 private:
  MailConfig config_;
};

}  // namespace

void Enqueue(Connection& c, const Mail& mail, Timestamp now) {
  c.Exec(
      "INSERT INTO outbox (message_id, recipient, subject, body, subject_tenant_id, notice_kind, "
      "dedupe_key, status, attempts, next_attempt_at, lease_until, last_error, evidence, "
      "sent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, NULL, NULL, NULL, NULL, "
      "?)",
      {V(c.NextId()), V(mail.to), V(mail.subject), V(mail.body), V(mail.tenant_id),
       V(mail.notice_kind), V(mail.dedupe_key), V(ToMicros(now)), V(ToMicros(now))});
}

std::unique_ptr<Mailer> MakeSmtpMailer(const MailConfig& config) {
  static const bool init = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)init;
  return std::make_unique<SmtpMailer>(config);
}

Outbox::Outbox(storage::Database& db, Mailer& mailer, const Clock& clock, const MailConfig& mail,
               const TermsConfig& terms)
    : db_(db), mailer_(mailer), clock_(clock), mail_(mail), terms_(terms) {}

Outbox::~Outbox() { Stop(); }

int Outbox::DeliverDue() {
  int sent = 0;
  for (;;) {
    std::int64_t now = ToMicros(clock_.now());
    // Claim the oldest due message with a lease, so another process leaves it alone.
    auto claimed = db_.Write([&](Connection& c) -> Result<std::optional<storage::Row>> {
      auto row = c.QueryOne(
          "SELECT message_id, recipient, subject, body, subject_tenant_id, notice_kind, "
          "dedupe_key, attempts FROM outbox WHERE (status = 'queued' AND next_attempt_at <= ?) "
          "OR (status = 'sending' AND lease_until < ?) ORDER BY message_id LIMIT 1",
          {V(now), V(now)});
      if (!row) return std::optional<storage::Row>{};
      c.Exec(
          "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1 "
          "WHERE message_id = ?",
          {V(now + kLeaseMicros), V(row->integer(0))});
      return std::optional<storage::Row>(std::move(*row));
    });
    if (!claimed.ok() || !*claimed) return sent;
    const storage::Row& r = **claimed;
    Mail mail{r.text(1), r.text(2), r.text(3), r.opt_integer(4), r.text(5), r.text(6)};
    std::int64_t id = r.integer(0);
    std::int64_t attempts = r.integer(7) + 1;
    Timestamp at = clock_.now();
    auto result = mailer_.Send(mail, fmt::format("kelu-{}", id), at);
    db_.Write([&](Connection& c) {
      if (result.ok()) {
        c.Exec(
            "UPDATE outbox SET status = 'sent', sent_at = ?, evidence = ?, lease_until = NULL, "
            "body = CASE WHEN notice_kind = ? THEN '' ELSE body END WHERE message_id = ?",
            {V(ToMicros(at)), V(*result), V(kOneTimeLinkKind), V(id)});
        if (mail.tenant_id) {
          Timestamp deemed = at + std::chrono::hours(terms_.email_deemed_hours);
          c.Exec(
              "INSERT INTO notices (tenant_id, notice_id, kind, channel, recipient, subject, "
              "body, sent_at, deemed_at, evidence, dedupe_key, recorded_by) "
              "VALUES (?, ?, ?, 'email', ?, ?, ?, ?, ?, ?, ?, NULL) "
              "ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
              {V(*mail.tenant_id), V(c.NextId()), V(mail.notice_kind), V(mail.to), V(mail.subject),
               V(mail.body), V(ToMicros(at)), V(ToMicros(deemed)), V(*result),
               V(mail.dedupe_key + ":email")});
        }
      } else {
        bool give_up = attempts >= mail_.max_attempts;
        std::int64_t backoff = RetryBackoffMicros(mail_.retry_base_seconds, attempts, 20);
        c.Exec(
            "UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ?, "
            "lease_until = NULL WHERE message_id = ?",
            {V(give_up ? "failed" : "queued"), V(ToMicros(at) + backoff), V(result.error().message),
             V(id)});
      }
    });
    if (result.ok()) {
      ++sent;
    } else {
      spdlog::warn("mail {} to {} failed (attempt {}): {}", id, mail.to, attempts,
                   result.error().message);
    }
  }
}

void Outbox::Start(std::chrono::milliseconds poll) {
  poller_.Start([this] { DeliverDue(); }, poll,
                [](const std::exception& e) { spdlog::error("outbox: {}", e.what()); });
}

void Outbox::Wake() { poller_.Wake(); }

void Outbox::Stop() { poller_.Stop(); }

}  // namespace kelu::notices
