// Sending SMS: templates, the opt-out list, batches and their messages, the dispatcher and the
// provider's callbacks. See service.hpp for the life of a message.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"
#include "messaging/service.hpp"

namespace kelu::messaging {

using storage::Connection;
using storage::Placeholders;
using storage::Row;
using storage::V;

namespace {

constexpr std::int64_t kLeaseMicros = std::int64_t{120} * 1000000;
constexpr std::size_t kMaxListedIds = 1000;  // ids named in one request; more: use a filter
constexpr int kDispatchChunk = 200;

std::string BatchReference(std::int64_t batch_id) { return fmt::format("sms-batch:{}", batch_id); }

// Who a message goes to, and the values its template may use.
struct Recipient {
  std::optional<std::int64_t> customer_id;
  std::optional<std::int64_t> contact_id;
  std::string phone;  // as recorded
  TemplateValues values;
};

// One rendered message before it is stored.
struct Draft {
  const Recipient* to = nullptr;
  std::string phone;  // the mobile number, normalised
  std::string content;
  int segments = 0;
  std::string reason;  // empty: may go
  std::string detail;
};

// Calls `f(chunk)` for pieces of `ids` small enough for one IN (…) list.
template <class F>
void InChunks(const std::vector<std::int64_t>& ids, F&& f) {
  constexpr std::size_t kChunk = 500;
  for (std::size_t i = 0; i < ids.size(); i += kChunk) {
    std::vector<std::int64_t> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(i),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + kChunk)));
    f(chunk);
  }
}

std::string Str(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

// Ids from body[key]: positive integers, at most kMaxListedIds.
Result<std::vector<std::int64_t>> IdList(const json::value& v, const char* key) {
  if (!v.is_array() || v.as_array().empty()) {
    return FieldError(fmt::format("to.{}", key), "a non-empty list of ids");
  }
  if (v.as_array().size() > kMaxListedIds) {
    return FieldError(fmt::format("to.{}", key),
                      fmt::format("at most {} ids; send to a filter for more", kMaxListedIds));
  }
  std::vector<std::int64_t> ids;
  ids.reserve(v.as_array().size());
  for (const auto& x : v.as_array()) {
    if (!x.is_int64() || x.as_int64() <= 0) {
      return FieldError(fmt::format("to.{}", key), "ids are positive integers");
    }
    ids.push_back(x.as_int64());
  }
  return ids;
}

json::value TimeOrNull(const Row& r, std::size_t i, const Zone& zone) {
  if (r.is_null(i)) return nullptr;
  return json::value(FormatRfc3339(FromMicros(r.integer(i)), zone));
}

constexpr const char* kMessageColumns =
    "message_id, batch_id, customer_id, contact_id, phone, content, segments, points, status, "
    "reason, detail, attempts, next_attempt_at, accepted_at, delivery, delivery_code, "
    "delivered_at, receipts, created_at, gateway";

json::object MessageView(const Row& r, const Zone& zone) {
  std::string status = r.text(8);
  return json::object{
      {"id", r.integer(0)},
      {"batch_id", r.integer(1)},
      {"customer_id", OrNull(r.opt_integer(2))},
      {"contact_id", OrNull(r.opt_integer(3))},
      {"phone", r.text(4)},
      {"content", r.text(5)},
      {"segments", r.integer(6)},
      {"points", r.integer(7)},
      {"status", status},
      {"reason", OrNull(r.opt_text(9))},
      {"detail", OrNull(r.opt_text(10))},
      {"attempts", r.integer(11)},
      {"scheduled_for", status == "queued" ? TimeOrNull(r, 12, zone) : json::value(nullptr)},
      {"accepted_at", TimeOrNull(r, 13, zone)},
      {"delivery", OrNull(r.opt_text(14))},
      {"delivery_code", OrNull(r.opt_text(15))},
      {"delivered_at", TimeOrNull(r, 16, zone)},
      {"receipts", r.integer(17)},
      {"created_at", FormatRfc3339(FromMicros(r.integer(18)), zone)},
      {"gateway", r.text(19)}};
}

Error Forbid(const char* what) {
  return Error::Forbidden("forbidden", fmt::format("Only the boss and admins {}.", what));
}

}  // namespace

// ---- Templates ------------------------------------------------------------------------------

namespace {

constexpr const char* kTemplateColumns =
    "template_id, name, type, body, created_by, created_at, updated_at";

json::object TemplateView(const Row& r, const Zone& zone) {
  return json::object{{"id", r.integer(0)},
                      {"name", r.text(1)},
                      {"type", r.text(2)},
                      {"body", r.text(3)},
                      {"created_by", r.integer(4)},
                      {"created_at", FormatRfc3339(FromMicros(r.integer(5)), zone)},
                      {"updated_at", FormatRfc3339(FromMicros(r.integer(6)), zone)}};
}

struct TemplateInput {
  std::string name, type, body;
};

Result<TemplateInput> ReadTemplate(const json::object& body, bool create) {
  Fields f(body);
  f.OnlyKeys({"name", "type", "body"});
  auto name = f.String("name", create, 1, 50);
  auto type = f.Enum("type", create, {"notification", "marketing"});
  auto text = f.String("body", create, 1, 500);
  if (text) {
    auto problems = TemplateProblems(*text);
    if (!problems.empty()) f.Fail("body", problems.front());
  }
  if (!f.ok()) return f.ToError();
  return TemplateInput{name.value_or(""), type.value_or(""), text.value_or("")};
}

}  // namespace

Result<json::object> MessagingService::Templates(const Principal& who) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    json::array items;
    for (const auto& r :
         c.Query(fmt::format("SELECT {} FROM sms_templates WHERE tenant_id = ? ORDER BY name, "
                             "template_id",
                             kTemplateColumns),
                 {V(who.tenant_id)})
             .rows) {
      items.push_back(TemplateView(r, zone_));
    }
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<json::object> MessagingService::CreateTemplate(const Principal& who,
                                                      const json::object& body,
                                                      const RequestMeta& meta) {
  if (!who.is_boss_or_admin()) return Forbid("manage SMS templates");
  auto in = ReadTemplate(body, true);
  if (!in.ok()) return std::move(in).error();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO sms_templates (tenant_id, template_id, name, type, body, created_by, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(in->name), V(in->type), V(in->body), V(who.user_id),
         V(ToMicros(meta.now)), V(ToMicros(meta.now))});
    auto row = c.QueryOne(
        fmt::format("SELECT {} FROM sms_templates WHERE tenant_id = ? AND template_id = ?",
                    kTemplateColumns),
        {V(who.tenant_id), V(id)});
    json::object view = TemplateView(*row, zone_);
    identity::RecordAudit(c, who, meta,
                          {"sms.template_create", "sms_template", std::to_string(id), {}, view});
    return view;
  });
}

Result<json::object> MessagingService::UpdateTemplate(const Principal& who, std::int64_t id,
                                                      const json::object& body,
                                                      const RequestMeta& meta) {
  if (!who.is_boss_or_admin()) return Forbid("manage SMS templates");
  auto in = ReadTemplate(body, false);
  if (!in.ok()) return std::move(in).error();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto select = fmt::format(
        "SELECT {} FROM sms_templates WHERE tenant_id = ? AND template_id = ?", kTemplateColumns);
    auto row = c.QueryOne(select, {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("sms_template");
    json::object before = TemplateView(*row, zone_);
    c.Exec(
        "UPDATE sms_templates SET name = ?, type = ?, body = ?, updated_at = ? WHERE tenant_id = "
        "? AND template_id = ?",
        {V(in->name.empty() ? row->text(1) : in->name),
         V(in->type.empty() ? row->text(2) : in->type),
         V(in->body.empty() ? row->text(3) : in->body), V(ToMicros(meta.now)), V(who.tenant_id),
         V(id)});
    json::object after = TemplateView(*c.QueryOne(select, {V(who.tenant_id), V(id)}), zone_);
    json::object changed_before = before, changed_after = after;
    identity::Diff(changed_before, changed_after);
    identity::RecordAudit(c, who, meta,
                          {"sms.template_update", "sms_template", std::to_string(id),
                           std::move(changed_before), std::move(changed_after)});
    return after;
  });
}

Status MessagingService::DeleteTemplate(const Principal& who, std::int64_t id,
                                        const RequestMeta& meta) {
  if (!who.is_boss_or_admin()) return Forbid("manage SMS templates");
  return db_.Write([&](Connection& c) -> Status {
    if (c.Exec("DELETE FROM sms_templates WHERE tenant_id = ? AND template_id = ?",
               {V(who.tenant_id), V(id)}) == 0) {
      return Error::NotFound("sms_template");
    }
    identity::RecordAudit(c, who, meta,
                          {"sms.template_delete", "sms_template", std::to_string(id), {}, {}});
    return OkStatus();
  });
}

// ---- Opt-outs -------------------------------------------------------------------------------

Result<json::object> MessagingService::OptOuts(const Principal& who, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    std::string after = page.cursor.value_or("");
    auto rows = c.Query(
        "SELECT phone, source, at FROM sms_opt_outs WHERE tenant_id = ? AND phone > ? ORDER BY "
        "phone LIMIT ?",
        {V(who.tenant_id), V(after), V(page.limit)});
    json::array items;
    for (const auto& r : rows.rows) {
      items.push_back(json::object{{"phone", r.text(0)},
                                   {"source", r.text(1)},
                                   {"at", FormatRfc3339(FromMicros(r.integer(2)), zone_)}});
    }
    json::value next = nullptr;
    if (static_cast<int>(rows.rows.size()) == page.limit)
      next = json::value(rows.rows.back().text(0));
    return json::object{{"items", std::move(items)}, {"next_cursor", next}};
  });
}

Result<json::object> MessagingService::AddOptOut(const Principal& who, const json::object& body,
                                                 const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"phone"});
  auto raw = f.String("phone", true, 1, 40);
  std::optional<std::string> phone;
  if (raw) {
    phone = MobileNumber(*raw);
    if (!phone) f.Fail("phone", "not a mainland mobile number");
  }
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    c.Exec(
        "INSERT INTO sms_opt_outs (tenant_id, phone, source, at) VALUES (?, ?, 'manual', ?) ON "
        "CONFLICT (tenant_id, phone) DO NOTHING",
        {V(who.tenant_id), V(*phone), V(ToMicros(meta.now))});
    identity::RecordAudit(c, who, meta, {"sms.opt_out_add", "sms_opt_out", *phone, {}, {}});
    auto r = c.QueryOne(
        "SELECT phone, source, at FROM sms_opt_outs WHERE tenant_id = ? AND "
        "phone = ?",
        {V(who.tenant_id), V(*phone)});
    return json::object{{"phone", r->text(0)},
                        {"source", r->text(1)},
                        {"at", FormatRfc3339(FromMicros(r->integer(2)), zone_)}};
  });
}

Status MessagingService::RemoveOptOut(const Principal& who, const std::string& raw,
                                      const RequestMeta& meta) {
  if (!who.is_boss_or_admin()) return Forbid("take a number off the opt-out list");
  auto phone = MobileNumber(raw);
  if (!phone) return Error::NotFound("sms_opt_out");
  return db_.Write([&](Connection& c) -> Status {
    if (c.Exec("DELETE FROM sms_opt_outs WHERE tenant_id = ? AND phone = ?",
               {V(who.tenant_id), V(*phone)}) == 0) {
      return Error::NotFound("sms_opt_out");
    }
    identity::RecordAudit(c, who, meta, {"sms.opt_out_remove", "sms_opt_out", *phone, {}, {}});
    return OkStatus();
  });
}

// ---- Sending --------------------------------------------------------------------------------

namespace {

// The recipients named by body["to"], within what the caller may see.
Result<std::vector<Recipient>> Recipients(crm::CrmService& crm, storage::Database& db,
                                          const Principal& who, const json::value* to,
                                          int max_recipients) {
  if (!to || !to->is_object()) {
    return FieldError("to", "required: {contact_ids}, {customer_ids} or {filter}");
  }
  const json::object& o = to->as_object();
  std::vector<json::object> contacts, customers;
  if (const auto* ids = o.if_contains("contact_ids")) {
    auto list = IdList(*ids, "contact_ids");
    if (!list.ok()) return std::move(list).error();
    for (std::int64_t id : *list) {
      auto got = crm.GetContact(who, id);
      if (!got.ok()) return std::move(got).error();
      contacts.push_back(std::move(*got));
    }
  } else if (const auto* ids = o.if_contains("customer_ids")) {
    auto list = IdList(*ids, "customer_ids");
    if (!list.ok()) return std::move(list).error();
    for (std::int64_t id : *list) {
      auto got = crm.GetCustomer(who, id);
      if (!got.ok()) return std::move(got).error();
      customers.push_back(std::move(*got));
    }
  } else if (const auto* filter = o.if_contains("filter"); filter && filter->is_object()) {
    std::string entity = Str(filter->as_object(), "entity");
    if (entity != "customers" && entity != "contacts") {
      return FieldError("to.filter.entity", "customers or contacts");
    }
    crm::Filters filters;
    if (const auto* q = filter->as_object().if_contains("query")) {
      if (!q->is_object()) return FieldError("to.filter.query", "an object of list filters");
      for (const auto& [k, v] : q->as_object()) {
        if (k == "limit" || k == "cursor") continue;
        if (!v.is_string()) return FieldError("to.filter.query", "values are strings");
        filters.emplace(std::string(k), std::string(v.as_string()));
      }
    }
    Page page;
    page.limit = 200;
    for (;;) {
      auto got = entity == "contacts" ? crm.ListContacts(who, filters, page)
                                      : crm.ListCustomers(who, filters, page);
      if (!got.ok()) return std::move(got).error();
      auto& target = entity == "contacts" ? contacts : customers;
      for (auto& item : got->at("items").as_array()) target.push_back(std::move(item.as_object()));
      if (static_cast<int>(target.size()) > max_recipients) {
        return Error::Make(ErrorKind::kInvalid, "too_many_recipients",
                           fmt::format("One send reaches at most {} recipients; narrow the "
                                       "filter.",
                                       max_recipients));
      }
      const json::value& next = got->at("next_cursor");
      if (next.is_null()) break;
      page.cursor = std::string(next.as_string());
    }
  } else {
    return FieldError("to", "one of contact_ids, customer_ids or filter");
  }

  std::vector<Recipient> out;
  out.reserve(contacts.size() + customers.size());
  db.Read([&](Connection& c) {
    if (!contacts.empty()) {
      // Their customers' names and owners.
      std::vector<std::int64_t> ids;
      ids.reserve(contacts.size());
      for (const auto& ct : contacts) ids.push_back(ct.at("customer_id").as_int64());
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      std::unordered_map<std::int64_t, std::pair<std::string, std::string>> names;
      InChunks(ids, [&](const std::vector<std::int64_t>& chunk) {
        storage::Params params{V(who.tenant_id)};
        for (auto id : chunk) params.push_back(V(id));
        for (const auto& r :
             c.Query(fmt::format("SELECT cu.customer_id, cu.name, coalesce(u.name, '') FROM "
                                 "customers cu LEFT JOIN users u ON u.tenant_id = cu.tenant_id "
                                 "AND u.user_id = cu.owner_id WHERE cu.tenant_id = ? AND "
                                 "cu.customer_id IN ({})",
                                 Placeholders(chunk.size())),
                     params)
                 .rows) {
          names[r.integer(0)] = {r.text(1), r.text(2)};
        }
      });
      for (const auto& ct : contacts) {
        Recipient r;
        r.customer_id = ct.at("customer_id").as_int64();
        r.contact_id = ct.at("id").as_int64();
        r.phone = Str(ct, "mobile");
        r.values.contact_name = Str(ct, "name");
        r.values.title = Str(ct, "title");
        const auto& n = names[*r.customer_id];
        r.values.customer_name = n.first;
        r.values.owner = n.second;
        out.push_back(std::move(r));
      }
    }
    if (!customers.empty()) {
      // Each customer's primary contact with a mobile (else the first with one).
      std::vector<std::int64_t> ids;
      ids.reserve(customers.size());
      for (const auto& cu : customers) ids.push_back(cu.at("id").as_int64());
      std::unordered_map<std::int64_t, Row> best;
      InChunks(ids, [&](const std::vector<std::int64_t>& chunk) {
        storage::Params params{V(who.tenant_id)};
        for (auto id : chunk) params.push_back(V(id));
        for (auto& r : c.Query(fmt::format("SELECT customer_id, contact_id, name, title, mobile "
                                           "FROM contacts WHERE tenant_id = ? AND customer_id IN "
                                           "({}) AND deleted_at IS NULL AND mobile <> '' ORDER BY "
                                           "customer_id, is_primary DESC, contact_id",
                                           Placeholders(chunk.size())),
                               params)
                           .rows) {
          if (!MobileNumber(r.text(4))) continue;
          best.try_emplace(r.integer(0), std::move(r));
        }
      });
      for (const auto& cu : customers) {
        Recipient r;
        r.customer_id = cu.at("id").as_int64();
        r.values.customer_name = Str(cu, "name");
        if (const auto& owner = cu.at("owner"); owner.is_object()) {
          r.values.owner = Str(owner.as_object(), "name");
        }
        if (auto it = best.find(*r.customer_id); it != best.end()) {
          r.contact_id = it->second.integer(1);
          r.values.contact_name = it->second.text(2);
          r.values.title = it->second.text(3);
          r.phone = it->second.text(4);
        } else if (const auto* phones = cu.if_contains("phones"); phones && phones->is_array()) {
          for (const auto& p : phones->as_array()) {
            if (p.is_string() && MobileNumber(p.as_string())) {
              r.phone = std::string(p.as_string());
              break;
            }
          }
        }
        out.push_back(std::move(r));
      }
    }
  });
  return out;
}

}  // namespace

namespace {

constexpr const char* kBatchColumns =
    "b.batch_id, b.type, b.body, b.template_id, b.signature, b.audience, b.recipients, "
    "b.points_held, b.created_by, b.created_at, (SELECT name FROM users u WHERE u.tenant_id = "
    "b.tenant_id AND u.user_id = b.created_by)";

std::optional<Row> BatchRow(Connection& c, std::int64_t tenant_id, std::int64_t batch_id) {
  return c.QueryOne(
      fmt::format("SELECT {} FROM sms_batches b WHERE b.tenant_id = ? AND b.batch_id = ?",
                  kBatchColumns),
      {V(tenant_id), V(batch_id)});
}

json::object BatchView(Connection& c, std::int64_t tenant_id, const Row& r, const Zone& zone) {
  json::object counts{{"queued", 0},  {"sending", 0}, {"accepted", 0},
                      {"refused", 0}, {"failed", 0},  {"cancelled", 0}};
  std::int64_t charged = 0;
  json::value scheduled = nullptr;
  json::object delivery{{"delivered", 0}, {"undelivered", 0}};
  for (const auto& s :
       c.Query("SELECT status, count(*), coalesce(sum(points), 0), min(next_attempt_at) FROM "
               "sms_messages WHERE tenant_id = ? AND batch_id = ? GROUP BY status",
               {V(tenant_id), V(r.integer(0))})
           .rows) {
    counts[s.text(0)] = s.integer(1);
    if (s.text(0) == "accepted") charged = s.integer(2);
    if (s.text(0) == "queued") scheduled = TimeOrNull(s, 3, zone);
  }
  for (const auto& s : c.Query("SELECT delivery, count(*) FROM sms_messages WHERE tenant_id = ? "
                               "AND batch_id = ? AND delivery IS NOT NULL GROUP BY delivery",
                               {V(tenant_id), V(r.integer(0))})
                           .rows) {
    delivery[s.text(0)] = s.integer(1);
  }
  return json::object{{"id", r.integer(0)},
                      {"type", r.text(1)},
                      {"body", r.text(2)},
                      {"template_id", OrNull(r.opt_integer(3))},
                      {"signature", r.text(4)},
                      {"audience", ParseJson(r.text(5)).value_or(json::object{})},
                      {"recipients", r.integer(6)},
                      {"points_held", r.integer(7)},
                      {"points_charged", charged},
                      {"counts", std::move(counts)},
                      {"delivery", std::move(delivery)},
                      {"scheduled_for", scheduled},
                      {"created_by", json::object{{"id", r.integer(8)}, {"name", r.text(10)}}},
                      {"created_at", FormatRfc3339(FromMicros(r.integer(9)), zone)}};
}

}  // namespace

Result<json::object> MessagingService::Send(const Principal& who, const json::object& body,
                                            const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"type", "text", "template_id", "to", "send_partial"});
  auto type = f.Enum("type", false, {"notification", "marketing"});
  auto text = f.String("text", false, 1, 500);
  auto template_id = f.Int("template_id", false, 1, INT64_MAX);
  bool send_partial = f.Bool("send_partial", false).value_or(false);
  if (text && template_id) f.Fail("text", "give text or template_id, not both");
  if (!text && !template_id && f.ok()) f.Fail("text", "required (or template_id)");
  if (text) {
    auto problems = TemplateProblems(*text);
    if (!problems.empty()) f.Fail("text", problems.front());
  }
  if (!f.ok()) return f.ToError();

  // The signature, and the template.
  std::string signature, template_body = text.value_or("");
  std::string kind = type.value_or("");
  auto loaded = db_.Read([&](Connection& c) -> Status {
    auto sig = c.QueryOne(
        "SELECT signature FROM sms_signatures WHERE tenant_id = ? AND status "
        "= 'approved'",
        {V(who.tenant_id)});
    if (!sig) {
      return Error::Conflict("sms_signature_required",
                             "短信签名尚未通过审核，不能发送。An approved SMS signature is needed "
                             "before sending.");
    }
    signature = sig->text(0);
    if (template_id) {
      auto t =
          c.QueryOne("SELECT type, body FROM sms_templates WHERE tenant_id = ? AND template_id = ?",
                     {V(who.tenant_id), V(*template_id)});
      if (!t) return Error::NotFound("sms_template");
      if (kind.empty()) kind = t->text(0);
      template_body = t->text(1);
    }
    return OkStatus();
  });
  if (!loaded.ok()) return std::move(loaded).error();
  if (kind.empty()) kind = "notification";
  bool marketing = kind == "marketing";

  // The words of the template itself refuse the whole send.
  auto op_filter = OperatorFilter();
  auto own_filter = TenantFilter(who.tenant_id);
  auto words_in = [&](std::string_view s) {
    auto found = op_filter->Find(s);
    for (auto& w : own_filter->Find(s)) {
      if (std::find(found.begin(), found.end(), w) == found.end()) found.push_back(std::move(w));
    }
    return found;
  };
  auto sensitive = [](const std::vector<std::string>& words) {
    json::array list;
    for (const auto& w : words) list.push_back(json::value(w));
    return Error::Make(
        ErrorKind::kInvalid, "sensitive_words",
        fmt::format("短信含敏感词，未发送、未扣点：{}。The message contains sensitive words and "
                    "was neither sent nor charged.",
                    fmt::join(words, "、")),
        {{"words", std::move(list)}});
  };
  if (auto words = words_in(signature + RenderTemplate(template_body, {})); !words.empty()) {
    return sensitive(words);
  }

  auto recipients = Recipients(crm_, db_, who, body.if_contains("to"), sms_.max_recipients);
  if (!recipients.ok()) return std::move(recipients).error();

  // Render and check every message.
  std::vector<Draft> drafts;
  drafts.reserve(recipients->size());
  std::unordered_set<std::string> seen;
  for (const auto& r : *recipients) {
    Draft d;
    d.to = &r;
    std::string rendered = RenderTemplate(template_body, r.values);
    if (marketing) rendered += sms_.unsubscribe_text;
    d.content = Bracketed(signature) + rendered;
    auto size = MeasureSms(signature, rendered);
    d.segments = size ? size->segments : 0;
    auto phone = MobileNumber(r.phone);
    if (!phone) {
      d.reason = "no_mobile";
      d.detail = r.phone.empty() ? "no mobile number" : r.phone + " is not a mobile number";
    } else {
      d.phone = *phone;
      if (!seen.insert(*phone).second) {
        d.reason = "duplicate_recipient";
      } else if (!size || Utf8Length(rendered).value_or(0) > 500) {
        d.reason = "too_long";
        d.detail = "more than 500 characters once rendered";
      } else if (auto words = words_in(d.content); !words.empty()) {
        d.reason = "sensitive_words";
        d.detail = fmt::format("{}", fmt::join(words, "、"));
      }
    }
    if (d.phone.empty()) d.phone = r.phone;
    drafts.push_back(std::move(d));
  }

  Timestamp now = meta.now;
  Timestamp due = EarliestSend(now, marketing, window_, zone_);
  std::int64_t hour_ago = ToMicros(now - std::chrono::hours(1));
  std::int64_t day_ago = ToMicros(now - std::chrono::hours(24));
  std::string gateway = gateway_.name();

  auto result = db_.Write([&](Connection& c) -> Result<json::object> {
    // The opt-out list and the per-number limits, read inside the transaction that stores the
    // messages, so two sends cannot both pass a limit.
    for (auto& d : drafts) {
      if (!d.reason.empty()) continue;
      if (marketing && c.QueryOne("SELECT 1 FROM sms_opt_outs WHERE tenant_id = ? AND phone = ?",
                                  {V(who.tenant_id), V(d.phone)})) {
        d.reason = "opted_out";
        continue;
      }
      auto counts = c.QueryOne(
          "SELECT count(*), coalesce(sum(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), 0) FROM "
          "sms_messages WHERE tenant_id = ? AND phone = ? AND created_at >= ? AND status NOT IN "
          "('refused', 'cancelled', 'failed')",
          {V(hour_ago), V(who.tenant_id), V(d.phone), V(day_ago)});
      if (counts->integer(1) >= sms_.per_number_hourly ||
          counts->integer(0) >= sms_.per_number_daily) {
        d.reason = "frequency_limited";
        d.detail = fmt::format("at most {} per hour and {} per day to one number",
                               sms_.per_number_hourly, sms_.per_number_daily);
      }
    }
    // One recipient refused: say why, store nothing.
    if (drafts.size() == 1 && !drafts[0].reason.empty()) {
      const Draft& d = drafts[0];
      if (d.reason == "opted_out") {
        return Error::Conflict("sms_opted_out",
                               fmt::format("{} 已退订营销短信。This number opted out of marketing "
                                           "messages.",
                                           d.phone));
      }
      if (d.reason == "frequency_limited") {
        return Error::Make(ErrorKind::kRateLimited, "sms_frequency_limited",
                           fmt::format("发送过于频繁：同一号码{}。Too many messages to this "
                                       "number: {}.",
                                       d.detail, d.detail));
      }
      if (d.reason == "sensitive_words") {
        std::vector<std::string> words;
        for (auto w : words_in(d.content)) words.push_back(std::move(w));
        return sensitive(words);
      }
      return Error::Make(ErrorKind::kInvalid, d.reason, d.detail.empty() ? d.reason : d.detail);
    }
    // Points: what the messages that may go need, against what is usable.
    std::int64_t available = c.QueryInt(
        "SELECT coalesce(sum(remaining), 0) FROM point_lots WHERE tenant_id = ? AND "
        "kind = 'sms' AND forfeited_at IS NULL",
        {V(who.tenant_id)});
    std::int64_t needed = 0;
    for (const auto& d : drafts) {
      if (d.reason.empty()) needed += d.segments;
    }
    if (needed > available && !send_partial) {
      return Error::Conflict(
          "insufficient_points",
          fmt::format("需要 {} 点，剩余 {} 点：请先购买短信包。{} points are needed and {} are "
                      "left; buy a pack first.",
                      needed, available, needed, available),
          {{"needed", needed}, {"available", available}});
    }
    std::int64_t held = 0;
    for (auto& d : drafts) {
      if (!d.reason.empty()) continue;
      if (held + d.segments > available) {
        d.reason = "insufficient_points";
        continue;
      }
      held += d.segments;
    }
    std::int64_t batch_id = c.NextId();
    if (held > 0) {
      auto hold = billing_.HoldPoints(c, who.tenant_id, "sms", held, BatchReference(batch_id), now);
      if (!hold.ok()) return std::move(hold).error();
    } else if (drafts.size() == 1) {
      return Error::Conflict("insufficient_points", "No SMS points are left; buy a pack first.",
                             {{"needed", drafts[0].segments}, {"available", available}});
    }
    json::object audience = body.at("to").as_object();
    c.Exec(
        "INSERT INTO sms_batches (tenant_id, batch_id, type, body, template_id, signature, "
        "audience, recipients, points_held, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?)",
        {V(who.tenant_id), V(batch_id), V(kind), V(template_body), V(template_id), V(signature),
         V(ToJson(audience)), V(static_cast<std::int64_t>(drafts.size())), V(held), V(who.user_id),
         V(ToMicros(now))});
    c.ReserveIds(static_cast<int>(std::min<std::size_t>(drafts.size() * 2, 1 << 20)));
    std::int64_t queued = 0, refused = 0;
    json::array refusals;
    for (const auto& d : drafts) {
      std::int64_t id = c.NextId();
      bool go = d.reason.empty();
      (go ? queued : refused) += 1;
      c.Exec(
          "INSERT INTO sms_messages (tenant_id, message_id, batch_id, customer_id, contact_id, "
          "phone, content, segments, points, status, reason, detail, gateway, next_attempt_at, "
          "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {V(who.tenant_id), V(id), V(batch_id), V(d.to->customer_id), V(d.to->contact_id),
           V(d.phone), V(d.content), V(static_cast<std::int64_t>(d.segments)),
           V(static_cast<std::int64_t>(go ? d.segments : 0)), V(go ? "queued" : "refused"),
           V(go ? std::nullopt : std::optional<std::string>(d.reason)),
           V(d.detail.empty() ? std::nullopt : std::optional<std::string>(d.detail)), V(gateway),
           V(ToMicros(go ? due : now)), V(ToMicros(now))});
      if (d.to->customer_id) {
        crm::CrmService::AddTimelineEvent(c, who.tenant_id, *d.to->customer_id, now, who.user_id,
                                          "sms",
                                          json::object{{"message_id", id},
                                                       {"batch_id", batch_id},
                                                       {"type", kind},
                                                       {"phone", d.phone},
                                                       {"content", d.content},
                                                       {"contact_id", OrNull(d.to->contact_id)}});
      }
      if (!go && refusals.size() < 100) {
        refusals.push_back(json::object{
            {"customer_id", OrNull(d.to->customer_id)},
            {"contact_id", OrNull(d.to->contact_id)},
            {"phone", d.phone},
            {"reason", d.reason},
            {"detail", d.detail.empty() ? json::value(nullptr) : json::value(d.detail)}});
      }
    }
    identity::RecordAudit(c, who, meta,
                          {"sms.send",
                           "sms_batch",
                           std::to_string(batch_id),
                           {},
                           json::object{{"type", kind},
                                        {"recipients", static_cast<std::int64_t>(drafts.size())},
                                        {"queued", queued},
                                        {"refused", refused},
                                        {"points_held", held}}});
    // The answer shows the batch as this send leaves it (queued + refused = recipients), read
    // before the dispatcher can move any of it on.
    auto row = BatchRow(c, who.tenant_id, batch_id);
    json::object view = BatchView(c, who.tenant_id, *row, zone_);
    view["refusals"] = std::move(refusals);
    return view;
  });
  if (!result.ok()) return std::move(result).error();
  poller_.Wake();
  return result;
}

Result<json::object> MessagingService::Batches(const Principal& who, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    // The boss and admins see every send; others their own.
    std::string mine = who.is_boss_or_admin() ? "" : " AND b.created_by = ?";
    storage::Params params{V(who.tenant_id), V(identity::CursorBefore(page))};
    if (!mine.empty()) params.push_back(V(who.user_id));
    params.push_back(V(page.limit));
    auto rows = c.Query(fmt::format("SELECT {} FROM sms_batches b WHERE b.tenant_id = ? AND "
                                    "b.batch_id < ?{} ORDER BY b.batch_id DESC LIMIT ?",
                                    kBatchColumns, mine),
                        params);
    return identity::PageOfRows(
        rows, page, [&](const Row& r) { return BatchView(c, who.tenant_id, r, zone_); });
  });
}

Result<json::object> MessagingService::Batch(const Principal& who, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = BatchRow(c, who.tenant_id, id);
    if (!row || (!who.is_boss_or_admin() && row->integer(8) != who.user_id)) {
      return Error::NotFound("sms_batch");
    }
    return BatchView(c, who.tenant_id, *row, zone_);
  });
}

Result<json::object> MessagingService::BatchMessages(const Principal& who, std::int64_t id,
                                                     const Page& page) {
  auto batch = Batch(who, id);
  if (!batch.ok()) return std::move(batch).error();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(fmt::format("SELECT {} FROM sms_messages WHERE tenant_id = ? AND "
                                    "batch_id = ? AND message_id < ? ORDER BY message_id DESC "
                                    "LIMIT ?",
                                    kMessageColumns),
                        {V(who.tenant_id), V(id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) { return MessageView(r, zone_); });
  });
}

Result<json::object> MessagingService::CustomerMessages(const Principal& who,
                                                        std::int64_t customer_id,
                                                        const Page& page) {
  auto visible = crm_.GetCustomer(who, customer_id);
  if (!visible.ok()) return std::move(visible).error();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows =
        c.Query(fmt::format("SELECT {} FROM sms_messages WHERE tenant_id = ? AND "
                            "customer_id = ? AND message_id < ? ORDER BY message_id DESC "
                            "LIMIT ?",
                            kMessageColumns),
                {V(who.tenant_id), V(customer_id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) { return MessageView(r, zone_); });
  });
}

Result<json::object> MessagingService::Outbox(const Principal& who, const Page& page) {
  if (!who.is_boss()) {
    return Error::Forbidden("boss_only", "Only the boss reads the SMS outbox.");
  }
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(fmt::format("SELECT {} FROM sms_messages WHERE tenant_id = ? AND gateway "
                                    "= 'log' AND status = 'accepted' AND message_id < ? ORDER BY "
                                    "message_id DESC LIMIT ?",
                                    kMessageColumns),
                        {V(who.tenant_id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) { return MessageView(r, zone_); });
  });
}

// ---- The dispatcher -------------------------------------------------------------------------

namespace {

struct Claimed {
  std::int64_t tenant_id = 0;
  std::int64_t message_id = 0;
  std::int64_t batch_id = 0;
  std::int64_t points = 0;
  std::int64_t attempts = 0;  // including this one
  OutgoingSms sms;
  GatewayAnswer answer;
};

// Charges and releases per batch, applied once per transaction.
using Settlements =
    std::map<std::pair<std::int64_t, std::int64_t>, std::pair<std::int64_t, std::int64_t>>;

}  // namespace

int MessagingService::DispatchDue() {
  int handled = 0;
  for (;;) {
    Timestamp now = clock_.now();
    std::vector<Claimed> claimed;
    db_.Write([&](Connection& c) {
      // Messages whose sender stopped mid-way (lease over) first, then those due, oldest first;
      // two queries, so each walks the (status, next_attempt_at) index without sorting.
      constexpr const char* kClaim =
          "SELECT m.tenant_id, m.message_id, m.batch_id, m.phone, m.content, m.points, "
          "m.attempts, t.state FROM sms_messages m JOIN tenants t ON t.tenant_id = m.tenant_id "
          "WHERE m.status = ? AND m.next_attempt_at <= ? {} ORDER BY m.next_attempt_at LIMIT ?";
      auto rows = c.Query(fmt::format(kClaim, "AND m.lease_until < ?"),
                          {V("sending"), V(INT64_MAX), V(ToMicros(now)), V(kDispatchChunk)});
      if (rows.rows.size() < static_cast<std::size_t>(kDispatchChunk)) {
        auto due = c.Query(fmt::format(kClaim, ""),
                           {V("queued"), V(ToMicros(now)),
                            V(kDispatchChunk - static_cast<std::int64_t>(rows.rows.size()))});
        for (auto& r : due.rows) rows.rows.push_back(std::move(r));
      }
      Settlements release;
      for (const auto& r : rows.rows) {
        std::int64_t tenant_id = r.integer(0), id = r.integer(1), batch = r.integer(2);
        if (r.text(7) != "active") {
          // A tenant that stopped being active sends nothing more: its points go back.
          c.Exec(
              "UPDATE sms_messages SET status = 'cancelled', reason = 'tenant_not_active', "
              "lease_until = NULL WHERE tenant_id = ? AND message_id = ?",
              {V(tenant_id), V(id)});
          release[{tenant_id, batch}].second += r.integer(5);
          continue;
        }
        c.Exec(
            "UPDATE sms_messages SET status = 'sending', lease_until = ?, attempts = attempts + 1 "
            "WHERE tenant_id = ? AND message_id = ?",
            {V(ToMicros(now) + kLeaseMicros), V(tenant_id), V(id)});
        Claimed m;
        m.tenant_id = tenant_id;
        m.message_id = id;
        m.batch_id = batch;
        m.points = r.integer(5);
        m.attempts = r.integer(6) + 1;
        m.sms = {ExternalId(tenant_id, id), std::to_string(tenant_id), r.text(3), r.text(4)};
        claimed.push_back(std::move(m));
      }
      for (const auto& [key, amounts] : release) {
        billing_.SettleHeld(c, key.first, BatchReference(key.second), 0, amounts.second, now);
      }
      handled += static_cast<int>(rows.rows.size() - claimed.size());
    });
    if (claimed.empty()) return handled;
    for (auto& m : claimed) m.answer = gateway_.Send(m.sms);
    Timestamp done = clock_.now();
    db_.Write([&](Connection& c) {
      Settlements settle;
      for (const auto& m : claimed) {
        using Outcome = GatewayAnswer::Outcome;
        const GatewayAnswer& a = m.answer;
        auto& amounts = settle[{m.tenant_id, m.batch_id}];
        if (a.outcome == Outcome::kAccepted) {
          c.Exec(
              "UPDATE sms_messages SET status = 'accepted', accepted_at = ?, provider_id = ?, "
              "reason = NULL, detail = NULL, lease_until = NULL WHERE tenant_id = ? AND "
              "message_id = ? AND status = 'sending'",
              {V(ToMicros(done)), V(a.provider_id), V(m.tenant_id), V(m.message_id)});
          amounts.first += m.points;
        } else if (a.outcome == Outcome::kRefused || m.attempts >= sms_.max_attempts) {
          bool refused = a.outcome == Outcome::kRefused;
          c.Exec(
              "UPDATE sms_messages SET status = ?, reason = ?, detail = ?, lease_until = NULL "
              "WHERE tenant_id = ? AND message_id = ? AND status = 'sending'",
              {V(refused ? "refused" : "failed"),
               V(refused ? "gateway_refused" : "gateway_unreachable"),
               V(a.code + (a.detail.empty() ? "" : ": " + a.detail)), V(m.tenant_id),
               V(m.message_id)});
          amounts.second += m.points;
        } else {
          std::int64_t backoff = RetryBackoffMicros(sms_.retry_base_seconds, m.attempts, 16);
          c.Exec(
              "UPDATE sms_messages SET status = 'queued', next_attempt_at = ?, detail = ?, "
              "lease_until = NULL WHERE tenant_id = ? AND message_id = ? AND status = 'sending'",
              {V(ToMicros(done) + backoff), V(a.code + (a.detail.empty() ? "" : ": " + a.detail)),
               V(m.tenant_id), V(m.message_id)});
          spdlog::info("sms {} not sent (attempt {}): {} {}", m.sms.id, m.attempts, a.code,
                       a.detail);
        }
      }
      for (const auto& [key, amounts] : settle) {
        if (amounts.first + amounts.second == 0) continue;
        billing_.SettleHeld(c, key.first, BatchReference(key.second), amounts.first, amounts.second,
                            done);
      }
    });
    handled += static_cast<int>(claimed.size());
  }
}

void MessagingService::Start(std::chrono::milliseconds poll) {
  poller_.Start([this] { DispatchDue(); }, poll,
                [](const std::exception& e) { spdlog::error("sms dispatcher: {}", e.what()); });
}

void MessagingService::Stop() { poller_.Stop(); }

// ---- The provider's callbacks ---------------------------------------------------------------

namespace {

constexpr auto kCallbackWindow = std::chrono::minutes(5);

}  // namespace

Status MessagingService::VerifyCallback(std::string_view body, std::string_view timestamp,
                                        std::string_view signature, Timestamp now) const {
  if (sms_.callback_secret.empty()) return Error::NotFound("route");
  if (timestamp.empty() ||
      !ConstantTimeEqual(SignRequest(sms_.callback_secret, timestamp, body), signature)) {
    return Error::Make(ErrorKind::kUnauthorized, "bad_signature",
                       "The request's X-Kelu-Signature does not match its body.");
  }
  std::int64_t seconds = 0;
  auto [p, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  auto skew = std::chrono::seconds(seconds) - std::chrono::duration_cast<std::chrono::seconds>(
                                                  now.time_since_epoch());
  if (ec != std::errc{} || p != timestamp.data() + timestamp.size() || skew > kCallbackWindow ||
      skew < -kCallbackWindow) {
    return Error::Make(ErrorKind::kUnauthorized, "callback_expired",
                       "X-Kelu-Timestamp is more than 5 minutes from now; sign the callback anew.");
  }
  return OkStatus();
}

Status MessagingService::ClaimCallback(Connection& c, std::string_view signature, Timestamp now) {
  // Signatures older than twice the window cannot be replayed anyway (their timestamp is stale).
  c.Exec("DELETE FROM callback_signatures WHERE seen_at < ?",
         {V(ToMicros(now - 2 * kCallbackWindow))});
  if (c.Exec("INSERT INTO callback_signatures (signature, seen_at) VALUES (?, ?) ON CONFLICT "
             "DO NOTHING",
             {V(std::string(signature)), V(ToMicros(now))}) == 0) {
    return Error::Conflict("callback_replayed",
                           "This callback was received before; a replay changes nothing.");
  }
  return OkStatus();
}

Result<json::object> MessagingService::Receipts(std::string_view body, std::string_view timestamp,
                                                std::string_view signature) {
  Timestamp now = clock_.now();
  KELU_RETURN_IF_ERROR(VerifyCallback(body, timestamp, signature, now));
  auto parsed = ParseJson(body);
  const json::value* list =
      parsed && parsed->is_object() ? parsed->as_object().if_contains("receipts") : nullptr;
  if (!list || !list->is_array()) return FieldError("receipts", "required: a list");
  std::int64_t recorded = 0, duplicates = 0, unknown = 0;
  auto done = db_.Write([&](Connection& c) -> Status {
    recorded = duplicates = unknown = 0;  // a retried transaction counts afresh
    KELU_RETURN_IF_ERROR(ClaimCallback(c, signature, now));
    for (const auto& item : list->as_array()) {
      if (!item.is_object()) return FieldError("receipts", "each receipt is an object");
      const auto& o = item.as_object();
      std::string status = Str(o, "status");
      if (status != "delivered" && status != "undelivered") {
        return FieldError("receipts.status", "delivered or undelivered");
      }
      auto id = ParseExternalId(Str(o, "id"));
      if (!id) {
        ++unknown;
        continue;
      }
      // The first receipt sets the delivery status; a repeat is only counted.
      std::int64_t changed = c.Exec(
          "UPDATE sms_messages SET delivery = ?, delivery_code = ?, delivered_at = ?, receipts "
          "= receipts + 1 WHERE tenant_id = ? AND message_id = ? AND delivery IS NULL",
          {V(status), V(Str(o, "code")), V(ToMicros(now)), V(id->first), V(id->second)});
      if (changed == 1) {
        ++recorded;
        continue;
      }
      if (c.Exec("UPDATE sms_messages SET receipts = receipts + 1 WHERE tenant_id = ? AND "
                 "message_id = ?",
                 {V(id->first), V(id->second)}) == 1) {
        ++duplicates;
      } else {
        ++unknown;
      }
    }
    return OkStatus();
  });
  if (!done.ok()) return std::move(done).error();
  return json::object{{"recorded", recorded}, {"duplicates", duplicates}, {"unknown", unknown}};
}

Result<json::object> MessagingService::Replies(std::string_view body, std::string_view timestamp,
                                               std::string_view signature) {
  Timestamp now = clock_.now();
  KELU_RETURN_IF_ERROR(VerifyCallback(body, timestamp, signature, now));
  auto parsed = ParseJson(body);
  const json::value* list =
      parsed && parsed->is_object() ? parsed->as_object().if_contains("replies") : nullptr;
  if (!list || !list->is_array()) return FieldError("replies", "required: a list");
  std::int64_t opted_out = 0, other = 0, unknown = 0;
  auto done = db_.Write([&](Connection& c) -> Status {
    opted_out = other = unknown = 0;  // a retried transaction counts afresh
    KELU_RETURN_IF_ERROR(ClaimCallback(c, signature, now));
    for (const auto& item : list->as_array()) {
      if (!item.is_object()) return FieldError("replies", "each reply is an object");
      const auto& o = item.as_object();
      auto phone = MobileNumber(Str(o, "from"));
      // The tenant: from the message replied to, else the extension our request carried.
      std::int64_t tenant_id = 0;
      if (auto id = ParseExternalId(Str(o, "id"))) {
        tenant_id = id->first;
      } else {
        std::string ext = Str(o, "ext");
        auto [p, ec] = std::from_chars(ext.data(), ext.data() + ext.size(), tenant_id);
        if (ec != std::errc{} || p != ext.data() + ext.size()) tenant_id = 0;
      }
      if (!phone || tenant_id <= 0 ||
          !c.QueryOne("SELECT 1 FROM tenants WHERE tenant_id = ?", {V(tenant_id)})) {
        ++unknown;
        continue;
      }
      if (!IsOptOutReply(Str(o, "text"))) {
        ++other;
        continue;
      }
      c.Exec(
          "INSERT INTO sms_opt_outs (tenant_id, phone, source, at) VALUES (?, ?, 'reply', ?) ON "
          "CONFLICT (tenant_id, phone) DO NOTHING",
          {V(tenant_id), V(*phone), V(ToMicros(now))});
      ++opted_out;
    }
    return OkStatus();
  });
  if (!done.ok()) return std::move(done).error();
  return json::object{{"opted_out", opted_out}, {"other", other}, {"unknown", unknown}};
}

}  // namespace kelu::messaging
