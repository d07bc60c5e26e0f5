-- The trigram index is filled by the program, one statement per batch of documents, instead
-- of a trigger per document (FTS5 writes out its pending terms at every statement savepoint,
-- so a trigger made each document cost a write). Deletes keep their trigger.
DROP TRIGGER search_docs_ai;
