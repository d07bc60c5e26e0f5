-- The blob a fax sends, so the dispatcher can read it without the attachment's row.
ALTER TABLE fax_jobs ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
