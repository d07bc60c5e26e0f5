-- Two-step sign-in (TOTP, RFC 6238) for tenant users and operators. mfa_secret is the factor's
-- key sealed with the data key (SecretBox); mfa_pending_secret one being enrolled, until a code
-- confirms it. mfa_last_step is the 30-second step of the last code taken: no code of that step
-- or an earlier one is taken again. mfa_recovery_codes: a JSON array of the Argon2 hashes of the
-- recovery codes not yet used.
ALTER TABLE users ADD COLUMN mfa_secret TEXT;
ALTER TABLE users ADD COLUMN mfa_pending_secret TEXT;
ALTER TABLE users ADD COLUMN mfa_enabled_at INTEGER;
ALTER TABLE users ADD COLUMN mfa_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_recovery_codes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE operators ADD COLUMN mfa_secret TEXT;
ALTER TABLE operators ADD COLUMN mfa_pending_secret TEXT;
ALTER TABLE operators ADD COLUMN mfa_enabled_at INTEGER;
ALTER TABLE operators ADD COLUMN mfa_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN mfa_recovery_codes TEXT NOT NULL DEFAULT '[]';
-- The boss requires two-step sign-in of everyone in the tenant (1): whoever has none enrols at
-- their next sign-in.
ALTER TABLE tenants ADD COLUMN mfa_required INTEGER NOT NULL DEFAULT 0;
-- Emailed sign-in links ("forgot password"): one row per link sent, the SHA-256 of its secret
-- kept; used once, within its lifetime, and only the newest link of a user counts.
CREATE TABLE recovery_links (
  tenant_id INTEGER NOT NULL,
  link_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  ip TEXT NOT NULL,
  PRIMARY KEY (tenant_id, link_id)
);
CREATE INDEX recovery_links_user ON recovery_links (tenant_id, user_id, created_at);
