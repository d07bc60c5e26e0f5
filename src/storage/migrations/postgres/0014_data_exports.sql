-- The tenant's data export (contract §11 and data ownership): one archive per request, written
-- by a background job, downloadable until expires_at.
CREATE TABLE data_exports (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  export_id BIGINT NOT NULL,
  status TEXT NOT NULL,
  requested_by BIGINT,
  requested_at BIGINT NOT NULL,
  finished_at BIGINT,
  expires_at BIGINT,
  file_path TEXT,
  bytes BIGINT,
  sha256 TEXT,
  error TEXT,
  PRIMARY KEY (tenant_id, export_id)
);
