-- Operator announcements (to all tenants or chosen ones, shown to each user until read), and
-- the support inbox where a tenant writes to the operator and gets answers.
CREATE TABLE announcements (
  announcement_id BIGINT PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  audience TEXT NOT NULL,
  published_at BIGINT NOT NULL,
  published_by BIGINT
);

CREATE TABLE announcement_targets (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  announcement_id BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, announcement_id)
);

CREATE TABLE announcement_reads (
  tenant_id BIGINT NOT NULL,
  announcement_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  read_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, announcement_id, user_id),
  FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcement_targets (tenant_id, announcement_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);

CREATE TABLE support_threads (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  thread_id BIGINT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, thread_id)
);
CREATE INDEX support_threads_updated ON support_threads (status, updated_at);

CREATE TABLE support_messages (
  tenant_id BIGINT NOT NULL,
  thread_id BIGINT NOT NULL,
  message_id BIGINT NOT NULL,
  author_kind TEXT NOT NULL,
  author_id BIGINT,
  author_name TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, thread_id, message_id),
  FOREIGN KEY (tenant_id, thread_id) REFERENCES support_threads (tenant_id, thread_id)
);
