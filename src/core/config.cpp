#include "core/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <functional>
#include <vector>

#include "core/files.hpp"
#include "core/net_address.hpp"
#include "core/secret_box.hpp"
#include "core/time.hpp"

extern char** environ;

namespace kelu {
namespace {

// One configurable key: how to set it from TOML and from text, with its validation.
struct Key {
  std::string section;
  std::string name;
  std::function<std::optional<std::string>(Config&, const toml::node&)> from_toml;
  std::function<std::optional<std::string>(Config&, std::string_view)> from_text;
};

Error ConfigError(std::string message) {
  return Error::Make(ErrorKind::kInvalid, "invalid_config", std::move(message));
}

Key MakeInt(std::string section, std::string name, const std::function<int&(Config&)>& field,
            int min, int max) {
  auto check = [min, max](std::int64_t v) -> std::optional<std::string> {
    if (v < min || v > max) return fmt::format("must be an integer from {} to {}", min, max);
    return std::nullopt;
  };
  Key k{std::move(section), std::move(name), nullptr, nullptr};
  k.from_toml = [field, check](Config& c, const toml::node& n) -> std::optional<std::string> {
    auto v = n.value<std::int64_t>();
    if (!n.is_integer() || !v) return "must be an integer";
    if (auto e = check(*v)) return e;
    field(c) = static_cast<int>(*v);
    return std::nullopt;
  };
  k.from_text = [field, check](Config& c, std::string_view s) -> std::optional<std::string> {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return "must be an integer";
    if (auto e = check(v)) return e;
    field(c) = static_cast<int>(v);
    return std::nullopt;
  };
  return k;
}

using StringCheck = std::function<std::optional<std::string>(std::string_view)>;

Key MakeString(std::string section, std::string name,
               const std::function<std::string&(Config&)>& field, const StringCheck& check) {
  Key k{std::move(section), std::move(name), nullptr, nullptr};
  k.from_text = [field, check](Config& c, std::string_view s) -> std::optional<std::string> {
    if (check) {
      if (auto e = check(s)) return e;
    }
    field(c) = std::string(s);
    return std::nullopt;
  };
  auto text = k.from_text;
  k.from_toml = [text](Config& c, const toml::node& n) -> std::optional<std::string> {
    if (!n.is_string()) return "must be a string";
    return text(c, *n.value<std::string>());
  };
  return k;
}

Key MakeBool(std::string section, std::string name, const std::function<bool&(Config&)>& field) {
  Key k{std::move(section), std::move(name), nullptr, nullptr};
  k.from_toml = [field](Config& c, const toml::node& n) -> std::optional<std::string> {
    if (!n.is_boolean()) return "must be true or false";
    field(c) = *n.value<bool>();
    return std::nullopt;
  };
  k.from_text = [field](Config& c, std::string_view s) -> std::optional<std::string> {
    if (s == "true" || s == "1") {
      field(c) = true;
    } else if (s == "false" || s == "0") {
      field(c) = false;
    } else {
      return "must be true or false";
    }
    return std::nullopt;
  };
  return k;
}

StringCheck OneOf(const std::vector<std::string>& allowed) {
  return [allowed](std::string_view s) -> std::optional<std::string> {
    for (const auto& a : allowed) {
      if (s == a) return std::nullopt;
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return "must be one of: " + list;
  };
}

StringCheck NonEmpty() {
  return [](std::string_view s) -> std::optional<std::string> {
    if (s.empty()) return "must not be empty";
    return std::nullopt;
  };
}

std::optional<std::string> CheckWindow(std::string_view s) {
  if (ParseTimeWindow(s)) return std::nullopt;
  return "must be HH:MM-HH:MM, the start before the end";
}

std::optional<std::string> CheckListen(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "must be HOST:PORT";
  int port = -1;
  auto ps = s.substr(colon + 1);
  auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
  if (ec != std::errc{} || p != ps.data() + ps.size() || port < 0 || port > 65535) {
    return "must be HOST:PORT with a port from 0 to 65535";
  }
  return std::nullopt;
}

std::optional<std::string> CheckDbUrl(std::string_view s) {
  if (s.starts_with("sqlite:") && s.size() > 7) return std::nullopt;
  if (s.starts_with("postgresql://") || s.starts_with("postgres://")) return std::nullopt;
  return "must be sqlite:PATH or postgresql://…";
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = [] {
    std::vector<Key> k;
// NOLINTNEXTLINE(bugprone-macro-parentheses): `path` is a member path, not an expression.
#define KELU_FIELD(type, path) [](Config& c) -> type& { return c.path; }
    k.push_back(
        MakeString("server", "listen", KELU_FIELD(std::string, server.listen), CheckListen));
    k.push_back(MakeInt("server", "threads", KELU_FIELD(int, server.threads), 0, 256));
    k.push_back(MakeInt("server", "header_limit_bytes", KELU_FIELD(int, server.header_limit_bytes),
                        1024, 1 << 20));
    k.push_back(MakeInt("server", "body_limit_bytes", KELU_FIELD(int, server.body_limit_bytes),
                        1024, 1 << 30));
    k.push_back(MakeInt("server", "read_timeout_seconds",
                        KELU_FIELD(int, server.read_timeout_seconds), 1, 3600));
    k.push_back(MakeInt("server", "idle_timeout_seconds",
                        KELU_FIELD(int, server.idle_timeout_seconds), 1, 3600));
    k.push_back(MakeInt("server", "shutdown_grace_seconds",
                        KELU_FIELD(int, server.shutdown_grace_seconds), 0, 600));
    k.push_back(
        MakeString("server", "web_dir", KELU_FIELD(std::string, server.web_dir), NonEmpty()));
    k.push_back(MakeBool("server", "trust_proxy", KELU_FIELD(bool, server.trust_proxy)));
    k.push_back(MakeString("server", "metrics_token", KELU_FIELD(std::string, server.metrics_token),
                           [](std::string_view s) -> std::optional<std::string> {
                             if (!s.empty() && s.size() < 16) return "must have 16 characters or more";
                             return std::nullopt;
                           }));
    k.push_back(MakeString("server", "trusted_proxies",
                           KELU_FIELD(std::string, server.trusted_proxies),
                           [](std::string_view s) -> std::optional<std::string> {
                             if (!ParseIpRanges(s)) return "must list IP addresses or CIDR ranges";
                             return std::nullopt;
                           }));
    k.push_back(MakeString("server", "public_url", KELU_FIELD(std::string, server.public_url),
                           [](std::string_view s) -> std::optional<std::string> {
                             if (!s.empty() && !s.starts_with("https://") &&
                                 !s.starts_with("http://")) {
                               return "must start with https:// (or http://)";
                             }
                             return std::nullopt;
                           }));
    k.push_back(
        MakeString("server", "access_log", KELU_FIELD(std::string, server.access_log), NonEmpty()));
    k.push_back(MakeInt("server", "render_cache_mb", KELU_FIELD(int, server.render_cache_mb), 0,
                        64 * 1024));
    k.push_back(MakeString("database", "url", KELU_FIELD(std::string, database.url), CheckDbUrl));
    k.push_back(MakeInt("database", "pool_size", KELU_FIELD(int, database.pool_size), 1, 256));
    k.push_back(MakeInt("database", "busy_timeout_ms", KELU_FIELD(int, database.busy_timeout_ms), 0,
                        600000));
    k.push_back(MakeInt("database", "statement_timeout_ms",
                        KELU_FIELD(int, database.statement_timeout_ms), 0, 3'600'000));
    k.push_back(MakeInt("database", "slow_statement_timeout_ms",
                        KELU_FIELD(int, database.slow_statement_timeout_ms), 0, 24 * 3'600'000));
    k.push_back(MakeString("security", "password_policy",
                           KELU_FIELD(std::string, security.password_policy),
                           OneOf({"standard", "dengbao"})));
    k.push_back(MakeInt("security", "session_idle_minutes",
                        KELU_FIELD(int, security.session_idle_minutes), 1, 60 * 24 * 30));
    k.push_back(MakeInt("security", "session_absolute_hours",
                        KELU_FIELD(int, security.session_absolute_hours), 1, 24 * 365));
    k.push_back(MakeInt("security", "credential_cache_ms",
                        KELU_FIELD(int, security.credential_cache_ms), 0, 60'000));
    k.push_back(MakeInt("security", "login_max_failures",
                        KELU_FIELD(int, security.login_max_failures), 1, 100));
    k.push_back(MakeString("security", "data_key", KELU_FIELD(std::string, security.data_key),
                           [](std::string_view s) -> std::optional<std::string> {
                             if (!s.empty() && !SecretBox::FromHex(s).ok()) {
                               return "must be 64 hexadecimal digits";
                             }
                             return std::nullopt;
                           }));
    k.push_back(MakeInt("security", "login_delay_seconds",
                        KELU_FIELD(int, security.login_delay_seconds), 1, 3600));
    k.push_back(MakeInt("security", "lockout_minutes", KELU_FIELD(int, security.lockout_minutes), 1,
                        60 * 24));
    k.push_back(MakeInt("security", "ip_login_attempts_per_minute",
                        KELU_FIELD(int, security.ip_login_attempts_per_minute), 1, 100000));
    k.push_back(MakeInt("security", "argon2_memory_kib",
                        KELU_FIELD(int, security.argon2_memory_kib), 19 * 1024, 4 * 1024 * 1024));
    k.push_back(MakeInt("security", "argon2_iterations",
                        KELU_FIELD(int, security.argon2_iterations), 2, 100));
    k.push_back(MakeInt("security", "recovery_link_minutes",
                        KELU_FIELD(int, security.recovery_link_minutes), 5, 24 * 60));
    k.push_back(MakeInt("security", "recovery_link_interval_seconds",
                        KELU_FIELD(int, security.recovery_link_interval_seconds), 0, 3600));
    k.push_back(MakeInt("security", "support_grant_default_hours",
                        KELU_FIELD(int, security.support_grant_default_hours), 1, 24 * 30));
    k.push_back(MakeInt("security", "support_grant_max_hours",
                        KELU_FIELD(int, security.support_grant_max_hours), 1, 24 * 90));
    k.push_back(MakeString("business", "timezone", KELU_FIELD(std::string, business.timezone),
                           [](std::string_view s) -> std::optional<std::string> {
                             if (!Zone::Find(s)) return "is not a known time zone";
                             return std::nullopt;
                           }));
    k.push_back(MakeString("business", "daily_jobs_at",
                           KELU_FIELD(std::string, business.daily_jobs_at),
                           [](std::string_view s) -> std::optional<std::string> {
                             if (!ParseTimeOfDay(s)) return "must be HH:MM";
                             return std::nullopt;
                           }));
    k.push_back(MakeString("files", "dir", KELU_FIELD(std::string, files.dir), NonEmpty()));
    k.push_back(MakeInt("files", "import_inline_rows", KELU_FIELD(int, files.import_inline_rows), 0,
                        1000000));
    k.push_back(MakeInt("files", "inflate_max_ratio", KELU_FIELD(int, files.inflate_max_ratio), 1,
                        10000));
    k.push_back(MakeInt("files", "inflate_max_mib", KELU_FIELD(int, files.inflate_max_mib), 1,
                        1048576));
    k.push_back(MakeInt("files", "xlsx_max_shared_strings",
                        KELU_FIELD(int, files.xlsx_max_shared_strings), 1, 100000000));
    k.push_back(MakeInt("files", "xlsx_max_shared_strings_mib",
                        KELU_FIELD(int, files.xlsx_max_shared_strings_mib), 1, 65536));
    k.push_back(
        MakeInt("files", "xlsx_max_rows", KELU_FIELD(int, files.xlsx_max_rows), 1, 1048576));
    k.push_back(
        MakeInt("files", "xlsx_max_columns", KELU_FIELD(int, files.xlsx_max_columns), 1, 16384));
    k.push_back(MakeInt("files", "xlsx_max_cell_chars", KELU_FIELD(int, files.xlsx_max_cell_chars),
                        1, 32767));
    k.push_back(
        MakeInt("terms", "seat_storage_mib", KELU_FIELD(int, terms.seat_storage_mib), 1, 1048576));
    k.push_back(MakeInt("terms", "storage_block_mib", KELU_FIELD(int, terms.storage_block_mib), 1,
                        1048576));
    k.push_back(MakeInt("terms", "storage_block_month_fen",
                        KELU_FIELD(int, terms.storage_block_month_fen), 0, 100000000));
    k.push_back(MakeInt("terms", "late_interest_bp_per_30_days",
                        KELU_FIELD(int, terms.late_interest_bp_per_30_days), 0, 10000));
    k.push_back(MakeInt("terms", "reconnection_fee_fen",
                        KELU_FIELD(int, terms.reconnection_fee_fen), 0, 100000000));
    k.push_back(MakeInt("terms", "reopening_fee_fen", KELU_FIELD(int, terms.reopening_fee_fen), 0,
                        100000000));
    k.push_back(
        MakeInt("terms", "termination_day", KELU_FIELD(int, terms.termination_day), 1, 365));
    k.push_back(
        MakeInt("terms", "points_forfeit_day", KELU_FIELD(int, terms.points_forfeit_day), 1, 365));
    k.push_back(
        MakeInt("terms", "purge_after_days", KELU_FIELD(int, terms.purge_after_days), 1, 3650));
    k.push_back(
        MakeInt("terms", "export_window_days", KELU_FIELD(int, terms.export_window_days), 0, 365));
    k.push_back(MakeInt("terms", "export_download_days",
                        KELU_FIELD(int, terms.export_download_days), 1, 365));
    k.push_back(MakeInt("terms", "renewal_deadline_days",
                        KELU_FIELD(int, terms.renewal_deadline_days), 0, 365));
    k.push_back(MakeInt("terms", "expiry_reminder_days",
                        KELU_FIELD(int, terms.expiry_reminder_days), 0, 365));
    k.push_back(
        MakeInt("terms", "purge_warning_days", KELU_FIELD(int, terms.purge_warning_days), 0, 365));
    k.push_back(MakeInt("terms", "activation_working_days_new",
                        KELU_FIELD(int, terms.activation_working_days_new), 1, 30));
    k.push_back(MakeInt("terms", "activation_working_days_renewal",
                        KELU_FIELD(int, terms.activation_working_days_renewal), 1, 30));
    k.push_back(
        MakeInt("terms", "email_deemed_hours", KELU_FIELD(int, terms.email_deemed_hours), 0, 720));
    k.push_back(
        MakeInt("terms", "mail_deemed_hours", KELU_FIELD(int, terms.mail_deemed_hours), 0, 720));
    k.push_back(
        MakeInt("terms", "liability_months", KELU_FIELD(int, terms.liability_months), 1, 120));
    k.push_back(
        MakeInt("terms", "initial_term_years", KELU_FIELD(int, terms.initial_term_years), 1, 10));
    k.push_back(MakeInt("terms", "storage_warn_percent",
                        KELU_FIELD(int, terms.storage_warn_percent), 1, 99));
    k.push_back(MakeString("terms", "activation", KELU_FIELD(std::string, terms.activation),
                           OneOf({"automatic", "manual"})));
    k.push_back(MakeString("operator", "company", KELU_FIELD(std::string, operator_info.company),
                           NonEmpty()));
    k.push_back(MakeString("operator", "address", KELU_FIELD(std::string, operator_info.address),
                           NonEmpty()));
    k.push_back(MakeString("operator", "tax_id", KELU_FIELD(std::string, operator_info.tax_id),
                           NonEmpty()));
    k.push_back(
        MakeString("operator", "phone", KELU_FIELD(std::string, operator_info.phone), NonEmpty()));
    k.push_back(
        MakeString("operator", "email", KELU_FIELD(std::string, operator_info.email), NonEmpty()));
    k.push_back(MakeString("operator", "bank_name",
                           KELU_FIELD(std::string, operator_info.bank_name), NonEmpty()));
    k.push_back(MakeString("operator", "bank_account",
                           KELU_FIELD(std::string, operator_info.bank_account), NonEmpty()));
    k.push_back(MakeString("mail", "smtp_url", KELU_FIELD(std::string, mail.smtp_url),
                           [](std::string_view s) -> std::optional<std::string> {
                             if (s.starts_with("smtp://") || s.starts_with("smtps://")) {
                               return std::nullopt;
                             }
                             return "must be smtp://HOST:PORT or smtps://HOST:PORT";
                           }));
    k.push_back(
        MakeString("mail", "from_address", KELU_FIELD(std::string, mail.from_address), NonEmpty()));
    k.push_back(
        MakeString("mail", "from_name", KELU_FIELD(std::string, mail.from_name), NonEmpty()));
    k.push_back(MakeString("mail", "operator_email", KELU_FIELD(std::string, mail.operator_email),
                           NonEmpty()));
    k.push_back(MakeInt("mail", "max_attempts", KELU_FIELD(int, mail.max_attempts), 1, 100));
    k.push_back(
        MakeInt("mail", "retry_base_seconds", KELU_FIELD(int, mail.retry_base_seconds), 1, 86400));
    k.push_back(MakeBool("webhooks", "allow_private_addresses",
                         KELU_FIELD(bool, webhooks.allow_private_addresses)));
    k.push_back(MakeBool("webhooks", "allow_http", KELU_FIELD(bool, webhooks.allow_http)));
    k.push_back(
        MakeInt("webhooks", "max_attempts", KELU_FIELD(int, webhooks.max_attempts), 1, 100));
    k.push_back(MakeInt("webhooks", "retry_base_seconds",
                        KELU_FIELD(int, webhooks.retry_base_seconds), 1, 86400));
    k.push_back(
        MakeInt("webhooks", "timeout_seconds", KELU_FIELD(int, webhooks.timeout_seconds), 1, 120));
    k.push_back(
        MakeInt("attachments", "max_file_mib", KELU_FIELD(int, attachments.max_file_mib), 1, 1024));
    k.push_back(MakeString("attachments", "blocked_types",
                           KELU_FIELD(std::string, attachments.blocked_types), nullptr));
    k.push_back(MakeString("attachments", "clamav_db_dir",
                           KELU_FIELD(std::string, attachments.clamav_db_dir), NonEmpty()));
    k.push_back(MakeBool("attachments", "scanner_required",
                         KELU_FIELD(bool, attachments.scanner_required)));
    k.push_back(MakeInt("attachments", "orphan_min_age_minutes",
                        KELU_FIELD(int, attachments.orphan_min_age_minutes), 0, 100000));
    k.push_back(MakeInt("attachments", "malware_alert_attempts",
                        KELU_FIELD(int, attachments.malware_alert_attempts), 1, 1000));
    k.push_back(MakeString("attachments", "blob_store",
                           KELU_FIELD(std::string, attachments.blob_store),
                           OneOf({"local", "s3"})));
    using S3Field = std::pair<const char*, std::string AttachmentsConfig::*>;
    for (const S3Field& f : {S3Field{"s3_endpoint", &AttachmentsConfig::s3_endpoint},
                             S3Field{"s3_bucket", &AttachmentsConfig::s3_bucket},
                             S3Field{"s3_region", &AttachmentsConfig::s3_region},
                             S3Field{"s3_access_key", &AttachmentsConfig::s3_access_key},
                             S3Field{"s3_secret_key", &AttachmentsConfig::s3_secret_key},
                             S3Field{"s3_prefix", &AttachmentsConfig::s3_prefix}}) {
      auto member = f.second;
      k.push_back(MakeString(
          "attachments", f.first,
          [member](Config& c) -> std::string& { return c.attachments.*member; }, nullptr));
    }
    k.push_back(
        MakeString("sms", "gateway", KELU_FIELD(std::string, sms.gateway), OneOf({"log", "http"})));
    k.push_back(MakeString("sms", "http_url", KELU_FIELD(std::string, sms.http_url), nullptr));
    k.push_back(
        MakeString("sms", "http_key_id", KELU_FIELD(std::string, sms.http_key_id), nullptr));
    k.push_back(
        MakeString("sms", "http_secret", KELU_FIELD(std::string, sms.http_secret), nullptr));
    k.push_back(MakeString("sms", "callback_secret", KELU_FIELD(std::string, sms.callback_secret),
                           nullptr));
    k.push_back(MakeInt("sms", "timeout_seconds", KELU_FIELD(int, sms.timeout_seconds), 1, 120));
    k.push_back(MakeInt("sms", "max_attempts", KELU_FIELD(int, sms.max_attempts), 1, 100));
    k.push_back(
        MakeInt("sms", "retry_base_seconds", KELU_FIELD(int, sms.retry_base_seconds), 1, 86400));
    k.push_back(MakeString("sms", "unsubscribe_text", KELU_FIELD(std::string, sms.unsubscribe_text),
                           NonEmpty()));
    k.push_back(MakeString("sms", "marketing_window", KELU_FIELD(std::string, sms.marketing_window),
                           CheckWindow));
    k.push_back(
        MakeInt("sms", "per_number_hourly", KELU_FIELD(int, sms.per_number_hourly), 1, 1000));
    k.push_back(
        MakeInt("sms", "per_number_daily", KELU_FIELD(int, sms.per_number_daily), 1, 10000));
    k.push_back(MakeInt("sms", "max_recipients", KELU_FIELD(int, sms.max_recipients), 1, 10000000));
    k.push_back(MakeString("fax", "gateway", KELU_FIELD(std::string, fax.gateway),
                           OneOf({"email", "http"})));
    k.push_back(
        MakeString("fax", "email_domain", KELU_FIELD(std::string, fax.email_domain), NonEmpty()));
    k.push_back(MakeString("fax", "http_url", KELU_FIELD(std::string, fax.http_url), nullptr));
    k.push_back(
        MakeString("fax", "http_key_id", KELU_FIELD(std::string, fax.http_key_id), nullptr));
    k.push_back(
        MakeString("fax", "http_secret", KELU_FIELD(std::string, fax.http_secret), nullptr));
    k.push_back(MakeInt("fax", "timeout_seconds", KELU_FIELD(int, fax.timeout_seconds), 1, 300));
    k.push_back(MakeInt("fax", "max_attempts", KELU_FIELD(int, fax.max_attempts), 1, 100));
    k.push_back(
        MakeInt("fax", "retry_base_seconds", KELU_FIELD(int, fax.retry_base_seconds), 1, 86400));
    k.push_back(MakeInt("fax", "max_pages", KELU_FIELD(int, fax.max_pages), 1, 1000));
    k.push_back(MakeString("log", "level", KELU_FIELD(std::string, log.level),
                           OneOf({"trace", "debug", "info", "warn", "error", "off"})));
#undef KELU_FIELD
    return k;
  }();
  return keys;
}

const Key* FindKey(std::string_view section, std::string_view name) {
  for (const auto& k : Keys()) {
    if (k.section == section && k.name == name) return &k;
  }
  return nullptr;
}

bool KnownSection(std::string_view section) {
  for (const auto& k : Keys()) {
    if (k.section == section) return true;
  }
  return false;
}

Status CrossCheck(const Config& c) {
  if (c.security.support_grant_default_hours > c.security.support_grant_max_hours) {
    return ConfigError(
        "security.support_grant_default_hours must not exceed security.support_grant_max_hours");
  }
  if (c.attachments.blob_store == "s3" &&
      (c.attachments.s3_endpoint.empty() || c.attachments.s3_bucket.empty() ||
       c.attachments.s3_access_key.empty() || c.attachments.s3_secret_key.empty())) {
    return ConfigError(
        "attachments.blob_store = \"s3\" needs attachments.s3_endpoint, s3_bucket, "
        "s3_access_key and s3_secret_key");
  }
  if (c.sms.gateway == "http" &&
      (c.sms.http_url.empty() || c.sms.http_secret.empty() || c.sms.callback_secret.empty())) {
    return ConfigError(
        "sms.gateway = \"http\" needs sms.http_url, sms.http_secret and sms.callback_secret");
  }
  if (c.fax.gateway == "http" && (c.fax.http_url.empty() || c.fax.http_secret.empty())) {
    return ConfigError("fax.gateway = \"http\" needs fax.http_url and fax.http_secret");
  }
  if (c.terms.points_forfeit_day <= c.terms.termination_day) {
    return ConfigError("terms.points_forfeit_day must be after terms.termination_day");
  }
  return OkStatus();
}

Status ApplyEnvironment(Config& config, const Environment& env) {
  for (const auto& [var, value] : env) {
    if (!var.starts_with("KELU_")) continue;
    std::string rest = var.substr(5);
    for (auto& ch : rest) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto underscore = rest.find('_');
    if (underscore == std::string::npos) continue;  // KELU_CONFIG, KELU_DB: handled by the CLI
    std::string section = rest.substr(0, underscore);
    std::string name = rest.substr(underscore + 1);
    if (!KnownSection(section)) continue;
    const Key* key = FindKey(section, name);
    if (!key)
      return ConfigError(fmt::format("{}: unknown configuration key {}.{}", var, section, name));
    if (auto e = key->from_text(config, value)) {
      return ConfigError(fmt::format("{}: {}.{} {}", var, section, name, *e));
    }
  }
  return OkStatus();
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("KELU_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<Config> ParseConfig(std::string_view text, const Environment& env, std::string_view origin) {
  Config config;
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return ConfigError(fmt::format("{}:{}: {}", origin, e.source().begin.line, e.description()));
  }
  for (const auto& [section, node] : table) {
    const auto* sub = node.as_table();
    if (!sub) {
      return ConfigError(fmt::format("{}: unknown configuration key {}", origin, section.str()));
    }
    if (!KnownSection(section.str())) {
      return ConfigError(
          fmt::format("{}: unknown configuration section [{}]", origin, section.str()));
    }
    for (const auto& [name, value] : *sub) {
      const Key* key = FindKey(section.str(), name.str());
      if (!key) {
        return ConfigError(
            fmt::format("{}: unknown configuration key {}.{}", origin, section.str(), name.str()));
      }
      if (auto e = key->from_toml(config, value)) {
        return ConfigError(fmt::format("{}: {}.{} {}", origin, section.str(), name.str(), *e));
      }
    }
  }
  KELU_RETURN_IF_ERROR(ApplyEnvironment(config, env));
  KELU_RETURN_IF_ERROR(CrossCheck(config));
  return config;
}

Result<Config> LoadConfig(const std::optional<std::string>& path, const Environment& env) {
  if (!path) return ParseConfig("", env);
  auto text = ReadFile(*path);
  if (!text) return ConfigError(fmt::format("cannot read configuration file {}", *path));
  return ParseConfig(*text, env, *path);
}

}  // namespace kelu
