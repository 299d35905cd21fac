CREATE TABLE "check_in_sequences" (
	"flight_id" uuid PRIMARY KEY NOT NULL,
	"last" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "check_ins" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"traveler_id" uuid NOT NULL,
	"flight_id" uuid NOT NULL,
	"ticket_number" char(13) NOT NULL,
	"record_locator" text NOT NULL,
	"sequence" integer,
	"seat_number" text,
	"travel_document" text,
	"status" text NOT NULL,
	"checked_in_at" timestamp with time zone,
	"boarded_at" timestamp with time zone,
	"settled_at" timestamp with time zone,
	CONSTRAINT "check_ins_coupon" UNIQUE("order_id","traveler_id","flight_id"),
	CONSTRAINT "check_ins_flight_sequence" UNIQUE("flight_id","sequence")
);
--> statement-breakpoint
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "check_ins_locator" ON "check_ins" USING btree ("record_locator","flight_id");