ALTER TABLE "tickets" ADD COLUMN "emd_type" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "rfic" char(1);--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "rfisc" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "associated_ticket" char(13);--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "voided_at" timestamp with time zone;