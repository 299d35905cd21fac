ALTER TABLE "customers" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written: any change of a customer's role, by whatever path (admin:create, SQL by hand), revokes the tokens
-- issued before it (the API accepts a token only while its `ver` equals token_version).
CREATE FUNCTION customers_bump_token_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.token_version := OLD.token_version + 1;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER customers_role_change BEFORE UPDATE OF role ON customers
  FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION customers_bump_token_version();
