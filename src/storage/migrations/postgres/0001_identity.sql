-- Identity and tenancy. Every tenant-owned table has tenant_id leading its primary key and
-- every foreign key (checked against the live schema by storage/schema_check).
CREATE SEQUENCE kelu_ids START WITH 1001;

CREATE TABLE kelu_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE job_runs (
  job TEXT NOT NULL,
  run_date TEXT NOT NULL,
  ran_at BIGINT NOT NULL,
  duration_us BIGINT NOT NULL,
  PRIMARY KEY (job, run_date)
);

CREATE TABLE operators (
  operator_id BIGINT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  failed_logins BIGINT NOT NULL DEFAULT 0,
  locked_until BIGINT,
  password_changed_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE operator_sessions (
  session_id BIGINT PRIMARY KEY,
  operator_id BIGINT NOT NULL REFERENCES operators (operator_id),
  token_hash TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
);

CREATE TABLE operator_audit (
  audit_id BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  operator_id BIGINT,
  actor_name TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  subject_tenant_id BIGINT,
  before_json TEXT,
  after_json TEXT,
  request_id TEXT NOT NULL
);
CREATE INDEX operator_audit_at ON operator_audit (at);

CREATE TABLE tenants (
  tenant_id BIGINT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  seats BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE departments (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  department_id BIGINT NOT NULL,
  parent_id BIGINT,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, department_id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES departments (tenant_id, department_id)
);

CREATE TABLE users (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  user_id BIGINT NOT NULL,
  login TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  mobile TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  department_id BIGINT,
  status TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  password_changed_at BIGINT NOT NULL,
  must_change_password BIGINT NOT NULL DEFAULT 0,
  failed_logins BIGINT NOT NULL DEFAULT 0,
  locked_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, user_id),
  UNIQUE (tenant_id, login),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, department_id)
);

CREATE TABLE password_history (
  tenant_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  history_id BIGINT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, history_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);

CREATE TABLE role_scopes (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  PRIMARY KEY (tenant_id, role)
);

CREATE TABLE user_sessions (
  tenant_id BIGINT NOT NULL,
  session_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  token_hash TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  PRIMARY KEY (tenant_id, session_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);
CREATE INDEX user_sessions_user ON user_sessions (tenant_id, user_id);

CREATE TABLE api_tokens (
  tenant_id BIGINT NOT NULL,
  token_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT,
  last_used_at BIGINT,
  PRIMARY KEY (tenant_id, token_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);
CREATE INDEX api_tokens_user ON api_tokens (tenant_id, user_id);

CREATE TABLE login_history (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  login_id BIGINT NOT NULL,
  user_id BIGINT,
  login TEXT NOT NULL,
  at BIGINT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY (tenant_id, login_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);
CREATE INDEX login_history_user ON login_history (tenant_id, user_id, login_id);

CREATE TABLE audit_log (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  audit_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id BIGINT,
  actor_name TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT,
  request_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, audit_id)
);

CREATE TABLE incidents (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  incident_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  reported_by BIGINT NOT NULL,
  scope TEXT NOT NULL,
  user_ids TEXT NOT NULL,
  note TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, incident_id),
  FOREIGN KEY (tenant_id, reported_by) REFERENCES users (tenant_id, user_id)
);

CREATE TABLE support_grants (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  grant_id BIGINT NOT NULL,
  created_by BIGINT NOT NULL,
  access TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  PRIMARY KEY (tenant_id, grant_id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, user_id)
);
