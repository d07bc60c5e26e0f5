-- Opportunities (商机) on configurable pipelines; every stage or status change is kept.
CREATE TABLE pipelines (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  pipeline_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  position BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, pipeline_id)
);

CREATE TABLE stages (
  tenant_id BIGINT NOT NULL,
  stage_id BIGINT NOT NULL,
  pipeline_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  position BIGINT NOT NULL,
  probability BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, stage_id),
  FOREIGN KEY (tenant_id, pipeline_id) REFERENCES pipelines (tenant_id, pipeline_id)
);

CREATE TABLE opportunities (
  tenant_id BIGINT NOT NULL,
  opportunity_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  pipeline_id BIGINT NOT NULL,
  stage_id BIGINT NOT NULL,
  status TEXT NOT NULL,
  lost_reason TEXT NOT NULL DEFAULT '',
  expected_close_date TEXT,
  owner_id BIGINT NOT NULL,
  closed_at BIGINT,
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  deleted_by BIGINT,
  PRIMARY KEY (tenant_id, opportunity_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, stage_id) REFERENCES stages (tenant_id, stage_id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, user_id)
);
CREATE INDEX opportunities_customer ON opportunities (tenant_id, customer_id);
CREATE INDEX opportunities_owner ON opportunities (tenant_id, owner_id);

CREATE TABLE opportunity_changes (
  tenant_id BIGINT NOT NULL,
  change_id BIGINT NOT NULL,
  opportunity_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  actor_id BIGINT,
  from_stage_id BIGINT,
  to_stage_id BIGINT NOT NULL,
  from_status TEXT,
  to_status TEXT NOT NULL,
  PRIMARY KEY (tenant_id, change_id),
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, opportunity_id)
);
CREATE INDEX opportunity_changes_opportunity ON opportunity_changes (tenant_id, opportunity_id);
