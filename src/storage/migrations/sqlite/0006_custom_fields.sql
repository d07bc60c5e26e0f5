-- Custom fields on customers, contacts and opportunities; values live in each record's
-- `custom` JSON column, keyed by the field's key.
CREATE TABLE custom_fields (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  field_id INTEGER NOT NULL,
  entity TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '[]',
  required INTEGER NOT NULL DEFAULT 0,
  position INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, field_id),
  UNIQUE (tenant_id, entity, key)
) WITHOUT ROWID;

ALTER TABLE opportunities ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
