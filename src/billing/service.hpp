// Start here for the contract engine: the price list, sign-up, orders and their acceptance,
// payment confirmation, invoices and the ledger, activation (automatic or a queue with
// working-day deadlines), seats, storage blocks and point lots, the tenant lifecycle run daily
// on the injected clock, and the notice register. The rules themselves are pure
// (rules.hpp, pricing.hpp); this class reads and writes them. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "billing/pricing.hpp"
#include "billing/rules.hpp"
#include "core/calendar.hpp"
#include "core/config.hpp"
#include "core/json.hpp"
#include "identity/service.hpp"
#include "storage/database.hpp"

namespace kelu::billing {

using identity::Page;
using identity::Principal;
using identity::RequestMeta;

class BillingService {
 public:
  BillingService(storage::Database& db, identity::IdentityService& identity, const Config& config,
                 Zone zone, std::shared_ptr<WorkCalendar> calendar);

  // At start: publishes the shipped price list as version 1 when there is none, and loads the
  // calendar years the operator added.
  Status Start(Timestamp now);

  // Gives a tenant made outside sign-up (the demo, operator-created ones) a term on `plan`
  // starting today, when it has none; answers its expiry.
  Result<std::string> EnsureTerm(std::int64_t tenant_id, std::string_view plan, int years,
                                 Timestamp now);

  // --- Price list -------------------------------------------------------------------------
  Result<json::object> CurrentPriceList();
  Result<json::object> ListPriceLists(const Principal& op, const Page& page);
  Result<json::object> PublishPriceList(const Principal& op, const json::object& body,
                                        const RequestMeta& meta);

  // --- Self-service sign-up: a company places its first order -----------------------------
  Result<json::object> SignUp(const json::object& body, const RequestMeta& meta);

  // --- The boss ---------------------------------------------------------------------------
  Result<json::object> Subscription(const Principal& who, Timestamp now);
  Result<json::object> ListOrders(const Principal& who, const Page& page);
  Result<json::object> GetOrder(const Principal& who, std::int64_t id);
  // kind: renewal, seats, storage, sms or fax.
  Result<json::object> PlaceOrder(const Principal& who, const json::object& body,
                                  const RequestMeta& meta);
  Result<json::object> AcceptOrder(const Principal& who, std::int64_t id, const RequestMeta& meta);
  Result<json::object> CancelOrder(const Principal& who, std::int64_t id, const RequestMeta& meta);
  // The printable HTML of an order (the boss's own; the operator any).
  Result<std::string> OrderDocument(const Principal& who, std::int64_t id);
  // A printable invoice: the boss's own tenant's, or any tenant's for the operator.
  Result<std::string> InvoiceDocument(const Principal& who, std::int64_t id);
  // The data-confidentiality agreement (§1, §13): its clauses with both parties, whether and
  // when the boss accepted this version, a printable page, and the acceptance.
  Result<json::object> Agreement(const Principal& who);
  Result<std::string> AgreementDocument(const Principal& who);
  Result<json::object> AcceptAgreement(const Principal& who, const RequestMeta& meta);
  Result<json::object> ReduceSeats(const Principal& who, const json::object& body,
                                   const RequestMeta& meta);
  Result<json::object> GiveNonRenewalNotice(const Principal& who, const RequestMeta& meta);
  Result<json::object> Points(const Principal& who);
  Result<json::object> Ledger(const Principal& who);
  Result<json::object> ListNotices(const Principal& who, const Page& page);
  Result<json::object> LiabilityCap(const Principal& who, std::optional<std::int64_t> tenant_id,
                                    Timestamp at);

  // --- The data export (§11, data ownership) ----------------------------------------------
  // 202: the archive is written by the export runner; "export_ready" notice when done.
  Result<json::object> RequestExport(const Principal& who, const RequestMeta& meta);
  Result<json::object> ListExports(const Principal& who);
  Result<json::object> GetExport(const Principal& who, std::int64_t id);
  struct ExportFile {
    std::string path;
    std::string filename;
  };
  // The archive of a ready export, audited; 409 export_expired after its window.
  Result<ExportFile> DownloadExport(const Principal& who, std::int64_t id, const RequestMeta& meta);
  // Writes the archive: manifest.json (counts, SHA-256 of every file), JSON and CSV (UTF-8
  // with BOM) per record type, every attachment.
  Status RunExport(std::int64_t tenant_id, std::int64_t export_id);
  std::vector<std::pair<std::int64_t, std::int64_t>> UnfinishedExports();
  void SetExportRunner(std::function<void(std::int64_t tenant_id, std::int64_t id)> runner) {
    export_runner_ = std::move(runner);
  }
  // Where the attachment store keeps a blob (for the archive), and how it forgets a tenant (for
  // the purge): set by the program, which knows the store.
  struct BlobAccess {
    std::function<std::optional<std::string>(std::int64_t tenant_id, const std::string& sha256)>
        path;
    std::function<std::int64_t(std::int64_t tenant_id)> remove_tenant;
  };
  void SetBlobAccess(BlobAccess access) { blobs_ = std::move(access); }
  Result<json::object> OperatorExports(const Principal& op, const Page& page);

  // Adds the billing metadata of the tenant `view["id"]` to an operator's view of it: term,
  // arrears day, storage quota, points (never records).
  void AddBillingMeta(json::object& view, Timestamp now);

  // --- Points (§16) --------------------------------------------------------------------------
  // Spends `points` of `kind` ("sms" or "fax") inside the caller's transaction, oldest lot
  // first: 409 points_frozen unless the tenant is active, 409 insufficient_points (nothing
  // spent) when the usable lots hold fewer. Answers the balance left.
  Result<std::int64_t> SpendPoints(storage::Connection& c, std::int64_t tenant_id,
                                   std::string_view kind, std::int64_t points,
                                   std::string_view reference, Timestamp at);
  // Holds `points` like SpendPoints (same refusals, same lots) without charging them yet: they
  // leave the balance under `reference` until SettleHeld charges or releases them.
  Result<std::int64_t> HoldPoints(storage::Connection& c, std::int64_t tenant_id,
                                  std::string_view kind, std::int64_t points,
                                  std::string_view reference, Timestamp at);
  // Of the points held under `reference`: charges `charge` (oldest lot first) and gives
  // `release` back to their lots (newest first). Asking for more than is held is a bug (throws).
  void SettleHeld(storage::Connection& c, std::int64_t tenant_id, std::string_view reference,
                  std::int64_t charge, std::int64_t release, Timestamp at);

  // --- Storage (§8) -------------------------------------------------------------------------
  // The tenant's quota in bytes (seats × 50 MiB + blocks × 100 MiB).
  Result<std::int64_t> StorageQuota(storage::Connection& c, std::int64_t tenant_id);
  // Called with the tenant's attachment usage after it grows (uploads, in their transaction):
  // the boss is notified the first time in a term usage reaches storage_warn_percent and 100 %.
  void NoteStorageUsage(storage::Connection& c, std::int64_t tenant_id, std::int64_t used_bytes,
                        Timestamp at);

  // --- The operator -----------------------------------------------------------------------
  Result<json::object> OperatorOrders(const Principal& op, const std::string& status,
                                      const Page& page);
  // Confirms the bank payment of an order: 422 amount_mismatch when it is not what is due on
  // the payment date (late interest and fees included); the invoice, the payment and the
  // ledger entries are written once; activation follows (automatic, or queued).
  Result<json::object> ConfirmPayment(const Principal& op, std::int64_t order_id,
                                      const json::object& body, const RequestMeta& meta);
  Result<json::object> ActivationQueue(const Principal& op, Timestamp now);
  Result<json::object> Activate(const Principal& op, std::int64_t activation_id,
                                const RequestMeta& meta);
  Result<json::object> ActivationSla(const Principal& op, Timestamp now);
  // Payments received per month (by the date paid), the twelve months to `now`'s, in all and
  // by what the orders bought.
  Result<json::object> Revenue(const Principal& op, Timestamp now);
  Result<json::object> TerminateForBreach(const Principal& op, std::int64_t tenant_id,
                                          const json::object& body, const RequestMeta& meta);
  Result<json::object> PurgeNow(const Principal& op, std::int64_t tenant_id,
                                const RequestMeta& meta);
  Result<json::object> TenantTimeline(const Principal& op, std::int64_t tenant_id,
                                      const Page& page);
  Result<json::object> TenantNotices(const Principal& op, std::int64_t tenant_id, const Page& page);
  // The purge queue (terminated tenants with their purge date and whether the operator may purge
  // now) and the purge reports of purged ones.
  Result<json::object> Purges(const Principal& op, Timestamp now);
  Result<json::object> Calendar(const Principal& op);
  Result<json::object> LoadCalendarYear(const Principal& op, const json::object& body,
                                        const RequestMeta& meta);

  // --- Daily job --------------------------------------------------------------------------
  // Takes every lifecycle step due by `now` (suspension, termination, forfeiting points,
  // purge), each dated at its own deadline, and sends the dated notices.
  Status RunLifecycle(Timestamp now);

 private:
  // FILES/exports/<tenant>/<export>.zip, through PathUnder.
  Result<std::string> ExportArchivePath(std::int64_t tenant_id, std::int64_t export_id) const;
  Result<std::int64_t> TakePoints(storage::Connection& c, std::int64_t tenant_id,
                                  std::string_view kind, std::int64_t points,
                                  std::string_view reference, Timestamp at, std::string_view state);
  struct Tenant;
  std::optional<Tenant> LoadTenant(storage::Connection& c, std::int64_t tenant_id);
  Result<PriceList> LoadPriceList(storage::Connection& c, std::int64_t* version);
  Status RequireBoss(const Principal& who) const;
  json::object OrderView(storage::Connection& c, const storage::Row& order);
  Result<json::object> InsertOrder(storage::Connection& c, const Tenant& t, std::string_view kind,
                                   std::int64_t price_list_version, const std::vector<Line>& lines,
                                   json::object fields, std::optional<std::int64_t> user_id,
                                   const RequestMeta& meta);
  Status ApplyActivation(storage::Connection& c, std::int64_t tenant_id, std::int64_t order_id,
                         Timestamp at, const std::string& by);
  void StepLifecycle(storage::Connection& c, const Tenant& t, const Transition& step);
  // Records an in-app notice once per dedupe key and queues the same by email to the tenant's
  // contact (`contact_email` when the caller has it at hand, else read).
  void RecordNotice(storage::Connection& c, std::int64_t tenant_id, const std::string& kind,
                    const std::string& dedupe_key, const std::string& subject,
                    const std::string& body, Timestamp at,
                    const std::string* contact_email = nullptr);
  void RecordEvent(storage::Connection& c, std::int64_t tenant_id, Timestamp at,
                   const std::string& kind, const json::object& detail);
  json::object PurgeData(storage::Connection& c, std::int64_t tenant_id);
  std::string Format(Timestamp t) const { return FormatRfc3339(t, zone_); }

  storage::Database& db_;
  identity::IdentityService& identity_;
  TermsConfig terms_;
  OperatorConfig provider_;
  Zone zone_;
  std::shared_ptr<WorkCalendar> calendar_;
  std::string files_dir_;
  std::function<void(std::int64_t, std::int64_t)> export_runner_;
  BlobAccess blobs_;
};

}  // namespace kelu::billing
