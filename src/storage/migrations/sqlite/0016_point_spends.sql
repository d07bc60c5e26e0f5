-- Points spent (SMS segments × recipients, fax pages): which lot each came from, oldest first.
CREATE TABLE point_spends (
  tenant_id INTEGER NOT NULL,
  spend_id INTEGER NOT NULL,
  lot_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  points INTEGER NOT NULL,
  reference TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, spend_id),
  FOREIGN KEY (tenant_id, lot_id) REFERENCES point_lots (tenant_id, lot_id)
) WITHOUT ROWID;
