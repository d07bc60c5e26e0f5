// The tenant's data export: one zip with manifest.json (counts and the SHA-256 of every file),
// each record type as JSON and as CSV (UTF-8 with BOM, formula cells neutralised), and every
// attachment. Written by a background job to a temporary file and renamed into place.
#include <fmt/format.h>
#include <minizip/zip.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "billing/internal.hpp"
#include "core/files.hpp"
#include "core/random.hpp"
#include "dataio/csv.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"
#include "storage/schema_check.hpp"

namespace kelu::billing {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

// Secrets and derived indexes are not the tenant's data; everything else is.
const std::unordered_set<std::string> kNotExported = {
    "user_sessions",  "api_tokens",   "password_history", "search_docs",
    "search_bigrams", "import_items", "data_exports", "recovery_links"};
const std::unordered_set<std::string> kSecretColumns = {
    "password_hash", "token_hash",         "secret",           "csrf_token",
    "mfa_secret",    "mfa_pending_secret", "mfa_recovery_codes"};

std::string ToHex(const unsigned char* d, std::size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, d, n);
  return out;
}

// One zip entry written in pieces, with its size and SHA-256.
class Entry {
 public:
  Entry(zipFile zip, const std::string& name) : zip_(zip) {
    zip_fileinfo info{};
    // Bit 11: the name is UTF-8 (Chinese file names survive every unzip tool).
    constexpr unsigned long kUtf8Names = 1UL << 11;
    ok_ = zipOpenNewFileInZip4_64(zip, name.c_str(), &info, nullptr, 0, nullptr, 0, nullptr,
                                  Z_DEFLATED, Z_DEFAULT_COMPRESSION, 0, -MAX_WBITS, DEF_MEM_LEVEL,
                                  Z_DEFAULT_STRATEGY, nullptr, 0, 0, kUtf8Names, 1) == ZIP_OK;
    crypto_hash_sha256_init(&state_);
  }
  void Write(std::string_view data) {
    if (!ok_ || data.empty()) return;
    ok_ = zipWriteInFileInZip(zip_, data.data(), static_cast<unsigned>(data.size())) == ZIP_OK;
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(data.data()),
                              data.size());
    bytes_ += static_cast<std::int64_t>(data.size());
  }
  // Closes the entry; false when any write failed.
  bool Close(std::string* sha256) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state_, digest);
    *sha256 = ToHex(digest, sizeof digest);
    return zipCloseFileInZip(zip_) == ZIP_OK && ok_;
  }
  std::int64_t bytes() const { return bytes_; }

 private:
  zipFile zip_;
  bool ok_ = false;
  crypto_hash_sha256_state state_{};
  std::int64_t bytes_ = 0;
};

json::value CellJson(const Row& r, std::size_t i) {
  const auto& v = r.value(i);
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return json::value(*s);
  return nullptr;
}

}  // namespace

Result<json::object> BillingService::RequestExport(const Principal& who, const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  Date today = zone_.LocalDate(meta.now);
  auto created = db_.Write([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, who.tenant_id);
    Lifecycle lc = t->lifecycle();
    // A tenant outside billing (no term) owns its data all the same.
    bool allowed = t->expiry ? ExportAllowed(terms_, lc, today) : lc.state == State::kActive;
    if (!allowed) {
      return Error::Conflict(
          "export_not_allowed",
          lc.ending == Ending::kBreach
              ? std::string("合同第十二条：因违约终止的协议不提供数据导出。There is no data export "
                            "after a termination for breach.")
              : fmt::format("合同第十一条：协议终止后 {} 日内可申请导出数据，该期限已过。The data "
                            "export can be requested within {} days after termination; that "
                            "window has passed.",
                            terms_.export_window_days, terms_.export_window_days));
    }
    if (c.QueryInt("SELECT count(*) FROM data_exports WHERE tenant_id = ? AND status IN "
                   "('queued', 'running')",
                   {V(who.tenant_id)}) > 0) {
      return Error::Conflict("export_in_progress",
                             "An export is being prepared; wait for it to finish.");
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO data_exports (tenant_id, export_id, status, requested_by, requested_at) "
        "VALUES (?, ?, 'queued', ?, ?)",
        {V(who.tenant_id), V(id), V(who.user_id), V(ToMicros(meta.now))});
    identity::RecordAudit(c, who, meta,
                          {"export.request", "data_export", std::to_string(id), {}, {}});
    RecordEvent(c, who.tenant_id, meta.now, "export.requested", json::object{{"export_id", id}});
    return json::object{{"id", id}, {"status", "queued"}, {"requested_at", Format(meta.now)}};
  });
  if (created.ok()) {
    std::int64_t id = created->at("id").as_int64();
    if (export_runner_) {
      export_runner_(who.tenant_id, id);
    } else {
      RunExport(who.tenant_id, id).ok();
      return GetExport(who, id);
    }
  }
  return created;
}

namespace {

json::object ExportView(const Row& r, const Zone& zone) {
  // export_id, status, requested_at, finished_at, expires_at, bytes, sha256, error
  auto time = [&](std::size_t i) -> json::value {
    if (r.is_null(i)) return nullptr;
    return json::value(FormatRfc3339(FromMicros(r.integer(i)), zone));
  };
  return json::object{{"id", r.integer(0)},
                      {"status", r.text(1)},
                      {"requested_at", time(2)},
                      {"finished_at", time(3)},
                      {"expires_at", time(4)},
                      {"bytes", OrNull(r.opt_integer(5))},
                      {"sha256", OrNull(r.opt_text(6))},
                      {"error", OrNull(r.opt_text(7))}};
}

constexpr const char* kExportColumns =
    "export_id, status, requested_at, finished_at, expires_at, bytes, sha256, error";

}  // namespace

Result<json::object> BillingService::ListExports(const Principal& who) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(fmt::format("SELECT {} FROM data_exports WHERE tenant_id = ? ORDER BY "
                                    "export_id DESC LIMIT 50",
                                    kExportColumns),
                        {V(who.tenant_id)});
    json::array items;
    for (const auto& r : rows.rows) items.push_back(ExportView(r, zone_));
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> BillingService::GetExport(const Principal& who, std::int64_t id) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(fmt::format("SELECT {} FROM data_exports WHERE tenant_id = ? AND "
                                      "export_id = ?",
                                      kExportColumns),
                          {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("export");
    return ExportView(*row, zone_);
  });
}

Result<BillingService::ExportFile> BillingService::DownloadExport(const Principal& who,
                                                                  std::int64_t id,
                                                                  const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Write([&](Connection& c) -> Result<ExportFile> {
    auto row = c.QueryOne(
        "SELECT e.status, e.expires_at, e.file_path, t.slug, e.finished_at FROM data_exports e "
        "JOIN tenants t USING (tenant_id) WHERE e.tenant_id = ? AND e.export_id = ?",
        {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("export");
    if (row->text(0) == "expired" || (!row->is_null(1) && ToMicros(meta.now) >= row->integer(1))) {
      return Error::Conflict("export_expired",
                             fmt::format("This archive could be downloaded for {} days and is no "
                                         "longer kept; request a new export.",
                                         terms_.export_download_days));
    }
    if (row->text(0) != "ready") {
      return Error::Conflict("export_not_ready", "The archive is not ready yet.");
    }
    identity::RecordAudit(c, who, meta,
                          {"export.download", "data_export", std::to_string(id), {}, {}});
    // Served from the path the ids name, never from the stored text.
    auto path = ExportArchivePath(who.tenant_id, id);
    KELU_RETURN_IF_ERROR(path);
    Date day = zone_.LocalDate(FromMicros(row->integer(4)));
    return ExportFile{*path,
                      fmt::format("kelu-export-{}-{}.zip", row->text(3), FormatDate(day))};
  });
}

std::vector<std::pair<std::int64_t, std::int64_t>> BillingService::UnfinishedExports() {
  return db_.Read([](Connection& c) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (const auto& r : c.Query("SELECT tenant_id, export_id FROM data_exports WHERE status IN "
                                 "('queued', 'running') ORDER BY export_id")
                             .rows) {
      out.emplace_back(r.integer(0), r.integer(1));
    }
    return out;
  });
}

Result<std::string> BillingService::ExportArchivePath(std::int64_t tenant_id,
                                                     std::int64_t export_id) const {
  return PathUnder(files_dir_,
                   {"exports", std::to_string(tenant_id), fmt::format("{}.zip", export_id)});
}

Status BillingService::RunExport(std::int64_t tenant_id, std::int64_t export_id) {
  namespace fs = std::filesystem;
  db_.Write([&](Connection& c) {
    c.Exec("UPDATE data_exports SET status = 'running' WHERE tenant_id = ? AND export_id = ?",
           {V(tenant_id), V(export_id)});
  });
  auto named = ExportArchivePath(tenant_id, export_id);
  auto named_part = PathUnder(files_dir_, {"exports", std::to_string(tenant_id),
                                           fmt::format("{}.zip.part", export_id)});
  fs::path final_path = named.ok() ? *named : std::string();
  fs::path part = named_part.ok() ? *named_part : std::string();
  std::error_code ec;
  fs::create_directories(final_path.parent_path(), ec);
  auto fail = [&](const std::string& why) -> Status {
    fs::remove(part, ec);
    db_.Write([&](Connection& c) {
      c.Exec(
          "UPDATE data_exports SET status = 'failed', error = ? WHERE tenant_id = ? AND "
          "export_id = ?",
          {V(why), V(tenant_id), V(export_id)});
    });
    return Error::Make(ErrorKind::kInternal, "export_failed", why);
  };
  if (!named.ok() || !named_part.ok()) return fail("the export directory cannot be reached");
  zipFile zip = zipOpen64(part.c_str(), APPEND_STATUS_CREATE);
  if (!zip) return fail("cannot create " + part.string());
  json::array files;
  json::object counts;
  bool ok = true;
  std::string slug;
  Timestamp requested_at;
  db_.Read([&](Connection& c) {
    slug = c.QueryOne("SELECT slug FROM tenants WHERE tenant_id = ?", {V(tenant_id)})->text(0);
    requested_at = FromMicros(
        c.QueryInt("SELECT requested_at FROM data_exports WHERE tenant_id = ? AND export_id = ?",
                   {V(tenant_id), V(export_id)}));
    auto tables = storage::TenantTablesChildrenFirst(c);
    std::reverse(tables.begin(), tables.end());  // parents first, as a reader would load them
    for (const auto& table : tables) {
      if (kNotExported.contains(table)) continue;
      std::string sql = fmt::format("SELECT * FROM {} WHERE tenant_id = ?", table);
      auto columns = c.Query(sql + " LIMIT 0", {V(tenant_id)}).columns;
      std::vector<std::size_t> keep;
      std::vector<std::string> names;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (kSecretColumns.contains(columns[i])) continue;
        keep.push_back(i);
        names.push_back(columns[i]);
      }
      std::int64_t rows = 0;
      std::string sha;
      // JSON: an array of objects, one per row.
      {
        Entry e(zip, fmt::format("json/{}.json", table));
        e.Write("[");
        c.ForEach(sql, {V(tenant_id)}, [&](const Row& r) {
          json::object o;
          for (std::size_t k = 0; k < keep.size(); ++k) o[names[k]] = CellJson(r, keep[k]);
          e.Write(rows++ ? ",\n" : "\n");
          e.Write(ToJson(o));
        });
        e.Write("\n]\n");
        ok = e.Close(&sha) && ok;
        files.push_back(json::object{
            {"path", fmt::format("json/{}.json", table)}, {"bytes", e.bytes()}, {"sha256", sha}});
      }
      // CSV: UTF-8 with a BOM so spreadsheets show Chinese; formula cells neutralised.
      {
        Entry e(zip, fmt::format("csv/{}.csv", table));
        e.Write("\xEF\xBB\xBF");
        e.Write(dataio::CsvLine(names));
        c.ForEach(sql, {V(tenant_id)}, [&](const Row& r) {
          std::vector<std::string> cells;
          cells.reserve(keep.size());
          for (std::size_t i : keep) cells.push_back(dataio::NeutralizeFormula(r.text(i)));
          e.Write(dataio::CsvLine(cells));
        });
        ok = e.Close(&sha) && ok;
        files.push_back(json::object{
            {"path", fmt::format("csv/{}.csv", table)}, {"bytes", e.bytes()}, {"sha256", sha}});
      }
      counts[table] = rows;
    }
  });
  // Every attachment, under its id and name, with its digest.
  json::array attachment_files;
  db_.Read([&](Connection& c) {
    for (const auto& r : c.Query("SELECT attachment_id, filename, sha256, size_bytes, entity, "
                                 "entity_id FROM attachments WHERE tenant_id = ? ORDER BY "
                                 "attachment_id",
                                 {V(tenant_id)})
                             .rows) {
      auto path = blobs_.path ? blobs_.path(tenant_id, r.text(2)) : std::nullopt;
      if (!path) {
        ok = false;
        continue;
      }
      std::string name = fmt::format("attachments/{}-{}", r.integer(0), r.text(1));
      Entry e(zip, name);
      std::ifstream in(*path, std::ios::binary);
      char buf[1 << 16];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        e.Write(std::string_view(buf, static_cast<std::size_t>(in.gcount())));
      }
      std::string sha;
      ok = e.Close(&sha) && ok;
      attachment_files.push_back(json::object{{"path", name},
                                              {"bytes", e.bytes()},
                                              {"sha256", sha},
                                              {"entity", r.text(4)},
                                              {"entity_id", r.integer(5)}});
    }
  });
  json::object manifest{{"format", "kelu-export/1"},
                        {"tenant", slug},
                        {"export_id", export_id},
                        {"requested_at", Format(requested_at)},
                        {"counts", std::move(counts)},
                        {"files", std::move(files)},
                        {"attachments", std::move(attachment_files)}};
  {
    Entry e(zip, "manifest.json");
    e.Write(ToJson(manifest));
    std::string sha;
    ok = e.Close(&sha) && ok;
  }
  if (zipClose(zip, nullptr) != ZIP_OK || !ok) return fail("writing the archive failed");
  fs::rename(part, final_path, ec);
  if (ec) return fail(ec.message());
  std::string archive_sha = Sha256OfFile(final_path.string());
  auto bytes = static_cast<std::int64_t>(fs::file_size(final_path, ec));
  return db_.Write([&](Connection& c) -> Status {
    // Dated on the injected clock: the request's time stands for "now" in a job run later.
    Timestamp at = requested_at;
    Timestamp expires = at + std::chrono::hours(24 * terms_.export_download_days);
    c.Exec(
        "UPDATE data_exports SET status = 'ready', finished_at = ?, expires_at = ?, "
        "file_path = ?, bytes = ?, sha256 = ? WHERE tenant_id = ? AND export_id = ?",
        {V(ToMicros(at)), V(ToMicros(expires)), V(final_path.string()), V(bytes), V(archive_sha),
         V(tenant_id), V(export_id)});
    RecordNotice(c, tenant_id, "export_ready", fmt::format("export_ready:{}", export_id),
                 "数据导出已完成",
                 fmt::format("您申请的数据导出已生成，可在 {0} 前下载。Your data export is ready "
                             "and can be downloaded until {0}.",
                             Format(expires)),
                 at);
    RecordEvent(c, tenant_id, at, "export.ready",
                json::object{{"export_id", export_id}, {"bytes", bytes}});
    return OkStatus();
  });
}

Result<json::object> BillingService::OperatorExports(const Principal&, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(
        "SELECT e.export_id, e.status, e.requested_at, e.finished_at, e.expires_at, e.bytes, "
        "e.sha256, e.error, e.tenant_id, t.slug FROM data_exports e JOIN tenants t USING "
        "(tenant_id) WHERE e.export_id < ? ORDER BY e.export_id DESC LIMIT ?",
        {V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) {
      json::object o = ExportView(r, zone_);
      o["tenant_id"] = r.integer(8);
      o["tenant_slug"] = r.text(9);
      return o;
    });
  });
}

}  // namespace kelu::billing
