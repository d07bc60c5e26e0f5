// The kelu program: the composition root. Parses the command line, loads the configuration,
// opens the database, wires the services and runs one subcommand.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <thread>

#include "app/demo_data.hpp"
#include "attachments/service.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/random.hpp"
#include "crm/service.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "identity/service.hpp"
#include "core/secret_box.hpp"
#include "identity/totp.hpp"
#include "integrations/service.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/worker.hpp"
#include "messaging/fax.hpp"
#include "messaging/service.hpp"
#include "notices/outbox.hpp"
#include "notices/service.hpp"
#include "storage/copy.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"

#ifndef KELU_VERSION
#define KELU_VERSION "0.0.0"
#endif

namespace kelu {
namespace {

struct Options {
  std::optional<std::string> config_path;
  std::optional<std::string> db_url;
  std::string listen;
  bool test_clock = false;
  std::string clock_start;  // serve --test-clock-start, demo --now: an RFC 3339 instant
  bool json = false;
  bool repair = false;
  std::string until;
  std::string copy_to;
  std::string email;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "kelu: %s\n", message.c_str());
  return 2;
}

// Everything a command needs, built once.
struct Runtime {
  Config config;
  Zone zone = Zone::Shanghai();
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<Clock> clock;
  ManualClock* manual = nullptr;
  std::unique_ptr<identity::IdentityService> identity;
  std::unique_ptr<crm::CrmService> crm;
  std::unique_ptr<jobs::Scheduler> scheduler;
  std::unique_ptr<billing::BillingService> billing;
  std::unique_ptr<notices::Mailer> mailer;
  std::unique_ptr<notices::Outbox> outbox;
  std::unique_ptr<notices::NoticeService> notices;
  std::unique_ptr<SecretBox> secrets;  // seals secrets kept in the database
  std::unique_ptr<integrations::IntegrationService> integrations;
  std::unique_ptr<attachments::BlobStore> blobs;
  std::unique_ptr<attachments::Scanner> scanner;
  std::unique_ptr<attachments::AttachmentService> attachments;
  std::unique_ptr<messaging::SmsGateway> sms_gateway;
  std::unique_ptr<messaging::MessagingService> messaging;
  std::unique_ptr<messaging::FaxGateway> fax_gateway;
  std::unique_ptr<messaging::FaxService> fax;
};

// `serving`: the server's runtime (the malware signatures are loaded only then: they take
// seconds, and the other commands upload nothing).
Result<Runtime> Build(const Options& o, bool test_clock, bool serving = false) {
  Runtime rt;
  std::optional<Timestamp> clock_start;
  if (test_clock && !o.clock_start.empty()) {
    clock_start = ParseRfc3339(o.clock_start);
    if (!clock_start) {
      return Error::Make(ErrorKind::kInvalid, "invalid_clock_start",
                         "--test-clock-start must be an RFC 3339 timestamp with an offset");
    }
  }
  auto env = ProcessEnvironment();
  auto path = o.config_path;
  if (!path) {
    if (auto it = env.find("KELU_CONFIG"); it != env.end()) path = it->second;
  }
  auto config = LoadConfig(path, env);
  if (!config.ok()) return std::move(config).error();
  rt.config = std::move(config).value();
  if (auto it = env.find("KELU_DB"); it != env.end()) rt.config.database.url = it->second;
  if (o.db_url) rt.config.database.url = *o.db_url;
  if (!rt.config.database.url.starts_with("sqlite:") &&
      !rt.config.database.url.starts_with("postgres")) {
    return Error::Make(ErrorKind::kInvalid, "invalid_config",
                       "--db must be sqlite:PATH or postgresql://…");
  }
  spdlog::set_level(spdlog::level::from_str(rt.config.log.level));
  rt.zone = *Zone::Find(rt.config.business.timezone);
  if (!InitCrypto())
    return Error::Make(ErrorKind::kInternal, "crypto", "libsodium failed to start");
  try {
    rt.db = storage::Database::Open(rt.config.database.url, rt.config.database.pool_size,
                                    rt.config.database.busy_timeout_ms);
  } catch (const storage::DatabaseUnavailable& e) {
    return Error::Make(ErrorKind::kUnavailable, "database_unavailable", e.what());
  }
  SystemClock system;
  auto migrated = storage::Migrate(*rt.db, system.now());
  if (!migrated.ok()) return std::move(migrated).error();
  if (rt.db->dialect() == storage::Dialect::kSqlite) {
    // Connections opened before the migration keep the old schema and planner statistics;
    // start afresh so every statement is planned with the new ones.
    rt.db.reset();
    rt.db = storage::Database::Open(rt.config.database.url, rt.config.database.pool_size,
                                    rt.config.database.busy_timeout_ms);
  }
  if (test_clock) {
    // The test clock starts at --test-clock-start (a suite pins the dates it asserts) or at the
    // system's time, and resumes where it was left, so it never moves backward across restarts.
    Timestamp start = clock_start.value_or(system.now());
    auto stored = rt.db->Read([](storage::Connection& c) {
      return c.QueryOne("SELECT value FROM kelu_settings WHERE key = 'test_clock.now'");
    });
    if (stored) start = std::max(start, FromMicros(std::stoll(stored->text(0))));
    auto manual = std::make_unique<ManualClock>(start);
    rt.manual = manual.get();
    rt.clock = std::move(manual);
  } else {
    rt.clock = std::make_unique<SystemClock>();
  }
  rt.identity = std::make_unique<identity::IdentityService>(*rt.db, rt.config.security, rt.zone);
  rt.scheduler = std::make_unique<jobs::Scheduler>(
      *rt.db, rt.zone, *ParseTimeOfDay(rt.config.business.daily_jobs_at));
  rt.crm = std::make_unique<crm::CrmService>(*rt.db, *rt.identity, rt.config.files.dir,
                                             rt.config.server.render_cache_bytes());
  const FilesConfig& limits = rt.config.files;
  rt.crm->SetSpreadsheetLimits({.max_inflate_ratio = limits.inflate_max_ratio,
                                .max_inflated_bytes = std::int64_t{limits.inflate_max_mib} << 20,
                                .max_shared_strings = limits.xlsx_max_shared_strings,
                                .max_shared_string_bytes =
                                    std::int64_t{limits.xlsx_max_shared_strings_mib} << 20,
                                .max_cell_chars = limits.xlsx_max_cell_chars,
                                .max_rows = limits.xlsx_max_rows,
                                .max_columns = limits.xlsx_max_columns});
  rt.identity->set_alert_email(rt.config.mail.operator_email);
  rt.identity->set_site_url(rt.config.server.site_url());
  rt.mailer = notices::MakeSmtpMailer(rt.config.mail);
  rt.outbox = std::make_unique<notices::Outbox>(*rt.db, *rt.mailer, *rt.clock, rt.config.mail,
                                                rt.config.terms);
  rt.billing = std::make_unique<billing::BillingService>(*rt.db, *rt.identity, rt.config, rt.zone,
                                                         WorkCalendar::WithShippedYears());
  if (auto s = rt.billing->Start(rt.clock->now()); !s.ok()) return std::move(s).error();
  rt.notices = std::make_unique<notices::NoticeService>(*rt.db, rt.config, rt.zone);
  auto box = rt.config.security.data_key.empty()
                 ? SecretBox::FromKeyFile((std::filesystem::path(rt.config.files.dir) / "keys" /
                                           "data.key")
                                              .string())
                 : SecretBox::FromHex(rt.config.security.data_key);
  if (!box.ok()) return std::move(box).error();
  rt.secrets = std::make_unique<SecretBox>(*box);
  rt.identity->set_secrets(rt.secrets.get());
  rt.integrations = std::make_unique<integrations::IntegrationService>(*rt.db, rt.config,
                                                                       *rt.clock, rt.zone, *rt.secrets);
  if (rt.config.attachments.blob_store == "s3") {
    const auto& a = rt.config.attachments;
    rt.blobs = attachments::MakeS3BlobStore(
        {a.s3_endpoint, a.s3_bucket, a.s3_region, a.s3_access_key, a.s3_secret_key, a.s3_prefix},
        rt.config.files.dir);
  } else {
    rt.blobs = attachments::MakeLocalBlobStore(rt.config.files.dir);
  }
  rt.scanner = serving ? attachments::Scanner::Load(rt.config.attachments.clamav_db_dir, {})
                       : attachments::Scanner::Unloaded("not loaded outside kelu serve");
  attachments::BlobStore* blobs = rt.blobs.get();
  rt.billing->SetBlobAccess(
      {[blobs](std::int64_t tenant_id, const std::string& sha) -> std::optional<std::string> {
         auto p = blobs->Path(tenant_id, sha);
         if (!p.ok()) return std::nullopt;
         return *p;
       },
       [blobs](std::int64_t tenant_id) { return blobs->RemoveTenant(tenant_id); }});
  rt.sms_gateway = messaging::MakeSmsGateway(rt.config.sms);
  rt.messaging = std::make_unique<messaging::MessagingService>(
      *rt.db, *rt.billing, *rt.crm, *rt.sms_gateway, rt.config, *rt.clock, rt.zone);
  rt.attachments = std::make_unique<attachments::AttachmentService>(
      *rt.db, *rt.identity, *rt.crm, *rt.billing, *rt.blobs, *rt.scanner, rt.config, rt.zone);
  rt.fax_gateway = messaging::MakeFaxGateway(rt.config.fax, *rt.mailer);
  rt.fax = std::make_unique<messaging::FaxService>(*rt.db, *rt.billing, *rt.attachments, *rt.blobs,
                                                   *rt.messaging, *rt.fax_gateway, rt.config,
                                                   *rt.clock, rt.zone);
  identity::IdentityService* ids = rt.identity.get();
  crm::CrmService* crm = rt.crm.get();
  rt.scheduler->Register("identity.purge_ended_sessions", [ids](Timestamp now) {
    ids->PurgeEndedSessions(now);
    return OkStatus();
  });
  rt.scheduler->Register("crm.pool_auto_return",
                         [crm](Timestamp now) { return crm->RunPoolJob(now); });
  billing::BillingService* billing = rt.billing.get();
  rt.scheduler->Register("billing.lifecycle",
                         [billing](Timestamp now) { return billing->RunLifecycle(now); });
  rt.scheduler->Register("crm.purge_recycle_bin",
                         [crm](Timestamp now) { return crm->PurgeRecycleBin(now); });
  // After the recycle-bin purge: the blobs its attachments left behind.
  attachments::AttachmentService* files = rt.attachments.get();
  std::chrono::minutes orphan_age{rt.config.attachments.orphan_min_age_minutes};
  rt.scheduler->Register("attachments.collect_orphans", [files, orphan_age](Timestamp) {
    return files->CollectOrphans(orphan_age);
  });
  return rt;
}

int Serve(const Options& o) {
  auto built = Build(o, o.test_clock, true);
  if (!built.ok()) return Fail(built.error().message);
  Runtime& rt = built.value();
  if (!o.listen.empty()) {
    auto checked = ParseConfig("[server]\nlisten = \"" + o.listen + "\"\n", {});
    if (!checked.ok()) return Fail("--listen " + o.listen + ": must be HOST:PORT");
    rt.config.server.listen = o.listen;
  }
  http::Api api(rt.config, http::Services{*rt.db, *rt.identity, *rt.crm, *rt.billing, *rt.notices,
                                          *rt.integrations, *rt.attachments, *rt.messaging, *rt.fax,
                                          *rt.scheduler, *rt.clock, rt.manual});
  rt.scheduler->set_observer(
      [&api](const jobs::JobRun& run) { api.metrics().CountJobRun(run.job, run.ok); });

  // Long imports run on a background thread; those a previous process left unfinished resume.
  jobs::Worker worker;
  crm::CrmService* crm = rt.crm.get();
  crm->SetImportRunner(
      [&worker, crm](std::int64_t tenant_id, std::int64_t id) {
        worker.Post([crm, tenant_id, id](const std::atomic<bool>& stopping) {
          Status done = crm->RunImportJob(tenant_id, id, stopping);
          if (!done.ok()) spdlog::warn("import {}: {}", id, done.error().message);
        });
      },
      rt.config.files.import_inline_rows);
  // (Copies, not structured bindings: the clang of make lint cannot capture those.)
  for (const auto& unfinished : crm->UnfinishedImports()) {
    std::int64_t tenant_id = unfinished.first, id = unfinished.second;
    worker.Post([crm, tenant_id, id](const std::atomic<bool>& stopping) {
      crm->RunImportJob(tenant_id, id, stopping).ok();
    });
  }

  // Data export archives are written on the same background thread; unfinished ones resume.
  billing::BillingService* billing = rt.billing.get();
  billing->SetExportRunner([&worker, billing](std::int64_t tenant_id, std::int64_t id) {
    worker.Post([billing, tenant_id, id](const std::atomic<bool>&) {
      Status done = billing->RunExport(tenant_id, id);
      if (!done.ok()) spdlog::warn("export {}: {}", id, done.error().message);
    });
  });
  for (const auto& unfinished : billing->UnfinishedExports()) {
    std::int64_t tenant_id = unfinished.first, id = unfinished.second;
    worker.Post([billing, tenant_id, id](const std::atomic<bool>&) {
      billing->RunExport(tenant_id, id).ok();
    });
  }

  // Catch up on the daily jobs at start (on a new database this marks today as the start).
  rt.scheduler->RunDue(rt.clock->now());
  if (!rt.scanner->available()) {
    spdlog::warn("malware scanner unavailable ({}): uploads are refused until it loads",
                 rt.scanner->load_error());
  }
  // Mail queued by any process (or left by a stopped one) goes out from here.
  rt.outbox->Start();
  rt.integrations->Start();
  rt.messaging->Start();
  rt.fax->Start();

  // Real time: a background thread runs the daily jobs when they fall due. Under the test
  // clock they run only when the operator moves it.
  std::atomic<bool> stop{false};
  std::mutex m;
  std::condition_variable cv;
  std::thread ticker;
  if (!rt.manual) {
    ticker = std::thread([&] {
      std::unique_lock lock(m);
      while (!stop.load()) {
        lock.unlock();
        try {
          rt.scheduler->RunDue(rt.clock->now());
        } catch (const std::exception& e) {
          spdlog::warn("daily jobs: {}", e.what());
        }
        lock.lock();
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return stop.load(); });
      }
    });
  }

  http::ServerOptions so;
  const std::string& listen = rt.config.server.listen;
  auto colon = listen.rfind(':');
  so.host = listen.substr(0, colon);
  if (so.host.size() > 2 && so.host.front() == '[') so.host = so.host.substr(1, so.host.size() - 2);
  so.port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
  so.threads = rt.config.server.threads > 0 ? rt.config.server.threads
                                            : static_cast<int>(std::thread::hardware_concurrency());
  so.header_limit = rt.config.server.header_limit_bytes;
  so.body_limit = rt.config.server.body_limit_bytes;
  so.read_timeout = std::chrono::seconds(rt.config.server.read_timeout_seconds);
  so.idle_timeout = std::chrono::seconds(rt.config.server.idle_timeout_seconds);
  so.shutdown_grace = std::chrono::seconds(rt.config.server.shutdown_grace_seconds);
  so.trust_proxy = rt.config.server.trust_proxy;
  int code = 0;
  try {
    http::RunServer(
        so, [&api](http::Request& r) { return api.Handle(r); },
        [&api](std::string_view m, std::string_view t) { return api.BodyRuleFor(m, t); },
        [&api](int status, std::string c, std::string msg) {
          return api.ErrorResponse(status, std::move(c), std::move(msg));
        },
        [&](unsigned short port) {
          std::printf("kelu %s listening on http://%s:%u (database %s%s)\n", KELU_VERSION,
                      so.host.c_str(), port,
                      rt.db->dialect() == storage::Dialect::kSqlite ? "SQLite" : "PostgreSQL",
                      rt.manual ? ", test clock" : "");
          std::fflush(stdout);
        });
  } catch (const std::exception& e) {
    code = Fail(e.what());
  }
  {
    std::lock_guard lock(m);
    stop.store(true);
  }
  cv.notify_all();
  // An import stops after its current batch and resumes on the next start.
  worker.Stop();
  rt.outbox->Stop();
  rt.integrations->Stop();
  rt.messaging->Stop();
  rt.fax->Stop();
  if (ticker.joinable()) ticker.join();
  spdlog::info("kelu stopped");
  return code;
}

int Migrate(const Options& o) {
  auto built = Build(o, false);
  if (!built.ok()) return Fail(built.error().message);
  std::printf("schema version %d\n", storage::CurrentSchemaVersion(*built->db));
  return 0;
}

int Demo(const Options& o) {
  std::optional<Timestamp> at;
  if (!o.clock_start.empty() && !(at = ParseRfc3339(o.clock_start))) {
    return Fail("--now must be an RFC 3339 timestamp with an offset");
  }
  auto built = Build(o, false);
  if (!built.ok()) return Fail(built.error().message);
  Runtime& rt = built.value();
  Timestamp now = at.value_or(rt.clock->now());
  auto& ids = *rt.identity;
  // Passwords are new on every run (only their hashes are kept), so the printed ones work.
  std::string op_email = "operator@kelu.local";
  std::string op_pw = RandomPassword();
  if (auto s = ids.EnsureOperator(op_email, "客录运营", op_pw, now); !s.ok()) {
    return Fail(s.error().message);
  }
  // Operators always sign in in two steps: the demo operator's authenticator secret is printed
  // with the password, to add to an app by hand or to compute codes from in tests.
  std::string op_totp = identity::NewTotpSecret();
  auto op_codes = ids.EnsureOperatorMfa(op_email, op_totp, now);
  if (!op_codes.ok()) return Fail(op_codes.error().message);
  auto tenant = ids.EnsureTenant("demo", "演示科技有限公司", 10, now);
  if (!tenant.ok()) return Fail(tenant.error().message);
  if (auto term = rt.billing->EnsureTerm(*tenant, "standard", 1, now); !term.ok()) {
    return Fail(term.error().message);
  }
  struct DemoUser {
    const char* login;
    const char* name;
    identity::Role role;
    std::string password;
  };
  std::vector<DemoUser> users = {{"boss", "王建国", identity::Role::kBoss, RandomPassword()},
                                 {"zhangwei", "张伟", identity::Role::kMember, RandomPassword()},
                                 {"lina", "李娜", identity::Role::kMember, RandomPassword()}};
  std::vector<identity::Principal> principals;
  for (auto& u : users) {
    auto id = ids.EnsureUser(*tenant, u.login, u.name, u.role, u.password, now);
    if (!id.ok()) return Fail(id.error().message);
    identity::Principal p;
    p.kind = identity::PrincipalKind::kUser;
    p.tenant_id = *tenant;
    p.tenant_slug = "demo";
    p.user_id = *id;
    p.name = u.name;
    p.login = u.login;
    p.role = u.role;
    principals.push_back(p);
  }
  auto filled =
      app::FillDemoTenant(*rt.crm, ids, {principals[0], principals[1], principals[2]}, now);
  if (!filled.ok()) return Fail("demo data: " + filled.error().message);
  if (o.json) {
    json::array list;
    for (auto& u : users) {
      list.push_back(json::object{
          {"login", u.login}, {"password", u.password}, {"role", identity::RoleName(u.role)}});
    }
    json::array codes;
    for (const auto& c : *op_codes) codes.emplace_back(c);
    json::object out{{"operator", json::object{{"email", op_email},
                                               {"password", op_pw},
                                               {"totp_secret", identity::Base32(op_totp)},
                                               {"recovery_codes", std::move(codes)}}},
                     {"tenant", json::object{{"slug", "demo"}, {"users", std::move(list)}}}};
    std::printf("%s\n", ToJson(out).c_str());
  } else {
    std::printf("Operator console: %s / %s\n", op_email.c_str(), op_pw.c_str());
    std::printf("  two-step sign-in: add the key %s to an authenticator app\n",
                identity::Base32(op_totp).c_str());
    std::printf("  recovery codes: %s\n", fmt::format("{}", fmt::join(*op_codes, " ")).c_str());
    std::printf("Tenant \"demo\" (演示科技有限公司):\n");
    for (auto& u : users) {
      std::printf("  %-8s %-9s %s\n", std::string(identity::RoleName(u.role)).c_str(), u.login,
                  u.password.c_str());
    }
  }
  return 0;
}

int ResetOperatorMfa(const Options& o) {
  auto built = Build(o, false);
  if (!built.ok()) return Fail(built.error().message);
  Runtime& rt = built.value();
  if (auto s = rt.identity->ResetOperatorMfa(o.email, rt.clock->now()); !s.ok()) {
    return Fail(s.error().message);
  }
  std::printf("two-step sign-in removed for %s: they enrol again at their next sign-in\n",
              o.email.c_str());
  return 0;
}

// Copies the database of --db (migrated first) into the empty database --to.
int CopyDb(const Options& o) {
  auto built = Build(o, false);
  if (!built.ok()) return Fail(built.error().message);
  Runtime& rt = built.value();
  std::unique_ptr<storage::Database> to;
  try {
    to = storage::Database::Open(o.copy_to, rt.config.database.pool_size,
                                 rt.config.database.busy_timeout_ms);
  } catch (const storage::DatabaseUnavailable& e) {
    return Fail(e.what());
  }
  SystemClock system;
  if (auto m = storage::Migrate(*to, system.now()); !m.ok()) return Fail(m.error().message);
  if (storage::CurrentSchemaVersion(*to) != storage::CurrentSchemaVersion(*rt.db)) {
    return Fail("the two databases are at different schema versions");
  }
  Status copied = storage::CopyDatabase(*rt.db, *to, [](const std::string& table, std::int64_t n) {
    std::printf("%-28s %12lld rows\n", table.c_str(), static_cast<long long>(n));
    std::fflush(stdout);
  });
  if (!copied.ok()) return Fail(copied.error().message);
  std::printf("copied; serve with --db %s\n", o.copy_to.c_str());
  return 0;
}

// Reports (and with --repair mends) disagreements between the database and the blob store.
int Fsck(const Options& o) {
  auto built = Build(o, false);
  if (!built.ok()) return Fail(built.error().message);
  json::object report = built->attachments->Fsck(o.repair);
  std::printf("%s\n", ToJson(report).c_str());
  return report.at("clean").as_bool() || o.repair ? 0 : 1;
}

int Tick(const Options& o) {
  auto built = Build(o, false);
  if (!built.ok()) return Fail(built.error().message);
  Runtime& rt = built.value();
  std::optional<Timestamp> until = ParseRfc3339(o.until);
  if (!until) {
    auto d = ParseDate(o.until);
    if (!d) return Fail("--until must be YYYY-MM-DD or an RFC 3339 timestamp");
    until = rt.zone.At(*d, std::chrono::hours(24) - std::chrono::minutes(1));
  }
  ManualClock clock(rt.clock->now());
  auto runs = rt.scheduler->RunDue(*until, &clock);
  for (const auto& r : runs) {
    std::printf("%s %s %s\n", FormatDate(r.date).c_str(), r.job.c_str(), r.ok ? "ok" : "FAILED");
  }
  std::printf("%zu job runs up to %s\n", runs.size(), FormatRfc3339(*until, rt.zone).c_str());
  for (const auto& r : runs) {
    if (!r.ok) return 1;
  }
  return 0;
}

int Routes(const Options& o) {
  auto built = Build(o, false);
  if (!built.ok()) return Fail(built.error().message);
  Runtime& rt = built.value();
  rt.config.server.access_log = "off";
  http::Api api(rt.config, http::Services{*rt.db, *rt.identity, *rt.crm, *rt.billing, *rt.notices,
                                          *rt.integrations, *rt.attachments, *rt.messaging, *rt.fax,
                                          *rt.scheduler, *rt.clock, nullptr});
  json::array list;
  for (const auto& r : api.router().routes()) {
    const char* access = r->access == http::Access::kPublic       ? "public"
                         : r->access == http::Access::kOperator   ? "operator"
                         : r->access == http::Access::kTenantUser ? "tenant_user"
                                                                  : "tenant";
    list.push_back(json::object{{"method", r->method},
                                {"path", r->pattern},
                                {"access", access},
                                {"body", r->raw_body ? "file" : "json"}});
  }
  if (o.json) {
    std::printf("%s\n", ToJson(list).c_str());
  } else {
    for (const auto& r : list) {
      std::printf("%-7s %-50s %s\n", r.at("method").as_string().c_str(),
                  r.at("path").as_string().c_str(), r.at("access").as_string().c_str());
    }
  }
  return 0;
}

}  // namespace
}  // namespace kelu

int main(int argc, char** argv) {
  using namespace kelu;
  Options o;
  CLI::App app{"Kelu (客录): a hosted multi-tenant CRM service", "kelu"};
  app.require_subcommand(1);
  app.add_option("--config", o.config_path, "configuration file (default: none; KELU_CONFIG)");
  app.add_option("--db", o.db_url, "sqlite:PATH (default sqlite:data/kelu.db) or postgresql://…");

  auto* serve = app.add_subcommand("serve", "serve the web app and the JSON API");
  serve->add_option("--listen", o.listen, "HOST:PORT (default from config, 127.0.0.1:8080)");
  serve->add_flag("--test-clock", o.test_clock,
                  "run on a test clock that operators move with POST /api/v1/operator/clock");
  serve
      ->add_option("--test-clock-start", o.clock_start,
                   "where a new test clock starts (RFC 3339; default: now); a test clock the "
                   "database has already moved resumes where it was")
      ->needs("--test-clock");
  auto* migrate = app.add_subcommand("migrate", "bring the database schema up to date");
  auto* demo = app.add_subcommand("demo", "create the demo operator and tenant; print logins");
  demo->add_flag("--json", o.json, "print the logins as JSON");
  demo->add_option("--now", o.clock_start,
                   "create the demo data as of this instant (RFC 3339; default: now), e.g. the "
                   "start of a test clock");
  auto* tick = app.add_subcommand("tick", "run the daily jobs of every day up to a date");
  tick->add_option("--until", o.until, "YYYY-MM-DD or an RFC 3339 timestamp")->required();
  auto* copy = app.add_subcommand(
      "copy-db", "copy every row of --db into another, empty database (SQLite to PostgreSQL)");
  copy->add_option("--to", o.copy_to, "the destination: postgresql://… or sqlite:PATH")->required();
  auto* fsck = app.add_subcommand(
      "fsck", "check attachments against the blob store and the usage counters (JSON report)");
  fsck->add_flag("--repair", o.repair,
                 "delete orphan blobs and stale temporary files, recompute counters, drop rows "
                 "whose blob is missing");
  auto* reset_mfa = app.add_subcommand(
      "reset-operator-mfa",
      "remove an operator's two-step sign-in (a lost phone): their sessions end, and they enrol "
      "a new authenticator at their next sign-in");
  reset_mfa->add_option("--email", o.email, "the operator's email")->required();
  auto* version = app.add_subcommand("version", "print the version");
  auto* routes = app.add_subcommand("routes", "list every HTTP route");
  routes->add_flag("--json", o.json, "as JSON");
  // Global options are accepted after the subcommand too.
  for (auto* sub : {serve, migrate, demo, tick, routes, copy, fsck, reset_mfa}) sub->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*version) {
    std::printf("kelu %s\n", KELU_VERSION);
    return 0;
  }
  // No command ends on an uncaught exception (an abort and a core dump): whatever escapes is
  // said in one line, and the exit status says it failed.
  try {
    if (*serve) return Serve(o);
    if (*migrate) return Migrate(o);
    if (*demo) return Demo(o);
    if (*tick) return Tick(o);
    if (*copy) return CopyDb(o);
    if (*fsck) return Fsck(o);
    if (*routes) return Routes(o);
    if (*reset_mfa) return ResetOperatorMfa(o);
  } catch (const storage::DatabaseUnavailable& e) {
    return Fail(std::string("the database is unavailable (a full disk?): ") + e.what());
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
  return 0;
}
