// CrmService: exporting lists to CSV and XLSX, in the shape the imports read back.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "core/files.hpp"
#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "crm/normalize.hpp"
#include "dataio/csv.hpp"
#include "dataio/encoding.hpp"
#include "dataio/xlsx.hpp"
#include "identity/audit.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;
namespace fs = std::filesystem;

Result<CrmService::ExportFile> CrmService::ExportCustomers(const Principal& who,
                                                           const Filters& filters,
                                                           const RequestMeta& meta) {
  if (!identity::CanManageUsers(who.role)) {
    return Error::Forbidden("export_forbidden", "Exports are for the boss and administrators.");
  }
  Filters list_filters;
  for (const auto& [k, v] : filters) {
    if (k != "limit" && k != "cursor" && k != "format") list_filters.emplace(k, v);
  }
  std::string format = "csv";
  if (auto f = filters.find("format"); f != filters.end()) {
    if (f->second != "csv" && f->second != "xlsx")
      return FieldError("format", "must be csv or xlsx");
    format = f->second;
  }
  std::vector<CustomField> fields;
  std::map<std::int64_t, std::string> logins;
  db_.Read([&](Connection& c) {
    fields = LoadFields(c, who.tenant_id, "customer");
    for (const auto& u :
         c.Query("SELECT user_id, login FROM users WHERE tenant_id = ?", {V(who.tenant_id)}).rows) {
      logins[u.integer(0)] = u.text(1);
    }
  });
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const auto& col : CustomerFileColumns()) header.emplace_back(col.label);
  for (const auto& f : fields) header.push_back(f.label);
  rows.push_back(std::move(header));
  Page page;
  page.limit = 200;
  std::int64_t count = 0;
  for (;;) {
    auto batch = ListCustomers(who, list_filters, page);
    if (!batch.ok()) return std::move(batch).error();
    const json::array& items = batch->at("items").as_array();
    // Primary contacts of this page.
    std::map<std::int64_t, Row> contacts;
    if (!items.empty()) {
      storage::Params params{V(who.tenant_id)};
      for (const auto& item : items) params.push_back(V(item.at("id").as_int64()));
      db_.Read([&](Connection& c) {
        for (auto& r :
             c.Query(fmt::format("SELECT customer_id, name, mobile, email FROM contacts WHERE "
                                 "tenant_id = ? AND is_primary = 1 AND deleted_at IS NULL "
                                 "AND customer_id IN ({})",
                                 storage::Placeholders(items.size())),
                     params)
                 .rows) {
          contacts.emplace(r.integer(0), r);
        }
      });
    }
    for (const auto& item : items) {
      const json::object& cu = item.as_object();
      auto text = [&](const char* key) { return std::string(cu.at(key).as_string()); };
      auto joined = [&](const char* key) {
        std::string s;
        for (const auto& v : cu.at(key).as_array())
          s += (s.empty() ? "" : ";") + std::string(v.as_string());
        return s;
      };
      std::int64_t id = cu.at("id").as_int64();
      auto contact = contacts.find(id);
      std::vector<std::string> cells = {
          std::to_string(id),
          text("name"),
          text("kind") == "person" ? "个人" : "企业",
          text("short_name"),
          text("industry"),
          text("source"),
          text("level"),
          text("status"),
          text("province"),
          text("city"),
          text("address"),
          joined("phones"),
          text("website"),
          joined("tags"),
          cu.at("owner").is_null() ? "" : logins[cu.at("owner").at("id").as_int64()],
          text("notes"),
          contact == contacts.end() ? "" : contact->second.text(1),
          contact == contacts.end() ? "" : contact->second.text(2),
          contact == contacts.end() ? "" : contact->second.text(3)};
      const json::object& custom = cu.at("custom").as_object();
      for (const auto& f : fields) {
        auto it = custom.find(f.key);
        cells.push_back(it == custom.end() ? "" : CustomValueToText(f, it->value()));
      }
      rows.push_back(std::move(cells));
      ++count;
    }
    if (batch->at("next_cursor").is_null()) break;
    page.cursor = std::string(batch->at("next_cursor").as_string());
  }
  json::object audited_filters;
  for (const auto& [k, v] : list_filters) audited_filters[k] = v;
  return RenderExport(who, "customer", std::move(rows), format, audited_filters, meta);
}

Result<CrmService::ExportFile> CrmService::RenderExport(
    const Principal& who, const std::string& entity, std::vector<std::vector<std::string>> rows,
    const std::string& format, const json::object& filters, const RequestMeta& meta) {
  std::int64_t count = static_cast<std::int64_t>(rows.size()) - 1;
  db_.Write([&](Connection& c) {
       identity::RecordAudit(
           c, who, meta,
           {entity + ".export",
            entity,
            "*",
            {},
            json::object{{"rows", count}, {"filters", filters}, {"format", format}}});
       return OkStatus();
     })
      .ok();
  if (format == "xlsx") {
    // XLSX cells are written as text, never formulas, so they need no apostrophe.
    auto tmp = PathUnder(files_dir_, {"tmp"});
    KELU_RETURN_IF_ERROR(tmp);
    auto book = dataio::RowsToXlsx(rows, "导出", *tmp);
    if (!book.ok()) return std::move(book).error();
    return ExportFile{std::move(book).value(),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"};
  }
  std::string out(dataio::kUtf8Bom);
  for (auto& row : rows) {
    for (auto& cell : row) cell = dataio::NeutralizeFormula(cell);
    out += dataio::CsvLine(row);
  }
  return ExportFile{std::move(out), "text/csv; charset=utf-8", "csv"};
}

Result<CrmService::ExportFile> CrmService::ExportList(const Principal& who, std::string_view entity,
                                                      const Filters& filters,
                                                      const RequestMeta& meta) {
  if (!identity::CanManageUsers(who.role)) {
    return Error::Forbidden("export_forbidden", "Exports are for the boss and administrators.");
  }
  Filters list_filters;
  std::string format = "csv";
  for (const auto& [k, v] : filters) {
    if (k == "format") {
      if (v != "csv" && v != "xlsx") return FieldError("format", "must be csv or xlsx");
      format = v;
    } else if (k != "limit" && k != "cursor") {
      list_filters.emplace(k, v);
    }
  }
  using Cell = std::function<std::string(const json::object&)>;
  auto text = [](const char* key) -> Cell {
    return [key](const json::object& o) {
      const json::value& v = o.at(key);
      if (v.is_null()) return std::string();
      if (v.is_string()) return std::string(v.get_string());
      if (v.is_bool()) return std::string(v.get_bool() ? "是" : "否");
      return ToJson(v);
    };
  };
  auto nested = [](const char* key, const char* inner) -> Cell {
    return [key, inner](const json::object& o) {
      const json::value& v = o.at(key);
      if (!v.is_object()) return std::string();
      const json::value& x = v.at(inner);
      return x.is_string() ? std::string(x.get_string()) : ToJson(x);
    };
  };
  auto yuan = [](const char* key) -> Cell {
    return [key](const json::object& o) {
      std::int64_t fen = o.at(key).as_int64();
      return fmt::format("{}.{:02d}", fen / 100, static_cast<int>(fen % 100));
    };
  };
  std::vector<std::pair<std::string, Cell>> columns;
  std::string custom_entity;
  std::function<Result<json::object>(const Page&)> list;
  if (entity == "contacts") {
    columns = {{"联系人编号", text("id")}, {"客户编号", text("customer_id")},
               {"姓名", text("name")},     {"职务", text("title")},
               {"手机", text("mobile")},   {"电话", text("phone")},
               {"邮箱", text("email")},    {"微信", text("wechat")},
               {"生日", text("birthday")}, {"主联系人", text("is_primary")},
               {"备注", text("notes")}};
    custom_entity = "contact";
    list = [&](const Page& p) { return ListContacts(who, list_filters, p); };
  } else if (entity == "opportunities") {
    columns = {{"商机编号", text("id")},
               {"客户名称", nested("customer", "name")},
               {"商机名称", text("name")},
               {"金额（元）", yuan("amount_fen")},
               {"阶段", nested("stage", "name")},
               {"赢率", nested("stage", "probability")},
               {"状态", text("status")},
               {"输单原因", text("lost_reason")},
               {"预计成交日期", text("expected_close_date")},
               {"负责人", nested("owner", "name")},
               {"创建时间", text("created_at")}};
    custom_entity = "opportunity";
    list = [&](const Page& p) { return ListOpportunities(who, list_filters, p); };
  } else if (entity == "follow_ups") {
    columns = {
        {"编号", text("id")},
        {"客户编号", text("customer_id")},
        {"联系人编号", text("contact_id")},
        {"类型", [](const json::object& o) { return FollowUpTypeLabel(o.at("type").as_string()); }},
        {"内容", text("content")},
        {"时间", text("at")},
        {"下次跟进", text("next_at")},
        {"记录人", nested("created_by", "name")}};
    list = [&](const Page& p) { return ListFollowUps(who, list_filters, p); };
  } else {
    return Error::NotFound("export");
  }
  std::vector<CustomField> fields;
  if (!custom_entity.empty()) {
    db_.Read([&](Connection& c) { fields = LoadFields(c, who.tenant_id, custom_entity); });
  }
  std::vector<std::vector<std::string>> rows(1);
  for (const auto& [label, cell] : columns) rows[0].push_back(label);
  for (const auto& f : fields) rows[0].push_back(f.label);
  Page page;
  page.limit = 200;
  for (;;) {
    auto batch = list(page);
    if (!batch.ok()) return std::move(batch).error();
    for (const auto& item : batch->at("items").as_array()) {
      const json::object& o = item.as_object();
      std::vector<std::string> row;
      row.reserve(columns.size() + fields.size());
      for (const auto& [label, cell] : columns) row.push_back(cell(o));
      if (auto it = o.find("custom"); it != o.end() && it->value().is_object()) {
        for (const auto& f : fields) {
          auto v = it->value().get_object().find(f.key);
          row.push_back(v == it->value().get_object().end() ? ""
                                                            : CustomValueToText(f, v->value()));
        }
      }
      rows.push_back(std::move(row));
    }
    if (batch->at("next_cursor").is_null()) break;
    page.cursor = std::string(batch->at("next_cursor").as_string());
  }
  json::object audited;
  for (const auto& [k, v] : list_filters) audited[k] = v;
  std::string audit_entity(entity == "follow_ups" ? "follow_up"
                           : entity == "contacts" ? "contact"
                                                  : "opportunity");
  return RenderExport(who, audit_entity, std::move(rows), format, audited, meta);
}

}  // namespace kelu::crm
