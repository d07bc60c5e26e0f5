// The audit log: append-only records of every write, login, failed login, logout, export and
// permission change, with who, when, from where, what and the changed fields before and
// after. Written inside the transaction of the change it records. Nothing updates or
// deletes audit rows.
#pragma once

#include <string>

#include "core/json.hpp"
#include "identity/principal.hpp"
#include "storage/database.hpp"

namespace kelu::identity {

struct AuditEntry {
  std::string action;     // "user.update"
  std::string entity;     // "user"
  std::string entity_id;  // "1042"
  json::object before;    // changed fields only (see Diff)
  json::object after;
};

// Keeps only the fields whose values differ between `before` and `after` (and fields present
// on one side only). Secrets are never passed in.
void Diff(json::object& before, json::object& after);

// The actions a tenant's webhook may subscribe to (writes of CRM records); "*" means all.
const std::vector<std::string>& WebhookEvents();
bool IsWebhookEvent(std::string_view action);

// Records `entry` in the tenant's audit log (users and support) or the operator audit log.
void RecordAudit(storage::Connection& c, const Principal& who, const RequestMeta& meta,
                 const AuditEntry& entry);

// Records an event of a tenant with no authenticated principal (a failed login).
void RecordAnonymousAudit(storage::Connection& c, std::int64_t tenant_id,
                          const std::string& actor_name, const RequestMeta& meta,
                          const AuditEntry& entry);

// Records an operator action; `subject_tenant_id` names the tenant acted on (0: none).
void RecordOperatorAudit(storage::Connection& c, std::int64_t operator_id,
                         const std::string& actor_name, const RequestMeta& meta,
                         const AuditEntry& entry, std::int64_t subject_tenant_id);

}  // namespace kelu::identity
