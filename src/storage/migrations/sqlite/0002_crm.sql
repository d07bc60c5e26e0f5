-- The CRM: customers, contacts, follow-ups, tasks, pools and the customer timeline.
-- Soft delete (deleted_at) feeds the recycle bin; a daily job purges after 30 days.
CREATE TABLE crm_settings (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

CREATE TABLE pools (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  pool_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, pool_id)
) WITHOUT ROWID;

CREATE TABLE customers (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  customer_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  name_norm TEXT NOT NULL,
  short_name TEXT NOT NULL DEFAULT '',
  industry TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  level TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  phones TEXT NOT NULL DEFAULT '[]',
  website TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  owner_id INTEGER,
  department_id INTEGER,
  pool_id INTEGER,
  owned_since INTEGER,
  last_owner_id INTEGER,
  returned_at INTEGER,
  return_warned_at INTEGER,
  last_follow_up_at INTEGER,
  next_follow_up_at INTEGER,
  notes TEXT NOT NULL DEFAULT '',
  custom TEXT NOT NULL DEFAULT '{}',
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  updated_by INTEGER,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  deleted_by INTEGER,
  PRIMARY KEY (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, user_id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, department_id),
  FOREIGN KEY (tenant_id, pool_id) REFERENCES pools (tenant_id, pool_id)
) WITHOUT ROWID;
CREATE INDEX customers_owner ON customers (tenant_id, owner_id, customer_id);
CREATE INDEX customers_name ON customers (tenant_id, name_norm);
CREATE INDEX customers_pool ON customers (tenant_id, pool_id);

-- Normalised phone numbers and emails of customers and their contacts, for 查重 and search.
CREATE TABLE contact_points (
  tenant_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  point_id INTEGER NOT NULL,
  contact_id INTEGER,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tenant_id, customer_id, point_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX contact_points_value ON contact_points (tenant_id, kind, value);

CREATE TABLE contacts (
  tenant_id INTEGER NOT NULL,
  contact_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  mobile TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  wechat TEXT NOT NULL DEFAULT '',
  birthday TEXT,
  is_primary INTEGER NOT NULL DEFAULT 0,
  notes TEXT NOT NULL DEFAULT '',
  custom TEXT NOT NULL DEFAULT '{}',
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  updated_by INTEGER,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  deleted_by INTEGER,
  PRIMARY KEY (tenant_id, contact_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX contacts_customer ON contacts (tenant_id, customer_id);

CREATE TABLE follow_ups (
  tenant_id INTEGER NOT NULL,
  follow_up_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  contact_id INTEGER,
  type TEXT NOT NULL,
  content TEXT NOT NULL,
  at INTEGER NOT NULL,
  next_at INTEGER,
  created_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  deleted_by INTEGER,
  PRIMARY KEY (tenant_id, follow_up_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, contact_id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX follow_ups_customer ON follow_ups (tenant_id, customer_id, at);

CREATE TABLE tasks (
  tenant_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  assignee_id INTEGER NOT NULL,
  customer_id INTEGER,
  follow_up_id INTEGER,
  done_at INTEGER,
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  deleted_by INTEGER,
  PRIMARY KEY (tenant_id, task_id),
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, user_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX tasks_assignee ON tasks (tenant_id, assignee_id, due_at);

CREATE TABLE customer_events (
  tenant_id INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor_id INTEGER,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant_id, event_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_events_customer ON customer_events (tenant_id, customer_id, event_id);
