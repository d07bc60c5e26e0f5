// CrmService: importing customers (with a primary contact) from CSV, and exporting them.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

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

namespace {

// The columns of a customer file: the field, its header when exporting, and the other headers
// that suggest it when importing (Chinese and English).
struct Column {
  const char* field;
  const char* label;
  std::vector<const char*> aliases;
};

const std::vector<Column>& Columns() {
  static const std::vector<Column> columns = {
      {"id", "客户编号", {"编号", "id", "客户id", "customer id"}},
      {"name",
       "客户名称",
       {"名称", "公司名称", "客户", "企业名称", "name", "company", "customer", "customer name"}},
      {"kind", "客户类型", {"类型", "kind", "type"}},
      {"short_name", "简称", {"客户简称", "short name", "abbreviation"}},
      {"industry", "行业", {"所属行业", "industry"}},
      {"source", "来源", {"客户来源", "source"}},
      {"level", "级别", {"客户级别", "等级", "level", "grade"}},
      {"status", "状态", {"客户状态", "status", "stage"}},
      {"province", "省份", {"省", "province"}},
      {"city", "城市", {"市", "city"}},
      {"address", "地址", {"详细地址", "公司地址", "address"}},
      {"phones", "电话", {"联系电话", "座机", "公司电话", "phone", "phones", "tel", "telephone"}},
      {"website", "网址", {"官网", "网站", "website", "url", "web"}},
      {"tags", "标签", {"tags", "tag"}},
      {"owner", "负责人", {"负责人账号", "销售", "owner", "sales"}},
      {"notes", "备注", {"说明", "notes", "note", "remark", "remarks", "comment"}},
      {"contact_name", "联系人", {"联系人姓名", "contact", "contact name"}},
      {"contact_mobile", "联系人手机", {"手机", "手机号", "手机号码", "mobile", "cell"}},
      {"contact_email", "联系人邮箱", {"邮箱", "电子邮件", "email", "e-mail", "mail"}},
  };
  return columns;
}

std::string HeaderKey(std::string_view header) {
  std::string out;
  for (char c : ToHalfWidth(header)) {
    auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) || c == '_' || c == '-' || c == '*' || c == ':' || c == '(' || c == ')')
      continue;
    out += static_cast<char>(u < 0x80 ? std::tolower(u) : u);
  }
  return out;
}

std::string SuggestField(std::string_view header, const std::vector<CustomField>& fields) {
  std::string key = HeaderKey(header);
  if (key.empty()) return "";
  for (const auto& col : Columns()) {
    if (HeaderKey(col.label) == key) return col.field;
    for (const char* alias : col.aliases) {
      if (HeaderKey(alias) == key) return col.field;
    }
  }
  for (const auto& f : fields) {
    if (HeaderKey(f.label) == key || HeaderKey(f.key) == key) return "cf." + f.key;
  }
  return "";
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    std::string_view t = current;
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (!t.empty()) out.emplace_back(t);
    current.clear();
  };
  std::string half = ToHalfWidth(text);
  for (std::size_t i = 0; i < half.size(); ++i) {
    // ; , / and the full-width ；，、 separate entries.
    std::string_view rest = std::string_view(half).substr(i);
    if (half[i] == ';' || half[i] == ',' || half[i] == '/') {
      flush();
    } else if (rest.starts_with("；") || rest.starts_with("，") || rest.starts_with("、")) {
      flush();
      i += 2;
    } else {
      current += half[i];
    }
  }
  flush();
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string ImportPath(const std::string& dir, std::int64_t tenant_id, std::int64_t id,
                       const char* suffix) {
  return (fs::path(dir) / "imports" / std::to_string(tenant_id) / (std::to_string(id) + suffix))
      .string();
}

// Describes an Error for a row of the error file: "字段: 原因; …".
std::string RowError(const Error& e) {
  auto it = e.details.find("fields");
  if (it == e.details.end() || !it->value().is_object()) return e.message;
  std::string out;
  for (const auto& kv : it->value().get_object()) {
    if (!out.empty()) out += "; ";
    out += std::string(kv.key()) + ": " +
           (kv.value().is_string() ? std::string(kv.value().get_string()) : ToJson(kv.value()));
  }
  return out;
}

}  // namespace

Result<json::object> CrmService::UploadImport(const Principal& who, const Filters& query,
                                              const std::string& bytes, const RequestMeta& meta) {
  if (who.kind != identity::PrincipalKind::kUser) return Error::NotFound();
  std::string filename = "import.csv";
  for (const auto& [key, value] : query) {
    if (key == "entity") {
      if (value != "customers") return FieldError("entity", "must be customers");
    } else if (key == "filename") {
      if (value.empty() || value.size() > 200)
        return FieldError("filename", "must have 1 to 200 characters");
      filename = value;
    } else {
      return FieldError(key, "unknown parameter");
    }
  }
  std::string lower = filename;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.ends_with(".xls") || bytes.starts_with("\xD0\xCF\x11\xE0")) {
    return Error::Make(ErrorKind::kInvalid, "unsupported_format",
                       "Old .xls workbooks are not read; save the sheet as .xlsx or CSV.");
  }
  if (bytes.empty()) return Error::Make(ErrorKind::kInvalid, "empty_file", "The file is empty.");
  bool xlsx = bytes.starts_with("PK\x03\x04");
  dataio::Encoding encoding = dataio::DetectEncoding(std::string_view(bytes).substr(0, 65536));
  std::int64_t id =
      db_.Write([&](Connection& c) -> Result<std::int64_t> { return c.NextId(); }).value();
  std::string path = ImportPath(files_dir_, who.tenant_id, id, ".csv");
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) {
    return Error::Make(ErrorKind::kUnavailable, "storage_unavailable", "Cannot store the upload.");
  }
  std::string encoding_name(dataio::EncodingName(encoding));
  if (xlsx) {
    // The first sheet becomes the import's CSV; everything after reads the same.
    std::string book = ImportPath(files_dir_, who.tenant_id, id, ".xlsx");
    std::ofstream(book, std::ios::binary) << bytes;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    Status read = dataio::XlsxToCsv(book, out);
    out.close();
    fs::remove(book, ec);
    if (!read.ok()) {
      fs::remove(path, ec);
      return std::move(read).error();
    }
    encoding_name = "xlsx";
  } else {
    std::istringstream in(bytes);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    auto converted = dataio::ConvertToUtf8(in, out, encoding);
    if (!converted.ok()) {
      out.close();
      fs::remove(path, ec);
      return std::move(converted).error();
    }
  }
  std::ifstream in(path, std::ios::binary);
  dataio::CsvReader reader(in);
  auto header = reader.Next();
  bool any_header = header && std::any_of(header->begin(), header->end(),
                                          [](const std::string& h) { return !Trim(h).empty(); });
  if (!any_header) {
    fs::remove(path, ec);
    return Error::Make(ErrorKind::kInvalid, "missing_header",
                       "The first line of the file must name the columns.");
  }
  json::array sample;
  while (sample.size() < 5) {
    auto row = reader.Next();
    if (!row) break;
    json::array cells;
    for (const auto& cell : *row) cells.emplace_back(cell);
    sample.push_back(std::move(cells));
  }
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto fields = LoadFields(c, who.tenant_id, "customer");
    json::object mapping;
    json::array headers;
    for (const auto& h : *header) {
      headers.emplace_back(h);
      mapping[h] = SuggestField(h, fields);
    }
    c.Exec(
        "INSERT INTO imports (tenant_id, import_id, user_id, entity, filename, encoding, status, "
        "mapping, report, created_at, updated_at) VALUES (?, ?, ?, 'customers', ?, ?, 'uploaded', "
        "?, '{}', ?, ?)",
        {V(who.tenant_id), V(id), V(who.user_id), V(filename), V(encoding_name), V(ToJson(mapping)),
         V(ToMicros(meta.now)), V(ToMicros(meta.now))});
    identity::RecordAudit(c, who, meta,
                          {"import.upload",
                           "import",
                           std::to_string(id),
                           {},
                           json::object{{"filename", filename}, {"encoding", encoding_name}}});
    return json::object{{"id", id},
                        {"entity", "customers"},
                        {"filename", filename},
                        {"encoding", encoding_name},
                        {"status", "uploaded"},
                        {"headers", std::move(headers)},
                        {"mapping", std::move(mapping)},
                        {"sample", std::move(sample)}};
  });
}

namespace {

json::object ImportView(const Row& r, const Zone& zone) {
  auto mapping = ParseJson(r.text(5));
  auto report = ParseJson(r.text(6));
  return json::object{{"id", r.integer(0)},
                      {"user_id", r.integer(1)},
                      {"filename", r.text(2)},
                      {"encoding", r.text(3)},
                      {"status", r.text(4)},
                      {"mapping", mapping ? *mapping : json::value(json::object{})},
                      {"report", report ? *report : json::value(json::object{})},
                      {"created_at", FormatRfc3339(FromMicros(r.integer(7)), zone)},
                      {"updated_at", FormatRfc3339(FromMicros(r.integer(8)), zone)}};
}

constexpr const char* kImportColumns =
    "import_id, user_id, filename, encoding, status, mapping, report, created_at, updated_at";

// The caller's own import (boss and admin: anyone's in the tenant).
std::optional<Row> FindImport(Connection& c, const Principal& who, std::int64_t id) {
  auto row = c.QueryOne(
      fmt::format("SELECT {} FROM imports WHERE tenant_id = ? AND import_id = ?", kImportColumns),
      {V(who.tenant_id), V(id)});
  if (!row || (row->integer(1) != who.user_id && !identity::CanManageUsers(who.role))) {
    return std::nullopt;
  }
  return row;
}

}  // namespace

Result<json::object> CrmService::GetImport(const Principal& who, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = FindImport(c, who, id);
    if (!row) return Error::NotFound("import");
    return ImportView(*row, identity_.zone());
  });
}

Result<json::object> CrmService::ListImports(const Principal& who, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    storage::Params params{V(who.tenant_id), V(CursorBefore(page))};
    std::string where = "tenant_id = ? AND import_id < ?";
    if (!identity::CanManageUsers(who.role)) {
      where += " AND user_id = ?";
      params.push_back(V(who.user_id));
    }
    params.push_back(V(page.limit));
    auto rows =
        c.Query(fmt::format("SELECT {} FROM imports WHERE {} ORDER BY import_id DESC LIMIT ?",
                            kImportColumns, where),
                params);
    return PageOfRows(rows, page, [this](const Row& r) { return ImportView(r, identity_.zone()); });
  });
}

Result<json::object> CrmService::RunImport(Connection& c, const Principal& who, std::int64_t id,
                                           const json::object& mapping, const RequestMeta& meta,
                                           bool keep_errors) {
  auto fields = LoadFields(c, who.tenant_id, "customer");
  std::ifstream in(ImportPath(files_dir_, who.tenant_id, id, ".csv"), std::ios::binary);
  if (!in)
    return Error::Make(ErrorKind::kUnavailable, "storage_unavailable",
                       "The uploaded file is gone.");
  dataio::CsvReader reader(in);
  auto header = reader.Next();
  if (!header) return Error::Make(ErrorKind::kInvalid, "missing_header", "The file has no header.");
  // Column index → field, checked against the catalogue and the custom fields.
  std::vector<std::string> field_of(header->size());
  bool name_mapped = false;
  for (std::size_t i = 0; i < header->size(); ++i) {
    auto it = mapping.find((*header)[i]);
    if (it == mapping.end() || it->value().is_null()) continue;
    if (!it->value().is_string())
      return FieldError("mapping", "maps each header to a field name or \"\"");
    std::string field(it->value().get_string());
    if (field.empty() || field == "id") continue;
    bool known = std::any_of(Columns().begin(), Columns().end(),
                             [&](const Column& col) { return field == col.field; });
    if (field.starts_with("cf.")) {
      known = std::any_of(fields.begin(), fields.end(),
                          [&](const CustomField& f) { return "cf." + f.key == field; });
    }
    if (!known) return FieldError("mapping." + (*header)[i], "unknown field " + field);
    if (std::find(field_of.begin(), field_of.end(), field) != field_of.end()) {
      return FieldError("mapping." + (*header)[i], "field " + field + " is mapped twice");
    }
    name_mapped = name_mapped || field == "name";
    field_of[i] = field;
  }
  for (const auto& kv : mapping) {
    if (std::find(header->begin(), header->end(), kv.key()) == header->end()) {
      return FieldError("mapping." + std::string(kv.key()), "no such column in the file");
    }
  }
  if (!name_mapped) return FieldError("mapping", "map a column to name (客户名称)");

  std::map<std::string, std::int64_t> users;  // login and (unique) name → id
  std::map<std::string, int> name_count;
  for (const auto& u : c.Query("SELECT user_id, login, name FROM users WHERE tenant_id = ? AND "
                               "status = 'active'",
                               {V(who.tenant_id)})
                           .rows) {
    users[u.text(1)] = u.integer(0);
    if (++name_count[u.text(2)] == 1) users.emplace(u.text(2), u.integer(0));
  }

  std::ofstream errors;
  if (keep_errors) {
    errors.open(ImportPath(files_dir_, who.tenant_id, id, ".errors.csv"),
                std::ios::binary | std::ios::trunc);
    std::vector<std::string> h = *header;
    h.emplace_back("错误");
    errors << dataio::kUtf8Bom << dataio::CsvLine(h);
  }
  std::int64_t total = 0, created = 0, invalid = 0, duplicates = 0;
  json::array samples;
  while (auto row = reader.Next()) {
    if (std::all_of(row->begin(), row->end(), [](const std::string& s) { return Trim(s).empty(); }))
      continue;
    ++total;
    json::object body, contact, custom;
    json::object problems;
    for (std::size_t i = 0; i < row->size() && i < field_of.size(); ++i) {
      const std::string& field = field_of[i];
      if (field.empty()) continue;
      std::string cell = Trim(dataio::UnneutralizeFormula(Trim((*row)[i])));
      if (cell.empty()) continue;
      if (field == "kind") {
        if (cell == "企业" || cell == "公司" || cell == "company") {
          body["kind"] = "company";
        } else if (cell == "个人" || cell == "person") {
          body["kind"] = "person";
        } else {
          problems["kind"] = "must be 企业 or 个人";
        }
      } else if (field == "phones" || field == "tags") {
        json::array list;
        for (auto& v : SplitList(cell)) list.emplace_back(v);
        body[field] = std::move(list);
      } else if (field == "owner") {
        auto u = users.find(cell);
        if (u == users.end()) {
          problems["owner"] = "no active user with this login or name";
        } else {
          body["owner_id"] = u->second;
        }
      } else if (field.starts_with("cf.")) {
        const CustomField* f = nullptr;
        for (const auto& cf : fields) {
          if ("cf." + cf.key == field) f = &cf;
        }
        auto v = CustomValueFromText(*f, cell);
        if (v.ok()) {
          custom[f->key] = v.value();
        } else {
          problems["custom." + f->key] = RowError(v.error());
        }
      } else if (field == "contact_name") {
        contact["name"] = cell;
      } else if (field == "contact_mobile") {
        contact["mobile"] = cell;
      } else if (field == "contact_email") {
        contact["email"] = cell;
      } else {
        body[field] = cell;
      }
    }
    if (!custom.empty()) body["custom"] = custom;
    Error failure = Error::Make(ErrorKind::kInvalid, "validation_failed", "",
                                json::object{{"fields", problems}});
    bool ok = problems.empty();
    if (ok) {
      // Each row is all or nothing: the customer with its contact, or neither.
      c.Exec("SAVEPOINT import_row");
      auto made = CreateCustomerIn(c, who, body, meta, id);
      if (made.ok() && !contact.empty()) {
        if (!contact.contains("name")) contact["name"] = made->at("name");
        contact["customer_id"] = made->at("id");
        auto person = CreateContactIn(c, who, contact, meta, id);
        if (!person.ok()) made = std::move(person).error();
      }
      if (made.ok()) {
        c.Exec("RELEASE SAVEPOINT import_row");
        ++created;
        if (made->contains("duplicates")) ++duplicates;
        c.Exec("INSERT INTO import_records (tenant_id, import_id, customer_id) VALUES (?, ?, ?)",
               {V(who.tenant_id), V(id), V(made->at("id").as_int64())});
      } else {
        c.Exec("ROLLBACK TO SAVEPOINT import_row");
        c.Exec("RELEASE SAVEPOINT import_row");
        failure = std::move(made).error();
        ok = false;
        if (failure.code == "duplicate_customer") ++duplicates;
      }
    }
    if (!ok) {
      ++invalid;
      std::string why = RowError(failure);
      if (samples.size() < 50) {
        samples.push_back(
            json::object{{"line", reader.line()}, {"code", failure.code}, {"error", why}});
      }
      if (keep_errors) {
        std::vector<std::string> out = *row;
        out.resize(header->size());
        out.push_back(why);
        errors << dataio::CsvLine(out);
      }
    }
  }
  return json::object{{"total", total},
                      {"valid", created},
                      {"invalid", invalid},
                      {"duplicates", duplicates},
                      {"errors", std::move(samples)}};
}

Result<json::object> CrmService::DryRunImport(const Principal& who, std::int64_t id,
                                              const json::object& body, const RequestMeta& meta) {
  std::optional<json::object> report;
  json::object mapping;
  // The rows are created in a transaction that is then rolled back, so the dry run applies
  // every rule a commit would (duplicates within the file included) and writes nothing.
  auto attempt = db_.Write([&](Connection& c) -> Status {
    auto row = FindImport(c, who, id);
    if (!row) return Error::NotFound("import");
    if (row->text(4) == "committed" || row->text(4) == "reverted") {
      return Error::Conflict("import_committed", "This import has been committed already.");
    }
    auto stored = ParseJson(row->text(5));
    mapping = stored && stored->is_object() ? stored->get_object() : json::object{};
    if (auto it = body.find("mapping"); it != body.end()) {
      if (!it->value().is_object()) return FieldError("mapping", "must be an object");
      mapping = it->value().get_object();
    }
    auto r = RunImport(c, who, id, mapping, meta, true);
    if (!r.ok()) return std::move(r).error();
    report = std::move(r).value();
    return Error::Make(ErrorKind::kInternal, "dry_run", "rolled back on purpose");
  });
  if (!report) return std::move(attempt).error();
  (*report)["error_file"] = (*report)["invalid"].as_int64() > 0
                                ? json::value(fmt::format("/api/v1/imports/{}/errors", id))
                                : json::value(nullptr);
  return db_.Write([&](Connection& c) -> Result<json::object> {
    c.Exec(
        "UPDATE imports SET status = 'validated', mapping = ?, report = ?, updated_at = ? WHERE "
        "tenant_id = ? AND import_id = ?",
        {V(ToJson(mapping)), V(ToJson(*report)), V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    return json::object{
        {"id", id}, {"status", "validated"}, {"dry_run", true}, {"report", *report}};
  });
}

Result<json::object> CrmService::CommitImport(const Principal& who, std::int64_t id,
                                              const json::object& body, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = FindImport(c, who, id);
    if (!row) return Error::NotFound("import");
    // Committing again answers what the first commit did.
    if (row->text(4) == "committed" || row->text(4) == "reverted") {
      auto report = ParseJson(row->text(6));
      return json::object{
          {"id", id}, {"status", row->text(4)}, {"report", report ? *report : json::value()}};
    }
    auto stored = ParseJson(row->text(5));
    json::object mapping = stored && stored->is_object() ? stored->get_object() : json::object{};
    if (auto it = body.find("mapping"); it != body.end()) {
      if (!it->value().is_object()) return FieldError("mapping", "must be an object");
      mapping = it->value().get_object();
    }
    auto report = RunImport(c, who, id, mapping, meta, true);
    if (!report.ok()) return std::move(report).error();
    json::object rep = std::move(report).value();
    rep["error_file"] = rep["invalid"].as_int64() > 0
                            ? json::value(fmt::format("/api/v1/imports/{}/errors", id))
                            : json::value(nullptr);
    c.Exec(
        "UPDATE imports SET status = 'committed', mapping = ?, report = ?, updated_at = ? WHERE "
        "tenant_id = ? AND import_id = ?",
        {V(ToJson(mapping)), V(ToJson(rep)), V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    identity::RecordAudit(c, who, meta,
                          {"import.commit",
                           "import",
                           std::to_string(id),
                           {},
                           json::object{{"created", rep["valid"]}, {"invalid", rep["invalid"]}}});
    return json::object{{"id", id}, {"status", "committed"}, {"report", rep}};
  });
}

Result<json::object> CrmService::RevertImport(const Principal& who, std::int64_t id,
                                              const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = FindImport(c, who, id);
    if (!row) return Error::NotFound("import");
    if (row->text(4) == "reverted")
      return json::object{{"id", id}, {"status", "reverted"}, {"reverted", 0}};
    if (row->text(4) != "committed") {
      return Error::Conflict("import_not_committed", "Only a committed import can be reverted.");
    }
    auto ids = c.Query(
        "SELECT r.customer_id FROM import_records r JOIN customers cu ON "
        "cu.tenant_id = r.tenant_id AND cu.customer_id = r.customer_id WHERE "
        "r.tenant_id = ? AND r.import_id = ? AND cu.deleted_at IS NULL",
        {V(who.tenant_id), V(id)});
    for (const auto& r : ids.rows) {
      c.Exec(
          "UPDATE customers SET deleted_at = ?, deleted_by = ? WHERE tenant_id = ? AND "
          "customer_id = ?",
          {V(ToMicros(meta.now)), V(who.user_id), V(who.tenant_id), V(r.integer(0))});
      ReindexCustomer(c, who.tenant_id, r.integer(0));
      RecordEvent(c, who.tenant_id, r.integer(0), meta.now, who.user_id, "deleted",
                  json::object{{"import_id", id}, {"reverted", true}});
    }
    std::int64_t n = static_cast<std::int64_t>(ids.rows.size());
    c.Exec(
        "UPDATE imports SET status = 'reverted', updated_at = ? WHERE tenant_id = ? AND import_id "
        "= ?",
        {V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    identity::RecordAudit(
        c, who, meta,
        {"import.revert", "import", std::to_string(id), {}, json::object{{"reverted", n}}});
    return json::object{{"id", id}, {"status", "reverted"}, {"reverted", n}};
  });
}

Result<std::string> CrmService::ImportErrors(const Principal& who, std::int64_t id) {
  auto row = db_.Read([&](Connection& c) { return FindImport(c, who, id); });
  if (!row) return Error::NotFound("import");
  std::ifstream in(ImportPath(files_dir_, who.tenant_id, id, ".errors.csv"), std::ios::binary);
  if (!in)
    return Error::Make(ErrorKind::kNotFound, "no_error_file", "Run a dry run or a commit first.");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
  for (const auto& col : Columns()) header.emplace_back(col.label);
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
      std::string in_list;
      storage::Params params{V(who.tenant_id)};
      for (const auto& item : items) {
        in_list += in_list.empty() ? "?" : ", ?";
        params.push_back(V(item.at("id").as_int64()));
      }
      db_.Read([&](Connection& c) {
        for (auto& r :
             c.Query(fmt::format("SELECT customer_id, name, mobile, email FROM contacts WHERE "
                                 "tenant_id = ? AND is_primary = 1 AND deleted_at IS NULL "
                                 "AND customer_id IN ({})",
                                 in_list),
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
    auto book = dataio::RowsToXlsx(rows, "导出", (fs::path(files_dir_) / "tmp").string());
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
    columns = {{"编号", text("id")},
               {"客户编号", text("customer_id")},
               {"联系人编号", text("contact_id")},
               {"类型", text("type")},
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
