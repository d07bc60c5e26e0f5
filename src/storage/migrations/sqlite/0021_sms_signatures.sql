-- The tenant's SMS signature (【…】), sent only once the operator approved it.
CREATE TABLE sms_signatures (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  signature TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  requested_by INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by INTEGER,
  reason TEXT,
  PRIMARY KEY (tenant_id)
) WITHOUT ROWID;
