-- Signed callbacks from the SMS provider seen in the last minutes, by signature: a signature
-- seen before is a replay and is refused. Rows older than the window are removed as new ones
-- come in. Not a tenant table: a callback is the provider's, and names its tenants inside.
CREATE TABLE callback_signatures (
  signature TEXT PRIMARY KEY,
  seen_at INTEGER NOT NULL
);
CREATE INDEX callback_signatures_seen ON callback_signatures (seen_at);
