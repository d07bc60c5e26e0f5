-- The email outbox: one row per message, delivered by a background thread with retries. Not a
-- tenant table (operator alerts have no tenant); a tenant's notice names it in subject_tenant_id.
CREATE TABLE outbox (
  message_id INTEGER PRIMARY KEY,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  subject_tenant_id INTEGER,
  notice_kind TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_error TEXT,
  evidence TEXT,
  sent_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
