// CrmService: definitions of custom fields.
#include <fmt/format.h>

#include <set>

#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "identity/audit.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::V;
using namespace internal;

namespace {

const std::vector<std::string> kEntities = {"customer", "contact", "opportunity"};
constexpr const char* kTables[] = {"customers", "contacts", "opportunities"};

json::object FieldView(const CustomField& f) {
  json::array options;
  for (const auto& o : f.options) options.emplace_back(o);
  return json::object{{"id", f.id},
                      {"entity", f.entity},
                      {"key", f.key},
                      {"label", f.label},
                      {"type", FieldTypeName(f.type)},
                      {"options", std::move(options)},
                      {"required", f.required}};
}

std::optional<CustomField> FindField(Connection& c, std::int64_t tenant_id, std::int64_t id) {
  auto row = c.QueryOne("SELECT entity FROM custom_fields WHERE tenant_id = ? AND field_id = ?",
                        {V(tenant_id), V(id)});
  if (!row) return std::nullopt;
  for (auto& f : LoadFields(c, tenant_id, row->text(0))) {
    if (f.id == id) return f;
  }
  return std::nullopt;
}

// Options of a select field: 1 to 100 distinct names.
std::optional<std::vector<std::string>> ReadOptions(Fields& f, const json::object& body) {
  auto it = body.find("options");
  if (it == body.end()) return std::nullopt;
  std::vector<std::string> out;
  if (!it->value().is_array() || it->value().get_array().size() > 100) {
    f.Fail("options", "must be a list of up to 100 names");
    return std::nullopt;
  }
  std::set<std::string> seen;
  for (const auto& v : it->value().get_array()) {
    if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 100 ||
        v.get_string().find(';') != std::string::npos ||
        !seen.insert(std::string(v.get_string())).second) {
      f.Fail("options", "every option is a distinct name of 1 to 100 characters without ';'");
      return std::nullopt;
    }
    out.emplace_back(v.get_string());
  }
  return out;
}

}  // namespace

Result<json::object> CrmService::ListCustomFields(const Principal& who, const Filters& filters) {
  std::vector<std::string> entities = kEntities;
  for (const auto& [key, value] : filters) {
    if (key != "entity") return FieldError(key, "unknown filter");
    if (std::find(kEntities.begin(), kEntities.end(), value) == kEntities.end()) {
      return FieldError("entity", "must be one of: customer, contact, opportunity");
    }
    entities = {value};
  }
  return db_.Read([&](Connection& c) -> Result<json::object> {
    json::array items;
    for (const auto& e : entities) {
      for (const auto& f : LoadFields(c, who.tenant_id, e)) items.push_back(FieldView(f));
    }
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> CrmService::CreateCustomField(const Principal& who, const json::object& body,
                                                   const RequestMeta& meta) {
  if (!identity::CanManageUsers(who.role)) return Forbidden();
  Fields f(body);
  f.OnlyKeys({"entity", "key", "label", "type", "options", "required"});
  auto entity = f.Enum("entity", true, kEntities);
  auto key = f.String("key", true, 1, 40);
  auto label = f.String("label", true, 1, 60);
  auto type = f.Enum("type", true, FieldTypeNames());
  auto options = ReadOptions(f, body);
  auto required = f.Bool("required", false);
  if (key && !ValidFieldKey(*key))
    f.Fail("key", "use lower-case letters, digits and _, starting with a letter");
  bool select = type && (*type == "select" || *type == "multi_select");
  if (select && (!options || options->empty())) f.Fail("options", "a select field needs options");
  if (!select && options && !options->empty()) f.Fail("options", "only select fields have options");
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    if (c.QueryInt(
            "SELECT count(*) FROM custom_fields WHERE tenant_id = ? AND entity = ? AND key = ?",
            {V(who.tenant_id), V(*entity), V(*key)}) > 0) {
      return Error::Conflict("field_key_taken",
                             "Another custom field of this record type has this key.");
    }
    std::int64_t id = c.NextId();
    std::int64_t position = c.QueryInt(
        "SELECT count(*) FROM custom_fields WHERE tenant_id = ? AND "
        "entity = ?",
        {V(who.tenant_id), V(*entity)});
    json::array opts;
    for (const auto& o : options.value_or(std::vector<std::string>{})) opts.emplace_back(o);
    c.Exec(
        "INSERT INTO custom_fields (tenant_id, field_id, entity, key, label, type, options, "
        "required, position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*entity), V(*key), V(*label), V(*type), V(ToJson(opts)),
         V(required.value_or(false)), V(position), V(ToMicros(meta.now))});
    json::object view = FieldView(*FindField(c, who.tenant_id, id));
    identity::RecordAudit(c, who, meta,
                          {"custom_field.create", "custom_field", std::to_string(id), {}, view});
    return view;
  });
}

Result<json::object> CrmService::UpdateCustomField(const Principal& who, std::int64_t id,
                                                   const json::object& body,
                                                   const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto field = FindField(c, who.tenant_id, id);
    if (!field) return Error::NotFound("custom field");
    if (!identity::CanManageUsers(who.role)) return Forbidden();
    Fields f(body);
    f.OnlyKeys({"label", "options", "required"});
    auto label = f.String("label", false, 1, 60);
    auto options = ReadOptions(f, body);
    auto required = f.Bool("required", false);
    bool select = field->type == FieldType::kSelect || field->type == FieldType::kMultiSelect;
    if (options && (!select || options->empty()))
      f.Fail("options", "only select fields have options, at least one");
    if (!f.ok()) return f.ToError();
    json::object before = FieldView(*field);
    json::array opts;
    for (const auto& o : options.value_or(field->options)) opts.emplace_back(o);
    c.Exec(
        "UPDATE custom_fields SET label = ?, options = ?, required = ? WHERE tenant_id = ? AND "
        "field_id = ?",
        {V(label.value_or(field->label)), V(ToJson(opts)), V(required.value_or(field->required)),
         V(who.tenant_id), V(id)});
    json::object view = FieldView(*FindField(c, who.tenant_id, id));
    json::object a = view;
    identity::Diff(before, a);
    identity::RecordAudit(c, who, meta,
                          {"custom_field.update", "custom_field", std::to_string(id), before, a});
    return view;
  });
}

Status CrmService::DeleteCustomField(const Principal& who, std::int64_t id,
                                     const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    auto field = FindField(c, who.tenant_id, id);
    if (!field) return Error::NotFound("custom field");
    if (!identity::CanManageUsers(who.role)) return Forbidden();
    const char* table =
        kTables[std::find(kEntities.begin(), kEntities.end(), field->entity) - kEntities.begin()];
    // The key is a checked identifier, safe inline.
    std::string remove = c.dialect() == storage::Dialect::kSqlite
                             ? fmt::format("json_remove(custom, '$.{}')", field->key)
                             : fmt::format("(custom::jsonb - '{}')::text", field->key);
    c.Exec(fmt::format("UPDATE {} SET custom = {} WHERE tenant_id = ?", table, remove),
           {V(who.tenant_id)});
    c.Exec("DELETE FROM custom_fields WHERE tenant_id = ? AND field_id = ?",
           {V(who.tenant_id), V(id)});
    identity::RecordAudit(
        c, who, meta,
        {"custom_field.delete", "custom_field", std::to_string(id), FieldView(*field), {}});
    return OkStatus();
  });
}

}  // namespace kelu::crm
