#include "attachments/blob_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

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
    fs::path target = BlobPath(tenant_id, sha256);
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
    fs::path p = BlobPath(tenant_id, sha256);
    std::error_code ec;
    if (!fs::exists(p, ec)) return Error::NotFound("file");
    return p.string();
  }

  Status Remove(std::int64_t tenant_id, const std::string& sha256) override {
    std::error_code ec;
    fs::remove(BlobPath(tenant_id, sha256), ec);
    return OkStatus();
  }

  std::int64_t RemoveTenant(std::int64_t tenant_id) override {
    std::error_code ec;
    std::int64_t files = 0;
    fs::path dir = root_ / std::to_string(tenant_id);
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
        if (!it->is_regular_file(ec)) continue;
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

  std::string TempPath() override { return (root_ / "tmp" / RandomToken(12)).string(); }

 private:
  fs::path BlobPath(std::int64_t tenant_id, const std::string& sha256) const {
    return root_ / std::to_string(tenant_id) / sha256.substr(0, 2) / sha256;
  }
  fs::path root_;
};

}  // namespace

std::unique_ptr<BlobStore> MakeLocalBlobStore(const std::string& dir) {
  return std::make_unique<LocalBlobStore>(fs::path(dir) / "blobs");
}

}  // namespace kelu::attachments
