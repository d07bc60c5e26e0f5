-- Search over customers and contacts. One document per record holds its searchable text
-- (names, phones' digits, emails). Queries of 3+ characters use a pg_trgm GIN index;
-- 2-character queries (most Chinese names) use the bigram table, which trigrams cannot serve.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE search_docs (
  tenant_id BIGINT NOT NULL,
  doc_id BIGINT NOT NULL,
  entity TEXT NOT NULL,
  entity_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (tenant_id, doc_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
CREATE INDEX search_docs_customer ON search_docs (tenant_id, customer_id);
CREATE INDEX search_docs_trgm ON search_docs USING gin (text gin_trgm_ops);

CREATE TABLE search_bigrams (
  tenant_id BIGINT NOT NULL,
  gram TEXT NOT NULL,
  doc_id BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, gram, doc_id),
  FOREIGN KEY (tenant_id, doc_id) REFERENCES search_docs (tenant_id, doc_id) ON DELETE CASCADE
);
