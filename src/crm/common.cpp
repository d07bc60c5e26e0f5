// CrmService: visibility, settings, timeline and shared helpers.
#include <fmt/format.h>

#include <charconv>

#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "crm/normalize.hpp"
#include "identity/audit.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::Row;
using storage::V;

namespace internal {

Visibility VisibilityOf(Connection& c, identity::IdentityService& ids, const Principal& who) {
  Visibility v;
  v.tenant_id = who.tenant_id;
  v.user_id = who.user_id;
  identity::DataScope scope = ids.ScopeOf(who);
  if (scope == identity::DataScope::kAll) {
    v.all = true;
    return v;
  }
  identity::DepartmentTree tree;
  for (const auto& r :
       c.Query("SELECT department_id, parent_id FROM departments WHERE tenant_id = ?",
               {V(who.tenant_id)})
           .rows) {
    tree[r.integer(0)] = r.opt_integer(1);
  }
  auto depts = identity::DepartmentsInScope(scope, who.department_id, tree);
  if (depts) v.departments.assign(depts->begin(), depts->end());
  return v;
}

std::string OwnerCondition(const Visibility& v, const std::string& alias, storage::Params& params) {
  if (v.all) return "1 = 1";
  std::string sql = "(" + alias + ".owner_id = ?";
  params.push_back(V(v.user_id));
  if (!v.departments.empty()) {
    sql += " OR " + alias +
           ".owner_id IN (SELECT user_id FROM users WHERE tenant_id = ? AND department_id IN (";
    params.push_back(V(v.tenant_id));
    for (std::size_t i = 0; i < v.departments.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.push_back(V(v.departments[i]));
    }
    sql += "))";
  }
  return sql + ")";
}

std::optional<Row> FindCustomer(Connection& c, const Visibility& v, std::int64_t id,
                                bool pool_readable) {
  storage::Params params{V(v.tenant_id), V(id)};
  std::string cond = OwnerCondition(v, "cu", params);
  if (pool_readable) cond = "(" + cond + " OR cu.owner_id IS NULL)";
  return c.QueryOne(fmt::format("SELECT {} FROM {} WHERE cu.tenant_id = ? AND "
                                "cu.customer_id = ? AND cu.deleted_at IS NULL AND {}",
                                kCustomerColumns, kCustomerFrom, cond),
                    params);
}

void RecordEvent(Connection& c, std::int64_t tenant_id, std::int64_t customer_id, Timestamp at,
                 std::optional<std::int64_t> actor, const std::string& kind,
                 const json::object& data) {
  c.Queue(
      "INSERT INTO customer_events (tenant_id, event_id, customer_id, at, kind, actor_id, data) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {V(tenant_id), V(c.NextId()), V(customer_id), V(ToMicros(at)), V(kind), V(actor),
       V(ToJson(data))});
}

void IndexContactPoints(Connection& c, std::int64_t tenant_id, std::int64_t customer_id,
                        std::optional<std::int64_t> contact_id,
                        const std::vector<std::string>& phones,
                        const std::vector<std::string>& emails, PointsOf record) {
  if (record == PointsOf::kNewRecord) {
    // Nothing to replace.
  } else if (contact_id) {
    c.Exec("DELETE FROM contact_points WHERE tenant_id = ? AND customer_id = ? AND contact_id = ?",
           {V(tenant_id), V(customer_id), V(*contact_id)});
  } else {
    c.Exec(
        "DELETE FROM contact_points WHERE tenant_id = ? AND customer_id = ? AND "
        "contact_id IS NULL",
        {V(tenant_id), V(customer_id)});
  }
  auto add = [&](const char* kind, const std::string& value) {
    if (value.empty()) return;
    c.Queue(
        "INSERT INTO contact_points (tenant_id, customer_id, point_id, contact_id, kind, value) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(customer_id), V(c.NextId()), V(contact_id), V(kind), V(value)});
  };
  for (const auto& p : phones) add("phone", NormalizePhone(p));
  for (const auto& e : emails) add("email", NormalizeEmail(e));
}

std::string LikePattern(std::string_view q) {
  std::string out = "%";
  for (char ch : q) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "%";
}

std::string ListQueryCondition(storage::Dialect d, std::int64_t tenant_id, std::string_view q,
                               std::initializer_list<const char*> text_columns,
                               const char* record_column, const char* point_column,
                               storage::Params& params, const char* record_points) {
  std::string sql;
  for (const char* column : text_columns) {
    sql += fmt::format("{}{} {} ? ESCAPE '\\'", sql.empty() ? "(" : " OR ", column,
                       d == storage::Dialect::kPostgres ? "ILIKE" : "LIKE");
    params.push_back(V(LikePattern(q)));
  }
  if (std::string digits = PhoneDigitsOf(q); digits.size() >= 3 && record_points) {
    // The record's own phones, by the contact points' key: for a few candidate records. SQLite,
    // with no statistics, would rather read all the tenant's phones by the (tenant, kind,
    // value) index: the unary + keeps it off the kind. PostgreSQL weighs both by its statistics.
    sql += fmt::format(
        " OR EXISTS (SELECT 1 FROM contact_points p WHERE p.tenant_id = ? AND {} AND "
        "{}p.kind = 'phone' AND p.value LIKE ? ESCAPE '\\')",
        record_points, d == storage::Dialect::kSqlite ? "+" : "");
    params.push_back(V(tenant_id));
    params.push_back(V(LikePattern(digits)));
  } else if (digits.size() >= 3) {
    // The tenant is a parameter, not the outer row's: a subquery naming the outer row runs once
    // per row (both databases), each time over all the tenant's phones. Uncorrelated, it is
    // read once into a set.
    sql += fmt::format(
        " OR {0} IN (SELECT {1} FROM contact_points WHERE tenant_id = ? AND kind = 'phone' AND "
        "{1} IS NOT NULL AND value LIKE ? ESCAPE '\\')",
        record_column, point_column);
    params.push_back(V(tenant_id));
    params.push_back(V(LikePattern(digits)));
  }
  return sql + ")";
}

std::string ListQueryConditionFor(Connection& c, ListOf list, std::int64_t tenant_id,
                                  std::string_view q,
                                  std::initializer_list<const char*> text_columns,
                                  const char* record_column, const char* point_column,
                                  const char* record_points, storage::Params& params, int cap) {
  auto candidates = cap > 0 ? RecordsPossiblyMatching(c, tenant_id, list, q, cap) : std::nullopt;
  if (!candidates) {
    return ListQueryCondition(c.dialect(), tenant_id, q, text_columns, record_column, point_column,
                              params);
  }
  std::string in = IdIn(c.dialect(), record_column, *candidates, params);
  return in + " AND " +
         ListQueryCondition(c.dialect(), tenant_id, q, text_columns, record_column, point_column,
                            params, record_points);
}

std::string IdIn(storage::Dialect d, const std::string& column,
                 const std::vector<std::int64_t>& ids, storage::Params& params) {
  std::string list;
  for (std::int64_t id : ids) {
    if (!list.empty()) list += ',';
    list += std::to_string(id);
  }
  if (d == storage::Dialect::kPostgres) {
    params.push_back(V("{" + list + "}"));
    return column + " = ANY(?::bigint[])";
  }
  params.push_back(V("[" + list + "]"));
  return column + " IN (SELECT value FROM json_each(?))";
}

json::array JsonArray(const std::string& text) {
  auto v = ParseJson(text);
  if (v && v->is_array()) return v->get_array();
  return {};
}

namespace {
constexpr std::pair<const char*, const char*> kFollowUpTypeLabels[] = {
    {"call", "电话"},  {"visit", "拜访"}, {"wechat", "微信"},
    {"email", "邮件"}, {"sms", "短信"},   {"other", "其他"}};
}  // namespace

std::string FollowUpTypeLabel(std::string_view code) {
  for (const auto& [c, label] : kFollowUpTypeLabels) {
    if (code == c) return label;
  }
  return std::string(code);
}

std::optional<std::string> FollowUpTypeFromText(std::string_view text) {
  std::string lower;
  for (char ch : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto& [c, label] : kFollowUpTypeLabels) {
    if (lower == c || text == label) return std::string(c);
  }
  if (text == "电话沟通" || text == "电话跟进") return "call";
  if (text == "上门" || text == "拜访客户" || text == "上门拜访") return "visit";
  if (text == "短信沟通") return "sms";
  if (text == "邮箱" || text == "电子邮件") return "email";
  return std::nullopt;
}

Error Forbidden() { return Error::Forbidden("forbidden", "Your role does not allow this action."); }

}  // namespace internal

using namespace internal;

CrmService::CrmService(storage::Database& db, identity::IdentityService& identity,
                       std::string files_dir, std::size_t render_cache_bytes)
    : db_(db),
      identity_(identity),
      files_dir_(std::move(files_dir)),
      customer_texts_(render_cache_bytes) {}

std::string CrmService::Format(std::int64_t micros) const {
  return FormatRfc3339(FromMicros(micros), identity_.zone());
}

json::value CrmService::OptTime(const Row& r, std::size_t i) const {
  if (r.is_null(i)) return nullptr;
  return json::value(Format(r.integer(i)));
}

CrmSettings CrmService::LoadSettings(Connection& c, std::int64_t tenant_id) {
  auto row = c.QueryOne("SELECT value FROM crm_settings WHERE tenant_id = ? AND key = 'crm'",
                        {V(tenant_id)});
  if (!row) return CrmSettings{};
  auto doc = ParseJson(row->text(0));
  if (!doc || !doc->is_object()) return CrmSettings{};
  auto parsed = ParseSettings(doc->get_object());
  return parsed.ok() ? parsed.value() : CrmSettings{};
}

Result<json::object> CrmService::GetSettings(const Principal& who) {
  return db_.Read([&](Connection& c) { return SettingsToJson(LoadSettings(c, who.tenant_id)); });
}

Result<json::object> CrmService::PutSettings(const Principal& who, const json::object& body,
                                             const RequestMeta& meta) {
  if (!identity::CanManageUsers(who.role)) return Forbidden();
  auto parsed = ParseSettings(body);
  if (!parsed.ok()) return std::move(parsed).error();
  json::object doc = SettingsToJson(parsed.value());
  return db_.Write([&](Connection& c) -> Result<json::object> {
    json::object before = SettingsToJson(LoadSettings(c, who.tenant_id));
    c.Exec("DELETE FROM crm_settings WHERE tenant_id = ? AND key = 'crm'", {V(who.tenant_id)});
    c.Exec("INSERT INTO crm_settings (tenant_id, key, value) VALUES (?, 'crm', ?)",
           {V(who.tenant_id), V(ToJson(doc))});
    json::object b = before, a = doc;
    identity::Diff(b, a);
    identity::RecordAudit(c, who, meta, {"crm.settings_update", "crm_settings", "crm", b, a});
    return doc;
  });
}

Result<json::object> CrmService::Timeline(const Principal& who, std::int64_t id, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    if (!FindCustomer(c, v, id, true)) return Error::NotFound("customer");
    auto rows = c.Query(
        "SELECT e.event_id, e.at, e.kind, e.actor_id, e.data, "
        "(SELECT name FROM users u WHERE u.tenant_id = e.tenant_id AND u.user_id = e.actor_id) "
        "FROM customer_events e WHERE e.tenant_id = ? AND e.customer_id = ? AND e.event_id < ? "
        "ORDER BY e.event_id DESC LIMIT ?",
        {V(who.tenant_id), V(id), V(CursorBefore(page)), V(page.limit)});
    return PageOfRows(rows, page, [this](const Row& r) {
      auto data = ParseJson(r.text(4));
      return json::object{{"id", r.integer(0)},
                          {"at", Format(r.integer(1))},
                          {"kind", r.text(2)},
                          {"actor", r.is_null(3) ? json::value(nullptr)
                                                 : json::value(json::object{{"id", r.integer(3)},
                                                                            {"name", r.text(5)}})},
                          {"data", data ? *data : json::value(json::object{})}};
    });
  });
}

}  // namespace kelu::crm

namespace kelu::crm::internal {

std::vector<CustomField> LoadFields(Connection& c, std::int64_t tenant_id,
                                    const std::string& entity) {
  std::vector<CustomField> out;
  for (const auto& r : c.Query("SELECT field_id, key, label, type, options, required FROM "
                               "custom_fields WHERE tenant_id = ? AND entity = ? ORDER BY "
                               "position, field_id",
                               {V(tenant_id), V(entity)})
                           .rows) {
    CustomField f;
    f.id = r.integer(0);
    f.entity = entity;
    f.key = r.text(1);
    f.label = r.text(2);
    f.type = ParseFieldType(r.text(3)).value_or(FieldType::kText);
    for (const auto& o : JsonArray(r.text(4))) f.options.emplace_back(o.as_string());
    f.required = r.boolean(5);
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::string> CustomFromBody(Connection& c, std::int64_t tenant_id, const std::string& entity,
                                   const json::object& body, const std::string& stored,
                                   bool creating, const std::vector<CustomField>* known) {
  std::vector<CustomField> loaded;
  if (!known) loaded = LoadFields(c, tenant_id, entity);
  const std::vector<CustomField>& fields = known ? *known : loaded;
  auto base = ParseJson(stored);
  auto it = body.find("custom");
  auto applied =
      ApplyCustomValues(fields, base && base->is_object() ? base->get_object() : json::object{},
                        it == body.end() ? nullptr : &it->value(), creating);
  if (!applied.ok()) return std::move(applied).error();
  return ToJson(applied.value());
}

std::string CustomExpr(storage::Dialect d, const std::string& alias, const CustomField& f) {
  // Keys are [a-z][a-z0-9_]*, checked when the field is defined, so they are safe inline.
  bool numeric = f.type == FieldType::kNumber || f.type == FieldType::kMoney;
  if (d == storage::Dialect::kSqlite) {
    return fmt::format("json_extract({}.custom, '$.{}')", alias, f.key);
  }
  return numeric ? fmt::format("(({}.custom::jsonb ->> '{}')::numeric)", alias, f.key)
                 : fmt::format("({}.custom::jsonb ->> '{}')", alias, f.key);
}

Result<std::string> CustomCondition(storage::Dialect d, const std::string& alias,
                                    const CustomField& f, const std::string& value,
                                    storage::Params& params) {
  if (f.type == FieldType::kMultiSelect) {
    params.push_back(V(value));
    return d == storage::Dialect::kSqlite
               ? fmt::format("EXISTS (SELECT 1 FROM json_each({}.custom, '$.{}') WHERE value = ?)",
                             alias, f.key)
               : fmt::format("jsonb_exists({}.custom::jsonb -> '{}', ?)", alias, f.key);
  }
  auto parsed = CustomValueFromText(f, value);
  if (!parsed.ok()) return std::move(parsed).error();
  const json::value& v = parsed.value();
  if (v.is_int64()) {
    params.push_back(V(v.get_int64()));
  } else if (v.is_double()) {
    params.push_back(V(v.get_double()));
  } else if (v.is_string()) {
    params.push_back(V(std::string(v.get_string())));
  } else {
    return std::string(CustomExpr(d, alias, f) + " IS NULL");
  }
  return CustomExpr(d, alias, f) + " = ?";
}

}  // namespace kelu::crm::internal
