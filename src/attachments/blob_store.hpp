// Where attachment bytes live. Content-addressed by SHA-256 within one tenant (deduplication
// never crosses tenants). The local driver keeps files under DIR/blobs/<tenant>/<ab>/<sha256>,
// written to a temporary file, fsynced and renamed into place; the S3 driver keeps objects in
// a bucket (AWS Signature V4 through libcurl) and a read cache on disk.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace kelu::attachments {

struct BlobEntry {
  std::int64_t tenant_id = 0;
  std::string sha256;
  std::chrono::system_clock::time_point written;
};

// Where the S3-compatible driver finds its bucket ([attachments] s3_* keys).
struct S3Settings {
  std::string endpoint;  // "https://s3.example.com" (path-style: endpoint/bucket/key)
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string prefix = "kelu/";
};

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
  // Every stored blob, with when it was written (Path reads one).
  virtual void ForEach(const std::function<void(const BlobEntry&)>& f) = 0;
  // Temporary files older than `age` (left by a process that died mid-upload) are removed;
  // answers how many.
  virtual std::int64_t RemoveStaleTemps(std::chrono::seconds age) = 0;
  // A new temporary file path in the store's own file system (so Put is a rename).
  virtual std::string TempPath() = 0;
};

// Where blob `sha256` of `tenant_id` lives under the directory `root`: root/<tenant>/<ab>/<sha256>,
// named through PathUnder. The digest comes from a database row or a directory listing, so it
// is refused (kNotFound "path_refused") unless it is 64 lower-case hexadecimal digits.
Result<std::string> BlobFilePath(const std::string& root, std::int64_t tenant_id,
                                 const std::string& sha256);

std::unique_ptr<BlobStore> MakeLocalBlobStore(const std::string& dir);
// Objects in an S3-compatible bucket, cached under DIR/s3-cache for reading.
std::unique_ptr<BlobStore> MakeS3BlobStore(const S3Settings& settings, const std::string& dir);

}  // namespace kelu::attachments
