-- Imports: an uploaded file (kept as UTF-8 under files.dir), its mapping, its reports, and the
-- records it created, so that it can be reverted.
CREATE TABLE imports (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  import_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  entity TEXT NOT NULL,
  filename TEXT NOT NULL,
  encoding TEXT NOT NULL,
  status TEXT NOT NULL,
  mapping TEXT NOT NULL DEFAULT '{}',
  report TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, import_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;

CREATE TABLE import_records (
  tenant_id INTEGER NOT NULL,
  import_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, import_id, customer_id),
  FOREIGN KEY (tenant_id, import_id) REFERENCES imports (tenant_id, import_id)
) WITHOUT ROWID;
