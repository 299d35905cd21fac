CREATE TABLE "order_change_offers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"change_request_id" uuid NOT NULL,
	"order_id" uuid NOT NULL,
	"remove" jsonb NOT NULL,
	"add" jsonb NOT NULL,
	"items" jsonb NOT NULL,
	"currency" char(3) NOT NULL,
	"fare_difference" integer NOT NULL,
	"penalty_amount" integer NOT NULL,
	"change_total_amount" integer NOT NULL,
	"new_total_amount" integer NOT NULL,
	"status" text DEFAULT 'OFFERED' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_change_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"remove" jsonb NOT NULL,
	"add" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"change_offer_id" uuid NOT NULL,
	"removed" jsonb NOT NULL,
	"added" jsonb NOT NULL,
	"currency" char(3) NOT NULL,
	"change_total_amount" integer NOT NULL,
	"charge_id" text,
	"refund_id" text,
	"exchanged" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_changes_changeOfferId_unique" UNIQUE("change_offer_id")
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN IF NOT EXISTS "status" text DEFAULT 'OPEN' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN IF NOT EXISTS "exchanged_for" char(13);--> statement-breakpoint
ALTER TABLE "order_change_offers" ADD CONSTRAINT "order_change_offers_change_request_id_order_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."order_change_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_change_offers" ADD CONSTRAINT "order_change_offers_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_change_requests" ADD CONSTRAINT "order_change_requests_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_changes" ADD CONSTRAINT "order_changes_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_changes" ADD CONSTRAINT "order_changes_change_offer_id_order_change_offers_id_fk" FOREIGN KEY ("change_offer_id") REFERENCES "public"."order_change_offers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "order_change_offers_order" ON "order_change_offers" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "order_change_requests_order" ON "order_change_requests" USING btree ("order_id");