-- SMS sending (step 4). A send (one contact or a filtered list) is a batch; each recipient is a
-- message with its rendered content, segments and points. Points are held on the batch when it
-- is submitted (point_spends rows in state 'held'), charged when the gateway accepts a message
-- and given back to their lots when the filter or the gateway refuses it.
ALTER TABLE point_spends ADD COLUMN state TEXT NOT NULL DEFAULT 'charged';
CREATE INDEX point_spends_reference ON point_spends (tenant_id, reference);

CREATE TABLE sms_templates (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  template_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, template_id)
) WITHOUT ROWID;

CREATE TABLE sms_batches (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  batch_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  template_id INTEGER,
  signature TEXT NOT NULL,
  audience TEXT NOT NULL,
  recipients INTEGER NOT NULL,
  points_held INTEGER NOT NULL,
  created_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, batch_id)
) WITHOUT ROWID;

CREATE TABLE sms_messages (
  tenant_id INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  batch_id INTEGER NOT NULL,
  customer_id INTEGER,
  contact_id INTEGER,
  phone TEXT NOT NULL,
  content TEXT NOT NULL,
  segments INTEGER NOT NULL,
  points INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  detail TEXT,
  gateway TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  provider_id TEXT,
  accepted_at INTEGER,
  delivery TEXT,
  delivery_code TEXT,
  delivered_at INTEGER,
  receipts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, message_id),
  FOREIGN KEY (tenant_id, batch_id) REFERENCES sms_batches (tenant_id, batch_id)
) WITHOUT ROWID;
CREATE INDEX sms_messages_batch ON sms_messages (tenant_id, batch_id, message_id);
CREATE INDEX sms_messages_phone ON sms_messages (tenant_id, phone, created_at);
CREATE INDEX sms_messages_customer ON sms_messages (tenant_id, customer_id, message_id);
CREATE INDEX sms_messages_due ON sms_messages (status, next_attempt_at);

-- Numbers that asked for no more marketing ("R"/"TD" replies, or added by hand).
CREATE TABLE sms_opt_outs (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  phone TEXT NOT NULL,
  source TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, phone)
) WITHOUT ROWID;

-- Faxes: a PDF attachment sent to a number, charged per page.
CREATE TABLE fax_jobs (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  fax_id INTEGER NOT NULL,
  attachment_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  filename TEXT NOT NULL,
  number TEXT NOT NULL,
  pages INTEGER NOT NULL,
  points INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  detail TEXT,
  gateway TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  provider_id TEXT,
  sent_at INTEGER,
  created_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, fax_id)
) WITHOUT ROWID;
CREATE INDEX fax_jobs_due ON fax_jobs (status, next_attempt_at);
