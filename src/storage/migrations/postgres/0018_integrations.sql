-- §6: the operator's directory of third-party links and integrations (shown to tenants with a
-- disclaimer), and each tenant's outgoing webhooks: scoped to chosen events, revocable, audited,
-- delivered with retries and signed (HMAC-SHA256).
CREATE TABLE integrations (
  integration_id BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  category TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE webhooks (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  webhook_id BIGINT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  PRIMARY KEY (tenant_id, webhook_id)
);

CREATE TABLE webhook_deliveries (
  tenant_id BIGINT NOT NULL,
  delivery_id BIGINT NOT NULL,
  webhook_id BIGINT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  last_status BIGINT,
  last_error TEXT,
  sent_at BIGINT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, delivery_id),
  FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, webhook_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
