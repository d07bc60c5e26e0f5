// CrmService: contacts, follow-ups, tasks and reminders.
#include <fmt/format.h>

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

constexpr const char* kContactColumns =
    "ct.contact_id, ct.customer_id, ct.name, ct.title, ct.mobile, ct.phone, ct.email, ct.wechat, "
    "ct.birthday, ct.is_primary, ct.notes, ct.created_at, ct.updated_at, ct.custom";

constexpr const char* kFollowUpColumns =
    "f.follow_up_id, f.customer_id, f.contact_id, f.type, f.content, f.at, f.next_at, "
    "f.created_by, f.created_at, "
    "(SELECT name FROM users u WHERE u.tenant_id = f.tenant_id AND u.user_id = f.created_by)";

constexpr const char* kTaskColumns =
    "t.task_id, t.title, t.due_at, t.assignee_id, t.customer_id, t.follow_up_id, t.done_at, "
    "t.created_by, t.created_at, t.updated_at";

const std::vector<std::string> kFollowUpTypes = {"call",  "visit", "wechat",
                                                 "email", "sms",   "other"};

std::optional<std::int64_t> Actor(const Principal& who) {
  if (who.user_id) return who.user_id;
  return std::nullopt;
}

// A contact the caller may see (through its customer), or nullopt.
std::optional<Row> FindContact(Connection& c, const Visibility& v, std::int64_t id,
                               bool for_write) {
  auto row = c.QueryOne(fmt::format("SELECT {} FROM contacts ct WHERE ct.tenant_id = ? AND "
                                    "ct.contact_id = ? AND ct.deleted_at IS NULL",
                                    kContactColumns),
                        {V(v.tenant_id), V(id)});
  if (!row || !FindCustomer(c, v, row->integer(1), !for_write)) return std::nullopt;
  return row;
}

std::optional<Timestamp> ReadTime(Fields& f, const json::object& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) {
    f.Fail(key, "must be an RFC 3339 timestamp");
    return std::nullopt;
  }
  auto t = ParseRfc3339(std::string_view(it->value().get_string()));
  if (!t) f.Fail(key, "must be an RFC 3339 timestamp with an offset");
  return t;
}

}  // namespace

json::object CrmService::ContactView(const Row& r) const {
  return json::object{{"id", r.integer(0)},
                      {"customer_id", r.integer(1)},
                      {"name", r.text(2)},
                      {"title", r.text(3)},
                      {"mobile", r.text(4)},
                      {"phone", r.text(5)},
                      {"email", r.text(6)},
                      {"wechat", r.text(7)},
                      {"birthday", r.is_null(8) ? json::value(nullptr) : json::value(r.text(8))},
                      {"is_primary", r.boolean(9)},
                      {"notes", r.text(10)},
                      {"created_at", Format(r.integer(11))},
                      {"updated_at", Format(r.integer(12))},
                      {"custom", [&] {
                         auto v = ParseJson(r.text(13));
                         return v && v->is_object() ? *v : json::value(json::object{});
                       }()}};
}

json::object CrmService::FollowUpView(const Row& r) const {
  return json::object{
      {"id", r.integer(0)},
      {"customer_id", r.integer(1)},
      {"contact_id", r.is_null(2) ? json::value(nullptr) : json::value(r.integer(2))},
      {"type", r.text(3)},
      {"content", r.text(4)},
      {"at", Format(r.integer(5))},
      {"next_at", OptTime(r, 6)},
      {"created_by", json::object{{"id", r.integer(7)}, {"name", r.text(9)}}},
      {"created_at", Format(r.integer(8))}};
}

json::object CrmService::TaskView(const Row& r) const {
  return json::object{
      {"id", r.integer(0)},
      {"title", r.text(1)},
      {"due_at", Format(r.integer(2))},
      {"assignee_id", r.integer(3)},
      {"customer_id", r.is_null(4) ? json::value(nullptr) : json::value(r.integer(4))},
      {"follow_up_id", r.is_null(5) ? json::value(nullptr) : json::value(r.integer(5))},
      {"done", !r.is_null(6)},
      {"done_at", OptTime(r, 6)},
      {"created_at", Format(r.integer(8))},
      {"updated_at", Format(r.integer(9))}};
}

// --- Contacts ------------------------------------------------------------------------------

namespace {

struct ContactInput {
  std::optional<std::int64_t> customer_id;
  std::optional<std::string> name, title, mobile, phone, email, wechat, notes;
  bool birthday_present = false;
  std::optional<std::string> birthday;
  std::optional<bool> is_primary;
};

Result<ContactInput> ReadContact(const json::object& body, bool creating) {
  Fields f(body);
  f.OnlyKeys({"customer_id", "name", "title", "mobile", "phone", "email", "wechat", "birthday",
              "is_primary", "notes", "custom"});
  ContactInput in;
  if (creating)
    in.customer_id = f.Int("customer_id", true, 1, INT64_MAX);
  else if (f.has("customer_id"))
    f.Fail("customer_id", "a contact cannot move to another customer");
  in.name = f.String("name", creating, 1, 60);
  in.title = f.String("title", false, 0, 60);
  in.mobile = f.String("mobile", false, 0, 40);
  in.phone = f.String("phone", false, 0, 40);
  in.email = f.String("email", false, 0, 200);
  in.wechat = f.String("wechat", false, 0, 60);
  in.notes = f.String("notes", false, 0, 5000);
  in.is_primary = f.Bool("is_primary", false);
  in.birthday_present = f.has("birthday");
  in.birthday = f.String("birthday", false, 0, 10);
  if (in.birthday && !in.birthday->empty() && !ParseDate(*in.birthday)) {
    f.Fail("birthday", "must be a date YYYY-MM-DD");
  }
  if (in.email && !in.email->empty() && in.email->find('@') == std::string::npos) {
    f.Fail("email", "is not an email address");
  }
  for (auto [key, value] : {std::pair{"mobile", &in.mobile}, std::pair{"phone", &in.phone}}) {
    if (*value && !(*value)->empty()) {
      auto digits = NormalizePhone(**value);
      if (digits.size() < 5 || digits.size() > 20) f.Fail(key, "is not a phone number");
    }
  }
  if (!f.ok()) return f.ToError();
  return in;
}

}  // namespace

Result<ContactListQuery> internal::ContactListQueryFor(Connection& c, const Principal& who,
                                                       const Visibility& v, const Filters& filters,
                                                       const Page& page, int candidate_cap) {
  storage::Params params{V(who.tenant_id), V(CursorBefore(page))};
  std::string where = "ct.tenant_id = ? AND ct.contact_id < ? AND ct.deleted_at IS NULL";
  for (const auto& [key, value] : filters) {
    if (key == "customer_id") {
      where += " AND ct.customer_id = ?";
      params.push_back(V(static_cast<std::int64_t>(std::atoll(value.c_str()))));
    } else if (key == "q") {
      where += " AND " + ListQueryConditionFor(
                             c, ListOf::kContacts, who.tenant_id, value, {"ct.name", "ct.email"},
                             "ct.contact_id", "contact_id",
                             "p.customer_id = ct.customer_id AND p.contact_id = ct.contact_id",
                             params, candidate_cap);
    } else if (key != "limit" && key != "cursor") {
      return FieldError(key, "unknown filter");
    }
  }
  std::string scope = OwnerCondition(v, "cu", params);
  params.push_back(V(page.limit));
  return ContactListQuery{
      fmt::format("SELECT {} FROM contacts ct JOIN customers cu ON cu.tenant_id = ct.tenant_id "
                  "AND cu.customer_id = ct.customer_id AND cu.deleted_at IS NULL WHERE {} AND "
                  "({} OR cu.owner_id IS NULL) ORDER BY ct.contact_id DESC LIMIT ?",
                  kContactColumns, where, scope),
      std::move(params)};
}

Result<json::object> CrmService::ListContacts(const Principal& who, const Filters& filters,
                                              const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto query = ContactListQueryFor(c, who, VisibilityOf(c, identity_, who), filters, page);
    if (!query.ok()) return query.error();
    auto rows = c.QueryPlannedEachCall(query.value().sql, query.value().params);
    return PageOfRows(rows, page, [this](const Row& r) { return ContactView(r); });
  });
}

Result<json::object> CrmService::GetContact(const Principal& who, std::int64_t id) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = FindContact(c, VisibilityOf(c, identity_, who), id, false);
    if (!row) return Error::NotFound("contact");
    return ContactView(*row);
  });
}

Result<json::object> CrmService::CreateContact(const Principal& who, const json::object& body,
                                               const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Result<json::object> {
    return CreateContactIn(c, who, body, meta, nullptr);
  });
}

Result<json::object> CrmService::CreateContactIn(Connection& c, const Principal& who,
                                                 const json::object& body, const RequestMeta& meta,
                                                 const ImportContext* import,
                                                 CustomerOfContact customer) {
  auto input = ReadContact(body, true);
  if (!input.ok()) return std::move(input).error();
  ContactInput& in = input.value();
  {
    Visibility v = import ? import->visibility : VisibilityOf(c, identity_, who);
    // A customer created a moment ago by the caller is theirs to see, and has no contacts.
    const bool fresh = customer == CustomerOfContact::kJustCreated;
    if (!fresh && !FindCustomer(c, v, *in.customer_id, false)) {
      return FieldError("customer_id", "no such customer");
    }
    auto custom = CustomFromBody(c, who.tenant_id, "contact", body, "{}", true,
                                 import ? import->FieldsOf("contact") : nullptr);
    if (!custom.ok()) return std::move(custom).error();
    std::int64_t id = c.NextId();
    std::int64_t now = ToMicros(meta.now);
    bool primary = fresh || in.is_primary.value_or(false) ||
                   c.QueryInt(
                       "SELECT count(*) FROM contacts WHERE tenant_id = ? AND customer_id = ? "
                       "AND deleted_at IS NULL",
                       {V(who.tenant_id), V(*in.customer_id)}) == 0;
    if (primary && !fresh) {
      c.Exec("UPDATE contacts SET is_primary = 0 WHERE tenant_id = ? AND customer_id = ?",
             {V(who.tenant_id), V(*in.customer_id)});
    }
    std::optional<std::string> birthday;
    if (in.birthday && !in.birthday->empty()) birthday = in.birthday;
    c.Queue(
        "INSERT INTO contacts (tenant_id, contact_id, customer_id, name, title, mobile, phone, "
        "email, wechat, birthday, is_primary, notes, created_by, created_at, updated_by, "
        "updated_at, custom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*in.customer_id), V(*in.name), V(in.title.value_or("")),
         V(in.mobile.value_or("")), V(in.phone.value_or("")), V(in.email.value_or("")),
         V(in.wechat.value_or("")), V(birthday), V(primary), V(in.notes.value_or("")),
         V(Actor(who)), V(now), V(Actor(who)), V(now), V(custom.value())});
    IndexContactPoints(c, who.tenant_id, *in.customer_id, id,
                       {in.mobile.value_or(""), in.phone.value_or("")}, {in.email.value_or("")},
                       PointsOf::kNewRecord);
    if (!import) IndexNewContacts(c, who.tenant_id, {id});
    // An import needs only the id back; anything else reads the contact as stored.
    json::object view =
        import ? json::object{{"id", id}} : ContactView(*FindContact(c, v, id, false));
    RecordEvent(c, who.tenant_id, *in.customer_id, meta.now, Actor(who), "contact_added",
                json::object{{"contact_id", id}, {"name", *in.name}});
    if (!import) {
      identity::RecordAudit(c, who, meta,
                            {"contact.create", "contact", std::to_string(id), {}, view});
    }
    return view;
  }
}

Result<json::object> CrmService::UpdateContact(const Principal& who, std::int64_t id,
                                               const json::object& body, const RequestMeta& meta) {
  auto input = ReadContact(body, false);
  if (!input.ok()) return std::move(input).error();
  ContactInput& in = input.value();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = FindContact(c, v, id, true);
    if (!row) return Error::NotFound("contact");
    std::int64_t customer = row->integer(1);
    auto custom = CustomFromBody(c, who.tenant_id, "contact", body, row->text(13), false);
    if (!custom.ok()) return std::move(custom).error();
    auto pick = [&](const std::optional<std::string>& value, std::size_t col) {
      return V(value ? *value : row->text(col));
    };
    if (in.is_primary.value_or(false)) {
      c.Exec("UPDATE contacts SET is_primary = 0 WHERE tenant_id = ? AND customer_id = ?",
             {V(who.tenant_id), V(customer)});
    }
    std::optional<std::string> birthday = row->opt_text(8);
    if (in.birthday_present)
      birthday = in.birthday && !in.birthday->empty() ? in.birthday : std::nullopt;
    c.Exec(
        "UPDATE contacts SET name = ?, title = ?, mobile = ?, phone = ?, email = ?, wechat = ?, "
        "birthday = ?, is_primary = ?, notes = ?, custom = ?, updated_by = ?, updated_at = ? "
        "WHERE tenant_id = ? AND contact_id = ?",
        {pick(in.name, 2), pick(in.title, 3), pick(in.mobile, 4), pick(in.phone, 5),
         pick(in.email, 6), pick(in.wechat, 7), V(birthday),
         V(in.is_primary.value_or(row->boolean(9))), pick(in.notes, 10), V(custom.value()),
         V(Actor(who)), V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    auto updated = FindContact(c, v, id, false);
    IndexContactPoints(c, who.tenant_id, customer, id, {updated->text(4), updated->text(5)},
                       {updated->text(6)}, PointsOf::kExistingRecord);
    ReindexCustomer(c, who.tenant_id, customer);
    json::object view = ContactView(*updated);
    json::object b = ContactView(*row), a = view;
    b.erase("updated_at");
    a.erase("updated_at");
    identity::Diff(b, a);
    identity::RecordAudit(c, who, meta, {"contact.update", "contact", std::to_string(id), b, a});
    return view;
  });
}

Status CrmService::DeleteContact(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    auto row = FindContact(c, VisibilityOf(c, identity_, who), id, true);
    if (!row) return Error::NotFound("contact");
    c.Exec(
        "UPDATE contacts SET deleted_at = ?, deleted_by = ? WHERE tenant_id = ? AND contact_id = ?",
        {V(ToMicros(meta.now)), V(Actor(who)), V(who.tenant_id), V(id)});
    c.Exec("DELETE FROM contact_points WHERE tenant_id = ? AND customer_id = ? AND contact_id = ?",
           {V(who.tenant_id), V(row->integer(1)), V(id)});
    ReindexCustomer(c, who.tenant_id, row->integer(1));
    identity::RecordAudit(c, who, meta,
                          {"contact.delete",
                           "contact",
                           std::to_string(id),
                           json::object{{"name", row->text(2)}},
                           {}});
    return OkStatus();
  });
}

// --- Follow-ups ---------------------------------------------------------------------------------

Result<json::object> CrmService::ListFollowUps(const Principal& who, const Filters& filters,
                                               const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    storage::Params params{V(who.tenant_id), V(CursorBefore(page))};
    std::string where = "f.tenant_id = ? AND f.follow_up_id < ? AND f.deleted_at IS NULL";
    for (const auto& [key, value] : filters) {
      if (key == "customer_id" || key == "created_by") {
        where += " AND f." + key + " = ?";
        params.push_back(V(static_cast<std::int64_t>(std::atoll(value.c_str()))));
      } else if (key == "type") {
        where += " AND f.type = ?";
        params.push_back(V(value));
      } else if (key != "limit" && key != "cursor") {
        return FieldError(key, "unknown filter");
      }
    }
    std::string scope = OwnerCondition(v, "cu", params);
    params.push_back(V(page.limit));
    auto rows = c.QueryPlannedEachCall(
        fmt::format("SELECT {} FROM follow_ups f JOIN customers cu ON cu.tenant_id = f.tenant_id "
                    "AND cu.customer_id = f.customer_id AND cu.deleted_at IS NULL WHERE {} AND "
                    "({} OR cu.owner_id IS NULL) ORDER BY f.follow_up_id DESC LIMIT ?",
                    kFollowUpColumns, where, scope),
        params);
    return PageOfRows(rows, page, [this](const Row& r) { return FollowUpView(r); });
  });
}

Result<json::object> CrmService::CreateFollowUp(const Principal& who, const json::object& body,
                                                const RequestMeta& meta) {
  if (who.kind != identity::PrincipalKind::kUser) return Error::NotFound();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    return CreateFollowUpIn(c, who, body, meta, nullptr);
  });
}

Result<json::object> CrmService::CreateFollowUpIn(Connection& c, const Principal& who,
                                                  const json::object& body, const RequestMeta& meta,
                                                  const ImportContext* import) {
  Fields f(body);
  f.OnlyKeys({"customer_id", "contact_id", "type", "content", "at", "next_at"});
  auto customer_id = f.Int("customer_id", true, 1, INT64_MAX);
  bool contact_present = false;
  auto contact_id = f.NullableId("contact_id", contact_present);
  auto type = f.Enum("type", true, kFollowUpTypes);
  auto content = f.String("content", true, 1, 5000);
  auto at = ReadTime(f, body, "at");
  auto next_at = ReadTime(f, body, "next_at");
  Timestamp when = at.value_or(meta.now);
  if (at && *at > meta.now + std::chrono::minutes(5)) f.Fail("at", "must not be in the future");
  if (next_at && *next_at <= when) f.Fail("next_at", "must be after the follow-up");
  if (!f.ok()) return f.ToError();
  {
    Visibility v = VisibilityOf(c, identity_, who);
    auto customer = FindCustomer(c, v, *customer_id, false);
    if (!customer) return FieldError("customer_id", "no such customer");
    if (contact_id && c.QueryInt("SELECT count(*) FROM contacts WHERE tenant_id = ? AND "
                                 "contact_id = ? AND customer_id = ? AND deleted_at IS NULL",
                                 {V(who.tenant_id), V(*contact_id), V(*customer_id)}) == 0) {
      return FieldError("contact_id", "is not a contact of this customer");
    }
    std::int64_t id = c.NextId();
    std::int64_t now = ToMicros(meta.now);
    std::optional<std::int64_t> next;
    if (next_at) next = ToMicros(*next_at);
    c.Exec(
        "INSERT INTO follow_ups (tenant_id, follow_up_id, customer_id, contact_id, type, "
        "content, at, next_at, created_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*customer_id), V(contact_id), V(*type), V(*content),
         V(ToMicros(when)), V(next), V(who.user_id), V(now), V(now)});
    // The customer's last follow-up is the latest one logged; the next one is the newest plan.
    auto last = customer->opt_integer(kCLastFollow);
    std::int64_t latest = std::max(last.value_or(0), ToMicros(when));
    c.Exec(
        "UPDATE customers SET row_version = row_version + 1, last_follow_up_at = ?, "
        "next_follow_up_at = coalesce(?, next_follow_up_at), return_warned_at = NULL, "
        "updated_at = ? WHERE tenant_id = ? AND customer_id = ?",
        {V(latest), V(next), V(now), V(who.tenant_id), V(*customer_id)});
    // An imported follow-up whose next time has passed is history: it makes no reminder.
    if (next && (!import || *next > now)) {
      std::int64_t assignee = customer->opt_integer(kCOwner).value_or(who.user_id);
      c.Exec(
          "INSERT INTO tasks (tenant_id, task_id, title, due_at, assignee_id, customer_id, "
          "follow_up_id, done_at, created_by, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
          {V(who.tenant_id), V(c.NextId()), V("跟进 " + customer->text(kCName)), V(*next),
           V(assignee), V(*customer_id), V(id), V(who.user_id), V(now), V(now)});
    }
    auto row = c.QueryOne(fmt::format("SELECT {} FROM follow_ups f WHERE f.tenant_id = ? AND "
                                      "f.follow_up_id = ?",
                                      kFollowUpColumns),
                          {V(who.tenant_id), V(id)});
    json::object view = FollowUpView(*row);
    RecordEvent(c, who.tenant_id, *customer_id, when, who.user_id, "follow_up",
                json::object{{"follow_up_id", id}, {"type", *type}, {"content", *content}});
    if (!import) {
      identity::RecordAudit(c, who, meta,
                            {"follow_up.create", "follow_up", std::to_string(id), {}, view});
    }
    return view;
  }
}

Status CrmService::DeleteFollowUp(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = c.QueryOne(
        "SELECT customer_id, created_by FROM follow_ups WHERE tenant_id = ? AND "
        "follow_up_id = ? AND deleted_at IS NULL",
        {V(who.tenant_id), V(id)});
    if (!row || !FindCustomer(c, v, row->integer(0), false)) return Error::NotFound("follow-up");
    c.Exec(
        "UPDATE follow_ups SET deleted_at = ?, deleted_by = ? WHERE tenant_id = ? AND "
        "follow_up_id = ?",
        {V(ToMicros(meta.now)), V(Actor(who)), V(who.tenant_id), V(id)});
    identity::RecordAudit(c, who, meta,
                          {"follow_up.delete", "follow_up", std::to_string(id), {}, {}});
    return OkStatus();
  });
}

// --- Tasks
// ----------------------------------------------------------------------------------------

Result<json::object> CrmService::ListTasks(const Principal& who, const Filters& filters,
                                           const Page& page, Timestamp now) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    std::string view = "open";
    std::int64_t assignee = who.user_id;
    for (const auto& [key, value] : filters) {
      if (key == "view") {
        if (value != "open" && value != "today" && value != "overdue" && value != "done") {
          return FieldError("view", "must be one of: open, today, overdue, done");
        }
        view = value;
      } else if (key == "assignee_id") {
        assignee = std::atoll(value.c_str());
        if (assignee != who.user_id && !v.all) return Forbidden();
      } else if (key != "limit" && key != "cursor") {
        return FieldError(key, "unknown filter");
      }
    }
    storage::Params params{V(who.tenant_id), V(assignee), V(CursorBefore(page))};
    std::string where =
        "t.tenant_id = ? AND t.assignee_id = ? AND t.task_id < ? AND "
        "t.deleted_at IS NULL";
    if (view == "done") {
      where += " AND t.done_at IS NOT NULL";
    } else {
      where += " AND t.done_at IS NULL";
    }
    if (view == "today" || view == "overdue") {
      // "Today" is the business day in the tenant's zone.
      Date today = identity_.zone().LocalDate(now);
      Timestamp start = identity_.zone().At(today, std::chrono::minutes(0));
      Timestamp end = identity_.zone().At(Date{std::chrono::sys_days{today} + std::chrono::days(1)},
                                          std::chrono::minutes(0));
      if (view == "today") {
        where += " AND t.due_at >= ? AND t.due_at < ?";
        params.push_back(V(ToMicros(start)));
        params.push_back(V(ToMicros(end)));
      } else {
        where += " AND t.due_at < ?";
        params.push_back(V(ToMicros(now)));
      }
    }
    params.push_back(V(page.limit));
    auto rows = c.QueryPlannedEachCall(
        fmt::format("SELECT {} FROM tasks t WHERE {} ORDER BY t.task_id DESC LIMIT ?", kTaskColumns,
                    where),
        params);
    return PageOfRows(rows, page, [this](const Row& r) { return TaskView(r); });
  });
}

Result<json::object> CrmService::CreateTask(const Principal& who, const json::object& body,
                                            const RequestMeta& meta) {
  if (who.kind != identity::PrincipalKind::kUser) return Error::NotFound();
  Fields f(body);
  f.OnlyKeys({"title", "due_at", "assignee_id", "customer_id"});
  auto title = f.String("title", true, 1, 200);
  auto due = ReadTime(f, body, "due_at");
  if (!f.has("due_at")) f.Fail("due_at", "required");
  bool assignee_present = false, customer_present = false;
  auto assignee = f.NullableId("assignee_id", assignee_present);
  auto customer = f.NullableId("customer_id", customer_present);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    std::int64_t to = assignee.value_or(who.user_id);
    if (to != who.user_id) {
      auto u = c.QueryOne(
          "SELECT department_id FROM users WHERE tenant_id = ? AND user_id = ? AND "
          "status = 'active'",
          {V(who.tenant_id), V(to)});
      if (!u) return FieldError("assignee_id", "no such active user");
      if (!v.all && std::find(v.departments.begin(), v.departments.end(), u->integer(0)) ==
                        v.departments.end()) {
        return FieldError("assignee_id", "outside your data scope");
      }
    }
    if (customer && !FindCustomer(c, v, *customer, true)) {
      return FieldError("customer_id", "no such customer");
    }
    std::int64_t id = c.NextId();
    std::int64_t now = ToMicros(meta.now);
    c.Exec(
        "INSERT INTO tasks (tenant_id, task_id, title, due_at, assignee_id, customer_id, "
        "follow_up_id, done_at, created_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*title), V(ToMicros(*due)), V(to), V(customer), V(who.user_id),
         V(now), V(now)});
    auto row = c.QueryOne(
        fmt::format("SELECT {} FROM tasks t WHERE t.tenant_id = ? AND t.task_id = ?", kTaskColumns),
        {V(who.tenant_id), V(id)});
    json::object view = TaskView(*row);
    identity::RecordAudit(c, who, meta, {"task.create", "task", std::to_string(id), {}, view});
    return view;
  });
}

Result<json::object> CrmService::UpdateTask(const Principal& who, std::int64_t id,
                                            const json::object& body, const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"title", "due_at", "done"});
  auto title = f.String("title", false, 1, 200);
  auto due = ReadTime(f, body, "due_at");
  auto done = f.Bool("done", false);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = c.QueryOne(fmt::format("SELECT {} FROM tasks t WHERE t.tenant_id = ? AND "
                                      "t.task_id = ? AND t.deleted_at IS NULL",
                                      kTaskColumns),
                          {V(who.tenant_id), V(id)});
    if (!row || (row->integer(3) != who.user_id && !v.all)) return Error::NotFound("task");
    std::optional<std::int64_t> done_at = row->opt_integer(6);
    if (done) done_at = *done ? std::optional(done_at.value_or(ToMicros(meta.now))) : std::nullopt;
    c.Exec(
        "UPDATE tasks SET title = ?, due_at = ?, done_at = ?, updated_at = ? WHERE "
        "tenant_id = ? AND task_id = ?",
        {V(title.value_or(row->text(1))), V(due ? ToMicros(*due) : row->integer(2)), V(done_at),
         V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    auto updated = c.QueryOne(fmt::format("SELECT {} FROM tasks t WHERE t.tenant_id = ? AND "
                                          "t.task_id = ?",
                                          kTaskColumns),
                              {V(who.tenant_id), V(id)});
    json::object b = TaskView(*row), a = TaskView(*updated);
    json::object view = a;
    b.erase("updated_at");
    a.erase("updated_at");
    identity::Diff(b, a);
    identity::RecordAudit(c, who, meta, {"task.update", "task", std::to_string(id), b, a});
    return view;
  });
}

Status CrmService::DeleteTask(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    Visibility v = VisibilityOf(c, identity_, who);
    auto row = c.QueryOne(
        "SELECT assignee_id, title FROM tasks WHERE tenant_id = ? AND task_id = ? "
        "AND deleted_at IS NULL",
        {V(who.tenant_id), V(id)});
    if (!row || (row->integer(0) != who.user_id && !v.all)) return Error::NotFound("task");
    c.Exec("UPDATE tasks SET deleted_at = ?, deleted_by = ? WHERE tenant_id = ? AND task_id = ?",
           {V(ToMicros(meta.now)), V(Actor(who)), V(who.tenant_id), V(id)});
    identity::RecordAudit(
        c, who, meta,
        {"task.delete", "task", std::to_string(id), json::object{{"title", row->text(1)}}, {}});
    return OkStatus();
  });
}

}  // namespace kelu::crm
