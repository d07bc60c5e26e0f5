-- Operator announcements (to all tenants or chosen ones, shown to each user until read), and
-- the support inbox where a tenant writes to the operator and gets answers.
CREATE TABLE announcements (
  announcement_id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  audience TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  published_by INTEGER
);

CREATE TABLE announcement_targets (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  announcement_id INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, announcement_id)
) WITHOUT ROWID;

CREATE TABLE announcement_reads (
  tenant_id INTEGER NOT NULL,
  announcement_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  read_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, announcement_id, user_id),
  FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcement_targets (tenant_id, announcement_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;

CREATE TABLE support_threads (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  thread_id INTEGER NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, thread_id)
) WITHOUT ROWID;
CREATE INDEX support_threads_updated ON support_threads (status, updated_at);

CREATE TABLE support_messages (
  tenant_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  author_kind TEXT NOT NULL,
  author_id INTEGER,
  author_name TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, thread_id, message_id),
  FOREIGN KEY (tenant_id, thread_id) REFERENCES support_threads (tenant_id, thread_id)
) WITHOUT ROWID;
