// Where attachment bytes live. Content-addressed by SHA-256 within one tenant (deduplication
// never crosses tenants). The local driver keeps files under DIR/blobs/<tenant>/<ab>/<sha256>,
// written to a temporary file, fsynced and renamed into place.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace kelu::attachments {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Moves the finished temporary file `temp` in as the blob `sha256` of `tenant_id` (a blob
  // already there is kept and `temp` removed).
  virtual Status Put(std::int64_t tenant_id, const std::string& sha256,
                     const std::string& temp) = 0;
  // A path the blob can be read from.
  virtual Result<std::string> Path(std::int64_t tenant_id, const std::string& sha256) = 0;
  virtual Status Remove(std::int64_t tenant_id, const std::string& sha256) = 0;
  // Every blob of a tenant (the purge); answers how many files went.
  virtual std::int64_t RemoveTenant(std::int64_t tenant_id) = 0;
  // Every stored blob: (tenant, sha256, path).
  virtual void ForEach(
      const std::function<void(std::int64_t, const std::string&, const std::string&)>& f) = 0;
  // Temporary files older than `age` (left by a process that died mid-upload) are removed;
  // answers how many.
  virtual std::int64_t RemoveStaleTemps(std::chrono::seconds age) = 0;
  // A new temporary file path in the store's own file system (so Put is a rename).
  virtual std::string TempPath() = 0;
};

std::unique_ptr<BlobStore> MakeLocalBlobStore(const std::string& dir);

}  // namespace kelu::attachments
