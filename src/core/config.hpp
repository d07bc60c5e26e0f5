// The program's configuration: defaults, then `kelu.toml`, then KELU_* environment
// variables, then command-line flags. Loading validates every key: an unknown key or a bad
// value is an error naming the key, and the program does not start.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace kelu {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  int threads = 0;  // 0: one per core
  int header_limit_bytes = 16 * 1024;
  int body_limit_bytes = 1024 * 1024;
  int read_timeout_seconds = 30;
  int idle_timeout_seconds = 60;
  int shutdown_grace_seconds = 10;
  std::string web_dir = "web/dist";
  bool trust_proxy = false;           // honour X-Forwarded-For / -Proto from a local proxy
  std::string access_log = "stdout";  // "stdout", "off" or a file path
};

struct DatabaseConfig {
  std::string url = "sqlite:data/kelu.db";
  int pool_size = 8;
  int busy_timeout_ms = 5000;
};

struct SecurityConfig {
  std::string password_policy = "standard";  // "standard" or "dengbao" (等保)
  int session_idle_minutes = 120;
  int session_absolute_hours = 24 * 7;
  int login_max_failures = 5;
  int lockout_minutes = 15;
  int ip_login_attempts_per_minute = 30;
  int argon2_memory_kib = 19 * 1024;  // OWASP minimum for argon2id: 19 MiB, t=2, p=1
  int argon2_iterations = 2;
  int support_grant_default_hours = 24;
  int support_grant_max_hours = 24 * 7;
};

struct BusinessConfig {
  std::string timezone = "Asia/Shanghai";
  std::string daily_jobs_at = "00:30";  // local time at which the daily jobs run
};

struct FilesConfig {
  std::string dir = "data/files";  // uploads and generated files (imports, error files)
  // Imports of at most this many rows run within the request; longer ones run as jobs.
  int import_inline_rows = 2000;
};

struct LogConfig {
  std::string level = "info";
};

struct Config {
  ServerConfig server;
  DatabaseConfig database;
  SecurityConfig security;
  BusinessConfig business;
  FilesConfig files;
  LogConfig log;
};

using Environment = std::map<std::string, std::string>;

// The environment of this process (KELU_* variables only).
Environment ProcessEnvironment();

// Loads `path` (when given; a missing explicit file is an error) over the defaults, then the
// KELU_SECTION_KEY variables of `env`. Errors have code "invalid_config" and name the key.
Result<Config> LoadConfig(const std::optional<std::string>& path, const Environment& env);

// Parses TOML text over the defaults (for tests); `origin` names the source in messages.
Result<Config> ParseConfig(std::string_view toml_text, const Environment& env,
                           std::string_view origin = "kelu.toml");

}  // namespace kelu
