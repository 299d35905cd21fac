CREATE TYPE "public"."cabin_class" AS ENUM('ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS', 'FIRST');--> statement-breakpoint
CREATE TYPE "public"."product_type" AS ENUM('Flight', 'Seat', 'Bag', 'Meal', 'Lounge', 'CarbonOffset', 'Insurance', 'FastTrack');--> statement-breakpoint
CREATE TYPE "public"."customer_role" AS ENUM('customer', 'agent', 'admin');--> statement-breakpoint
CREATE TYPE "public"."order_status" AS ENUM('PROPOSED', 'PAYMENT_PENDING', 'PAID', 'FULFILLED', 'ARCHIVED', 'EXPIRED', 'CANCELLED');--> statement-breakpoint
CREATE SEQUENCE "public"."ticket_serial" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1000000000 CACHE 1;--> statement-breakpoint
CREATE TABLE "aircraft_types" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"layout" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "airports" (
	"code" char(3) PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"city" text NOT NULL,
	"country" char(2) NOT NULL,
	"time_zone" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flight_inventory" (
	"flight_id" uuid NOT NULL,
	"cabin" "cabin_class" NOT NULL,
	"capacity" integer NOT NULL,
	"held" integer DEFAULT 0 NOT NULL,
	"sold" integer DEFAULT 0 NOT NULL,
	"base_fare" integer NOT NULL,
	"currency" char(3) NOT NULL,
	CONSTRAINT "flight_inventory_flight_id_cabin_pk" PRIMARY KEY("flight_id","cabin"),
	CONSTRAINT "inventory_nonnegative" CHECK ("flight_inventory"."held" >= 0 AND "flight_inventory"."sold" >= 0),
	CONSTRAINT "inventory_within_capacity" CHECK ("flight_inventory"."held" + "flight_inventory"."sold" <= "flight_inventory"."capacity")
);
--> statement-breakpoint
CREATE TABLE "flight_seats" (
	"flight_id" uuid NOT NULL,
	"seat_number" text NOT NULL,
	"cabin" "cabin_class" NOT NULL,
	"characteristics" text[] NOT NULL,
	"blocked" boolean DEFAULT false NOT NULL,
	"price" integer NOT NULL,
	CONSTRAINT "flight_seats_flight_id_seat_number_pk" PRIMARY KEY("flight_id","seat_number")
);
--> statement-breakpoint
CREATE TABLE "flights" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"carrier" char(2) NOT NULL,
	"flight_number" text NOT NULL,
	"origin" char(3) NOT NULL,
	"destination" char(3) NOT NULL,
	"departure_at" timestamp with time zone NOT NULL,
	"arrival_at" timestamp with time zone NOT NULL,
	"aircraft_type" text NOT NULL,
	"status" text DEFAULT 'SCHEDULED' NOT NULL,
	CONSTRAINT "flights_arrival_after_departure" CHECK ("flights"."arrival_at" > "flights"."departure_at")
);
--> statement-breakpoint
CREATE TABLE "inventory_holds" (
	"order_id" uuid NOT NULL,
	"flight_id" uuid NOT NULL,
	"cabin" "cabin_class" NOT NULL,
	"quantity" integer NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inventory_holds_order_id_flight_id_cabin_pk" PRIMARY KEY("order_id","flight_id","cabin"),
	CONSTRAINT "inventory_holds_quantity_positive" CHECK ("inventory_holds"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "products" (
	"code" text PRIMARY KEY NOT NULL,
	"type" "product_type" NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"per" text DEFAULT 'SEGMENT' NOT NULL,
	"rfic" char(1) DEFAULT 'A' NOT NULL,
	"rfisc" text DEFAULT '0AA' NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seat_assignments" (
	"flight_id" uuid NOT NULL,
	"seat_number" text NOT NULL,
	"order_id" uuid NOT NULL,
	"traveler_id" uuid,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "seat_assignments_flight_id_seat_number_pk" PRIMARY KEY("flight_id","seat_number")
);
--> statement-breakpoint
CREATE TABLE "boarding_passes" (
	"order_id" uuid NOT NULL,
	"traveler_id" uuid NOT NULL,
	"flight_id" uuid NOT NULL,
	"bcbp" text NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "boarding_passes_unique" UNIQUE("order_id","traveler_id","flight_id")
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"email" text,
	"password_hash" text,
	"role" "customer_role" DEFAULT 'customer' NOT NULL,
	"claimed_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"customer_id" uuid NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"body" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_unique" UNIQUE("customer_id","key")
);
--> statement-breakpoint
CREATE TABLE "order_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"product_type" text NOT NULL,
	"product_code" text,
	"flight_id" uuid,
	"traveler_id" uuid,
	"cabin" text,
	"seat_number" text,
	"amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"offer_id" text,
	"customer_id" uuid NOT NULL,
	"source" text NOT NULL,
	"status" "order_status" NOT NULL,
	"currency" char(3) NOT NULL,
	"total_amount" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"contact" text,
	"offer" jsonb,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_offerId_unique" UNIQUE("offer_id")
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"charge_id" text,
	"status" text NOT NULL,
	"amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"decline_code" text,
	"refund_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_order_attempt" UNIQUE("order_id","attempt")
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"number" char(13) PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"order_id" uuid NOT NULL,
	"traveler_id" uuid NOT NULL,
	"flight_ids" uuid[] NOT NULL,
	"order_item_id" uuid,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "travelers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"ptc" text NOT NULL,
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"date_of_birth" text,
	"gender" text,
	"infant_of_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "travelers_order_position" UNIQUE("order_id","position")
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"order_id" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"seq" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"id" uuid NOT NULL,
	"aggregate_id" text NOT NULL,
	"type" text NOT NULL,
	"schema_version" integer DEFAULT 1 NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "outbox_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
ALTER TABLE "flight_inventory" ADD CONSTRAINT "flight_inventory_flight_id_flights_id_fk" FOREIGN KEY ("flight_id") REFERENCES "public"."flights"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flight_seats" ADD CONSTRAINT "flight_seats_flight_id_flights_id_fk" FOREIGN KEY ("flight_id") REFERENCES "public"."flights"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_origin_airports_code_fk" FOREIGN KEY ("origin") REFERENCES "public"."airports"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_destination_airports_code_fk" FOREIGN KEY ("destination") REFERENCES "public"."airports"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_aircraft_type_aircraft_types_code_fk" FOREIGN KEY ("aircraft_type") REFERENCES "public"."aircraft_types"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventory_holds" ADD CONSTRAINT "inventory_holds_flight_id_flights_id_fk" FOREIGN KEY ("flight_id") REFERENCES "public"."flights"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "boarding_passes" ADD CONSTRAINT "boarding_passes_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_flight_id_flights_id_fk" FOREIGN KEY ("flight_id") REFERENCES "public"."flights"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "travelers" ADD CONSTRAINT "travelers_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "flights_carrier_number_departure" ON "flights" USING btree ("carrier","flight_number","departure_at");--> statement-breakpoint
CREATE INDEX "flights_route_departure" ON "flights" USING btree ("origin","destination","departure_at");--> statement-breakpoint
CREATE INDEX "inventory_holds_flight" ON "inventory_holds" USING btree ("flight_id");--> statement-breakpoint
CREATE INDEX "seat_assignments_order" ON "seat_assignments" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "order_items_order" ON "order_items" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "orders_customer_created" ON "orders" USING btree ("customer_id","created_at","id");--> statement-breakpoint
CREATE INDEX "orders_status" ON "orders" USING btree ("status");--> statement-breakpoint
CREATE INDEX "tickets_order" ON "tickets" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "outbox_unpublished" ON "outbox" USING btree ("seq") WHERE "outbox"."published_at" IS NULL;