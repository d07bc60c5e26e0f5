// The S3-compatible blob store: objects under BUCKET/PREFIX<tenant>/<ab>/<sha256>, path-style
// URLs, every request signed with AWS Signature V4 by libcurl. Readers want a file, so a blob
// is kept in a local cache (DIR/s3-cache/…, filled on upload and on first read, checked against
// its SHA-256); the bucket is the store of record.
#include <curl/curl.h>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "attachments/blob_store.hpp"
#include "core/files.hpp"
#include "core/random.hpp"
#include "core/time.hpp"

namespace kelu::attachments {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Error StoreError(const std::string& what) {
  return Error::Make(ErrorKind::kUnavailable, "blob_store_failed", what);
}

struct Reply {
  long status = 0;
  std::string body;   // unless written to a file
  std::string error;  // transport
};

std::size_t ToString(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::size_t ToFile(char* data, std::size_t size, std::size_t count, void* user) {
  return std::fwrite(data, size, count, static_cast<std::FILE*>(user)) * size;
}

// The text of each <tag>…</tag> in `xml`, in order (S3's list answers are flat enough).
std::vector<std::string> Elements(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (std::size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at)) {
    std::size_t start = at + open.size();
    std::size_t end = xml.find(close, start);
    if (end == std::string::npos) break;
    out.push_back(xml.substr(start, end - start));
    at = end + close.size();
  }
  return out;
}

class S3BlobStore final : public BlobStore {
 public:
  S3BlobStore(S3Settings settings, fs::path dir)
      : s_(std::move(settings)), temp_(dir / "blobs" / "tmp"), cache_(dir / "s3-cache") {
    std::error_code ec;
    fs::create_directories(temp_, ec);
    fs::create_directories(cache_, ec);
    while (!s_.endpoint.empty() && s_.endpoint.back() == '/') s_.endpoint.pop_back();
  }

  Status Put(std::int64_t tenant_id, const std::string& sha256, const std::string& temp) override {
    if (!IsSha256Hex(sha256)) return StoreError("not a SHA-256: " + sha256.substr(0, 80));
    std::error_code ec;
    Reply head = Request("HEAD", Key(tenant_id, sha256), {}, nullptr, nullptr, kEmptySha256);
    if (!head.error.empty()) return StoreError(head.error);
    if (head.status != 200) {
      std::FILE* in = std::fopen(temp.c_str(), "rb");
      if (!in) return StoreError("cannot read " + temp);
      Reply put = Request("PUT", Key(tenant_id, sha256), {}, in, nullptr, sha256,
                          static_cast<curl_off_t>(fs::file_size(temp, ec)));
      std::fclose(in);
      if (!put.error.empty()) return StoreError(put.error);
      if (put.status != 200) return StoreError(fmt::format("S3 PUT answered {}", put.status));
    }
    // The upload becomes the cached copy.
    auto cached = BlobFilePath(cache_.string(), tenant_id, sha256);
    if (cached.ok()) {
      fs::create_directories(fs::path(*cached).parent_path(), ec);
      fs::rename(temp, *cached, ec);
    }
    if (!cached.ok() || ec) fs::remove(temp, ec);
    return OkStatus();
  }

  Result<std::string> Path(std::int64_t tenant_id, const std::string& sha256) override {
    auto named = BlobFilePath(cache_.string(), tenant_id, sha256);
    if (!named.ok()) return Error::NotFound("file");
    fs::path cached = *named;
    std::error_code ec;
    if (fs::exists(cached, ec)) return cached.string();
    std::string temp = TempPath();
    std::FILE* out = std::fopen(temp.c_str(), "wb");
    if (!out) return StoreError("cannot write " + temp);
    Reply got = Request("GET", Key(tenant_id, sha256), {}, nullptr, out, kEmptySha256);
    std::fclose(out);
    if (!got.error.empty() || got.status != 200) {
      fs::remove(temp, ec);
      if (got.status == 404) return Error::NotFound("file");
      return StoreError(got.error.empty() ? fmt::format("S3 GET answered {}", got.status)
                                          : got.error);
    }
    if (Sha256OfFile(temp) != sha256) {
      fs::remove(temp, ec);
      return StoreError("the stored object does not match its SHA-256");
    }
    fs::create_directories(cached.parent_path(), ec);
    fs::rename(temp, cached, ec);
    if (ec) return StoreError(ec.message());
    return cached.string();
  }

  Status Remove(std::int64_t tenant_id, const std::string& sha256) override {
    if (!IsSha256Hex(sha256)) return OkStatus();  // no object can have that key
    std::error_code ec;
    if (auto cached = BlobFilePath(cache_.string(), tenant_id, sha256); cached.ok()) {
      fs::remove(*cached, ec);
    }
    Reply del = Request("DELETE", Key(tenant_id, sha256), {}, nullptr, nullptr, kEmptySha256);
    if (!del.error.empty()) return StoreError(del.error);
    if (del.status != 204 && del.status != 200 && del.status != 404) {
      return StoreError(fmt::format("S3 DELETE answered {}", del.status));
    }
    return OkStatus();
  }

  std::int64_t RemoveTenant(std::int64_t tenant_id) override {
    std::int64_t removed = 0;
    List(fmt::format("{}{}/", s_.prefix, tenant_id),
         [&](const std::string& key, const std::string&) {
           Reply del = Request("DELETE", key, {}, nullptr, nullptr, kEmptySha256);
           if (del.error.empty() && (del.status == 204 || del.status == 200)) ++removed;
         });
    std::error_code ec;
    if (auto dir = PathUnder(cache_.string(), {std::to_string(tenant_id)}); dir.ok()) {
      fs::remove_all(*dir, ec);
    }
    return removed;
  }

  void ForEach(const std::function<void(const BlobEntry&)>& f) override {
    List(s_.prefix, [&](const std::string& key, const std::string& modified) {
      // PREFIX<tenant>/<ab>/<sha256>
      std::string rest = key.substr(s_.prefix.size());
      auto slash = rest.find('/');
      auto last = rest.rfind('/');
      if (slash == std::string::npos || last == slash) return;
      BlobEntry e;
      try {
        e.tenant_id = std::stoll(rest.substr(0, slash));
      } catch (const std::exception&) {
        return;
      }
      e.sha256 = rest.substr(last + 1);
      if (!IsSha256Hex(e.sha256)) return;  // not an object this store wrote
      auto at = ParseRfc3339(modified);
      e.written =
          std::chrono::time_point_cast<std::chrono::system_clock::duration>(at ? *at : Timestamp{});
      f(e);
    });
  }

  std::int64_t RemoveStaleTemps(std::chrono::seconds age) override {
    std::error_code ec;
    std::int64_t removed = 0;
    auto cutoff = fs::file_time_type::clock::now() - age;
    for (const auto& f : fs::directory_iterator(temp_, ec)) {
      if (f.last_write_time(ec) < cutoff && fs::remove(f.path(), ec)) ++removed;
    }
    return removed;
  }

  // An empty path (the spool directory leads out of the store) fails the upload's open.
  std::string TempPath() override {
    auto p = PathUnder((temp_).string(), {RandomToken(12)});
    return p.ok() ? *p : std::string();
  }

 private:
  // Callers pass only digests BlobFilePath accepted or IsSha256Hex checked.
  std::string Key(std::int64_t tenant_id, const std::string& sha256) const {
    return fmt::format("{}{}/{}/{}", s_.prefix, tenant_id, sha256.substr(0, 2), sha256);
  }

  // Every key under `prefix` with its LastModified, page by page (ListObjectsV2).
  void List(const std::string& prefix,
            const std::function<void(const std::string&, const std::string&)>& f) {
    std::string token;
    for (;;) {
      std::string query = "list-type=2&prefix=" + PercentEncode(prefix);
      if (!token.empty()) query += "&continuation-token=" + PercentEncode(token);
      Reply page = Request("GET", "", query, nullptr, nullptr, kEmptySha256);
      if (!page.error.empty() || page.status != 200) return;
      for (const auto& item : Elements(page.body, "Contents")) {
        auto key = Elements(item, "Key");
        auto modified = Elements(item, "LastModified");
        if (!key.empty()) f(key[0], modified.empty() ? "" : modified[0]);
      }
      auto next = Elements(page.body, "NextContinuationToken");
      auto truncated = Elements(page.body, "IsTruncated");
      if (next.empty() || truncated.empty() || truncated[0] != "true") return;
      token = next[0];
    }
  }

  // One signed request. `upload`: the body (PUT); `download`: where the body goes (GET).
  Reply Request(const char* method, const std::string& key, const std::string& query,
                std::FILE* upload, std::FILE* download, const std::string& payload_sha256,
                curl_off_t upload_size = 0) {
    Reply reply;
    CURL* curl = curl_easy_init();
    if (!curl) {
      reply.error = "libcurl could not start";
      return reply;
    }
    std::string url = fmt::format("{}/{}/{}", s_.endpoint, s_.bucket, key);
    if (!query.empty()) url += "?" + query;
    std::string sigv4 = fmt::format("aws:amz:{}:s3", s_.region);
    std::string user = s_.access_key + ":" + s_.secret_key;
    curl_slist* headers =
        curl_slist_append(nullptr, ("x-amz-content-sha256: " + payload_sha256).c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, user.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (std::string_view(method) == "PUT") {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READDATA, upload);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, upload_size);
    } else if (std::string_view(method) == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (std::string_view(method) == "DELETE") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    if (download) {
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ToFile);
      curl_easy_setopt(curl, CURLOPT_WRITEDATA, download);
    } else {
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ToString);
      curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    } else {
      reply.error = curl_easy_strerror(rc);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return reply;
  }

  S3Settings s_;
  fs::path temp_;
  fs::path cache_;
};

}  // namespace

std::unique_ptr<BlobStore> MakeS3BlobStore(const S3Settings& settings, const std::string& dir) {
  return std::make_unique<S3BlobStore>(settings, fs::path(dir));
}

}  // namespace kelu::attachments
