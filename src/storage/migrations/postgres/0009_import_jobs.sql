-- Imports run as resumable jobs: the file's row count, how many rows a dry run or commit has
-- consumed, how long the error file was at the last batch, who committed and at what time the
-- rows are dated. The records an import created are kept by kind, so contacts and follow-ups
-- imports can be reverted too.
ALTER TABLE imports ADD COLUMN total_rows BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN processed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN error_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN run_by BIGINT;
ALTER TABLE imports ADD COLUMN run_at BIGINT;

CREATE TABLE import_items (
  tenant_id BIGINT NOT NULL,
  import_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  record_id BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, import_id, kind, record_id),
  FOREIGN KEY (tenant_id, import_id) REFERENCES imports (tenant_id, import_id)
);

INSERT INTO import_items (tenant_id, import_id, kind, record_id)
  SELECT tenant_id, import_id, 'customer', customer_id FROM import_records;
DROP TABLE import_records;
