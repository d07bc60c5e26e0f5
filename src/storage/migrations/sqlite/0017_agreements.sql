-- The data-confidentiality agreement (§1, §13): each acceptance by a tenant, with its version,
-- time and user.
CREATE TABLE agreement_acceptances (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  acceptance_id INTEGER NOT NULL,
  version TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  accepted_by INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, acceptance_id)
) WITHOUT ROWID;
