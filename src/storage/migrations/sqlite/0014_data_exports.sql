-- The tenant's data export (contract §11 and data ownership): one archive per request, written
-- by a background job, downloadable until expires_at.
CREATE TABLE data_exports (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  export_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  requested_by INTEGER,
  requested_at INTEGER NOT NULL,
  finished_at INTEGER,
  expires_at INTEGER,
  file_path TEXT,
  bytes INTEGER,
  sha256 TEXT,
  error TEXT,
  PRIMARY KEY (tenant_id, export_id)
) WITHOUT ROWID;
