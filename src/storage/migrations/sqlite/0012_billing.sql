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
ALTER TABLE tenants ADD COLUMN non_renewal_at INTEGER;
ALTER TABLE tenants ADD COLUMN next_seats INTEGER;
ALTER TABLE tenants ADD COLUMN next_seats_from TEXT;
ALTER TABLE tenants ADD COLUMN storage_blocks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN points_forfeited_at INTEGER;
ALTER TABLE tenants ADD COLUMN purged_at INTEGER;
ALTER TABLE tenants ADD COLUMN contact_email TEXT;
ALTER TABLE tenants ADD COLUMN contact_mobile TEXT;
CREATE INDEX tenants_state_expiry ON tenants (state, expiry);

CREATE TABLE price_lists (
  version INTEGER PRIMARY KEY,
  document TEXT NOT NULL,
  note TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  published_by INTEGER
);

CREATE TABLE document_counters (
  series TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

CREATE TABLE orders (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  order_id INTEGER NOT NULL,
  number TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  price_list_version INTEGER NOT NULL,
  plan_code TEXT,
  seats INTEGER,
  years INTEGER,
  blocks INTEGER,
  points INTEGER,
  term_start TEXT,
  term_end TEXT,
  total_fen INTEGER NOT NULL,
  details TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by INTEGER,
  accepted_at INTEGER,
  accepted_by INTEGER,
  paid_at INTEGER,
  cancelled_at INTEGER,
  PRIMARY KEY (tenant_id, order_id)
) WITHOUT ROWID;
CREATE INDEX orders_status ON orders (status, created_at);

CREATE TABLE order_lines (
  tenant_id INTEGER NOT NULL,
  order_id INTEGER NOT NULL,
  line_no INTEGER NOT NULL,
  code TEXT NOT NULL,
  description TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_fen INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, order_id, line_no),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
) WITHOUT ROWID;

CREATE TABLE invoices (
  tenant_id INTEGER NOT NULL,
  invoice_id INTEGER NOT NULL,
  number TEXT NOT NULL UNIQUE,
  order_id INTEGER NOT NULL,
  total_fen INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, invoice_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
) WITHOUT ROWID;

CREATE TABLE invoice_lines (
  tenant_id INTEGER NOT NULL,
  invoice_id INTEGER NOT NULL,
  line_no INTEGER NOT NULL,
  code TEXT NOT NULL,
  description TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_fen INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, invoice_id, line_no),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, invoice_id)
) WITHOUT ROWID;

CREATE TABLE payments (
  tenant_id INTEGER NOT NULL,
  payment_id INTEGER NOT NULL,
  order_id INTEGER NOT NULL,
  invoice_id INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL,
  bank_reference TEXT NOT NULL,
  paid_on TEXT NOT NULL,
  confirmed_at INTEGER NOT NULL,
  confirmed_by INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, payment_id),
  UNIQUE (tenant_id, order_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, invoice_id)
) WITHOUT ROWID;

CREATE TABLE ledger_entries (
  tenant_id INTEGER NOT NULL,
  entry_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  document TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, entry_id)
) WITHOUT ROWID;

CREATE TABLE activations (
  tenant_id INTEGER NOT NULL,
  activation_id INTEGER NOT NULL,
  order_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  confirmed_at INTEGER NOT NULL,
  deadline_at INTEGER,
  deadline_error TEXT,
  activated_at INTEGER,
  activated_by TEXT,
  PRIMARY KEY (tenant_id, activation_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
) WITHOUT ROWID;
CREATE INDEX activations_open ON activations (activated_at, deadline_at);

CREATE TABLE point_lots (
  tenant_id INTEGER NOT NULL,
  lot_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  order_id INTEGER NOT NULL,
  points INTEGER NOT NULL,
  remaining INTEGER NOT NULL,
  bought_at INTEGER NOT NULL,
  forfeited_at INTEGER,
  PRIMARY KEY (tenant_id, lot_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
  CHECK (remaining >= 0 AND remaining <= points)
) WITHOUT ROWID;

CREATE TABLE notices (
  tenant_id INTEGER NOT NULL,
  notice_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  deemed_at INTEGER NOT NULL,
  evidence TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  recorded_by INTEGER,
  PRIMARY KEY (tenant_id, notice_id),
  UNIQUE (tenant_id, dedupe_key)
) WITHOUT ROWID;

CREATE TABLE tenant_events (
  tenant_id INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code INTEGER,
  response TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE TABLE calendar_years (
  year INTEGER PRIMARY KEY,
  document TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  loaded_by INTEGER
);
