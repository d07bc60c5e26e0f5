-- A customer's row version: moved by every change of the row, so text rendered from it (the
-- list's JSON, see core/render_cache.hpp) is known to be current when the version is.
-- Statements may bump it themselves (`row_version = row_version + 1`, saving the trigger's
-- second write); the trigger moves it for every UPDATE that did not.
ALTER TABLE customers ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER customers_row_version AFTER UPDATE ON customers
FOR EACH ROW WHEN NEW.row_version = OLD.row_version
BEGIN
  UPDATE customers SET row_version = OLD.row_version + 1
  WHERE tenant_id = NEW.tenant_id AND customer_id = NEW.customer_id;
END;
-- The list's default order, holding all its page query reads (the scope and the version), so
-- a page is read from the index alone: the customers themselves come from the render cache.
DROP INDEX customers_updated;
CREATE INDEX customers_updated
  ON customers (tenant_id, updated_at, customer_id, deleted_at, owner_id, row_version);
