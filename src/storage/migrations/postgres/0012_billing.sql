-- The contract engine (step 3): the tenant's term and lifecycle, the versioned price list,
-- orders with their lines, invoices, payments and the ledger, activations with their
-- working-day deadlines, SMS and fax point lots, the notice register, the tenant's timeline,
-- idempotency records of operator money actions, and calendar years loaded after the build.
-- Business dates are TEXT 'YYYY-MM-DD' (Asia/Shanghai); instants are microseconds (UTC).
ALTER TABLE tenants ADD COLUMN ending TEXT NOT NULL DEFAULT 'none';
ALTER TABLE tenants ADD COLUMN termination_reason TEXT;
ALTER TABLE tenants ADD COLUMN plan_code TEXT;
ALTER TABLE tenants ADD COLUMN packages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tenants ADD COLUMN term_anchor TEXT;
ALTER TABLE tenants ADD COLUMN expiry TEXT;
ALTER TABLE tenants ADD COLUMN terminated_on TEXT;
ALTER TABLE tenants ADD COLUMN non_renewal_at BIGINT;
ALTER TABLE tenants ADD COLUMN next_seats BIGINT;
ALTER TABLE tenants ADD COLUMN next_seats_from TEXT;
ALTER TABLE tenants ADD COLUMN storage_blocks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN points_forfeited_at BIGINT;
ALTER TABLE tenants ADD COLUMN purged_at BIGINT;
ALTER TABLE tenants ADD COLUMN contact_email TEXT;
ALTER TABLE tenants ADD COLUMN contact_mobile TEXT;
CREATE INDEX tenants_state_expiry ON tenants (state, expiry);

CREATE TABLE price_lists (
  version BIGINT PRIMARY KEY,
  document TEXT NOT NULL,
  note TEXT NOT NULL,
  published_at BIGINT NOT NULL,
  published_by BIGINT
);

CREATE TABLE document_counters (
  series TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);

CREATE TABLE orders (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  order_id BIGINT NOT NULL,
  number TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  price_list_version BIGINT NOT NULL,
  plan_code TEXT,
  seats BIGINT,
  years BIGINT,
  blocks BIGINT,
  points BIGINT,
  term_start TEXT,
  term_end TEXT,
  total_fen BIGINT NOT NULL,
  details TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by BIGINT,
  accepted_at BIGINT,
  accepted_by BIGINT,
  paid_at BIGINT,
  cancelled_at BIGINT,
  PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX orders_status ON orders (status, created_at);

CREATE TABLE order_lines (
  tenant_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  line_no BIGINT NOT NULL,
  code TEXT NOT NULL,
  description TEXT NOT NULL,
  quantity BIGINT NOT NULL,
  unit_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, order_id, line_no),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);

CREATE TABLE invoices (
  tenant_id BIGINT NOT NULL,
  invoice_id BIGINT NOT NULL,
  number TEXT NOT NULL UNIQUE,
  order_id BIGINT NOT NULL,
  total_fen BIGINT NOT NULL,
  issued_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, invoice_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);

CREATE TABLE invoice_lines (
  tenant_id BIGINT NOT NULL,
  invoice_id BIGINT NOT NULL,
  line_no BIGINT NOT NULL,
  code TEXT NOT NULL,
  description TEXT NOT NULL,
  quantity BIGINT NOT NULL,
  unit_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, invoice_id, line_no),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, invoice_id)
);

CREATE TABLE payments (
  tenant_id BIGINT NOT NULL,
  payment_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  invoice_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  bank_reference TEXT NOT NULL,
  paid_on TEXT NOT NULL,
  confirmed_at BIGINT NOT NULL,
  confirmed_by BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, payment_id),
  UNIQUE (tenant_id, order_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, invoice_id)
);

CREATE TABLE ledger_entries (
  tenant_id BIGINT NOT NULL,
  entry_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  document TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, entry_id)
);

CREATE TABLE activations (
  tenant_id BIGINT NOT NULL,
  activation_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  confirmed_at BIGINT NOT NULL,
  deadline_at BIGINT,
  deadline_error TEXT,
  activated_at BIGINT,
  activated_by TEXT,
  PRIMARY KEY (tenant_id, activation_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);
CREATE INDEX activations_open ON activations (activated_at, deadline_at);

CREATE TABLE point_lots (
  tenant_id BIGINT NOT NULL,
  lot_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  order_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  remaining BIGINT NOT NULL,
  bought_at BIGINT NOT NULL,
  forfeited_at BIGINT,
  PRIMARY KEY (tenant_id, lot_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
  CHECK (remaining >= 0 AND remaining <= points)
);

CREATE TABLE notices (
  tenant_id BIGINT NOT NULL,
  notice_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  deemed_at BIGINT NOT NULL,
  evidence TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  recorded_by BIGINT,
  PRIMARY KEY (tenant_id, notice_id),
  UNIQUE (tenant_id, dedupe_key)
);

CREATE TABLE tenant_events (
  tenant_id BIGINT NOT NULL,
  event_id BIGINT NOT NULL,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
);

CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code BIGINT,
  response TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE TABLE calendar_years (
  year BIGINT PRIMARY KEY,
  document TEXT NOT NULL,
  loaded_at BIGINT NOT NULL,
  loaded_by BIGINT
);
