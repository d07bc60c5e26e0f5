-- SMS (step 4): the operator's sensitive-word list, each tenant's own additions.
CREATE TABLE sensitive_words (
  word TEXT PRIMARY KEY,
  added_at BIGINT NOT NULL
);

CREATE TABLE tenant_sensitive_words (
  tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
  word TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, word)
);
