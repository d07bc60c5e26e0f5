-- Indexes found missing by the benchmarks: the bigrams of a search document (deleting a
-- document cascades to them), list orders, and foreign keys that deletes must check.
CREATE INDEX search_bigrams_doc ON search_bigrams (tenant_id, doc_id);
CREATE INDEX customers_updated ON customers (tenant_id, updated_at, customer_id);
CREATE INDEX customers_created ON customers (tenant_id, created_at, customer_id);
CREATE INDEX tasks_customer ON tasks (tenant_id, customer_id);
CREATE INDEX follow_ups_contact ON follow_ups (tenant_id, contact_id);
