ALTER TABLE "payments" ADD COLUMN "refunded_amount" integer;--> statement-breakpoint
ALTER TABLE "bundles" ADD COLUMN "conditions" jsonb;--> statement-breakpoint
ALTER TABLE "bundles" ADD COLUMN "source" text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE "pricing_rules" ADD COLUMN "source" text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
-- Rows present before this migration were, but for admin edits nobody can tell apart now, copied from the config
-- by the seed: they become the config's, so the next seed brings them up to date with config/default.toml.
UPDATE "bundles" SET "source" = 'config';--> statement-breakpoint
UPDATE "pricing_rules" SET "source" = 'config';
