-- Points spent (SMS segments × recipients, fax pages): which lot each came from, oldest first.
CREATE TABLE point_spends (
  tenant_id BIGINT NOT NULL,
  spend_id BIGINT NOT NULL,
  lot_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  points BIGINT NOT NULL,
  reference TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, spend_id),
  FOREIGN KEY (tenant_id, lot_id) REFERENCES point_lots (tenant_id, lot_id)
);
