-- The CRM: customers, contacts, follow-ups, tasks, pools and the customer timeline.
-- Soft delete (deleted_at) feeds the recycle bin; a daily job purges after 30 days.
CREATE TABLE crm_settings (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE pools (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  pool_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, pool_id)
);

CREATE TABLE customers (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  customer_id BIGINT NOT NULL,
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
  owner_id BIGINT,
  department_id BIGINT,
  pool_id BIGINT,
  owned_since BIGINT,
  last_owner_id BIGINT,
  returned_at BIGINT,
  return_warned_at BIGINT,
  last_follow_up_at BIGINT,
  next_follow_up_at BIGINT,
  notes TEXT NOT NULL DEFAULT '',
  custom TEXT NOT NULL DEFAULT '{}',
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_by BIGINT,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  deleted_by BIGINT,
  PRIMARY KEY (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, user_id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, department_id),
  FOREIGN KEY (tenant_id, pool_id) REFERENCES pools (tenant_id, pool_id)
);
CREATE INDEX customers_owner ON customers (tenant_id, owner_id, customer_id);
CREATE INDEX customers_name ON customers (tenant_id, name_norm);
CREATE INDEX customers_pool ON customers (tenant_id, pool_id);

-- Normalised phone numbers and emails of customers and their contacts, for 查重 and search.
CREATE TABLE contact_points (
  tenant_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  point_id BIGINT NOT NULL,
  contact_id BIGINT,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tenant_id, customer_id, point_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
CREATE INDEX contact_points_value ON contact_points (tenant_id, kind, value);

CREATE TABLE contacts (
  tenant_id BIGINT NOT NULL,
  contact_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  mobile TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  wechat TEXT NOT NULL DEFAULT '',
  birthday TEXT,
  is_primary BIGINT NOT NULL DEFAULT 0,
  notes TEXT NOT NULL DEFAULT '',
  custom TEXT NOT NULL DEFAULT '{}',
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_by BIGINT,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  deleted_by BIGINT,
  PRIMARY KEY (tenant_id, contact_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
CREATE INDEX contacts_customer ON contacts (tenant_id, customer_id);

CREATE TABLE follow_ups (
  tenant_id BIGINT NOT NULL,
  follow_up_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  contact_id BIGINT,
  type TEXT NOT NULL,
  content TEXT NOT NULL,
  at BIGINT NOT NULL,
  next_at BIGINT,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  deleted_by BIGINT,
  PRIMARY KEY (tenant_id, follow_up_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, contact_id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, user_id)
);
CREATE INDEX follow_ups_customer ON follow_ups (tenant_id, customer_id, at);

CREATE TABLE tasks (
  tenant_id BIGINT NOT NULL,
  task_id BIGINT NOT NULL,
  title TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  assignee_id BIGINT NOT NULL,
  customer_id BIGINT,
  follow_up_id BIGINT,
  done_at BIGINT,
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  deleted_by BIGINT,
  PRIMARY KEY (tenant_id, task_id),
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, user_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
CREATE INDEX tasks_assignee ON tasks (tenant_id, assignee_id, due_at);

CREATE TABLE customer_events (
  tenant_id BIGINT NOT NULL,
  event_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  actor_id BIGINT,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant_id, event_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
CREATE INDEX customer_events_customer ON customer_events (tenant_id, customer_id, event_id);
