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
