-- Search over customers and contacts. One document per record holds its searchable text
-- (names, phones' digits, emails). Queries of 3+ characters use the FTS5 trigram index;
-- 2-character queries (most Chinese names) use the bigram table, which FTS5 cannot serve.
CREATE TABLE search_docs (
  tenant_id INTEGER NOT NULL,
  doc_id INTEGER NOT NULL,
  entity TEXT NOT NULL,
  entity_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (tenant_id, doc_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
CREATE INDEX search_docs_customer ON search_docs (tenant_id, customer_id);

CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_docs', content_rowid='rowid',
                                           tokenize='trigram');
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
  INSERT INTO search_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
  INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;

CREATE TABLE search_bigrams (
  tenant_id INTEGER NOT NULL,
  gram TEXT NOT NULL,
  doc_id INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, gram, doc_id),
  FOREIGN KEY (tenant_id, doc_id) REFERENCES search_docs (tenant_id, doc_id) ON DELETE CASCADE
) WITHOUT ROWID;
