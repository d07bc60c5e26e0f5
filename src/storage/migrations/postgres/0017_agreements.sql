-- The data-confidentiality agreement (§1, §13): each acceptance by a tenant, with its version,
-- time and user.
CREATE TABLE agreement_acceptances (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  acceptance_id BIGINT NOT NULL,
  version TEXT NOT NULL,
  accepted_at BIGINT NOT NULL,
  accepted_by BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, acceptance_id)
);
