ALTER TABLE "analytics_daily" ADD COLUMN "offers_shown" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "analytics_daily" ADD COLUMN "offers_rejected" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- offers_expired counted accepted offers whose order then lapsed (orders_expired has those); from now on it counts
-- offers whose life ended neither accepted nor rejected, so the old figures are not carried into the new meaning.
UPDATE "analytics_daily" SET "offers_expired" = 0;
