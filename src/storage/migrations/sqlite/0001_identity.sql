-- Identity and tenancy. Every tenant-owned table has tenant_id leading its primary key and
-- every foreign key (checked against the live schema by storage/schema_check).
CREATE TABLE kelu_ids (value INTEGER NOT NULL);
INSERT INTO kelu_ids (value) VALUES (1000);

CREATE TABLE kelu_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE job_runs (
  job TEXT NOT NULL,
  run_date TEXT NOT NULL,
  ran_at INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  PRIMARY KEY (job, run_date)
);

CREATE TABLE operators (
  operator_id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  password_changed_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE operator_sessions (
  session_id INTEGER PRIMARY KEY,
  operator_id INTEGER NOT NULL REFERENCES operators (operator_id),
  token_hash TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
);

CREATE TABLE operator_audit (
  audit_id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  operator_id INTEGER,
  actor_name TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  subject_tenant_id INTEGER,
  before_json TEXT,
  after_json TEXT,
  request_id TEXT NOT NULL
);
CREATE INDEX operator_audit_at ON operator_audit (at);

CREATE TABLE tenants (
  tenant_id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  seats INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE departments (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  department_id INTEGER NOT NULL,
  parent_id INTEGER,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, department_id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES departments (tenant_id, department_id)
) WITHOUT ROWID;

CREATE TABLE users (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  user_id INTEGER NOT NULL,
  login TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  mobile TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  department_id INTEGER,
  status TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  password_changed_at INTEGER NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, user_id),
  UNIQUE (tenant_id, login),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, department_id)
) WITHOUT ROWID;

CREATE TABLE password_history (
  tenant_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  history_id INTEGER NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, user_id, history_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;

CREATE TABLE role_scopes (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  PRIMARY KEY (tenant_id, role)
) WITHOUT ROWID;

CREATE TABLE user_sessions (
  tenant_id INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  token_hash TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  PRIMARY KEY (tenant_id, session_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX user_sessions_user ON user_sessions (tenant_id, user_id);

CREATE TABLE api_tokens (
  tenant_id INTEGER NOT NULL,
  token_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER,
  PRIMARY KEY (tenant_id, token_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX api_tokens_user ON api_tokens (tenant_id, user_id);

CREATE TABLE login_history (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  login_id INTEGER NOT NULL,
  user_id INTEGER,
  login TEXT NOT NULL,
  at INTEGER NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY (tenant_id, login_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX login_history_user ON login_history (tenant_id, user_id, login_id);

CREATE TABLE audit_log (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  audit_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id INTEGER,
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
) WITHOUT ROWID;

CREATE TABLE incidents (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  incident_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  reported_by INTEGER NOT NULL,
  scope TEXT NOT NULL,
  user_ids TEXT NOT NULL,
  note TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, incident_id),
  FOREIGN KEY (tenant_id, reported_by) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;

CREATE TABLE support_grants (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  grant_id INTEGER NOT NULL,
  created_by INTEGER NOT NULL,
  access TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  PRIMARY KEY (tenant_id, grant_id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;
