// Start here for attachments (step 4): files on customers, contacts, follow-ups and
// opportunities. An upload is refused whole unless every check passes: not empty, within the
// size limit, its content type (sniffed with libmagic, never taken from the name) not blocked,
// no malware (libclamav, fail closed), and within the storage quota (§8) — the quota is checked
// and the usage counter moved in the same transaction as the attachment row, so two uploads
// racing for the last bytes cannot both pass. Only then are the bytes moved into the blob store
// and the attachment becomes visible. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "attachments/blob_store.hpp"
#include "attachments/scanner.hpp"
#include "billing/service.hpp"
#include "core/config.hpp"
#include "crm/service.hpp"

namespace kelu::attachments {

using identity::Principal;
using identity::RequestMeta;

struct UploadFile {
  std::string filename;
  std::string_view bytes;
  // Or: the bytes are in this file, from UploadPath() (a spooled request body); Upload moves
  // it into the store or removes it.
  std::string path;
};

struct Download {
  std::string path;
  std::string filename;
  std::string mime;
  std::int64_t size = 0;
  std::string sha256;
  std::int64_t customer_id = 0;  // the customer whose timeline shows the file
};

class AttachmentService {
 public:
  AttachmentService(storage::Database& db, identity::IdentityService& identity,
                    crm::CrmService& crm, billing::BillingService& billing, BlobStore& blobs,
                    const Scanner& scanner, const Config& config, Zone zone);
  ~AttachmentService();

  Result<json::object> Upload(const Principal& who, std::string_view entity, std::int64_t entity_id,
                              const UploadFile& file, const RequestMeta& meta);
  // A new path in the store's temporary folder, where a request body can be written as it
  // arrives and then become a blob without a copy.
  std::string UploadPath() { return blobs_.TempPath(); }
  Result<json::object> List(const Principal& who, std::string_view entity, std::int64_t entity_id);
  Result<Download> Get(const Principal& who, std::int64_t id);
  Status Delete(const Principal& who, std::int64_t id, const RequestMeta& meta);
  // The boss: total, quota, what is left, per user and per record type; others: their own.
  Result<json::object> Usage(const Principal& who);

  std::int64_t max_file_bytes() const { return max_file_bytes_; }

  // `kelu fsck`: disagreements between the database and the blob store — attachments whose blob
  // is missing or altered, blobs no attachment refers to, stale temporary files, usage counters
  // that are not the sum of the attachments. With `repair`: orphans and stale temporary files
  // deleted, counters recomputed, rows of missing blobs removed (their bytes are gone).
  json::object Fsck(bool repair);
  // The daily job: blobs no attachment refers to (left by purges and deletions), older than
  // `min_age` so an upload still committing is never touched, and stale temporary files.
  Status CollectOrphans(std::chrono::seconds min_age);

 private:
  std::string Sniff(std::string_view bytes);

  storage::Database& db_;
  identity::IdentityService& identity_;
  crm::CrmService& crm_;
  billing::BillingService& billing_;
  BlobStore& blobs_;
  const Scanner& scanner_;
  AttachmentsConfig config_;
  std::string operator_email_;
  Zone zone_;
  std::int64_t max_file_bytes_;
  std::set<std::string> blocked_;
  std::mutex magic_mutex_;
  void* magic_ = nullptr;  // magic_t
};

}  // namespace kelu::attachments
