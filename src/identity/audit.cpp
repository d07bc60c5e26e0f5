#include "identity/audit.hpp"

namespace kelu::identity {

using storage::V;

void Diff(json::object& before, json::object& after) {
  std::vector<std::string> same;
  for (const auto& kv : before) {
    auto it = after.find(kv.key());
    if (it != after.end() && it->value() == kv.value()) same.emplace_back(kv.key());
  }
  for (const auto& k : same) {
    before.erase(k);
    after.erase(k);
  }
}

namespace {

storage::Value JsonOrNull(const json::object& o) {
  if (o.empty()) return storage::Null{};
  return ToJson(o);
}

}  // namespace

const std::vector<std::string>& WebhookEvents() {
  static const std::vector<std::string> events = {
      "customer.create",  "customer.update",    "customer.delete",    "customer.merge",
      "customer.claim",   "customer.return",    "customer.assign",    "customer.auto_return",
      "contact.create",   "contact.update",     "contact.delete",     "follow_up.create",
      "follow_up.delete", "opportunity.create", "opportunity.update", "opportunity.delete",
      "task.create",      "task.update",        "task.delete"};
  return events;
}

bool IsWebhookEvent(std::string_view action) {
  for (const auto& e : WebhookEvents()) {
    if (e == action) return true;
  }
  return false;
}

namespace {

// §6: a write of a CRM record is offered to the tenant's active webhooks subscribed to it, in
// the write's own transaction (so a rolled-back change is never announced).
void OfferToWebhooks(storage::Connection& c, std::int64_t tenant_id, const RequestMeta& meta,
                     const AuditEntry& e) {
  if (!IsWebhookEvent(e.action)) return;
  auto hooks =
      c.Query("SELECT webhook_id, events FROM webhooks WHERE tenant_id = ? AND status = 'active'",
              {V(tenant_id)});
  for (const auto& h : hooks.rows) {
    auto events = ParseJson(h.text(1));
    bool wanted = false;
    if (events && events->is_array()) {
      for (const auto& ev : events->as_array()) {
        if (ev.is_string() && (ev.as_string() == e.action || ev.as_string() == "*")) wanted = true;
      }
    }
    if (!wanted) continue;
    std::int64_t id = c.NextId();
    json::object payload{{"id", id},
                         {"event", e.action},
                         {"entity", e.entity},
                         {"entity_id", e.entity_id},
                         {"at", ToMicros(meta.now)},
                         {"data", e.after}};
    c.Exec(
        "INSERT INTO webhook_deliveries (tenant_id, delivery_id, webhook_id, event, payload, "
        "status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)",
        {V(tenant_id), V(id), V(h.integer(0)), V(e.action), V(ToJson(payload)),
         V(ToMicros(meta.now)), V(ToMicros(meta.now))});
  }
}

}  // namespace

void RecordAudit(storage::Connection& c, const Principal& who, const RequestMeta& meta,
                 const AuditEntry& e) {
  if (who.kind == PrincipalKind::kOperator) {
    RecordOperatorAudit(c, who.operator_id, who.name, meta, e, 0);
    return;
  }
  bool support = who.kind == PrincipalKind::kSupport;
  c.Exec(
      "INSERT INTO audit_log (tenant_id, audit_id, at, actor_kind, actor_id, actor_name, ip, "
      "user_agent, action, entity, entity_id, before_json, after_json, request_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {V(who.tenant_id), V(c.NextId()), V(ToMicros(meta.now)), V(support ? "operator" : "user"),
       V(support ? who.operator_id : who.user_id), V(who.name), V(meta.ip), V(meta.user_agent),
       V(e.action), V(e.entity), V(e.entity_id), JsonOrNull(e.before), JsonOrNull(e.after),
       V(meta.request_id)});
  OfferToWebhooks(c, who.tenant_id, meta, e);
}

void RecordAnonymousAudit(storage::Connection& c, std::int64_t tenant_id,
                          const std::string& actor_name, const RequestMeta& meta,
                          const AuditEntry& e) {
  c.Exec(
      "INSERT INTO audit_log (tenant_id, audit_id, at, actor_kind, actor_id, actor_name, ip, "
      "user_agent, action, entity, entity_id, before_json, after_json, request_id) "
      "VALUES (?, ?, ?, 'anonymous', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {V(tenant_id), V(c.NextId()), V(ToMicros(meta.now)), V(actor_name), V(meta.ip),
       V(meta.user_agent), V(e.action), V(e.entity), V(e.entity_id), JsonOrNull(e.before),
       JsonOrNull(e.after), V(meta.request_id)});
  OfferToWebhooks(c, tenant_id, meta, e);
}

void RecordOperatorAudit(storage::Connection& c, std::int64_t operator_id,
                         const std::string& actor_name, const RequestMeta& meta,
                         const AuditEntry& e, std::int64_t subject_tenant_id) {
  c.Exec(
      "INSERT INTO operator_audit (audit_id, at, operator_id, actor_name, ip, user_agent, action, "
      "entity, entity_id, subject_tenant_id, before_json, after_json, request_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {V(c.NextId()), V(ToMicros(meta.now)),
       operator_id ? V(operator_id) : storage::Value{storage::Null{}}, V(actor_name), V(meta.ip),
       V(meta.user_agent), V(e.action), V(e.entity), V(e.entity_id),
       subject_tenant_id ? V(subject_tenant_id) : storage::Value{storage::Null{}},
       JsonOrNull(e.before), JsonOrNull(e.after), V(meta.request_id)});
}

}  // namespace kelu::identity
