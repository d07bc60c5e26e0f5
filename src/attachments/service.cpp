#include "attachments/service.hpp"

#include <fmt/format.h>
#include <magic.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/random.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "notices/outbox.hpp"

namespace kelu::attachments {

using storage::Connection;
using storage::Row;
using storage::V;

namespace {

// What libmagic looks at by default (MAGIC_PARAM_BYTES_MAX): the head of a file is enough.
constexpr std::size_t kSniffBytes = std::size_t{1} << 20;

// A file name as people gave it, without directories or control characters.
std::string CleanName(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) {
    name = name.substr(slash + 1);
  }
  std::string out;
  for (unsigned char ch : name) {
    if (ch >= 0x20 && ch != 0x7f) out += static_cast<char>(ch);
  }
  return out;
}

json::object AttachmentView(const Row& r, const Zone& zone) {
  // attachment_id, entity, entity_id, customer_id, filename, mime, size_bytes, sha256,
  // uploaded_by, created_at
  return json::object{
      {"id", r.integer(0)},          {"entity", r.text(1)},
      {"entity_id", r.integer(2)},   {"customer_id", r.integer(3)},
      {"filename", r.text(4)},       {"mime", r.text(5)},
      {"size_bytes", r.integer(6)},  {"sha256", r.text(7)},
      {"uploaded_by", r.integer(8)}, {"created_at", FormatRfc3339(FromMicros(r.integer(9)), zone)}};
}

double Mib(std::int64_t bytes) { return static_cast<double>(bytes) / 1048576.0; }

constexpr const char* kColumns =
    "attachment_id, entity, entity_id, customer_id, filename, mime, size_bytes, sha256, "
    "uploaded_by, created_at";

}  // namespace

AttachmentService::AttachmentService(storage::Database& db, identity::IdentityService& identity,
                                     crm::CrmService& crm, billing::BillingService& billing,
                                     BlobStore& blobs, const Scanner& scanner, const Config& config,
                                     Zone zone)
    : db_(db),
      identity_(identity),
      crm_(crm),
      billing_(billing),
      blobs_(blobs),
      scanner_(scanner),
      config_(config.attachments),
      operator_email_(config.mail.operator_email),
      zone_(std::move(zone)),
      max_file_bytes_(std::int64_t{config.attachments.max_file_mib} << 20) {
  std::string list = config_.blocked_types;
  for (std::size_t start = 0; start <= list.size();) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) blocked_.insert(item);
    start = comma + 1;
  }
  magic_t cookie = magic_open(MAGIC_MIME_TYPE);
  if (cookie && magic_load(cookie, nullptr) == 0) {
    magic_ = cookie;
  } else if (cookie) {
    magic_close(cookie);
  }
}

AttachmentService::~AttachmentService() {
  if (magic_) magic_close(static_cast<magic_t>(magic_));
}

std::string AttachmentService::Sniff(std::string_view bytes) {
  std::lock_guard lock(magic_mutex_);
  if (!magic_) return "application/octet-stream";
  const char* type = magic_buffer(static_cast<magic_t>(magic_), bytes.data(), bytes.size());
  return type ? type : "application/octet-stream";
}

Result<json::object> AttachmentService::Upload(const Principal& who, std::string_view entity,
                                               std::int64_t entity_id, const UploadFile& file,
                                               const RequestMeta& meta) {
  // The bytes end up in a temporary file of the store (a spooled body already is one);
  // nothing is visible until the row commits, and the file goes on every early return.
  std::string temp = file.path;
  struct Discard {
    const std::string& path;
    ~Discard() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove(path, ec);
    }
  } discard{temp};
  auto customer = crm_.VisibleRecordCustomer(who, entity, entity_id);
  if (!customer.ok()) return std::move(customer).error();
  std::string name = CleanName(file.filename);
  if (name.empty() || !Utf8Length(name)) return FieldError("filename", "required, valid UTF-8");
  std::int64_t size = static_cast<std::int64_t>(file.bytes.size());
  std::string head(file.bytes.substr(0, kSniffBytes));
  if (!temp.empty()) {
    std::error_code ec;
    size = static_cast<std::int64_t>(std::filesystem::file_size(temp, ec));
    if (ec) return Error::Make(ErrorKind::kInternal, "blob_store_failed", "cannot read the upload");
    std::ifstream in(temp, std::ios::binary);
    head.resize(kSniffBytes);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
  }
  if (size == 0) {
    return Error::Make(ErrorKind::kInvalid, "empty_file", "The file is empty.");
  }
  if (size > max_file_bytes_) {
    return Error::Make(ErrorKind::kTooLarge, "file_too_large",
                       fmt::format("A file may be at most {} MB.", config_.max_file_mib),
                       {{"max_bytes", max_file_bytes_}, {"size_bytes", size}});
  }
  std::string mime = Sniff(head);
  if (blocked_.contains(mime)) {
    return Error::Make(ErrorKind::kInvalid, "blocked_type",
                       fmt::format("Files of type {} cannot be uploaded.", mime), {{"type", mime}});
  }
  if (temp.empty()) {
    temp = blobs_.TempPath();
    std::ofstream out(temp, std::ios::binary);
    out.write(file.bytes.data(), static_cast<std::streamsize>(file.bytes.size()));
    if (!out) {
      return Error::Make(ErrorKind::kInternal, "blob_store_failed", "cannot write the upload");
    }
  }
  auto scan = scanner_.ScanFile(temp);
  if (!scan.ok() && config_.scanner_required) return std::move(scan).error();
  if (scan.ok() && scan->infected) {
    // The attempt is audited; repeated attempts alert the operator.
    db_.Write([&](Connection& c) -> Status {
         identity::RecordAudit(c, who, meta,
                               {"attachment.malware_blocked",
                                "attachment",
                                name,
                                {},
                                json::object{{"signature", scan->signature},
                                             {"size_bytes", size},
                                             {"entity", entity},
                                             {"entity_id", entity_id}}});
         std::int64_t attempts = c.QueryInt(
             "SELECT count(*) FROM audit_log WHERE tenant_id = ? AND action = "
             "'attachment.malware_blocked' AND at >= ?",
             {V(who.tenant_id), V(ToMicros(meta.now) - std::int64_t{24} * 3600 * 1000000)});
         if (attempts == config_.malware_alert_attempts) {
           notices::Enqueue(
               c,
               {operator_email_,
                fmt::format("[客录] 恶意文件上传告警 ({})", who.tenant_slug),
                fmt::format("租户 {} 在 24 小时内第 {} 次上传被拦截的恶意文件（最近一次：{}，用户 "
                            "{}）。Tenant {} has had {} infected uploads refused in 24 h (last: "
                            "{}, user {}).",
                            who.tenant_slug, attempts, scan->signature, who.login, who.tenant_slug,
                            attempts, scan->signature, who.login),
                std::nullopt,
                "malware_alert",
                {}},
               meta.now);
         }
         return OkStatus();
       })
        .ok();
    return Error::Make(
        ErrorKind::kInvalid, "malware_detected",
        fmt::format("The file contains malware ({}) and was not stored.", scan->signature),
        {{"signature", scan->signature}});
  }
  std::string sha = file.path.empty() ? Sha256Hex(file.bytes) : Sha256OfFile(temp);
  auto stored = db_.Write([&](Connection& c) -> Result<json::object> {
    auto quota = billing_.StorageQuota(c, who.tenant_id);
    if (!quota.ok()) return std::move(quota).error();
    c.Exec(
        "INSERT INTO storage_usage (tenant_id, used_bytes) VALUES (?, 0) "
        "ON CONFLICT (tenant_id) DO NOTHING",
        {V(who.tenant_id)});
    // The check and the move are one statement: racing uploads cannot both pass.
    if (c.Exec("UPDATE storage_usage SET used_bytes = used_bytes + ? WHERE tenant_id = ? AND "
               "used_bytes + ? <= ?",
               {V(size), V(who.tenant_id), V(size), V(*quota)}) == 0) {
      std::int64_t used = c.QueryInt("SELECT used_bytes FROM storage_usage WHERE tenant_id = ?",
                                     {V(who.tenant_id)});
      return Error::Make(
          ErrorKind::kTooLarge, "quota_exceeded",
          fmt::format("合同第八条：附件空间不足（已用 {:.1f} MB，共 {:.1f} MB）。老板可购买扩容"
                      "（每 100 MB 每月 30 元）。Not enough attachment space: {:.1f} MB of "
                      "{:.1f} MB used; the boss can buy more in 100 MB blocks.",
                      Mib(used), Mib(*quota), Mib(used), Mib(*quota)),
          {{"used_bytes", used},
           {"quota_bytes", *quota},
           {"size_bytes", size},
           {"buy", "POST /api/v1/billing/orders {\"kind\": \"storage\", \"blocks\": N}"}});
    }
    std::int64_t id = c.NextId();
    c.Exec(fmt::format("INSERT INTO attachments (tenant_id, {}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, ?, ?)",
                       kColumns),
           {V(who.tenant_id), V(id), V(entity), V(entity_id), V(*customer), V(name), V(mime),
            V(size), V(sha), V(who.user_id), V(ToMicros(meta.now))});
    // Inside the transaction, so a failure leaves neither the row nor the counted bytes.
    KELU_RETURN_IF_ERROR(blobs_.Put(who.tenant_id, sha, temp));
    json::object view{{"id", id},
                      {"entity", entity},
                      {"entity_id", entity_id},
                      {"customer_id", *customer},
                      {"filename", name},
                      {"mime", mime},
                      {"size_bytes", size},
                      {"sha256", sha},
                      {"uploaded_by", who.user_id},
                      {"created_at", FormatRfc3339(meta.now, zone_)}};
    crm::CrmService::AddTimelineEvent(
        c, who.tenant_id, *customer, meta.now, who.user_id, "attachment.upload",
        json::object{
            {"attachment_id", id}, {"filename", name}, {"size_bytes", size}, {"entity", entity}});
    identity::RecordAudit(c, who, meta,
                          {"attachment.upload", "attachment", std::to_string(id), {}, view});
    std::int64_t used =
        c.QueryInt("SELECT used_bytes FROM storage_usage WHERE tenant_id = ?", {V(who.tenant_id)});
    billing_.NoteStorageUsage(c, who.tenant_id, used, meta.now);
    return view;
  });
  return stored;  // the temporary file, unless moved into the store, goes now
}

Result<json::object> AttachmentService::List(const Principal& who, std::string_view entity,
                                             std::int64_t entity_id) {
  auto customer = crm_.VisibleRecordCustomer(who, entity, entity_id);
  if (!customer.ok()) return std::move(customer).error();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    // A customer's list holds the files of its contacts, follow-ups and opportunities too.
    auto rows = entity == "customer"
                    ? c.Query(fmt::format("SELECT {} FROM attachments WHERE tenant_id = ? AND "
                                          "customer_id = ? ORDER BY attachment_id DESC",
                                          kColumns),
                              {V(who.tenant_id), V(entity_id)})
                    : c.Query(fmt::format("SELECT {} FROM attachments WHERE tenant_id = ? AND "
                                          "entity = ? AND entity_id = ? ORDER BY "
                                          "attachment_id DESC",
                                          kColumns),
                              {V(who.tenant_id), V(entity), V(entity_id)});
    json::array items;
    for (const auto& r : rows.rows) items.push_back(AttachmentView(r, zone_));
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<Download> AttachmentService::Get(const Principal& who, std::int64_t id) {
  auto row = db_.Read([&](Connection& c) {
    return c.QueryOne(
        fmt::format("SELECT {} FROM attachments WHERE tenant_id = ? AND attachment_id = ?",
                    kColumns),
        {V(who.tenant_id), V(id)});
  });
  if (!row) return Error::NotFound("attachment");
  // Seen through its record: out of the caller's scope is not found.
  auto customer = crm_.VisibleRecordCustomer(who, row->text(1), row->integer(2));
  if (!customer.ok()) return Error::NotFound("attachment");
  auto path = blobs_.Path(who.tenant_id, row->text(7));
  if (!path.ok()) return std::move(path).error();
  return Download{*path, row->text(4), row->text(5), row->integer(6), row->text(7), *customer};
}

Status AttachmentService::Delete(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  auto row = db_.Read([&](Connection& c) {
    return c.QueryOne(
        fmt::format("SELECT {} FROM attachments WHERE tenant_id = ? AND attachment_id = ?",
                    kColumns),
        {V(who.tenant_id), V(id)});
  });
  if (!row) return Error::NotFound("attachment");
  auto customer = crm_.VisibleRecordCustomer(who, row->text(1), row->integer(2));
  if (!customer.ok()) return Error::NotFound("attachment");
  std::string sha = row->text(7);
  bool last_copy = false;
  auto done = db_.Write([&](Connection& c) -> Status {
    if (c.Exec("DELETE FROM attachments WHERE tenant_id = ? AND attachment_id = ?",
               {V(who.tenant_id), V(id)}) == 0) {
      return Error::NotFound("attachment");
    }
    // Deleting frees the space at once (attachments do not go to the recycle bin).
    c.Exec("UPDATE storage_usage SET used_bytes = used_bytes - ? WHERE tenant_id = ?",
           {V(row->integer(6)), V(who.tenant_id)});
    last_copy = c.QueryInt("SELECT count(*) FROM attachments WHERE tenant_id = ? AND sha256 = ?",
                           {V(who.tenant_id), V(sha)}) == 0;
    crm::CrmService::AddTimelineEvent(
        c, who.tenant_id, row->integer(3), meta.now, who.user_id, "attachment.delete",
        json::object{{"attachment_id", id}, {"filename", row->text(4)}});
    identity::RecordAudit(
        c, who, meta,
        {"attachment.delete", "attachment", std::to_string(id), AttachmentView(*row, zone_), {}});
    return OkStatus();
  });
  if (done.ok() && last_copy) blobs_.Remove(who.tenant_id, sha).ok();
  return done;
}

json::object AttachmentService::Fsck(bool repair) {
  json::array missing, altered, orphans, counters;
  // Blobs first: which exist, and are they what their name says?
  std::set<std::pair<std::int64_t, std::string>> on_disk;
  blobs_.ForEach([&](const BlobEntry& e) {
    on_disk.emplace(e.tenant_id, e.sha256);
    auto path = blobs_.Path(e.tenant_id, e.sha256);
    if (!path.ok() || Sha256OfFile(*path) != e.sha256)
      altered.push_back(json::object{{"tenant_id", e.tenant_id}, {"sha256", e.sha256}});
  });
  std::set<std::pair<std::int64_t, std::string>> referenced;
  std::vector<std::pair<std::int64_t, std::int64_t>> missing_rows;
  db_.Read([&](Connection& c) {
    c.ForEach("SELECT tenant_id, attachment_id, sha256 FROM attachments", {}, [&](const Row& r) {
      referenced.emplace(r.integer(0), r.text(2));
      if (!on_disk.contains({r.integer(0), r.text(2)})) {
        missing.push_back(json::object{
            {"tenant_id", r.integer(0)}, {"attachment_id", r.integer(1)}, {"sha256", r.text(2)}});
        missing_rows.emplace_back(r.integer(0), r.integer(1));
      }
    });
  });
  for (const auto& blob : on_disk) {
    if (!referenced.contains(blob)) {
      orphans.push_back(json::object{{"tenant_id", blob.first}, {"sha256", blob.second}});
    }
  }
  std::int64_t stale = 0;
  if (repair) {
    for (const auto& [tenant, sha] : on_disk) {
      if (!referenced.contains({tenant, sha})) blobs_.Remove(tenant, sha).ok();
    }
    stale = blobs_.RemoveStaleTemps(std::chrono::hours(1));
    db_.Write([&](Connection& c) -> Status {
         for (const auto& [tenant, id] : missing_rows) {
           c.Exec("DELETE FROM attachments WHERE tenant_id = ? AND attachment_id = ?",
                  {V(tenant), V(id)});
         }
         return OkStatus();
       })
        .ok();
  }
  // Counters last, after any repair above.
  db_.Write([&](Connection& c) -> Status {
       auto rows = c.Query(
           "SELECT t.tenant_id, coalesce(u.used_bytes, 0), (SELECT coalesce(sum(a.size_bytes), 0) "
           "FROM attachments a WHERE a.tenant_id = t.tenant_id) FROM tenants t LEFT JOIN "
           "storage_usage u ON u.tenant_id = t.tenant_id");
       for (const auto& r : rows.rows) {
         if (r.integer(1) == r.integer(2)) continue;
         counters.push_back(json::object{{"tenant_id", r.integer(0)},
                                         {"counted_bytes", r.integer(1)},
                                         {"actual_bytes", r.integer(2)}});
         if (repair) {
           c.Exec(
               "INSERT INTO storage_usage (tenant_id, used_bytes) VALUES (?, 0) "
               "ON CONFLICT (tenant_id) DO NOTHING",
               {V(r.integer(0))});
           c.Exec("UPDATE storage_usage SET used_bytes = ? WHERE tenant_id = ?",
                  {V(r.integer(2)), V(r.integer(0))});
         }
       }
       return OkStatus();
     })
      .ok();
  bool clean = missing.empty() && altered.empty() && orphans.empty() && counters.empty();
  return json::object{{"clean", clean},
                      {"repaired", repair},
                      {"missing_blobs", std::move(missing)},
                      {"altered_blobs", std::move(altered)},
                      {"orphan_blobs", std::move(orphans)},
                      {"usage_counters", std::move(counters)},
                      {"stale_temp_files_removed", stale}};
}

Status AttachmentService::CollectOrphans(std::chrono::seconds min_age) {
  std::set<std::pair<std::int64_t, std::string>> referenced;
  db_.Read([&](Connection& c) {
    c.ForEach("SELECT DISTINCT tenant_id, sha256 FROM attachments", {},
              [&](const Row& r) { referenced.emplace(r.integer(0), r.text(1)); });
  });
  auto cutoff = std::chrono::system_clock::now() - min_age;
  std::vector<std::pair<std::int64_t, std::string>> orphans;
  blobs_.ForEach([&](const BlobEntry& e) {
    if (referenced.contains({e.tenant_id, e.sha256})) return;
    if (e.written < cutoff) orphans.emplace_back(e.tenant_id, e.sha256);
  });
  for (const auto& [tenant, sha] : orphans) blobs_.Remove(tenant, sha).ok();
  blobs_.RemoveStaleTemps(min_age);
  return OkStatus();
}

Result<json::object> AttachmentService::Usage(const Principal& who) {
  bool boss = who.is_boss();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    if (!boss) {
      std::int64_t mine = c.QueryInt(
          "SELECT coalesce(sum(size_bytes), 0) FROM attachments WHERE tenant_id = ? AND "
          "uploaded_by = ?",
          {V(who.tenant_id), V(who.user_id)});
      return json::object{{"mine_bytes", mine}};
    }
    auto quota = billing_.StorageQuota(c, who.tenant_id);
    if (!quota.ok()) return std::move(quota).error();
    std::int64_t used =
        c.QueryInt("SELECT coalesce(max(used_bytes), 0) FROM storage_usage WHERE tenant_id = ?",
                   {V(who.tenant_id)});
    json::array by_user;
    for (const auto& r :
         c.Query("SELECT a.uploaded_by, u.name, sum(a.size_bytes), count(*) FROM attachments a "
                 "JOIN users u ON u.tenant_id = a.tenant_id AND u.user_id = a.uploaded_by WHERE "
                 "a.tenant_id = ? GROUP BY a.uploaded_by, u.name ORDER BY 3 DESC",
                 {V(who.tenant_id)})
             .rows) {
      by_user.push_back(json::object{{"user_id", r.integer(0)},
                                     {"name", r.text(1)},
                                     {"bytes", r.integer(2)},
                                     {"files", r.integer(3)}});
    }
    json::object by_type;
    for (const auto& r : c.Query("SELECT entity, sum(size_bytes) FROM attachments WHERE "
                                 "tenant_id = ? GROUP BY entity",
                                 {V(who.tenant_id)})
                             .rows) {
      by_type[r.text(0)] = r.integer(1);
    }
    return json::object{{"used_bytes", used},
                        {"quota_bytes", *quota},
                        {"left_bytes", std::max<std::int64_t>(0, *quota - used)},
                        {"by_user", std::move(by_user)},
                        {"by_record_type", std::move(by_type)}};
  });
}

}  // namespace kelu::attachments
