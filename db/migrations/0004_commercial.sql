CREATE TABLE "bundles" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"products" text[] NOT NULL,
	"discount_percent" double precision DEFAULT 0 NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pricing_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"percent" double precision,
	"amount" integer,
	"routes" text[],
	"cabins" text[],
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"position" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE INDEX "pricing_rules_position" ON "pricing_rules" USING btree ("position");