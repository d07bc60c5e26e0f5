-- The tenant's SMS signature (【…】), sent only once the operator approved it.
CREATE TABLE sms_signatures (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  signature TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_at BIGINT NOT NULL,
  requested_by BIGINT NOT NULL,
  decided_at BIGINT,
  decided_by BIGINT,
  reason TEXT,
  PRIMARY KEY (tenant_id)
);
