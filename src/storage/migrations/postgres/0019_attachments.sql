-- Attachments on customers, contacts, follow-ups and opportunities (step 4): the bytes live in
-- the blob store under their SHA-256 (per tenant); storage_usage holds the bytes counted
-- against the quota, changed only together with the attachments, in one transaction.
CREATE TABLE attachments (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  attachment_id BIGINT NOT NULL,
  entity TEXT NOT NULL,
  entity_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  filename TEXT NOT NULL,
  mime TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  uploaded_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, attachment_id)
);
CREATE INDEX attachments_entity ON attachments (tenant_id, entity, entity_id);
CREATE INDEX attachments_blob ON attachments (tenant_id, sha256);

CREATE TABLE storage_usage (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  used_bytes BIGINT NOT NULL,
  PRIMARY KEY (tenant_id)
);
