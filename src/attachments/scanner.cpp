#include "attachments/scanner.hpp"

#include <clamav.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <mutex>

namespace kelu::attachments {

namespace {

Error Unavailable(const std::string& why) {
  return Error::Make(ErrorKind::kUnavailable, "scanner_unavailable",
                     "The malware scanner is unavailable, so no file can be accepted now: " + why);
}

}  // namespace

std::unique_ptr<Scanner> Scanner::Load(const std::string& db_dir, const ScanLimits& limits) {
  static std::once_flag init;
  static cl_error_t init_rc = CL_SUCCESS;
  std::call_once(init, [] { init_rc = cl_init(CL_INIT_DEFAULT); });
  std::unique_ptr<Scanner> s(new Scanner());
  if (init_rc != CL_SUCCESS) {
    s->load_error_ = cl_strerror(init_rc);
    return s;
  }
  cl_engine* engine = cl_engine_new();
  if (!engine) {
    s->load_error_ = "cl_engine_new failed";
    return s;
  }
  cl_engine_set_num(engine, CL_ENGINE_MAX_SCANSIZE, limits.max_scan_bytes);
  cl_engine_set_num(engine, CL_ENGINE_MAX_FILESIZE, limits.max_file_bytes);
  cl_engine_set_num(engine, CL_ENGINE_MAX_FILES, limits.max_files);
  cl_engine_set_num(engine, CL_ENGINE_MAX_RECURSION, limits.max_recursion);
  unsigned signatures = 0;
  cl_error_t rc = cl_load(db_dir.c_str(), engine, &signatures, CL_DB_STDOPT);
  if (rc == CL_SUCCESS && signatures > 0) rc = cl_engine_compile(engine);
  if (rc != CL_SUCCESS || signatures == 0) {
    s->load_error_ = rc != CL_SUCCESS ? fmt::format("{}: {}", db_dir, cl_strerror(rc))
                                      : fmt::format("no signatures in {}", db_dir);
    cl_engine_free(engine);
    return s;
  }
  s->engine_ = engine;
  s->signatures_ = signatures;
  return s;
}

std::unique_ptr<Scanner> Scanner::Unloaded(std::string why) {
  std::unique_ptr<Scanner> s(new Scanner());
  s->load_error_ = std::move(why);
  return s;
}

Scanner::~Scanner() {
  if (engine_) cl_engine_free(engine_);
}

Result<ScanResult> Scanner::ScanFile(const std::string& path) const {
  if (!engine_) return Unavailable(load_error_);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot read the upload");
  cl_scan_options options{};
  options.general = CL_SCAN_GENERAL_HEURISTICS;
  options.parse = ~0U;  // every format libclamav parses: archives, documents, executables
  // A file past the limits (a zip bomb) is refused as "Heuristics.Limits.Exceeded".
  options.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
  const char* virname = nullptr;
  unsigned long scanned = 0;
  cl_error_t rc = cl_scandesc(fd, path.c_str(), &virname, &scanned, engine_, &options);
  ::close(fd);
  if (rc == CL_VIRUS) return ScanResult{true, virname ? virname : "unknown"};
  if (rc == CL_CLEAN) return ScanResult{};
  // Any other error fails closed.
  return Unavailable(cl_strerror(rc));
}

}  // namespace kelu::attachments
