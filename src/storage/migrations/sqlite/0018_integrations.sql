-- §6: the operator's directory of third-party links and integrations (shown to tenants with a
-- disclaimer), and each tenant's outgoing webhooks: scoped to chosen events, revocable, audited,
-- delivered with retries and signed (HMAC-SHA256).
CREATE TABLE integrations (
  integration_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  category TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE webhooks (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  webhook_id INTEGER NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  PRIMARY KEY (tenant_id, webhook_id)
) WITHOUT ROWID;

CREATE TABLE webhook_deliveries (
  tenant_id INTEGER NOT NULL,
  delivery_id INTEGER NOT NULL,
  webhook_id INTEGER NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_status INTEGER,
  last_error TEXT,
  sent_at INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, delivery_id),
  FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, webhook_id)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
