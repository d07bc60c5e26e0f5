-- Saved list views per user: a name and the list's query filters.
CREATE TABLE saved_views (
  tenant_id INTEGER NOT NULL,
  view_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  entity TEXT NOT NULL,
  name TEXT NOT NULL,
  filters TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, view_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX saved_views_user ON saved_views (tenant_id, user_id);
