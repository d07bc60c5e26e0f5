// Shared pieces of the CrmService implementation files. Not a public interface.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crm/custom_fields.hpp"
#include "crm/service.hpp"

namespace kelu::crm::internal {

// What the caller may see: everything, or customers owned by themselves and by the users of
// some departments.
struct Visibility {
  bool all = false;
  std::int64_t tenant_id = 0;
  std::int64_t user_id = 0;
  std::vector<std::int64_t> departments;
};

Visibility VisibilityOf(storage::Connection& c, identity::IdentityService& ids,
                        const Principal& who);

// An SQL condition limiting customers (aliased `alias`) to the visible ones; its parameters
// are appended to `params`.
std::string OwnerCondition(const Visibility& v, const std::string& alias, storage::Params& params);

// The customers (not deleted) with a contact point of a kind and value, but one: the duplicate
// check by phone and by email. Parameters: tenant, kind, value, the customer to leave out.
// The customer is checked in a subquery, not joined: given a join, PostgreSQL planning the
// prepared statement before its tables have statistics (a new database's first import) may
// walk every customer of the tenant and probe each one's contact points, and keep that plan
// while the tables grow.
inline constexpr const char* kContactPointMatchSql =
    "SELECT DISTINCT p.customer_id FROM contact_points p WHERE p.tenant_id = ? AND p.kind = ? "
    "AND p.value = ? AND p.customer_id <> ? AND (SELECT cu.deleted_at IS NULL FROM customers cu "
    "WHERE cu.tenant_id = p.tenant_id AND cu.customer_id = p.customer_id) "
    "ORDER BY p.customer_id LIMIT 5";

// A customer as the views read it: SELECT kCustomerColumns FROM kCustomerFrom WHERE … (the
// customer is `cu`, its owner `ou`, joined rather than looked up per row by a subquery).
inline constexpr const char* kCustomerColumns =
    "cu.customer_id, cu.kind, cu.name, cu.short_name, cu.industry, cu.source, cu.level, "
    "cu.status, cu.province, cu.city, cu.address, cu.phones, cu.website, cu.tags, cu.owner_id, "
    "cu.department_id, cu.pool_id, cu.last_follow_up_at, cu.next_follow_up_at, cu.notes, "
    "cu.created_by, cu.created_at, cu.updated_by, cu.updated_at, cu.owned_since, "
    "cu.last_owner_id, cu.returned_at, ou.name, cu.custom";
inline constexpr const char* kCustomerFrom =
    "customers cu LEFT JOIN users ou ON ou.tenant_id = cu.tenant_id AND ou.user_id = cu.owner_id";
enum CustomerCol {
  kCId,
  kCKind,
  kCName,
  kCShort,
  kCIndustry,
  kCSource,
  kCLevel,
  kCStatus,
  kCProvince,
  kCCity,
  kCAddress,
  kCPhones,
  kCWebsite,
  kCTags,
  kCOwner,
  kCDept,
  kCPool,
  kCLastFollow,
  kCNextFollow,
  kCNotes,
  kCCreatedBy,
  kCCreatedAt,
  kCUpdatedBy,
  kCUpdatedAt,
  kCOwnedSince,
  kCLastOwner,
  kCReturnedAt,
  kCOwnerName,
  kCCustom
};

// The customer `id` if the caller may see it (owned within scope, or in a pool when
// `pool_readable`), else nullopt. Deleted customers are never found.
std::optional<storage::Row> FindCustomer(storage::Connection& c, const Visibility& v,
                                         std::int64_t id, bool pool_readable);

// Appends a timeline event for a customer.
void RecordEvent(storage::Connection& c, std::int64_t tenant_id, std::int64_t customer_id,
                 Timestamp at, std::optional<std::int64_t> actor, const std::string& kind,
                 const json::object& data);

// Whether a record's contact points may exist already: a record just created has none, so
// there is nothing to delete first.
enum class PointsOf { kExistingRecord, kNewRecord };

// Replaces the normalised phones and emails of a customer (contact_id nullopt) or of one of
// its contacts.
void IndexContactPoints(storage::Connection& c, std::int64_t tenant_id, std::int64_t customer_id,
                        std::optional<std::int64_t> contact_id,
                        const std::vector<std::string>& phones,
                        const std::vector<std::string>& emails, PointsOf record);

// Rebuilds the search documents of a customer and its contacts (none when it is deleted).
void ReindexCustomer(storage::Connection& c, std::int64_t tenant_id, std::int64_t customer_id);
// The same for many customers at once (cheaper than one by one: see search.cpp).
void ReindexCustomers(storage::Connection& c, std::int64_t tenant_id,
                      const std::vector<std::int64_t>& customer_ids);

// Adds the search documents of contacts just created (ReindexCustomer redoes them all).
void IndexNewContacts(storage::Connection& c, std::int64_t tenant_id,
                      const std::vector<std::int64_t>& contact_ids);

// SQLite's trigram index (migration 0026): the tenant's mark, as the view search_fts_source
// spells it, and the FTS5 query for documents of the tenant whose text contains `text`.
std::string TrigramTenantMark(std::int64_t tenant_id);
std::string TrigramQuery(std::int64_t tenant_id, std::string_view text);

// The records of a list (customers; or contacts) some of whose search documents (for a
// customer: its own, its contacts') contain q's text or, when q reads as a phone number, its
// digits: a superset of the records the list's q matches (ListQueryCondition), read from the
// search indexes instead of every name, email and phone of the tenant. nullopt when the indexes
// cannot answer for q (fewer than 2 characters — 3 and no space for contacts, whose emails they
// hold otherwise — or letters whose case only PostgreSQL's ILIKE folds) or when more than `cap`
// documents match: for so common a text the list's own walk, which stops after a page, is the
// faster.
enum class ListOf { kCustomers, kContacts };
std::optional<std::vector<std::int64_t>> RecordsPossiblyMatching(storage::Connection& c,
                                                                 std::int64_t tenant_id,
                                                                 ListOf list, std::string_view q,
                                                                 int cap);
inline constexpr int kListCandidateCap = 2000;

// The tenant's custom fields of `entity` (customer, contact or opportunity), in order.
std::vector<CustomField> LoadFields(storage::Connection& c, std::int64_t tenant_id,
                                    const std::string& entity);

// Applies the body's "custom" object to the stored JSON text `stored`; the JSON text to store.
// `known`: the entity's fields when the caller has them already (else they are read).
Result<std::string> CustomFromBody(storage::Connection& c, std::int64_t tenant_id,
                                   const std::string& entity, const json::object& body,
                                   const std::string& stored, bool creating,
                                   const std::vector<CustomField>* known = nullptr);

// What the records one import creates share: the import's id, and the tenant's CRM settings
// and custom fields as read once when the run started, instead of again for every row.
struct ImportContext {
  std::int64_t id = 0;
  CrmSettings settings;
  std::map<std::string, std::vector<CustomField>> fields_by_entity;  // customer, contact
  // Read again for each batch (each is a transaction of its own): the importer's data scope,
  // and the tenant's active users with their departments.
  Visibility visibility;
  std::unordered_map<std::int64_t, std::optional<std::int64_t>> active_users;

  const std::vector<CustomField>* FieldsOf(const std::string& entity) const {
    auto it = fields_by_entity.find(entity);
    return it == fields_by_entity.end() ? nullptr : &it->second;
  }
};

// An SQL expression reading custom field `f` of the record aliased `alias`.
std::string CustomExpr(storage::Dialect d, const std::string& alias, const CustomField& f);

// A condition "custom field `f` is `value`" (for multi_select: contains `value`), with its
// parameter appended; an Error when `value` does not fit the field.
Result<std::string> CustomCondition(storage::Dialect d, const std::string& alias,
                                    const CustomField& f, const std::string& value,
                                    storage::Params& params);

// The customer list's statements for these filters and this page: the page (ids, owners and
// row versions, in the list's order; its last parameter the limit) and the total. Fails with
// the filter's field error. Reads the custom fields and the cursor's anchor row when needed.
struct CustomerListQuery {
  std::string page_sql;
  storage::Params page_params;
  std::string count_sql;
  storage::Params count_params;
  // A text match (q), whose best plan depends on the tenant's size: run with
  // QueryPlannedEachCall.
  bool plan_each_call = false;
};
// q takes its candidates from the search indexes (RecordsPossiblyMatching, up to
// `candidate_cap` documents; 0 walks the list instead, as for a common text).
Result<CustomerListQuery> CustomerListQueryFor(storage::Connection& c, const Principal& who,
                                               const Visibility& v, const Filters& filters,
                                               const Page& page,
                                               int candidate_cap = kListCandidateCap);

// The contact list's statement for these filters and this page (kContactColumns, newest
// first; its last parameter the limit); q as for CustomerListQueryFor.
struct ContactListQuery {
  std::string sql;
  storage::Params params;
};
Result<ContactListQuery> ContactListQueryFor(storage::Connection& c, const Principal& who,
                                             const Visibility& v, const Filters& filters,
                                             const Page& page,
                                             int candidate_cap = kListCandidateCap);

// "%q%" for `LIKE ? ESCAPE '\'`, with the % _ and \ of q escaped.
std::string LikePattern(std::string_view q);

// The condition of the customer and contact lists' q, its parameters appended to `params`: one
// of `text_columns` contains q (Latin letters in either case on both databases: SQLite's LIKE
// ignores their case, PostgreSQL's ILIKE is used), or, when q reads as a phone number of 3
// digits or more (PhoneDigitsOf), the record (`record_column`, the contact points'
// `point_column`) has a phone number containing q's digits, however either was typed. The phones
// are read once into a set; or, given `record_points` (the condition naming the record's contact
// points `p` by their key), looked up per record, for a few candidates by id.
std::string ListQueryCondition(storage::Dialect d, std::int64_t tenant_id, std::string_view q,
                               std::initializer_list<const char*> text_columns,
                               const char* record_column, const char* point_column,
                               storage::Params& params, const char* record_points = nullptr);

// The condition of a list's q (ListQueryCondition) over candidates from the search indexes when
// they can give them (RecordsPossiblyMatching, up to `cap` documents; 0: never), else over the
// tenant's records. `record_points` as for ListQueryCondition.
std::string ListQueryConditionFor(storage::Connection& c, ListOf list, std::int64_t tenant_id,
                                  std::string_view q,
                                  std::initializer_list<const char*> text_columns,
                                  const char* record_column, const char* point_column,
                                  const char* record_points, storage::Params& params, int cap);

// The condition "`column` is one of `ids`", the list passed as one parameter (appended to
// `params`): the statement's text is the same for any number of ids, so it is prepared once.
std::string IdIn(storage::Dialect d, const std::string& column,
                 const std::vector<std::int64_t>& ids, storage::Params& params);

// A JSON array of strings from stored JSON text ([] when malformed).
json::array JsonArray(const std::string& text);

// A column of an import or export file: the field, its header when exporting, and the other
// headers that suggest it when importing (Chinese and English).
struct FileColumn {
  const char* field;
  const char* label;
  std::vector<const char*> aliases;
};
// The columns of a customer file, in export order.
const std::vector<FileColumn>& CustomerFileColumns();

// Follow-up types: the stored code ("call") and its label (电话), both ways; FollowUpTypeFromText
// accepts either, nullopt when neither.
std::string FollowUpTypeLabel(std::string_view code);
std::optional<std::string> FollowUpTypeFromText(std::string_view text);

using identity::CursorBefore;
using identity::PageOfRows;

Error Forbidden();

}  // namespace kelu::crm::internal
