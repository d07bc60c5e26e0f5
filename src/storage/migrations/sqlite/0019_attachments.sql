-- Attachments on customers, contacts, follow-ups and opportunities (step 4): the bytes live in
-- the blob store under their SHA-256 (per tenant); storage_usage holds the bytes counted
-- against the quota, changed only together with the attachments, in one transaction.
CREATE TABLE attachments (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  attachment_id INTEGER NOT NULL,
  entity TEXT NOT NULL,
  entity_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  filename TEXT NOT NULL,
  mime TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  uploaded_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, attachment_id)
) WITHOUT ROWID;
CREATE INDEX attachments_entity ON attachments (tenant_id, entity, entity_id);
CREATE INDEX attachments_blob ON attachments (tenant_id, sha256);

CREATE TABLE storage_usage (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  used_bytes INTEGER NOT NULL,
  PRIMARY KEY (tenant_id)
) WITHOUT ROWID;
