-- Saved list views per user: a name and the list's query filters.
CREATE TABLE saved_views (
  tenant_id BIGINT NOT NULL,
  view_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  entity TEXT NOT NULL,
  name TEXT NOT NULL,
  filters TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, view_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id)
);
CREATE INDEX saved_views_user ON saved_views (tenant_id, user_id);
