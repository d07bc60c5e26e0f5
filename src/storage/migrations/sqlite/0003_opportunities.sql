-- Opportunities (商机) on configurable pipelines; every stage or status change is kept.
CREATE TABLE pipelines (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  pipeline_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, pipeline_id)
) WITHOUT ROWID;

CREATE TABLE stages (
  tenant_id INTEGER NOT NULL,
  stage_id INTEGER NOT NULL,
  pipeline_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  probability INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, stage_id),
  FOREIGN KEY (tenant_id, pipeline_id) REFERENCES pipelines (tenant_id, pipeline_id)
) WITHOUT ROWID;

CREATE TABLE opportunities (
  tenant_id INTEGER NOT NULL,
  opportunity_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  pipeline_id INTEGER NOT NULL,
  stage_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  lost_reason TEXT NOT NULL DEFAULT '',
  expected_close_date TEXT,
  owner_id INTEGER NOT NULL,
  closed_at INTEGER,
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  deleted_by INTEGER,
  PRIMARY KEY (tenant_id, opportunity_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, stage_id) REFERENCES stages (tenant_id, stage_id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX opportunities_customer ON opportunities (tenant_id, customer_id);
CREATE INDEX opportunities_owner ON opportunities (tenant_id, owner_id);

CREATE TABLE opportunity_changes (
  tenant_id INTEGER NOT NULL,
  change_id INTEGER NOT NULL,
  opportunity_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor_id INTEGER,
  from_stage_id INTEGER,
  to_stage_id INTEGER NOT NULL,
  from_status TEXT,
  to_status TEXT NOT NULL,
  PRIMARY KEY (tenant_id, change_id),
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, opportunity_id)
) WITHOUT ROWID;
CREATE INDEX opportunity_changes_opportunity ON opportunity_changes (tenant_id, opportunity_id);
