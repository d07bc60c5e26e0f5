#include "messaging/fax.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>


#include "core/files.hpp"
#include "core/validation.hpp"
#include "crm/normalize.hpp"
#include "crm/service.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"
#include "messaging/pdf.hpp"

namespace kelu::messaging {

using storage::Connection;
using storage::Row;
using storage::V;

namespace {

constexpr std::int64_t kLeaseMicros = std::int64_t{300} * 1000000;

std::string FaxReference(std::int64_t fax_id) { return fmt::format("fax:{}", fax_id); }
std::string FaxExternalId(std::int64_t tenant_id, std::int64_t fax_id) {
  return fmt::format("kelu-fax-{}-{}", tenant_id, fax_id);
}

constexpr const char* kFaxColumns =
    "fax_id, attachment_id, customer_id, filename, number, pages, points, status, reason, "
    "detail, attempts, next_attempt_at, provider_id, sent_at, created_by, created_at, gateway";

json::object FaxView(const Row& r, const Zone& zone) {
  auto time = [&](std::size_t i) -> json::value {
    if (r.is_null(i)) return nullptr;
    return json::value(FormatRfc3339(FromMicros(r.integer(i)), zone));
  };
  std::string status = r.text(7);
  return json::object{{"id", r.integer(0)},
                      {"attachment_id", r.integer(1)},
                      {"customer_id", r.integer(2)},
                      {"filename", r.text(3)},
                      {"number", r.text(4)},
                      {"pages", r.integer(5)},
                      {"points", r.integer(6)},
                      {"status", status},
                      {"reason", OrNull(r.opt_text(8))},
                      {"detail", OrNull(r.opt_text(9))},
                      {"attempts", r.integer(10)},
                      {"next_attempt_at", status == "queued" ? time(11) : json::value(nullptr)},
                      {"provider_id", OrNull(r.opt_text(12))},
                      {"sent_at", time(13)},
                      {"created_by", r.integer(14)},
                      {"created_at", time(15)},
                      {"gateway", r.text(16)}};
}

std::optional<Row> FaxRow(Connection& c, std::int64_t tenant_id, std::int64_t fax_id) {
  return c.QueryOne(
      fmt::format("SELECT {} FROM fax_jobs WHERE tenant_id = ? AND fax_id = ?", kFaxColumns),
      {V(tenant_id), V(fax_id)});
}

}  // namespace

FaxService::FaxService(storage::Database& db, billing::BillingService& billing,
                       attachments::AttachmentService& attachments, attachments::BlobStore& blobs,
                       MessagingService& messaging, FaxGateway& gateway, const Config& config,
                       const Clock& clock, Zone zone)
    : db_(db),
      billing_(billing),
      attachments_(attachments),
      blobs_(blobs),
      messaging_(messaging),
      gateway_(gateway),
      fax_(config.fax),
      clock_(clock),
      zone_(std::move(zone)) {}

FaxService::~FaxService() { Stop(); }

Result<json::object> FaxService::Send(const Principal& who, const json::object& body,
                                      const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"attachment_id", "number"});
  auto attachment_id = f.Int("attachment_id", true, 1, INT64_MAX);
  auto raw_number = f.String("number", true, 1, 40);
  std::string number;
  if (raw_number) {
    number = crm::NormalizePhone(*raw_number);
    if (number.size() < 7 || number.size() > 20) f.Fail("number", "is not a fax number");
  }
  if (!f.ok()) return f.ToError();
  auto file = attachments_.Get(who, *attachment_id);
  if (!file.ok()) return std::move(file).error();
  if (file->mime != "application/pdf") {
    return Error::Make(ErrorKind::kInvalid, "not_a_pdf",
                       fmt::format("只能传真 PDF 文件（这是 {}）。Only PDF files can be faxed "
                                   "(this is {}).",
                                   file->mime, file->mime));
  }
  auto bytes = ReadFile(file->path);
  if (!bytes) {
    return Error::Make(ErrorKind::kUnavailable, "attachment_unreadable",
                       "The attachment's file cannot be read; try again later.");
  }
  auto pdf = InspectPdf(*bytes);
  if (!pdf.ok()) return std::move(pdf).error();
  if (pdf->pages > fax_.max_pages) {
    return Error::Make(ErrorKind::kInvalid, "too_many_pages",
                       fmt::format("一次最多传真 {} 页，此文件 {} 页。At most {} pages per fax; "
                                   "this file has {}.",
                                   fax_.max_pages, pdf->pages, fax_.max_pages, pdf->pages),
                       {{"pages", pdf->pages}, {"max_pages", fax_.max_pages}});
  }
  if (auto words = messaging_.Check(who.tenant_id, pdf->text); !words.empty()) {
    json::array list;
    for (const auto& w : words) list.push_back(json::value(w));
    return Error::Make(ErrorKind::kInvalid, "sensitive_words",
                       fmt::format("传真内容含敏感词，未发送、未扣点：{}。The fax contains "
                                   "sensitive words and was neither sent nor charged.",
                                   fmt::join(words, "、")),
                       {{"words", std::move(list)}});
  }
  std::int64_t points = pdf->pages;  // one fax point per page
  auto made = db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t id = c.NextId();
    auto held = billing_.HoldPoints(c, who.tenant_id, "fax", points, FaxReference(id), meta.now);
    if (!held.ok()) return std::move(held).error();
    c.Exec(
        "INSERT INTO fax_jobs (tenant_id, fax_id, attachment_id, customer_id, filename, number, "
        "pages, points, status, gateway, next_attempt_at, created_by, created_at, sha256) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*attachment_id), V(file->customer_id), V(file->filename),
         V(number), V(static_cast<std::int64_t>(pdf->pages)), V(points), V(gateway_.name()),
         V(ToMicros(meta.now)), V(who.user_id), V(ToMicros(meta.now)), V(file->sha256)});
    crm::CrmService::AddTimelineEvent(c, who.tenant_id, file->customer_id, meta.now, who.user_id,
                                      "fax",
                                      json::object{{"fax_id", id},
                                                   {"attachment_id", *attachment_id},
                                                   {"filename", file->filename},
                                                   {"number", number},
                                                   {"pages", pdf->pages}});
    identity::RecordAudit(
        c, who, meta,
        {"fax.send",
         "fax",
         std::to_string(id),
         {},
         json::object{
             {"number", number}, {"pages", pdf->pages}, {"attachment_id", *attachment_id}}});
    // The fax as this request leaves it, read before the dispatcher can move it on.
    return FaxView(*FaxRow(c, who.tenant_id, id), zone_);
  });
  if (!made.ok()) return std::move(made).error();
  poller_.Wake();
  return made;
}

Result<json::object> FaxService::List(const Principal& who, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    std::string mine = who.is_boss_or_admin() ? "" : " AND created_by = ?";
    storage::Params params{V(who.tenant_id), V(identity::CursorBefore(page))};
    if (!mine.empty()) params.push_back(V(who.user_id));
    params.push_back(V(page.limit));
    auto rows = c.Query(fmt::format("SELECT {} FROM fax_jobs WHERE tenant_id = ? AND fax_id < ?{} "
                                    "ORDER BY fax_id DESC LIMIT ?",
                                    kFaxColumns, mine),
                        params);
    return identity::PageOfRows(rows, page, [&](const Row& r) { return FaxView(r, zone_); });
  });
}

Result<json::object> FaxService::Get(const Principal& who, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = FaxRow(c, who.tenant_id, id);
    if (!row || (!who.is_boss_or_admin() && row->integer(14) != who.user_id)) {
      return Error::NotFound("fax");
    }
    return FaxView(*row, zone_);
  });
}

int FaxService::DispatchDue() {
  int handled = 0;
  for (;;) {
    Timestamp now = clock_.now();
    struct Claimed {
      std::int64_t tenant_id = 0, fax_id = 0, points = 0, attempts = 0;
      OutgoingFax fax;
      std::string sha256;
      GatewayAnswer answer;
      bool gone = false;
    };
    std::optional<Claimed> claimed;
    bool cancelled = false;
    db_.Write([&](Connection& c) {
      // One at a time: a fax is large and slow.
      constexpr const char* kClaim =
          "SELECT f.tenant_id, f.fax_id, f.number, f.filename, f.pages, f.points, f.attempts, "
          "f.sha256, t.state FROM fax_jobs f JOIN tenants t ON t.tenant_id = f.tenant_id WHERE "
          "f.status = ? AND f.next_attempt_at <= ? {} ORDER BY f.next_attempt_at LIMIT 1";
      auto row = c.QueryOne(fmt::format(kClaim, "AND f.lease_until < ?"),
                            {V("sending"), V(INT64_MAX), V(ToMicros(now))});
      if (!row) row = c.QueryOne(fmt::format(kClaim, ""), {V("queued"), V(ToMicros(now))});
      if (!row) return;
      std::int64_t tenant_id = row->integer(0), id = row->integer(1);
      if (row->text(8) != "active") {
        c.Exec(
            "UPDATE fax_jobs SET status = 'cancelled', reason = 'tenant_not_active', lease_until "
            "= NULL WHERE tenant_id = ? AND fax_id = ?",
            {V(tenant_id), V(id)});
        billing_.SettleHeld(c, tenant_id, FaxReference(id), 0, row->integer(5), now);
        ++handled;
        cancelled = true;
        return;
      }
      c.Exec(
          "UPDATE fax_jobs SET status = 'sending', lease_until = ?, attempts = attempts + 1 WHERE "
          "tenant_id = ? AND fax_id = ?",
          {V(ToMicros(now) + kLeaseMicros), V(tenant_id), V(id)});
      Claimed m;
      m.tenant_id = tenant_id;
      m.fax_id = id;
      m.points = row->integer(5);
      m.attempts = row->integer(6) + 1;
      m.fax = {FaxExternalId(tenant_id, id),
               row->text(2),
               row->text(3),
               {},
               static_cast<int>(row->integer(4))};
      m.sha256 = row->text(7);
      claimed = std::move(m);
    });
    if (cancelled) continue;
    if (!claimed) return handled;
    Claimed& m = *claimed;
    auto path = blobs_.Path(m.tenant_id, m.sha256);
    auto bytes = path.ok() ? ReadFile(*path) : std::nullopt;
    if (!bytes) {
      m.gone = true;
    } else {
      m.fax.pdf = std::move(*bytes);
      m.answer = gateway_.Send(m.fax);
    }
    Timestamp done = clock_.now();
    db_.Write([&](Connection& c) {
      using Outcome = GatewayAnswer::Outcome;
      const GatewayAnswer& a = m.answer;
      std::string detail = a.code + (a.detail.empty() ? "" : ": " + a.detail);
      if (!m.gone && a.outcome == Outcome::kAccepted) {
        c.Exec(
            "UPDATE fax_jobs SET status = 'sent', sent_at = ?, provider_id = ?, reason = NULL, "
            "detail = NULL, lease_until = NULL WHERE tenant_id = ? AND fax_id = ? AND status = "
            "'sending'",
            {V(ToMicros(done)), V(a.provider_id), V(m.tenant_id), V(m.fax_id)});
        billing_.SettleHeld(c, m.tenant_id, FaxReference(m.fax_id), m.points, 0, done);
      } else if (m.gone || a.outcome == Outcome::kRefused || m.attempts >= fax_.max_attempts) {
        std::string status = m.gone || a.outcome == Outcome::kRefused ? "refused" : "failed";
        std::string reason = m.gone                           ? "attachment_gone"
                             : a.outcome == Outcome::kRefused ? "gateway_refused"
                                                              : "gateway_unreachable";
        c.Exec(
            "UPDATE fax_jobs SET status = ?, reason = ?, detail = ?, lease_until = NULL WHERE "
            "tenant_id = ? AND fax_id = ? AND status = 'sending'",
            {V(status), V(reason), V(m.gone ? "" : detail), V(m.tenant_id), V(m.fax_id)});
        billing_.SettleHeld(c, m.tenant_id, FaxReference(m.fax_id), 0, m.points, done);
      } else {
        std::int64_t backoff = RetryBackoffMicros(fax_.retry_base_seconds, m.attempts, 16);
        c.Exec(
            "UPDATE fax_jobs SET status = 'queued', next_attempt_at = ?, detail = ?, lease_until "
            "= NULL WHERE tenant_id = ? AND fax_id = ? AND status = 'sending'",
            {V(ToMicros(done) + backoff), V(detail), V(m.tenant_id), V(m.fax_id)});
        spdlog::info("fax {} not sent (attempt {}): {}", m.fax.id, m.attempts, detail);
      }
    });
    ++handled;
  }
}

void FaxService::Start(std::chrono::milliseconds poll) {
  poller_.Start([this] { DispatchDue(); }, poll,
                [](const std::exception& e) { spdlog::error("fax dispatcher: {}", e.what()); });
}

void FaxService::Stop() { poller_.Stop(); }

}  // namespace kelu::messaging
