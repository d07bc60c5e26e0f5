-- The 2-character index becomes a full-text index of its own. The bigram table took one row,
-- placed among all others of its gram, per character pair of every name: an import batch
-- wrote to thousands of pages scattered over the table. FTS5 writes a batch's entries as one
-- new segment and merges segments later, in the background of later writes.
--
-- Each document keeps its entries as tokens in search_docs.grams: 't' tenant '.' pair (the
-- tenant first, so a query reads only its own tenant's list), separated by spaces. Every other
-- character is part of a token; case is folded, accents are kept, as in the search text.
ALTER TABLE search_docs ADD COLUMN grams TEXT NOT NULL DEFAULT '';
UPDATE search_docs SET grams = coalesce((
  SELECT group_concat('t' || g.tenant_id || '.' || g.gram, ' ') FROM search_bigrams g
  WHERE g.tenant_id = search_docs.tenant_id AND g.doc_id = search_docs.doc_id), '');
CREATE VIRTUAL TABLE search_grams USING fts5(grams, content='search_docs', content_rowid='rowid',
  detail='none', tokenize="unicode61 remove_diacritics 0 categories 'L* N* M* P* S* C* Z*' separators ' '");
INSERT INTO search_grams (search_grams) VALUES ('rebuild');
-- Like the trigram index, filled by the program a batch at a time; deletes by the trigger.
DROP TRIGGER search_docs_ad;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
  INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO search_grams (search_grams, rowid, grams) VALUES ('delete', old.rowid, old.grams);
END;
DROP TABLE search_bigrams;
