-- When a session's holder last proved their password: at sign-in (NULL: created_at) and at each
-- POST /api/v1/me/reauthenticate. Sensitive changes (contact details, API tokens, boss and admin
-- users, support grants) want a proof within the last 5 minutes.
ALTER TABLE user_sessions ADD COLUMN proved_at BIGINT;
