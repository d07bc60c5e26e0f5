#include "notices/service.hpp"

#include <fmt/format.h>

#include "billing/rules.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"
#include "notices/outbox.hpp"

namespace kelu::notices {

using storage::Connection;
using storage::Row;
using storage::V;

namespace {

Error BossOnly() {
  return Error::Forbidden("boss_only", "Only the boss account writes to the operator's support.");
}

}  // namespace

NoticeService::NoticeService(storage::Database& db, const Config& config, Zone zone)
    : db_(db), terms_(config.terms), mail_(config.mail), zone_(std::move(zone)) {}

// ---- Announcements ----------------------------------------------------------------------------

Result<json::object> NoticeService::Publish(const Principal& op, const json::object& body,
                                            const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"title", "body", "tenant_ids"});
  auto title = f.String("title", true, 1, 200);
  auto text = f.String("body", true, 1, 20000);
  std::vector<std::int64_t> chosen;
  bool all = !body.contains("tenant_ids");
  if (!all) {
    const auto& v = body.at("tenant_ids");
    if (!v.is_array() || v.as_array().empty()) {
      f.Fail("tenant_ids", "a non-empty list of tenant ids, or omit it for every tenant");
    } else {
      for (const auto& id : v.as_array()) {
        if (!id.is_int64()) {
          f.Fail("tenant_ids", "must hold tenant ids");
          break;
        }
        chosen.push_back(id.as_int64());
      }
    }
  }
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::vector<std::int64_t> targets;
    if (all) {
      for (const auto& r : c.Query("SELECT tenant_id FROM tenants WHERE state <> 'purged'").rows) {
        targets.push_back(r.integer(0));
      }
    } else {
      for (std::int64_t id : chosen) {
        auto t = c.QueryOne("SELECT state FROM tenants WHERE tenant_id = ?", {V(id)});
        if (!t || t->text(0) == "purged") {
          return FieldError("tenant_ids", fmt::format("tenant {} does not exist", id));
        }
        targets.push_back(id);
      }
    }
    std::int64_t id = c.NextId();
    std::int64_t now = ToMicros(meta.now);
    c.Exec(
        "INSERT INTO announcements (announcement_id, title, body, audience, published_at, "
        "published_by) VALUES (?, ?, ?, ?, ?, ?)",
        {V(id), V(*title), V(*text), V(all ? "all" : "chosen"), V(now), V(op.operator_id)});
    for (std::int64_t t : targets) {
      c.Exec("INSERT INTO announcement_targets (tenant_id, announcement_id) VALUES (?, ?)",
             {V(t), V(id)});
      // An announcement is a formal notice (§19), delivered when published.
      c.Exec(
          "INSERT INTO notices (tenant_id, notice_id, kind, channel, recipient, subject, body, "
          "sent_at, deemed_at, evidence, dedupe_key, recorded_by) VALUES (?, ?, 'announcement', "
          "'announcement', 'tenant', ?, ?, ?, ?, 'published in the app', ?, ?)",
          {V(t), V(c.NextId()), V(*title), V(*text), V(now), V(now),
           V(fmt::format("announcement:{}", id)), V(op.operator_id)});
    }
    json::object view{{"id", id},
                      {"title", *title},
                      {"audience", all ? "all" : "chosen"},
                      {"tenants", static_cast<std::int64_t>(targets.size())},
                      {"published_at", Format(meta.now)}};
    identity::RecordOperatorAudit(
        c, op.operator_id, op.name, meta,
        {"announcement.publish", "announcement", std::to_string(id), {}, view}, 0);
    return view;
  });
}

Result<json::object> NoticeService::OperatorAnnouncements(const Principal&, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(
        "SELECT a.announcement_id, a.title, a.body, a.audience, a.published_at, "
        "(SELECT count(*) FROM announcement_targets t WHERE t.announcement_id = "
        "a.announcement_id), (SELECT count(*) FROM announcement_reads r WHERE r.announcement_id "
        "= a.announcement_id) FROM announcements a WHERE a.announcement_id < ? "
        "ORDER BY a.announcement_id DESC LIMIT ?",
        {V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) {
      return json::object{{"id", r.integer(0)},
                          {"title", r.text(1)},
                          {"body", r.text(2)},
                          {"audience", r.text(3)},
                          {"published_at", Format(FromMicros(r.integer(4)))},
                          {"tenants", r.integer(5)},
                          {"reads", r.integer(6)}};
    });
  });
}

Result<json::object> NoticeService::MyAnnouncements(const Principal& who) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(
        "SELECT a.announcement_id, a.title, a.body, a.published_at, r.read_at FROM "
        "announcement_targets t JOIN announcements a ON a.announcement_id = t.announcement_id "
        "LEFT JOIN announcement_reads r ON r.tenant_id = t.tenant_id AND r.announcement_id = "
        "t.announcement_id AND r.user_id = ? WHERE t.tenant_id = ? "
        "ORDER BY CASE WHEN r.read_at IS NULL THEN 0 ELSE 1 END, a.published_at DESC LIMIT 50",
        {V(who.user_id), V(who.tenant_id)});
    json::array items;
    std::int64_t unread = 0;
    for (const auto& r : rows.rows) {
      if (r.is_null(4)) ++unread;
      items.push_back(
          json::object{{"id", r.integer(0)},
                       {"title", r.text(1)},
                       {"body", r.text(2)},
                       {"published_at", Format(FromMicros(r.integer(3)))},
                       {"read_at", r.is_null(4) ? json::value(nullptr)
                                                : json::value(Format(FromMicros(r.integer(4))))}});
    }
    return json::object{{"items", std::move(items)}, {"unread", unread}, {"next_cursor", nullptr}};
  });
}

Status NoticeService::MarkRead(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    if (c.QueryInt("SELECT count(*) FROM announcement_targets WHERE tenant_id = ? AND "
                   "announcement_id = ?",
                   {V(who.tenant_id), V(id)}) == 0) {
      return Error::NotFound("announcement");
    }
    if (who.kind != identity::PrincipalKind::kUser)
      return OkStatus();  // support reads leave no mark
    c.Exec(
        "INSERT INTO announcement_reads (tenant_id, announcement_id, user_id, read_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, announcement_id, user_id) DO NOTHING",
        {V(who.tenant_id), V(id), V(who.user_id), V(ToMicros(meta.now))});
    return OkStatus();
  });
}

// ---- Recorded notices -------------------------------------------------------------------------

Result<json::object> NoticeService::RecordNotice(const Principal& op, std::int64_t tenant_id,
                                                 const json::object& body,
                                                 const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"channel", "kind", "recipient", "subject", "body", "sent_at", "evidence"});
  auto channel = f.Enum("channel", true, {"mail", "phone"});
  auto kind = f.String("kind", true, 1, 60);
  auto recipient = f.String("recipient", true, 1, 300);
  auto subject = f.String("subject", true, 1, 200);
  auto text = f.String("body", false, 0, 20000);
  auto evidence = f.String("evidence", true, 1, 2000);
  auto sent_text = f.String("sent_at", true, 1, 40);
  std::optional<Timestamp> sent = sent_text ? ParseRfc3339(*sent_text) : std::nullopt;
  if (sent_text && !sent) f.Fail("sent_at", "must be an RFC 3339 time");
  if (sent && *sent > meta.now) f.Fail("sent_at", "must not be in the future");
  if (!f.ok()) return f.ToError();
  auto ch = *billing::ChannelFromName(*channel);
  Timestamp deemed = billing::DeemedDelivery(terms_, ch, *sent);
  return db_.Write([&](Connection& c) -> Result<json::object> {
    if (c.QueryInt("SELECT count(*) FROM tenants WHERE tenant_id = ?", {V(tenant_id)}) == 0) {
      return Error::NotFound("tenant");
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO notices (tenant_id, notice_id, kind, channel, recipient, subject, body, "
        "sent_at, deemed_at, evidence, dedupe_key, recorded_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(id), V(*kind), V(*channel), V(*recipient), V(*subject),
         V(text.value_or("")), V(ToMicros(*sent)), V(ToMicros(deemed)), V(*evidence),
         V(fmt::format("recorded:{}", id)), V(op.operator_id)});
    json::object view{{"id", id},
                      {"kind", *kind},
                      {"channel", *channel},
                      {"recipient", *recipient},
                      {"subject", *subject},
                      {"body", text.value_or("")},
                      {"sent_at", Format(*sent)},
                      {"deemed_delivered_at", Format(deemed)},
                      {"evidence", *evidence}};
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"notice.record", "notice", std::to_string(id), {}, view},
                                  tenant_id);
    return view;
  });
}

// ---- Support inbox ------------------------------------------------------------------------------

json::object NoticeService::ThreadView(Connection& c, std::int64_t tenant_id, std::int64_t id) {
  auto t = c.QueryOne(
      "SELECT s.thread_id, s.subject, s.status, s.created_at, s.updated_at, n.slug FROM "
      "support_threads s JOIN tenants n USING (tenant_id) WHERE s.tenant_id = ? AND "
      "s.thread_id = ?",
      {V(tenant_id), V(id)});
  json::array messages;
  for (const auto& m : c.Query("SELECT message_id, author_kind, author_name, body, created_at "
                               "FROM support_messages WHERE tenant_id = ? AND thread_id = ? "
                               "ORDER BY message_id",
                               {V(tenant_id), V(id)})
                           .rows) {
    messages.push_back(json::object{{"id", m.integer(0)},
                                    {"author_kind", m.text(1)},
                                    {"author_name", m.text(2)},
                                    {"body", m.text(3)},
                                    {"created_at", Format(FromMicros(m.integer(4)))}});
  }
  return json::object{{"id", t->integer(0)},
                      {"tenant_id", tenant_id},
                      {"tenant_slug", t->text(5)},
                      {"subject", t->text(1)},
                      {"status", t->text(2)},
                      {"created_at", Format(FromMicros(t->integer(3)))},
                      {"updated_at", Format(FromMicros(t->integer(4)))},
                      {"messages", std::move(messages)}};
}

Result<json::object> NoticeService::ListThreads(const Principal& who, const Page& page) {
  if (!who.is_boss()) return BossOnly();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(
        "SELECT thread_id, subject, status, created_at, updated_at FROM support_threads WHERE "
        "tenant_id = ? AND thread_id < ? ORDER BY thread_id DESC LIMIT ?",
        {V(who.tenant_id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) {
      return json::object{{"id", r.integer(0)},
                          {"subject", r.text(1)},
                          {"status", r.text(2)},
                          {"created_at", Format(FromMicros(r.integer(3)))},
                          {"updated_at", Format(FromMicros(r.integer(4)))}};
    });
  });
}

Result<json::object> NoticeService::OpenThread(const Principal& who, const json::object& body,
                                               const RequestMeta& meta) {
  if (!who.is_boss()) return BossOnly();
  Fields f(body);
  f.OnlyKeys({"subject", "body"});
  auto subject = f.String("subject", true, 1, 200);
  auto text = f.String("body", true, 1, 20000);
  if (!f.ok()) return f.ToError();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t id = c.NextId();
    std::int64_t now = ToMicros(meta.now);
    c.Exec(
        "INSERT INTO support_threads (tenant_id, thread_id, subject, status, created_by, "
        "created_at, updated_at) VALUES (?, ?, ?, 'open', ?, ?, ?)",
        {V(who.tenant_id), V(id), V(*subject), V(who.user_id), V(now), V(now)});
    c.Exec(
        "INSERT INTO support_messages (tenant_id, thread_id, message_id, author_kind, author_id, "
        "author_name, body, created_at) VALUES (?, ?, ?, 'tenant', ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(c.NextId()), V(who.user_id), V(who.name), V(*text), V(now)});
    Enqueue(c,
            {mail_.operator_email,
             fmt::format("[客录支持] {}: {}", who.tenant_slug, *subject),
             fmt::format("{}（{}）写道 / wrote:\n\n{}\n\nThread #{}", who.name, who.tenant_slug,
                         *text, id),
             std::nullopt,
             "support",
             {}},
            meta.now);
    identity::RecordAudit(c, who, meta,
                          {"support.open", "support_thread", std::to_string(id), {}, {}});
    return ThreadView(c, who.tenant_id, id);
  });
}

Result<json::object> NoticeService::GetThread(const Principal& who, std::int64_t id) {
  bool op = who.kind == identity::PrincipalKind::kOperator;
  if (!op && !who.is_boss()) return BossOnly();
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        op ? "SELECT tenant_id FROM support_threads WHERE thread_id = ? AND tenant_id > ?"
           : "SELECT tenant_id FROM support_threads WHERE thread_id = ? AND tenant_id = ?",
        {V(id), V(op ? std::int64_t{0} : who.tenant_id)});
    if (!row) return Error::NotFound("support thread");
    return ThreadView(c, row->integer(0), id);
  });
}

Result<json::object> NoticeService::Reply(const Principal& who, std::int64_t id,
                                          const json::object& body, const RequestMeta& meta) {
  bool op = who.kind == identity::PrincipalKind::kOperator;
  if (!op && !who.is_boss()) return BossOnly();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        op ? "SELECT tenant_id, subject FROM support_threads WHERE thread_id = ? AND tenant_id > ?"
           : "SELECT tenant_id, subject FROM support_threads WHERE thread_id = ? AND tenant_id = ?",
        {V(id), V(op ? std::int64_t{0} : who.tenant_id)});
    if (!row) return Error::NotFound("support thread");
    // Another tenant's thread is 404 whatever the body says.
    Fields f(body);
    f.OnlyKeys({"body"});
    auto text = f.String("body", true, 1, 20000);
    if (!f.ok()) return f.ToError();
    std::int64_t tenant_id = row->integer(0);
    std::int64_t now = ToMicros(meta.now);
    c.Exec(
        "INSERT INTO support_messages (tenant_id, thread_id, message_id, author_kind, author_id, "
        "author_name, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {V(tenant_id), V(id), V(c.NextId()), V(op ? "operator" : "tenant"),
         V(op ? who.operator_id : who.user_id), V(who.name), V(*text), V(now)});
    c.Exec(
        "UPDATE support_threads SET status = ?, updated_at = ? WHERE tenant_id = ? AND "
        "thread_id = ?",
        {V(op ? "answered" : "open"), V(now), V(tenant_id), V(id)});
    std::string to = mail_.operator_email;
    if (op) {
      auto t = c.QueryOne("SELECT contact_email FROM tenants WHERE tenant_id = ?", {V(tenant_id)});
      to = t && !t->is_null(0) ? t->text(0) : "";
    }
    if (to.find('@') != std::string::npos) {
      Enqueue(c,
              {to,
               fmt::format("[客录支持] 回复 / Re: {}", row->text(1)),
               fmt::format("{}:\n\n{}\n\nThread #{}", who.name, *text, id),
               std::nullopt,
               "support",
               {}},
              meta.now);
    }
    if (op) {
      identity::RecordOperatorAudit(c, who.operator_id, who.name, meta,
                                    {"support.reply", "support_thread", std::to_string(id), {}, {}},
                                    tenant_id);
    } else {
      identity::RecordAudit(c, who, meta,
                            {"support.reply", "support_thread", std::to_string(id), {}, {}});
    }
    return ThreadView(c, tenant_id, id);
  });
}

Result<json::object> NoticeService::OperatorThreads(const Principal&, const std::string& status,
                                                    const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    storage::Params params;
    std::string where;
    if (!status.empty()) {
      where = "s.status = ? AND ";
      params.push_back(V(status));
    }
    params.push_back(V(identity::CursorBefore(page)));
    params.push_back(V(page.limit));
    auto rows = c.Query(
        fmt::format("SELECT s.thread_id, s.subject, s.status, s.created_at, s.updated_at, "
                    "s.tenant_id, t.slug FROM support_threads s JOIN tenants t USING (tenant_id) "
                    "WHERE {}s.thread_id < ? ORDER BY s.thread_id DESC LIMIT ?",
                    where),
        params);
    return identity::PageOfRows(rows, page, [&](const Row& r) {
      return json::object{{"id", r.integer(0)},
                          {"subject", r.text(1)},
                          {"status", r.text(2)},
                          {"created_at", Format(FromMicros(r.integer(3)))},
                          {"updated_at", Format(FromMicros(r.integer(4)))},
                          {"tenant_id", r.integer(5)},
                          {"tenant_slug", r.text(6)}};
    });
  });
}

Status NoticeService::CloseThread(const Principal& op, std::int64_t id, const RequestMeta& meta) {
  return db_.Write([&](Connection& c) -> Status {
    auto row = c.QueryOne("SELECT tenant_id FROM support_threads WHERE thread_id = ?", {V(id)});
    if (!row) return Error::NotFound("support thread");
    c.Exec(
        "UPDATE support_threads SET status = 'closed', updated_at = ? WHERE tenant_id = ? AND "
        "thread_id = ?",
        {V(ToMicros(meta.now)), V(row->integer(0)), V(id)});
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"support.close", "support_thread", std::to_string(id), {}, {}},
                                  row->integer(0));
    return OkStatus();
  });
}

}  // namespace kelu::notices
