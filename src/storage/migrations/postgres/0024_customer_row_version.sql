-- A customer's row version: moved by every change of the row, so text rendered from it (the
-- list's JSON, see core/render_cache.hpp) is known to be current when the version is.
-- Statements may bump it themselves (`row_version = row_version + 1`); the trigger moves it
-- for every UPDATE that did not.
ALTER TABLE customers ADD COLUMN row_version BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION customers_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.row_version = OLD.row_version THEN
    NEW.row_version := OLD.row_version + 1;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER customers_row_version BEFORE UPDATE ON customers
FOR EACH ROW EXECUTE FUNCTION customers_row_version();
-- The list's default order, holding all its page query reads (the scope and the version), so
-- a page can be read from the index alone: the customers themselves come from the render cache.
DROP INDEX customers_updated;
CREATE INDEX customers_updated ON customers (tenant_id, updated_at, customer_id)
  INCLUDE (deleted_at, owner_id, row_version);
