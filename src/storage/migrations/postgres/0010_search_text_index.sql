-- SQLite's 0010 changes how its trigram index is filled; PostgreSQL indexes search_docs.text
-- with pg_trgm and has nothing to change. Kept so both dialects share version numbers.
SELECT 1;
