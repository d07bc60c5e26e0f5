-- SMS sending (step 4). A send (one contact or a filtered list) is a batch; each recipient is a
-- message with its rendered content, segments and points. Points are held on the batch when it
-- is submitted (point_spends rows in state 'held'), charged when the gateway accepts a message
-- and given back to their lots when the filter or the gateway refuses it.
ALTER TABLE point_spends ADD COLUMN state TEXT NOT NULL DEFAULT 'charged';
CREATE INDEX point_spends_reference ON point_spends (tenant_id, reference);

CREATE TABLE sms_templates (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  template_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, template_id)
);

CREATE TABLE sms_batches (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  batch_id BIGINT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  template_id BIGINT,
  signature TEXT NOT NULL,
  audience TEXT NOT NULL,
  recipients BIGINT NOT NULL,
  points_held BIGINT NOT NULL,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, batch_id)
);

CREATE TABLE sms_messages (
  tenant_id BIGINT NOT NULL,
  message_id BIGINT NOT NULL,
  batch_id BIGINT NOT NULL,
  customer_id BIGINT,
  contact_id BIGINT,
  phone TEXT NOT NULL,
  content TEXT NOT NULL,
  segments BIGINT NOT NULL,
  points BIGINT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  detail TEXT,
  gateway TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  provider_id TEXT,
  accepted_at BIGINT,
  delivery TEXT,
  delivery_code TEXT,
  delivered_at BIGINT,
  receipts BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, message_id),
  FOREIGN KEY (tenant_id, batch_id) REFERENCES sms_batches (tenant_id, batch_id)
);
CREATE INDEX sms_messages_batch ON sms_messages (tenant_id, batch_id, message_id);
CREATE INDEX sms_messages_phone ON sms_messages (tenant_id, phone, created_at);
CREATE INDEX sms_messages_customer ON sms_messages (tenant_id, customer_id, message_id);
CREATE INDEX sms_messages_due ON sms_messages (status, next_attempt_at);

-- Numbers that asked for no more marketing ("R"/"TD" replies, or added by hand).
CREATE TABLE sms_opt_outs (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  phone TEXT NOT NULL,
  source TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, phone)
);

-- Faxes: a PDF attachment sent to a number, charged per page.
CREATE TABLE fax_jobs (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  fax_id BIGINT NOT NULL,
  attachment_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  filename TEXT NOT NULL,
  number TEXT NOT NULL,
  pages BIGINT NOT NULL,
  points BIGINT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  detail TEXT,
  gateway TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  provider_id TEXT,
  sent_at BIGINT,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, fax_id)
);
CREATE INDEX fax_jobs_due ON fax_jobs (status, next_attempt_at);
