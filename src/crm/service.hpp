// Start here for the CRM: customers, contacts, follow-ups, tasks and reminders, the customer
// pool (公海), duplicate checks (查重), the customer timeline and the recycle bin. Every method
// takes the caller and answers only within the caller's tenant and data scope: a record outside
// them is 404, as if it did not exist. Writes record an audit entry and, for customers, a
// timeline event in the same transaction. Views are JSON for the HTTP layer. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "core/json_writer.hpp"
#include "core/render_cache.hpp"
#include "core/result.hpp"
#include "crm/settings.hpp"
#include "dataio/xlsx.hpp"
#include "identity/service.hpp"
#include "storage/database.hpp"

namespace kelu::crm {

using identity::Page;
using identity::Principal;
using identity::RequestMeta;

// Query-string filters of a list, by name.
using Filters = std::multimap<std::string, std::string>;

namespace internal {
struct ImportContext;
struct ImportRun;
struct ImportBatch;
struct ImportedRow;
}  // namespace internal

class CrmService {
 public:
  // `files_dir` holds uploaded import files and the error files made from them; lists keep
  // up to `render_cache_bytes` of rendered customers.
  CrmService(storage::Database& db, identity::IdentityService& identity, std::string files_dir,
             std::size_t render_cache_bytes);

  // --- Settings (boss and admin change them) ---------------------------------------------
  Result<json::object> GetSettings(const Principal& who);
  Result<json::object> PutSettings(const Principal& who, const json::object& body,
                                   const RequestMeta& meta);

  // --- Customers ----------------------------------------------------------------------------
  // What the customer list keeps rendered (for /metrics).
  RenderCache::Stats list_cache_stats() const { return customer_texts_.stats(); }
  // A page as a value, for scans through many pages (exports): it keeps nothing of what it
  // renders (see customer_texts_), so a scan does not push out what people have on screen.
  Result<json::object> ListCustomers(const Principal& who, const Filters& filters,
                                     const Page& page);
  // A page as JSON text, written without building it as a value first (the list route).
  Result<std::string> ListCustomersJson(const Principal& who, const Filters& filters,
                                        const Page& page, bool keep_texts = true);
  Result<json::object> GetCustomer(const Principal& who, std::int64_t id);
  // Answers the customer, plus "duplicates" when a warn-policy field matches another one.
  Result<json::object> CreateCustomer(const Principal& who, const json::object& body,
                                      const RequestMeta& meta);
  Result<json::object> UpdateCustomer(const Principal& who, std::int64_t id,
                                      const json::object& body, const RequestMeta& meta);
  // To the recycle bin.
  Status DeleteCustomer(const Principal& who, std::int64_t id, const RequestMeta& meta);
  // Merges customer `from_id` into `id`: its contacts, follow-ups, opportunities, tasks and
  // timeline move over, phones and tags are united, and `from_id` ceases to exist.
  Result<json::object> MergeCustomers(const Principal& who, std::int64_t id,
                                      const json::object& body, const RequestMeta& meta);
  // 查重: does a customer with this name, phone or email exist, and is it owned or in a pool?
  Result<json::object> CheckDuplicates(const Principal& who, const Filters& query);
  // One search over customers and contacts (names, phone digits, emails) within the caller's
  // scope, best matches first: exact, then prefix, then anywhere.
  Result<json::object> Search(const Principal& who, const Filters& query);
  Result<json::object> Timeline(const Principal& who, std::int64_t id, const Page& page);

  // The customer a record belongs to (a customer is its own) when the caller may see the
  // record; 404 otherwise. entity: customer, contact, follow_up or opportunity.
  Result<std::int64_t> VisibleRecordCustomer(const Principal& who, std::string_view entity,
                                             std::int64_t id);
  // Appends an event to a customer's timeline inside the caller's transaction.
  static void AddTimelineEvent(storage::Connection& c, std::int64_t tenant_id,
                               std::int64_t customer_id, Timestamp at,
                               std::optional<std::int64_t> actor, const std::string& kind,
                               const json::object& data);

  // --- Contacts -------------------------------------------------------------------------------
  Result<json::object> ListContacts(const Principal& who, const Filters& filters, const Page& page);
  Result<json::object> GetContact(const Principal& who, std::int64_t id);
  Result<json::object> CreateContact(const Principal& who, const json::object& body,
                                     const RequestMeta& meta);
  Result<json::object> UpdateContact(const Principal& who, std::int64_t id,
                                     const json::object& body, const RequestMeta& meta);
  Status DeleteContact(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- Follow-ups -------------------------------------------------------------------------------
  Result<json::object> ListFollowUps(const Principal& who, const Filters& filters,
                                     const Page& page);
  // Updates the customer's last and next follow-up times; a next time makes a reminder task
  // for the customer's owner.
  Result<json::object> CreateFollowUp(const Principal& who, const json::object& body,
                                      const RequestMeta& meta);
  Status DeleteFollowUp(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- Tasks and reminders -------------------------------------------------------------------
  // view: "today", "overdue", "open" (default) or "done"; the caller's own tasks unless the
  // caller sees all and asks for assignee_id.
  Result<json::object> ListTasks(const Principal& who, const Filters& filters, const Page& page,
                                 Timestamp now);
  Result<json::object> CreateTask(const Principal& who, const json::object& body,
                                  const RequestMeta& meta);
  Result<json::object> UpdateTask(const Principal& who, std::int64_t id, const json::object& body,
                                  const RequestMeta& meta);
  Status DeleteTask(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- Pools -------------------------------------------------------------------------------------
  Result<json::object> ListPools(const Principal& who);
  Result<json::object> CreatePool(const Principal& who, const json::object& body,
                                  const RequestMeta& meta);
  Result<json::object> PoolCustomers(const Principal& who, std::int64_t pool_id, const Page& page);
  Result<json::object> Claim(const Principal& who, std::int64_t customer_id,
                             const RequestMeta& meta);
  Result<json::object> Return(const Principal& who, std::int64_t customer_id,
                              const json::object& body, const RequestMeta& meta);
  // A manager (scope beyond self) gives a customer to a user.
  Result<json::object> Assign(const Principal& who, std::int64_t customer_id,
                              const json::object& body, const RequestMeta& meta);

  // --- Pipelines and opportunities ----------------------------------------------------------
  // The tenant's pipelines with their stages; a default one is made on first use.
  Result<json::object> ListPipelines(const Principal& who, Timestamp now);
  Result<json::object> CreatePipeline(const Principal& who, const json::object& body,
                                      const RequestMeta& meta);
  // Renames and replaces the stages (kept by id, new without); a stage in use cannot go.
  Result<json::object> UpdatePipeline(const Principal& who, std::int64_t id,
                                      const json::object& body, const RequestMeta& meta);
  Result<json::object> ListOpportunities(const Principal& who, const Filters& filters,
                                         const Page& page);
  Result<json::object> GetOpportunity(const Principal& who, std::int64_t id);
  Result<json::object> CreateOpportunity(const Principal& who, const json::object& body,
                                         const RequestMeta& meta);
  // Moves stages, wins or loses (with a reason), reopens; each change is kept.
  Result<json::object> UpdateOpportunity(const Principal& who, std::int64_t id,
                                         const json::object& body, const RequestMeta& meta);
  Status DeleteOpportunity(const Principal& who, std::int64_t id, const RequestMeta& meta);
  Result<json::object> OpportunityHistory(const Principal& who, std::int64_t id);

  // --- Saved views (each user their own) and the dashboard -------------------------------------
  Result<json::object> ListSavedViews(const Principal& who);
  Result<json::object> CreateSavedView(const Principal& who, const json::object& body,
                                       const RequestMeta& meta);
  Status DeleteSavedView(const Principal& who, std::int64_t id, const RequestMeta& meta);
  // Figures within the caller's scope: the funnel of a pipeline, new customers and follow-ups
  // per user per week (8 weeks), won amount per month (12 months), overdue follow-ups.
  Result<json::object> Dashboard(const Principal& who, const Filters& filters, Timestamp now);

  // --- Import and export of customers (with their primary contact) ------------------------------
  // Stores an uploaded CSV (UTF-8, UTF-8 with BOM or GB18030) and suggests a column mapping.
  Result<json::object> UploadImport(const Principal& who, const Filters& query,
                                    const std::string& bytes, const RequestMeta& meta);
  Result<json::object> GetImport(const Principal& who, std::int64_t id);
  Result<json::object> ListImports(const Principal& who, const Page& page);
  // Validates every row with the mapping (body: {"mapping": {header: field}}) and writes nothing.
  Result<json::object> DryRunImport(const Principal& who, std::int64_t id, const json::object& body,
                                    const RequestMeta& meta);
  // Creates the valid rows; bad rows go to the error file. Committing twice answers the first
  // commit's report.
  Result<json::object> CommitImport(const Principal& who, std::int64_t id, const json::object& body,
                                    const RequestMeta& meta);
  // Runs a started dry run or commit to its end, batch by batch, or until `stopping`; a commit
  // stopped midway resumes from its last batch when run again. Called by the runner.
  Status RunImportJob(std::int64_t tenant_id, std::int64_t id, const std::atomic<bool>& stopping);
  // Long imports (more than `inline_rows` rows) are handed to `runner` (tenant, import id),
  // which calls RunImportJob later; without a runner every import runs within the request.
  void SetImportRunner(std::function<void(std::int64_t, std::int64_t)> runner, int inline_rows);
  // What an uploaded XLSX may unpack to (Excel's limits and a 100× ratio unless set).
  void SetSpreadsheetLimits(const dataio::SpreadsheetLimits& limits) { spreadsheet_ = limits; }
  // Dry runs and commits that were running when the process stopped: (tenant, import id).
  std::vector<std::pair<std::int64_t, std::int64_t>> UnfinishedImports();
  // Moves what the import created to the recycle bin.
  Result<json::object> RevertImport(const Principal& who, std::int64_t id, const RequestMeta& meta);
  // The rows that failed, as CSV (UTF-8 with BOM) with an error column.
  Result<std::string> ImportErrors(const Principal& who, std::int64_t id);
  // The customer list (with its filters) as CSV (UTF-8 with BOM, formula cells neutralised)
  // or XLSX (text cells); either imports back without loss. Boss and admin by default.
  struct ExportFile {
    std::string body;
    std::string content_type;
    std::string extension;  // "csv" or "xlsx"
  };
  Result<ExportFile> ExportCustomers(const Principal& who, const Filters& filters,
                                     const RequestMeta& meta);
  // Contacts, opportunities or follow-ups ("contacts", "opportunities", "follow_ups") with the
  // list's filters, as CSV or XLSX like ExportCustomers.
  Result<ExportFile> ExportList(const Principal& who, std::string_view entity,
                                const Filters& filters, const RequestMeta& meta);

  // --- Custom fields (boss and admin define them) ---------------------------------------------
  Result<json::object> ListCustomFields(const Principal& who, const Filters& filters);
  Result<json::object> CreateCustomField(const Principal& who, const json::object& body,
                                         const RequestMeta& meta);
  Result<json::object> UpdateCustomField(const Principal& who, std::int64_t id,
                                         const json::object& body, const RequestMeta& meta);
  // Removes the field and its values from every record.
  Status DeleteCustomField(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- Recycle bin (boss and admin)
  // ---------------------------------------------------------------
  Result<json::object> RecycleBin(const Principal& who, const Page& page);
  Result<json::object> Restore(const Principal& who, std::string_view type, std::int64_t id,
                               const RequestMeta& meta);

  // --- Daily jobs
  // --------------------------------------------------------------------------------- Warns owners
  // and returns customers to their pool per the pool rules, for every tenant.
  Status RunPoolJob(Timestamp now);
  // Deletes for good what has been in the recycle bin for more than 30 days.
  Status PurgeRecycleBin(Timestamp now);

  static constexpr int kRecycleDays = 30;

 private:
  CrmSettings LoadSettings(storage::Connection& c, std::int64_t tenant_id);
  // The bodies of CreateCustomer and CreateContact inside a caller's transaction; imports
  // pass their context, whose id replaces the per-record audit entry with the import's own and
  // leaves the search index to the import (it indexes a whole batch at once), and whose
  // settings and custom fields are used instead of reading them again.
  Result<json::object> CreateCustomerIn(storage::Connection& c, const Principal& who,
                                        const json::object& body, const RequestMeta& meta,
                                        const internal::ImportContext* import);
  // Writes `rows` (a header first) as the export `format`, audited as `entity`.export.
  Result<ExportFile> RenderExport(const Principal& who, const std::string& entity,
                                  std::vector<std::vector<std::string>> rows,
                                  const std::string& format, const json::object& filters,
                                  const RequestMeta& meta);
  // --- Imports (imports.cpp) ---
  using ImportLine = std::pair<std::int64_t, std::vector<std::string>>;  // line, cells
  // Checks `mapping` against the file's header and the entity's fields; what a run needs.
  Result<internal::ImportRun> PrepareImport(storage::Connection& c, const Principal& who,
                                            std::int64_t id, const std::string& entity,
                                            const json::object& mapping);
  // Starts a dry run or a commit: within the request for short files, else on the runner.
  Result<json::object> StartImport(const Principal& who, std::int64_t id, const json::object& body,
                                   const RequestMeta& meta, bool dry_run);
  // Creates each row of a batch in its own savepoint inside `c`.
  internal::ImportBatch ProcessImportBatch(storage::Connection& c, internal::ImportRun& run,
                                           const Principal& who, const RequestMeta& meta,
                                           const std::vector<ImportLine>& rows);
  Result<internal::ImportedRow> ImportCustomerRow(storage::Connection& c, internal::ImportRun& run,
                                                  internal::ImportBatch& batch,
                                                  const Principal& who, const RequestMeta& meta,
                                                  const std::map<std::string, std::string>& cells,
                                                  std::int64_t line);
  Result<internal::ImportedRow> ImportContactRow(storage::Connection& c,
                                                 const internal::ImportRun& run,
                                                 const Principal& who, const RequestMeta& meta,
                                                 const std::map<std::string, std::string>& cells);
  Result<internal::ImportedRow> ImportFollowUpRow(storage::Connection& c,
                                                  const internal::ImportRun& run,
                                                  const Principal& who, const RequestMeta& meta,
                                                  const std::map<std::string, std::string>& cells);
  // Whether a new contact's customer is one the same transaction just created (by the same
  // principal), which spares looking it up and its other contacts.
  enum class CustomerOfContact { kExisting, kJustCreated };
  Result<json::object> CreateContactIn(storage::Connection& c, const Principal& who,
                                       const json::object& body, const RequestMeta& meta,
                                       const internal::ImportContext* import,
                                       CustomerOfContact customer = CustomerOfContact::kExisting);
  Result<json::object> CreateFollowUpIn(storage::Connection& c, const Principal& who,
                                        const json::object& body, const RequestMeta& meta,
                                        const internal::ImportContext* import);
  json::object CustomerView(const storage::Row& r) const;
  void WriteCustomer(JsonWriter& w, const storage::Row& r) const;
  void WriteCustomerBeforeOwner(JsonWriter& w, const storage::Row& r) const;
  void WriteCustomerAfterOwner(JsonWriter& w, const storage::Row& r) const;
  // A customer's view as the list keeps it: the offset of the owner's place (4 bytes), then
  // the view's JSON without the owner's value (the owner is another table's row).
  std::string CustomerTemplate(const storage::Row& r) const;
  json::object ContactView(const storage::Row& r) const;
  json::object FollowUpView(const storage::Row& r) const;
  json::object TaskView(const storage::Row& r) const;
  json::object OpportunityView(const storage::Row& r) const;
  std::string Format(std::int64_t micros) const;
  json::value OptTime(const storage::Row& r, std::size_t i) const;

  storage::Database& db_;
  identity::IdentityService& identity_;
  std::string files_dir_;
  std::function<void(std::int64_t, std::int64_t)> import_runner_;
  // Customers' views by row version, for lists (see ListCustomersJson).
  RenderCache customer_texts_;
  int import_inline_rows_ = 0;
  dataio::SpreadsheetLimits spreadsheet_;
};

}  // namespace kelu::crm
