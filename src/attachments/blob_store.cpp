#include "attachments/blob_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "core/files.hpp"
#include "core/random.hpp"

namespace kelu::attachments {

namespace fs = std::filesystem;

namespace {

Error StoreError(const std::string& what) {
  return Error::Make(ErrorKind::kInternal, "blob_store_failed", what);
}

void SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

class LocalBlobStore final : public BlobStore {
 public:
  explicit LocalBlobStore(fs::path root) : root_(std::move(root)) {
    std::error_code ec;
    fs::create_directories(root_ / "tmp", ec);
  }

  Status Put(std::int64_t tenant_id, const std::string& sha256, const std::string& temp) override {
    auto named = BlobFilePath(root_.string(), tenant_id, sha256);
    if (!named.ok()) return StoreError(named.error().message);
    fs::path target = *named;
    std::error_code ec;
    if (fs::exists(target, ec)) {
      fs::remove(temp, ec);
      return OkStatus();
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) return StoreError(ec.message());
    int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return StoreError("cannot sync " + temp);
    }
    ::close(fd);
    fs::rename(temp, target, ec);
    if (ec) return StoreError(ec.message());
    SyncDir(target.parent_path());
    return OkStatus();
  }

  Result<std::string> Path(std::int64_t tenant_id, const std::string& sha256) override {
    auto p = BlobFilePath(root_.string(), tenant_id, sha256);
    std::error_code ec;
    if (!p.ok() || !fs::exists(*p, ec)) return Error::NotFound("file");
    return p;
  }

  Status Remove(std::int64_t tenant_id, const std::string& sha256) override {
    std::error_code ec;
    if (auto p = BlobFilePath(root_.string(), tenant_id, sha256); p.ok()) fs::remove(*p, ec);
    return OkStatus();
  }

  std::int64_t RemoveTenant(std::int64_t tenant_id) override {
    std::error_code ec;
    std::int64_t files = 0;
    auto named = PathUnder(root_.string(), {std::to_string(tenant_id)});
    if (!named.ok()) return 0;
    fs::path dir = *named;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->is_regular_file(ec)) ++files;
    }
    fs::remove_all(dir, ec);
    return files;
  }

  void ForEach(const std::function<void(const BlobEntry&)>& f) override {
    std::error_code ec;
    for (const auto& tenant : fs::directory_iterator(root_, ec)) {
      std::int64_t id = 0;
      try {
        id = std::stoll(tenant.path().filename().string());
      } catch (const std::exception&) {
        continue;  // tmp/
      }
      for (auto it = fs::recursive_directory_iterator(tenant.path(), ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        if (!it->is_regular_file(ec) || !IsSha256Hex(it->path().filename().string())) continue;
        auto written = std::chrono::file_clock::to_sys(it->last_write_time(ec));
        f({id, it->path().filename().string(),
           std::chrono::time_point_cast<std::chrono::system_clock::duration>(written)});
      }
    }
  }

  std::int64_t RemoveStaleTemps(std::chrono::seconds age) override {
    std::error_code ec;
    std::int64_t removed = 0;
    auto cutoff = fs::file_time_type::clock::now() - age;
    for (const auto& f : fs::directory_iterator(root_ / "tmp", ec)) {
      if (f.last_write_time(ec) < cutoff && fs::remove(f.path(), ec)) ++removed;
    }
    return removed;
  }

  // An empty path (the spool directory leads out of the store) fails the upload's open.
  std::string TempPath() override {
    auto p = PathUnder((root_ / "tmp").string(), {RandomToken(12)});
    return p.ok() ? *p : std::string();
  }

 private:
  fs::path root_;
};

}  // namespace

Result<std::string> BlobFilePath(const std::string& root, std::int64_t tenant_id,
                                 const std::string& sha256) {
  if (!IsSha256Hex(sha256)) {
    return Error::Make(ErrorKind::kNotFound, "path_refused", "No such file (not a SHA-256).");
  }
  return PathUnder(root, {std::to_string(tenant_id), std::string_view(sha256).substr(0, 2), sha256});
}

std::unique_ptr<BlobStore> MakeLocalBlobStore(const std::string& dir) {
  return std::make_unique<LocalBlobStore>(fs::path(dir) / "blobs");
}

}  // namespace kelu::attachments
