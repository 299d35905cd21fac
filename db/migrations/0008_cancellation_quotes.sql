CREATE TABLE "order_modifications" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"route" text NOT NULL,
	"day" date NOT NULL,
	"first_event_type" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cancellation_quotes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"status" text NOT NULL,
	"refund_amount" integer NOT NULL,
	"penalty_amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"rule" text NOT NULL,
	"charge_id" text,
	"breakdown" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"confirmed_at" timestamp with time zone,
	"refund_id" text
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "status" text DEFAULT 'OPEN' NOT NULL;--> statement-breakpoint
ALTER TABLE "analytics_daily" ADD COLUMN "modifications" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "analytics_daily" ADD COLUMN "orders_modified" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cancellation_quotes" ADD CONSTRAINT "cancellation_quotes_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cancellation_quotes_order" ON "cancellation_quotes" USING btree ("order_id","created_at");