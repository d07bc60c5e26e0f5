-- Each document keeps its 2-character entries as tokens ('t' tenant '.' pair, separated by
-- spaces), as on SQLite, where they feed the full-text index that replaced the bigram table.
-- Here the bigram table stays the index (read in order, newest first, under LIMIT); the column
-- lets copy-db rebuild either index from the documents alone.
ALTER TABLE search_docs ADD COLUMN grams TEXT NOT NULL DEFAULT '';
UPDATE search_docs d SET grams = coalesce((
  SELECT string_agg('t' || g.tenant_id || '.' || g.gram, ' ') FROM search_bigrams g
  WHERE g.tenant_id = d.tenant_id AND g.doc_id = d.doc_id), '');
