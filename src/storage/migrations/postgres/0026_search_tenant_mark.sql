-- SQLite's 0026 marks each document's tenant in its trigram index. PostgreSQL filters by
-- tenant through its own indexes (the planner keeps statistics per tenant) and has nothing to
-- change. Kept so both dialects share version numbers.
SELECT 1;
