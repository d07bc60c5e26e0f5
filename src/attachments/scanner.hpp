// Malware scanning with libclamav (contract §2): the signature databases of a directory are
// loaded once at start; every upload is scanned before it becomes visible. Archive limits
// (size, files, depth) keep zip bombs from exhausting the machine. Thread-safe once loaded.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"

struct cl_engine;  // libclamav's, kept out of this header

namespace kelu::attachments {

struct ScanLimits {
  long long max_scan_bytes = 200LL << 20;  // bytes read out of one file, archives included
  long long max_file_bytes = 100LL << 20;  // one file inside an archive
  int max_files = 10000;                   // files inside an archive
  int max_recursion = 16;                  // archives inside archives
};

struct ScanResult {
  bool infected = false;
  std::string signature;  // when infected
};

class Scanner {
 public:
  // Loads every signature database in `db_dir`. A scanner with no signatures is unavailable.
  static std::unique_ptr<Scanner> Load(const std::string& db_dir, const ScanLimits& limits);
  // A scanner that refuses every file, saying why.
  static std::unique_ptr<Scanner> Unloaded(std::string why);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  bool available() const { return engine_ != nullptr; }
  unsigned signatures() const { return signatures_; }
  const std::string& load_error() const { return load_error_; }
  // 503 scanner_unavailable when no engine is loaded or the scan itself fails.
  Result<ScanResult> ScanFile(const std::string& path) const;

 private:
  Scanner() = default;
  ::cl_engine* engine_ = nullptr;
  unsigned signatures_ = 0;
  std::string load_error_;
};

}  // namespace kelu::attachments
