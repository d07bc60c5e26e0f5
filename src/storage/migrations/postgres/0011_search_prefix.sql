-- Search finds names that start with the query through this index (in text order), so a
-- common prefix costs a bounded range scan instead of ranking every document that matches.
-- Byte order ("C"), whatever the database's collation, so that q ≤ text < q + U+10FFFF holds
-- exactly the texts starting with q.
CREATE INDEX search_docs_text ON search_docs (tenant_id, (text COLLATE "C"));
