CREATE TABLE "flight_disruptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"applied_by" text NOT NULL,
	"flight_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"before" jsonb NOT NULL,
	"after" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flight_disruptions_appliedBy_unique" UNIQUE("applied_by")
);
--> statement-breakpoint
CREATE TABLE "order_disruptions" (
	"order_id" uuid NOT NULL,
	"disruption_id" uuid NOT NULL,
	"flight_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"removed" jsonb NOT NULL,
	"added" jsonb NOT NULL,
	"options" jsonb NOT NULL,
	"available_actions" jsonb NOT NULL,
	"default_action" text NOT NULL,
	"respond_by" timestamp with time zone,
	"action_taken" text,
	"action_by" text,
	"option_id" uuid,
	"action_taken_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_disruptions_order_id_disruption_id_pk" PRIMARY KEY("order_id","disruption_id")
);
--> statement-breakpoint
CREATE INDEX "flight_disruptions_flight" ON "flight_disruptions" USING btree ("flight_id");--> statement-breakpoint
CREATE INDEX "order_disruptions_order" ON "order_disruptions" USING btree ("order_id");