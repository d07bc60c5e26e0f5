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
  // GET /metrics answers only a request bearing this token (Prometheus: `authorization:
  // credentials:`); empty, it answers 404 to everyone, so nothing about the service is public.
  std::string metrics_token;
  // Honour X-Forwarded-For / -Proto, but only from these proxies (addresses or CIDR ranges,
  // separated by commas): the client is the rightmost forwarded address that is not one of them.
  bool trust_proxy = false;
  std::string trusted_proxies = "127.0.0.0/8, ::1";
  // Where users reach the service ("https://crm.example.com"), for links sent by email; never
  // taken from a request's Host header, which the sender controls. Empty: http://<listen>.
  std::string public_url;
  std::string access_log = "stdout";  // "stdout", "off" or a file path
  int render_cache_mb = 64;           // lists' rendered rows, kept by row version; 0: none

  // public_url, or http://<listen> when it is not set; without a trailing slash.
  std::string site_url() const {
    std::string url = public_url.empty() ? "http://" + listen : public_url;
    while (url.ends_with('/')) url.pop_back();
    return url;
  }
  std::size_t render_cache_bytes() const { return static_cast<std::size_t>(render_cache_mb) << 20; }
};

struct DatabaseConfig {
  std::string url = "sqlite:data/kelu.db";
  int pool_size = 8;
  int busy_timeout_ms = 5000;
  // The longest a statement of a request may run before it is stopped (503 statement_timeout);
  // routes marked slow (exports, imports, reports) get the second bound. 0: no bound.
  int statement_timeout_ms = 10'000;
  int slow_statement_timeout_ms = 600'000;
};

struct SecurityConfig {
  std::string password_policy = "standard";  // "standard" or "dengbao" (等保)
  int session_idle_minutes = 120;
  // How long a checked session or API token is taken on trust without reading it again
  // (milliseconds; 0: read on every request). This process's own writes end it at once.
  int credential_cache_ms = 1000;
  int session_absolute_hours = 24 * 7;
  // Wrong passwords an account may have before each further attempt waits: the first wait is
  // login_delay_seconds, doubling after each failure up to lockout_minutes. No hard lock.
  int login_max_failures = 5;
  int login_delay_seconds = 30;
  int lockout_minutes = 15;
  int ip_login_attempts_per_minute = 30;
  int argon2_memory_kib = 19 * 1024;  // OWASP minimum for argon2id: 19 MiB, t=2, p=1
  int argon2_iterations = 2;
  // 64 hex digits: the key that seals secrets kept in the database (webhook signing secrets).
  // Empty: a key made once and kept in FILES_DIR/keys/data.key (mode 0600).
  std::string data_key;
  // How long an emailed sign-in link ("forgot password") works, and how often one may be sent.
  int recovery_link_minutes = 30;
  int recovery_link_interval_seconds = 60;
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
  // What an uploaded spreadsheet may unpack to (dataio::SpreadsheetLimits): bytes inflated
  // from the zip at most this many times the upload's size, and never more than the cap.
  int inflate_max_ratio = 100;
  int inflate_max_mib = 1024;
  int xlsx_max_shared_strings = 1000000;  // distinct texts, held in memory while reading
  int xlsx_max_shared_strings_mib = 128;
  int xlsx_max_rows = 1048576;  // Excel's own limits
  int xlsx_max_columns = 16384;
  int xlsx_max_cell_chars = 32767;
};

// The contract's numbers (CONTRACT-RULES.md), each a default the operator may change; every
// rule reads them from here, never from a literal.
struct TermsConfig {
  int seat_storage_mib = 50;                // §8: attachment space per seat
  int storage_block_mib = 100;              // §8: one storage block
  int storage_block_month_fen = 3000;       // §8: 30 yuan per block per month
  int late_interest_bp_per_30_days = 150;   // §10: 1.5 % per 30 days, simple, pro rata per day
  int reconnection_fee_fen = 0;             // §10: late renewal on days 0–29
  int reopening_fee_fen = 20000;            // §10: reopening on days 30–59
  int termination_day = 30;                 // §10: day of arrears on which the agreement ends
  int points_forfeit_day = 60;              // §10, §16: reopening refused, points forfeited
  int purge_after_days = 100;               // §11: days after termination
  int export_window_days = 30;              // §11: export right after a non-breach termination
  int export_download_days = 7;             // how long an archive stays downloadable
  int renewal_deadline_days = 15;           // §9: renew this many days before expiry
  int expiry_reminder_days = 3;             // §9: last reminder before expiry
  int purge_warning_days = 7;               // notice before the purge
  int activation_working_days_new = 2;      // §9: first activation
  int activation_working_days_renewal = 1;  // §9: renewal
  std::string activation = "automatic";     // "automatic" on confirmation, or "manual" queue
  int email_deemed_hours = 12;              // §19
  int mail_deemed_hours = 48;               // §19
  int liability_months = 12;                // §17
  int initial_term_years = 1;               // §11
  int storage_warn_percent = 80;            // §8: notice at this usage and at 100 %
};

// The operator's company as printed on orders (§13), with the account tenants pay into.
struct OperatorConfig {
  std::string company = "客录科技有限公司";
  std::string address = "上海市浦东新区张江路 1 号";
  std::string tax_id = "91310000000000000X";
  std::string phone = "021-00000000";
  std::string email = "billing@kelu.example";
  std::string bank_name = "招商银行上海张江支行";
  std::string bank_account = "0000 0000 0000 0000";
};

// Outgoing email (notices, incident alerts).
struct MailConfig {
  std::string smtp_url = "smtp://127.0.0.1:25";
  std::string from_address = "noreply@kelu.example";
  std::string from_name = "客录 Kelu";
  std::string operator_email = "ops@kelu.example";  // incidents and alerts go here
  int max_attempts = 10;
  int retry_base_seconds = 60;  // doubled after each failed attempt
};

// Outgoing webhooks (§6).
struct WebhooksConfig {
  bool allow_private_addresses = false;  // loopback and private networks (tests, on-premises)
  bool allow_http = false;  // plain http:// targets (tests, on-premises); else https only
  int max_attempts = 8;
  int retry_base_seconds = 60;  // doubled after each failed attempt
  int timeout_seconds = 10;
};

// Attachments (step 4): limits, blocked types and the malware scanner.
struct AttachmentsConfig {
  int max_file_mib = 50;
  // Sniffed content types refused outright (executables by default), comma separated.
  std::string blocked_types =
      "application/x-dosexec,application/x-executable,application/x-sharedlib,"
      "application/x-pie-executable,application/x-mach-binary,"
      "application/vnd.microsoft.portable-executable,application/x-msdownload,application/x-msi";
  std::string clamav_db_dir = "/var/lib/clamav";
  bool scanner_required = true;    // fail closed (503) when the scanner is unavailable
  int malware_alert_attempts = 3;  // infected uploads in 24 h before the operator is emailed
  // Blobs no attachment refers to are deleted by the daily job once this old (real time), so
  // an upload still committing is never touched.
  int orphan_min_age_minutes = 60;
  // Where the bytes live: "local" (the files directory) or "s3" (an S3-compatible bucket).
  std::string blob_store = "local";
  std::string s3_endpoint;  // "https://s3.example.com"; path-style requests
  std::string s3_bucket;
  std::string s3_region = "us-east-1";
  std::string s3_access_key;
  std::string s3_secret_key;
  std::string s3_prefix = "kelu/";
};

// SMS (step 4): the gateway, China's marketing rules and per-number limits.
struct SmsConfig {
  std::string gateway = "log";  // "log": accepted and kept for the boss to read; "http": a provider
  std::string http_url;         // the provider's send endpoint (gateway = "http")
  std::string http_key_id;      // sent as X-Kelu-Key
  std::string http_secret;      // signs each request (HMAC-SHA256)
  std::string callback_secret;  // verifies the provider's receipts and replies
  int timeout_seconds = 10;
  int max_attempts = 8;
  int retry_base_seconds = 30;  // doubled after each attempt the provider did not answer
  std::string unsubscribe_text = "拒收请回复R";  // appended to marketing messages
  std::string marketing_window = "08:00-21:00";  // Asia/Shanghai; outside it marketing waits
  int per_number_hourly = 5;                     // messages to one number, any type
  int per_number_daily = 10;
  int max_recipients = 200000;  // one bulk send
};

// Fax (step 4): pages counted from the PDF, sent by email-to-fax or an http provider.
struct FaxConfig {
  std::string gateway = "email";                  // "email" (SMTP) or "http"
  std::string email_domain = "fax.kelu.example";  // NUMBER@domain
  std::string http_url;
  std::string http_key_id;
  std::string http_secret;
  int timeout_seconds = 30;
  int max_attempts = 5;
  int retry_base_seconds = 60;
  int max_pages = 50;
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
  TermsConfig terms;
  OperatorConfig operator_info;
  MailConfig mail;
  WebhooksConfig webhooks;
  AttachmentsConfig attachments;
  SmsConfig sms;
  FaxConfig fax;
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
