-- SMS (step 4): the operator's sensitive-word list, each tenant's own additions.
CREATE TABLE sensitive_words (
  word TEXT PRIMARY KEY,
  added_at INTEGER NOT NULL
);

CREATE TABLE tenant_sensitive_words (
  tenant_id INTEGER NOT NULL REFERENCES tenants (tenant_id),
  word TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, word)
) WITHOUT ROWID;
