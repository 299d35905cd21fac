CREATE TABLE "payment_tokens" (
	"ref" text PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "workflow_type" text DEFAULT 'orderWorkflow' NOT NULL;--> statement-breakpoint
CREATE INDEX "payment_tokens_created" ON "payment_tokens" USING btree ("created_at");