-- Custom fields on customers, contacts and opportunities; values live in each record's
-- `custom` JSON column, keyed by the field's key.
CREATE TABLE custom_fields (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  field_id BIGINT NOT NULL,
  entity TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '[]',
  required BIGINT NOT NULL DEFAULT 0,
  position BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, field_id),
  UNIQUE (tenant_id, entity, key)
);

ALTER TABLE opportunities ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
