// CrmService: customers, 查重 and duplicate policies.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "core/json_writer.hpp"
#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "crm/normalize.hpp"
#include "identity/audit.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace {

struct CustomerInput {
  std::optional<std::string> kind, name, short_name, industry, source, level, status, province,
      city, address, website, notes;
  std::optional<std::vector<std::string>> phones, tags;
  bool owner_present = false;
  std::optional<std::int64_t> owner_id;
  bool pool_present = false;
  std::optional<std::int64_t> pool_id;
};

std::optional<std::vector<std::string>> StringList(Fields& f, const json::object& body,
                                                   const char* key, std::size_t max_items,
                                                   std::size_t max_len) {
  auto it = body.find(key);
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_array() || it->value().get_array().size() > max_items) {
    f.Fail(key, fmt::format("must be a list of at most {} strings", max_items));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& v : it->value().get_array()) {
    if (!v.is_string()) {
      f.Fail(key, "every entry must be a string");
      return std::nullopt;
    }
    std::string s(v.get_string());
    auto len = Utf8Length(s);
    if (!len || *len == 0 || *len > max_len) {
      f.Fail(key, fmt::format("every entry must have 1 to {} characters", max_len));
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

void OneOfList(Fields& f, const char* key, const std::optional<std::string>& value,
               const std::vector<std::string>& allowed) {
  if (!value || value->empty()) return;
  if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    f.Fail(key, "must be one of: " + list);
  }
}

Result<CustomerInput> ReadCustomer(const json::object& body, const CrmSettings& s, bool creating) {
  Fields f(body);
  f.OnlyKeys({"kind", "name", "short_name", "industry", "source", "level", "status", "province",
              "city", "address", "phones", "website", "tags", "owner_id", "pool_id", "notes",
              "custom"});
  CustomerInput in;
  in.kind = f.Enum("kind", false, {"company", "person"});
  in.name = f.String("name", creating, 1, 200);
  in.short_name = f.String("short_name", false, 0, 60);
  in.industry = f.String("industry", false, 0, 60);
  in.source = f.String("source", false, 0, 60);
  in.level = f.String("level", false, 0, 60);
  in.status = f.String("status", false, 0, 60);
  in.province = f.String("province", false, 0, 30);
  in.city = f.String("city", false, 0, 30);
  in.address = f.String("address", false, 0, 300);
  in.website = f.String("website", false, 0, 300);
  in.notes = f.String("notes", false, 0, 5000);
  in.phones = StringList(f, body, "phones", 10, 40);
  in.tags = StringList(f, body, "tags", 20, 30);
  in.owner_id = f.NullableId("owner_id", in.owner_present);
  in.pool_id = f.NullableId("pool_id", in.pool_present);
  OneOfList(f, "level", in.level, s.levels);
  OneOfList(f, "status", in.status, s.statuses);
  OneOfList(f, "source", in.source, s.sources);
  OneOfList(f, "industry", in.industry, s.industries);
  if (in.phones) {
    for (const auto& p : *in.phones) {
      auto digits = NormalizePhone(p);
      if (digits.size() < 5 || digits.size() > 20) {
        f.Fail("phones", "\"" + p + "\" is not a phone number");
        break;
      }
    }
  }
  if (in.name && NormalizeName(*in.name).empty()) f.Fail("name", "must contain letters or digits");
  if (!f.ok()) return f.ToError();
  return in;
}

json::array ToArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

struct Match {
  std::string field;
  std::int64_t customer_id;
};

std::vector<Match> FindMatches(Connection& c, std::int64_t tenant_id, const std::string& name_norm,
                               const std::vector<std::string>& phones,
                               const std::vector<std::string>& emails, std::int64_t exclude) {
  // One query per value, sent together (one round trip on PostgreSQL).
  std::vector<storage::Statement> queries;
  std::vector<const char*> fields;  // per query
  if (!name_norm.empty()) {
    queries.push_back(
        {"SELECT customer_id FROM customers WHERE tenant_id = ? AND name_norm = ? "
         "AND deleted_at IS NULL AND customer_id <> ? ORDER BY customer_id LIMIT 5",
         {V(tenant_id), V(name_norm), V(exclude)}});
    fields.push_back("name");
  }
  auto points = [&](const char* kind, const std::string& value) {
    if (value.empty()) return;
    queries.push_back(
        {internal::kContactPointMatchSql, {V(tenant_id), V(kind), V(value), V(exclude)}});
    fields.push_back(kind);
  };
  for (const auto& p : phones) points("phone", NormalizePhone(p));
  for (const auto& e : emails) points("email", NormalizeEmail(e));
  std::vector<Match> out;
  if (queries.empty()) return out;
  auto answers = c.QueryAll(queries);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    for (const auto& r : answers[i].rows) out.push_back({fields[i], r.integer(0)});
  }
  return out;
}

// How a match looks to the caller: whether it is owned (and by whom) or in a pool; the record
// itself only when the caller may see it.
json::object DescribeMatch(Connection& c, const Visibility& v, const Match& m) {
  auto row = c.QueryOne(
      "SELECT cu.owner_id, (SELECT name FROM users u WHERE u.tenant_id = cu.tenant_id AND "
      "u.user_id = cu.owner_id), cu.name, cu.pool_id FROM customers cu WHERE cu.tenant_id = ? "
      "AND cu.customer_id = ?",
      {V(v.tenant_id), V(m.customer_id)});
  json::object out{{"field", m.field}};
  bool pooled = row->is_null(0);
  out["status"] = pooled ? "pool" : "owned";
  out["owner"] = pooled
                     ? json::value(nullptr)
                     : json::value(json::object{{"id", row->integer(0)}, {"name", row->text(1)}});
  bool visible = FindCustomer(c, v, m.customer_id, true).has_value();
  out["customer"] = visible
                        ? json::value(json::object{{"id", m.customer_id}, {"name", row->text(2)}})
                        : json::value(nullptr);
  return out;
}

// Applies the tenant's duplicate policy: 409 duplicate_customer when a blocking field matches,
// else the warnings to return with the record.
Result<json::array> ApplyDuplicatePolicy(Connection& c, const Visibility& v, const CrmSettings& s,
                                         const std::vector<Match>& matches) {
  json::array warnings, blocking;
  std::set<std::pair<std::string, std::int64_t>> seen;
  for (const auto& m : matches) {
    if (!seen.insert({m.field, m.customer_id}).second) continue;
    auto policy = s.duplicates.count(m.field) ? s.duplicates.at(m.field) : DuplicatePolicy::kWarn;
    (policy == DuplicatePolicy::kBlock ? blocking : warnings).push_back(DescribeMatch(c, v, m));
  }
  if (!blocking.empty()) {
    return Error::Conflict("duplicate_customer",
                           "A customer with the same name, phone or email already exists; see "
                           "details.matches.",
                           json::object{{"matches", std::move(blocking)}});
  }
  return warnings;
}

// Sort orders of the customer list: column expression and direction.
struct SortOrder {
  const char* name;
  const char* expr;
  bool desc;
};
constexpr SortOrder kSorts[] = {
    {"-updated_at", "cu.updated_at", true},
    {"updated_at", "cu.updated_at", false},
    {"-created_at", "cu.created_at", true},
    {"created_at", "cu.created_at", false},
    {"name", "cu.name_norm", false},
    {"-name", "cu.name_norm", true},
    {"next_follow_up_at", "coalesce(cu.next_follow_up_at, 9223372036854775807)", false},
    {"-last_follow_up_at", "coalesce(cu.last_follow_up_at, 0)", true},
};

}  // namespace

namespace {

// A text column as a JSON string, without copying it first.
void TextOf(JsonWriter& w, const Row& r, std::size_t i) {
  if (const auto* s = std::get_if<std::string>(&r.value(i))) {
    w.String(*s);
  } else {
    w.String(r.text(i));
  }
}

// A column holding JSON this service wrote (an array or an object), written as it is; an
// empty or foreign value reads as the empty one.
void JsonColumn(JsonWriter& w, const Row& r, std::size_t i, char open, char close) {
  const auto* s = std::get_if<std::string>(&r.value(i));
  if (s && s->size() >= 2 && s->front() == open && s->back() == close) {
    w.Raw(*s);
  } else {
    w.Raw(open == '[' ? "[]" : "{}");
  }
}

// The row version, read after kCustomerColumns by the list.
constexpr std::size_t kCRowVersion = kCCustom + 1;

// Whether the list checks each text it kept against a fresh one (debug builds: the tests).
#ifdef NDEBUG
constexpr bool kCheckKeptTexts = false;
#else
constexpr bool kCheckKeptTexts = true;
#endif

// The owner of a customer as its views show it: null in the pool, else its id and name.
void WriteOwner(JsonWriter& w, const Row& r, std::size_t owner, std::size_t name) {
  if (r.is_null(owner)) {
    w.Null();
  } else {
    w.BeginObject().Key("id").Int(r.integer(owner)).Key("name");
    TextOf(w, r, name);
    w.EndObject();
  }
}

}  // namespace

// A customer's view is written in two parts around its owner, which is read from another table
// (users) and so is not part of a text rendered from the customer's row alone (see ListCustomers).
void CrmService::WriteCustomerBeforeOwner(JsonWriter& w, const Row& r) const {
  auto text = [&](std::string_view key, std::size_t i) {
    w.Key(key);
    TextOf(w, r, i);
  };
  auto json = [&](std::string_view key, std::size_t i, char open, char close) {
    w.Key(key);
    JsonColumn(w, r, i, open, close);
  };
  w.BeginObject();
  w.Key("id").Int(r.integer(kCId));
  text("kind", kCKind);
  text("name", kCName);
  text("short_name", kCShort);
  text("industry", kCIndustry);
  text("source", kCSource);
  text("level", kCLevel);
  text("status", kCStatus);
  text("province", kCProvince);
  text("city", kCCity);
  text("address", kCAddress);
  json("phones", kCPhones, '[', ']');
  text("website", kCWebsite);
  json("tags", kCTags, '[', ']');
  w.Key("owner");
}

void CrmService::WriteCustomerAfterOwner(JsonWriter& w, const Row& r) const {
  auto text = [&](std::string_view key, std::size_t i) {
    w.Key(key);
    TextOf(w, r, i);
  };
  auto opt_int = [&](std::string_view key, std::size_t i) {
    w.Key(key);
    r.is_null(i) ? w.Null() : w.Int(r.integer(i));
  };
  auto time = [&](std::string_view key, std::size_t i) {
    w.Key(key);
    if (r.is_null(i)) {
      w.Null();
    } else {
      char buf[kRfc3339Max];
      w.Unescaped({buf, FormatRfc3339(FromMicros(r.integer(i)), identity_.zone(), buf)});
    }
  };
  opt_int("department_id", kCDept);
  opt_int("pool_id", kCPool);
  w.Key("in_pool").Bool(r.is_null(kCOwner));
  time("last_follow_up_at", kCLastFollow);
  time("next_follow_up_at", kCNextFollow);
  text("notes", kCNotes);
  opt_int("created_by", kCCreatedBy);
  time("created_at", kCCreatedAt);
  opt_int("updated_by", kCUpdatedBy);
  time("updated_at", kCUpdatedAt);
  w.Key("custom");
  JsonColumn(w, r, kCCustom, '{', '}');
  w.EndObject();
}

void CrmService::WriteCustomer(JsonWriter& w, const Row& r) const {
  WriteCustomerBeforeOwner(w, r);
  WriteOwner(w, r, kCOwner, kCOwnerName);
  WriteCustomerAfterOwner(w, r);
}

std::string CrmService::CustomerTemplate(const Row& r) const {
  JsonWriter w;
  WriteCustomerBeforeOwner(w, r);
  auto cut = static_cast<std::uint32_t>(w.text().size());
  w.Null();  // keeps the writer's commas right; left out below
  WriteCustomerAfterOwner(w, r);
  std::string_view json = w.text();
  std::string text(sizeof cut, '\0');
  std::memcpy(text.data(), &cut, sizeof cut);
  text.append(json.substr(0, cut)).append(json.substr(cut + 4));
  return text;
}

json::object CrmService::CustomerView(const Row& r) const {
  JsonWriter w;
  WriteCustomer(w, r);
  auto view = ParseJson(w.text());
  // Only a JSON column altered outside this service could make the text unreadable.
  if (!view || !view->is_object()) {
    throw std::runtime_error("customer " + std::to_string(r.integer(kCId)) +
                             " holds malformed JSON in phones, tags or custom");
  }
  return std::move(view->get_object());
}

Result<json::object> CrmService::ListCustomers(const Principal& who, const Filters& filters,
                                               const Page& page) {
  auto text = ListCustomersJson(who, filters, page, /*keep_texts=*/false);
  if (!text.ok()) return text.error();
  return std::move(ParseJson(text.value())->get_object());
}

Result<CustomerListQuery> internal::CustomerListQueryFor(Connection& c, const Principal& who,
                                                         const Visibility& v,
                                                         const Filters& filters, const Page& page,
                                                         int candidate_cap) {
  storage::Params params{V(who.tenant_id)};
  std::string where = "cu.tenant_id = ? AND cu.deleted_at IS NULL";
  struct Sort {
    std::string expr;
    bool desc;
  } chosen{kSorts[0].expr, kSorts[0].desc};
  const Sort* sort = &chosen;
  json::object no_body;
  Fields errors(no_body);
  bool owner_filtered = false;
  bool text_matched = false;
  std::optional<std::vector<CustomField>> fields;  // read when a filter or sort names one
  auto field_named = [&](std::string_view key) -> const CustomField* {
    if (!fields) fields = LoadFields(c, who.tenant_id, "customer");
    for (const auto& f : *fields) {
      if (f.key == key) return &f;
    }
    return nullptr;
  };
  for (const auto& [key, value] : filters) {
    if (key == "sort") {
      bool found = false;
      for (const auto& s : kSorts) {
        if (value == s.name) {
          chosen = {s.expr, s.desc};
          found = true;
        }
      }
      // Custom fields sort too: cf.KEY or -cf.KEY. Missing values sort first.
      bool desc = value.starts_with("-");
      std::string_view name = std::string_view(value).substr(desc ? 1 : 0);
      if (!found && name.starts_with("cf.")) {
        if (const CustomField* f = field_named(name.substr(3))) {
          bool numeric = f->type == FieldType::kNumber || f->type == FieldType::kMoney;
          chosen = {fmt::format("coalesce({}, {})", CustomExpr(c.dialect(), "cu", *f),
                                numeric ? "-1e18" : "''"),
                    desc};
          found = true;
        }
      }
      if (!found) errors.Fail("sort", "unknown sort order");
    } else if (key.starts_with("cf.")) {
      const CustomField* f = field_named(std::string_view(key).substr(3));
      if (!f) {
        errors.Fail(key, "no such custom field");
        continue;
      }
      auto cond = CustomCondition(c.dialect(), "cu", *f, value, params);
      if (!cond.ok()) {
        errors.Fail(key, "does not fit the field");
        continue;
      }
      where += " AND " + cond.value();
    } else if (key == "owner_id") {
      owner_filtered = true;
      if (value == "me") {
        where += " AND cu.owner_id = ?";
        params.push_back(V(who.user_id));
      } else if (value == "none") {
        where += " AND cu.owner_id IS NULL";
      } else {
        where += " AND cu.owner_id = ?";
        params.push_back(V(static_cast<std::int64_t>(std::atoll(value.c_str()))));
      }
    } else if (key == "level" || key == "status" || key == "source" || key == "industry" ||
               key == "city" || key == "province" || key == "kind") {
      where += " AND cu." + key + " = ?";
      params.push_back(V(value));
    } else if (key == "pool_id") {
      where += " AND cu.pool_id = ? AND cu.owner_id IS NULL";
      params.push_back(V(static_cast<std::int64_t>(std::atoll(value.c_str()))));
    } else if (key == "tag") {
      where += " AND cu.tags LIKE ? ESCAPE '\\'";
      params.push_back(V(LikePattern(ToJson(json::value(value)))));
    } else if (key == "q") {
      where += " AND " + ListQueryConditionFor(c, ListOf::kCustomers, who.tenant_id, value,
                                               {"cu.name", "cu.short_name"}, "cu.customer_id",
                                               "customer_id", "p.customer_id = cu.customer_id",
                                               params, candidate_cap);
      text_matched = true;
    } else if (key == "created_from" || key == "created_to") {
      auto t = ParseRfc3339(value);
      if (!t) {
        errors.Fail(key, "must be an RFC 3339 timestamp");
        continue;
      }
      where += key == "created_from" ? " AND cu.created_at >= ?" : " AND cu.created_at < ?";
      params.push_back(V(ToMicros(*t)));
    } else if (key != "limit" && key != "cursor" && key != "with_total") {
      errors.Fail(key, "unknown filter");
    }
  }
  if (!errors.ok()) return errors.ToError();
  // Pool customers show in a scoped list only when asked for (owner_id=none or pool_id).
  std::string scope = OwnerCondition(v, "cu", params);
  if (owner_filtered || filters.count("pool_id")) scope = "(" + scope + " OR cu.owner_id IS NULL)";
  where += " AND " + scope;
  storage::Params count_params = params;
  std::string count_where = where;
  if (page.cursor) {
    auto anchor = c.QueryOne(fmt::format("SELECT {} FROM customers cu WHERE cu.tenant_id = ? AND "
                                         "cu.customer_id = ?",
                                         sort->expr),
                             {V(who.tenant_id), V(CursorBefore(page))});
    if (!anchor) return FieldError("cursor", "is not a cursor of this list");
    const char* cmp = sort->desc ? "<" : ">";
    where += fmt::format(" AND ({0} {1} ? OR ({0} = ? AND cu.customer_id {1} ?))", sort->expr, cmp);
    params.push_back(anchor->value(0));
    params.push_back(anchor->value(0));
    params.push_back(V(CursorBefore(page)));
  }
  params.push_back(V(page.limit));
  const char* dir = sort->desc ? "DESC" : "ASC";
  return CustomerListQuery{
      .page_sql = fmt::format("SELECT cu.customer_id, cu.owner_id, cu.row_version FROM customers "
                              "cu WHERE {} ORDER BY {} {}, cu.customer_id {} LIMIT ?",
                              where, sort->expr, dir, dir),
      .page_params = std::move(params),
      .count_sql = "SELECT count(*) FROM customers cu WHERE " + count_where,
      .count_params = std::move(count_params),
      .plan_each_call = text_matched,
  };
}

Result<std::string> CrmService::ListCustomersJson(const Principal& who, const Filters& filters,
                                                  const Page& page, bool keep_texts) {
  return db_.Read([&](Connection& c) -> Result<std::string> {
    auto query = CustomerListQueryFor(c, who, VisibilityOf(c, identity_, who), filters, page);
    if (!query.ok()) return query.error();
    // Each customer's text is kept by its row version (customer_texts_), so the page is read as
    // ids, owners and versions — from the index of the default order alone — and only the
    // customers not kept, or changed since, are read in full. Owners' names are read apart (a
    // page has few owners). A debug build also reads the kept ones in full and checks each
    // kept text against a fresh one: the tests then prove every change moved the version.
    struct Listed {
      std::int64_t id = 0;
      std::int64_t version = 0;
      std::optional<std::int64_t> owner;
      std::string text;  // CustomerTemplate, once found
    };
    std::vector<Listed> listed;
    std::vector<std::size_t> missing, kept;  // indexes into `listed`
    listed.reserve(static_cast<std::size_t>(page.limit));
    auto on_row = [&](const Row& r) {
      Listed& item = listed.emplace_back();
      item.id = r.integer(0);
      item.owner = r.opt_integer(1);
      item.version = r.integer(2);
      bool hit = customer_texts_.AppendTo(who.tenant_id, item.id, item.version, item.text);
      (hit ? kept : missing).push_back(listed.size() - 1);
    };
    const CustomerListQuery& q = query.value();
    if (q.plan_each_call) {
      for (const Row& r : c.QueryPlannedEachCall(q.page_sql, q.page_params).rows) on_row(r);
    } else {
      c.ForEach(q.page_sql, q.page_params, on_row);
    }
    // Calls `f(item, row)` with each of `which` read in full, in one statement.
    auto read_full = [&](const std::vector<std::size_t>& which, auto&& f) {
      if (which.empty()) return;
      storage::Params ids{V(who.tenant_id)};
      for (std::size_t i : which) ids.push_back(V(listed[i].id));
      c.ForEach(fmt::format("SELECT {}, cu.row_version FROM {} WHERE cu.tenant_id = ? AND "
                            "cu.customer_id IN ({})",
                            kCustomerColumns, kCustomerFrom, storage::Placeholders(which.size())),
                ids, [&](const Row& r) {
                  std::int64_t id = r.integer(kCId);
                  auto at = std::find_if(which.begin(), which.end(),
                                         [&](std::size_t i) { return listed[i].id == id; });
                  f(listed[*at], r);
                });
    };
    // The version is read again with the row: on PostgreSQL a statement sees the latest
    // commit, which may be later than the page's.
    read_full(missing, [&](Listed& item, const Row& r) {
      item.version = r.integer(kCRowVersion);
      item.owner = r.opt_integer(kCOwner);
      item.text = CustomerTemplate(r);
      if (keep_texts) customer_texts_.Put(who.tenant_id, item.id, item.version, item.text);
    });
    if (kCheckKeptTexts) {
      read_full(kept, [&](Listed& item, const Row& r) {
        if (r.integer(kCRowVersion) == item.version && CustomerTemplate(r) != item.text) {
          throw std::logic_error(fmt::format(
              "customer {} changed without moving its row_version: its kept text is stale",
              item.id));
        }
      });
    }
    // Owners, each written once.
    std::vector<std::pair<std::int64_t, std::string>> owners;
    {
      storage::Params ids{V(who.tenant_id)};
      for (const Listed& item : listed) {
        if (!item.owner || std::any_of(owners.begin(), owners.end(),
                                       [&](const auto& o) { return o.first == *item.owner; })) {
          continue;
        }
        owners.emplace_back(*item.owner, "");
        ids.push_back(V(*item.owner));
      }
      std::map<std::int64_t, std::string> names;
      if (!owners.empty()) {
        c.ForEach(fmt::format("SELECT user_id, name FROM users WHERE tenant_id = ? AND user_id "
                              "IN ({})",
                              storage::Placeholders(owners.size())),
                  ids, [&](const Row& r) { names[r.integer(0)] = r.text(1); });
      }
      for (auto& [id, json] : owners) {
        JsonWriter o;
        o.BeginObject().Key("id").Int(id).Key("name").String(names[id]).EndObject();
        json = std::move(o).Take();
      }
    }
    JsonWriter w;
    w.Reserve(static_cast<std::size_t>(page.limit) * 640);  // a customer is ~500 bytes of JSON
    w.BeginObject().Key("items").BeginArray();
    for (const Listed& item : listed) {
      if (item.text.empty()) continue;  // purged between the two statements (PostgreSQL)
      std::string_view owner = "null";
      if (item.owner) {
        owner = std::find_if(owners.begin(), owners.end(), [&](const auto& o) {
                  return o.first == *item.owner;
                })->second;
      }
      std::uint32_t cut;
      std::memcpy(&cut, item.text.data(), sizeof cut);
      std::string_view json = std::string_view(item.text).substr(sizeof cut);
      w.Raw({json.substr(0, cut), owner, json.substr(cut)});
    }
    int count = static_cast<int>(listed.size());
    std::int64_t last_id = listed.empty() ? 0 : listed.back().id;
    w.EndArray().Key("next_cursor");
    if (count >= page.limit) {
      w.String(std::to_string(last_id));
    } else {
      w.Null();
    }
    if (filters.count("with_total")) {
      w.Key("total").Int(
          q.plan_each_call
              ? c.QueryPlannedEachCall(q.count_sql, q.count_params).rows.at(0).integer(0)
              : c.QueryInt(q.count_sql, q.count_params));
    }
    w.EndObject();
    return std::move(w).Take();
  });
}

Result<json::object> CrmService::GetCustomer(const Principal& who, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindCustomer(c, v, id, true);
    if (!row) return Error::NotFound("customer");
    return CustomerView(*row);
  });
}

Result<std::int64_t> CrmService::VisibleRecordCustomer(const Principal& who,
                                                       std::string_view entity, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<std::int64_t> {
    std::int64_t customer_id = id;
    if (entity != "customer") {
      const char* table = entity == "contact"       ? "contacts"
                          : entity == "follow_up"   ? "follow_ups"
                          : entity == "opportunity" ? "opportunities"
                                                    : nullptr;
      if (!table)
        return FieldError("entity", "must be customer, contact, follow_up or opportunity");
      auto row = c.QueryOne(fmt::format("SELECT customer_id FROM {} WHERE tenant_id = ? AND {}_id "
                                        "= ? AND deleted_at IS NULL",
                                        table, entity),
                            {V(who.tenant_id), V(id)});
      if (!row) return Error::NotFound(std::string(entity));
      customer_id = row->integer(0);
    }
    Visibility v = VisibilityOf(c, identity_, who);
    if (!FindCustomer(c, v, customer_id, true)) return Error::NotFound(std::string(entity));
    return customer_id;
  });
}

void CrmService::AddTimelineEvent(Connection& c, std::int64_t tenant_id, std::int64_t customer_id,
                                  Timestamp at, std::optional<std::int64_t> actor,
                                  const std::string& kind, const json::object& data) {
  RecordEvent(c, tenant_id, customer_id, at, actor, kind, data);
}

Result<json::object> CrmService::CreateCustomer(const Principal& who, const json::object& body,
                                                const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    return CreateCustomerIn(c, who, body, meta, nullptr);
  });
}

Result<json::object> CrmService::CreateCustomerIn(Connection& c, const Principal& who,
                                                  const json::object& body, const RequestMeta& meta,
                                                  const ImportContext* import) {
  std::optional<CrmSettings> loaded;
  const CrmSettings& settings =
      import ? import->settings : loaded.emplace(LoadSettings(c, who.tenant_id));
  auto input = ReadCustomer(body, settings, true);
  if (!input.ok()) return std::move(input).error();
  CustomerInput& in = input.value();
  Visibility v = import ? import->visibility : VisibilityOf(c, identity_, who);
  // Owner: the caller by default; a manager may name another user; a pool means no owner.
  std::optional<std::int64_t> owner;
  std::optional<std::int64_t> pool;
  if (in.pool_present && in.pool_id) {
    if (c.QueryInt("SELECT count(*) FROM pools WHERE tenant_id = ? AND pool_id = ?",
                   {V(who.tenant_id), V(*in.pool_id)}) == 0) {
      return FieldError("pool_id", "no such pool");
    }
    pool = in.pool_id;
    if (in.owner_present && in.owner_id)
      return FieldError("owner_id", "a pool customer has no owner");
  } else if (in.owner_present && in.owner_id) {
    owner = in.owner_id;
  } else if (who.kind == identity::PrincipalKind::kUser) {
    owner = who.user_id;
  } else {
    return FieldError("owner_id", "required (or pool_id)");
  }
  std::optional<std::int64_t> department;
  if (owner) {
    // The owner's department, when the owner is an active user.
    std::optional<std::optional<std::int64_t>> active;
    if (import) {
      if (auto it = import->active_users.find(*owner); it != import->active_users.end())
        active = it->second;
    } else if (auto u = c.QueryOne(
                   "SELECT department_id, status FROM users WHERE tenant_id = ? AND user_id = ?",
                   {V(who.tenant_id), V(*owner)});
               u && u->text(1) == "active") {
      active = u->opt_integer(0);
    }
    if (!active) return FieldError("owner_id", "no such active user");
    if (*owner != who.user_id && !v.all &&
        std::find(v.departments.begin(), v.departments.end(), active->value_or(0)) ==
            v.departments.end()) {
      return FieldError("owner_id", "outside your data scope");
    }
    department = *active;
  }
  auto custom = CustomFromBody(c, who.tenant_id, "customer", body, "{}", true,
                               import ? import->FieldsOf("customer") : nullptr);
  if (!custom.ok()) return std::move(custom).error();
  auto matches = FindMatches(c, who.tenant_id, NormalizeName(*in.name),
                             in.phones.value_or(std::vector<std::string>{}), {}, 0);
  auto warnings = ApplyDuplicatePolicy(c, v, settings, matches);
  if (!warnings.ok()) return std::move(warnings).error();

  std::int64_t id = c.NextId();
  std::int64_t now = ToMicros(meta.now);
  std::optional<std::int64_t> actor;
  if (who.user_id) actor = who.user_id;
  c.Queue(
      "INSERT INTO customers (tenant_id, customer_id, kind, name, name_norm, short_name, "
      "industry, source, level, status, province, city, address, phones, website, tags, "
      "owner_id, department_id, pool_id, owned_since, notes, created_by, created_at, "
      "updated_by, updated_at, custom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {V(who.tenant_id),
       V(id),
       V(in.kind.value_or("company")),
       V(*in.name),
       V(NormalizeName(*in.name)),
       V(in.short_name.value_or("")),
       V(in.industry.value_or("")),
       V(in.source.value_or("")),
       V(in.level.value_or("")),
       V(in.status.value_or("")),
       V(in.province.value_or("")),
       V(in.city.value_or("")),
       V(in.address.value_or("")),
       V(ToJson(ToArray(in.phones.value_or(std::vector<std::string>{})))),
       V(in.website.value_or("")),
       V(ToJson(ToArray(in.tags.value_or(std::vector<std::string>{})))),
       V(owner),
       V(department),
       V(pool),
       owner ? V(now) : V(storage::Null{}),
       V(in.notes.value_or("")),
       V(actor),
       V(now),
       V(actor),
       V(now),
       V(custom.value())});
  IndexContactPoints(c, who.tenant_id, id, std::nullopt,
                     in.phones.value_or(std::vector<std::string>{}), {}, PointsOf::kNewRecord);
  // An import indexes its batch for search at the end of the batch.
  if (!import) ReindexCustomer(c, who.tenant_id, id);
  // An import needs only the id and name back; anything else reads the customer as stored.
  json::object view = import ? json::object{{"id", id}, {"name", *in.name}}
                             : CustomerView(*FindCustomer(
                                   c, Visibility{true, who.tenant_id, who.user_id, {}}, id, true));
  json::object event{{"name", *in.name}, {"in_pool", !owner}};
  if (import) event["import_id"] = import->id;
  RecordEvent(c, who.tenant_id, id, meta.now, actor, "created", event);
  // An import is audited once, as a whole, not once per row.
  if (!import) {
    identity::RecordAudit(c, who, meta,
                          {"customer.create", "customer", std::to_string(id), {}, view});
  }
  if (!warnings->empty()) view["duplicates"] = std::move(warnings).value();
  return view;
}

Result<json::object> CrmService::UpdateCustomer(const Principal& who, std::int64_t id,
                                                const json::object& body, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindCustomer(c, v, id, false);
    if (!row) return Error::NotFound("customer");
    CrmSettings settings = LoadSettings(c, who.tenant_id);
    auto input = ReadCustomer(body, settings, false);
    if (!input.ok()) return std::move(input).error();
    CustomerInput& in = input.value();
    if (in.owner_present || in.pool_present) {
      return FieldError(in.owner_present ? "owner_id" : "pool_id",
                        "change owners with assign, claim or return");
    }
    std::string name = in.name.value_or(row->text(kCName));
    std::vector<std::string> phones;
    if (in.phones) {
      phones = *in.phones;
    } else {
      for (const auto& p : JsonArray(row->text(kCPhones))) phones.emplace_back(p.as_string());
    }
    auto matches = FindMatches(c, who.tenant_id, in.name ? NormalizeName(name) : std::string(),
                               in.phones ? phones : std::vector<std::string>{}, {}, id);
    auto warnings = ApplyDuplicatePolicy(c, v, settings, matches);
    if (!warnings.ok()) return std::move(warnings).error();
    auto custom = CustomFromBody(c, who.tenant_id, "customer", body, row->text(kCCustom), false);
    if (!custom.ok()) return std::move(custom).error();
    json::object before = CustomerView(*row);
    auto pick = [&](const std::optional<std::string>& value, CustomerCol col) {
      return V(value ? *value : row->text(col));
    };
    std::optional<std::int64_t> actor;
    if (who.user_id) actor = who.user_id;
    c.Exec(
        "UPDATE customers SET row_version = row_version + 1, kind = ?, name = ?, name_norm = ?, "
        "short_name = ?, industry = ?, source = ?, level = ?, status = ?, province = ?, "
        "city = ?, address = ?, phones = ?, website = ?, tags = ?, notes = ?, custom = ?, "
        "updated_by = ?, updated_at = ? "
        "WHERE tenant_id = ? AND customer_id = ?",
        {pick(in.kind, kCKind),
         V(name),
         V(NormalizeName(name)),
         pick(in.short_name, kCShort),
         pick(in.industry, kCIndustry),
         pick(in.source, kCSource),
         pick(in.level, kCLevel),
         pick(in.status, kCStatus),
         pick(in.province, kCProvince),
         pick(in.city, kCCity),
         pick(in.address, kCAddress),
         V(ToJson(ToArray(phones))),
         pick(in.website, kCWebsite),
         in.tags ? V(ToJson(ToArray(*in.tags))) : V(row->text(kCTags)),
         pick(in.notes, kCNotes),
         V(custom.value()),
         V(actor),
         V(ToMicros(meta.now)),
         V(who.tenant_id),
         V(id)});
    if (in.phones) {
      IndexContactPoints(c, who.tenant_id, id, std::nullopt, phones, {}, PointsOf::kExistingRecord);
    }
    ReindexCustomer(c, who.tenant_id, id);
    auto updated = FindCustomer(c, Visibility{true, who.tenant_id, who.user_id, {}}, id, true);
    json::object view = CustomerView(*updated);
    json::object b = before, a = view;
    b.erase("updated_at");
    a.erase("updated_at");
    b.erase("updated_by");
    a.erase("updated_by");
    identity::Diff(b, a);
    identity::RecordAudit(c, who, meta, {"customer.update", "customer", std::to_string(id), b, a});
    if (!warnings->empty()) view["duplicates"] = std::move(warnings).value();
    return view;
  });
}

Status CrmService::DeleteCustomer(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindCustomer(c, v, id, false);
    if (!row) return Error::NotFound("customer");
    std::optional<std::int64_t> actor;
    if (who.user_id) actor = who.user_id;
    c.Exec(
        "UPDATE customers SET deleted_at = ?, deleted_by = ? WHERE tenant_id = ? AND "
        "customer_id = ?",
        {V(ToMicros(meta.now)), V(actor), V(who.tenant_id), V(id)});
    ReindexCustomer(c, who.tenant_id, id);
    RecordEvent(c, who.tenant_id, id, meta.now, actor, "deleted", json::object{});
    identity::RecordAudit(c, who, meta,
                          {"customer.delete",
                           "customer",
                           std::to_string(id),
                           json::object{{"name", row->text(kCName)}},
                           {}});
    return OkStatus();
  });
}

Result<json::object> CrmService::CheckDuplicates(const Principal& who, const Filters& query) {
  auto get = [&](const char* key) {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  std::string name = get("name"), phone = get("phone"), email = get("email");
  if (name.empty() && phone.empty() && email.empty()) {
    return FieldError("name", "give a name, phone or email to check");
  }
  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto matches = FindMatches(c, who.tenant_id, name.empty() ? "" : NormalizeName(name),
                               phone.empty() ? std::vector<std::string>{} : std::vector{phone},
                               email.empty() ? std::vector<std::string>{} : std::vector{email}, 0);
    json::array out;
    std::set<std::pair<std::string, std::int64_t>> seen;
    for (const auto& m : matches) {
      if (seen.insert({m.field, m.customer_id}).second) out.push_back(DescribeMatch(c, v, m));
    }
    bool exists = !out.empty();
    return json::object{{"exists", exists}, {"matches", std::move(out)}};
  });
}

}  // namespace kelu::crm
