CREATE TABLE "analytics_daily" (
	"day" date NOT NULL,
	"route" text NOT NULL,
	"currency" char(3) NOT NULL,
	"offers_accepted" integer DEFAULT 0 NOT NULL,
	"offers_expired" integer DEFAULT 0 NOT NULL,
	"orders_proposed" integer DEFAULT 0 NOT NULL,
	"orders_paid" integer DEFAULT 0 NOT NULL,
	"orders_expired" integer DEFAULT 0 NOT NULL,
	"orders_cancelled" integer DEFAULT 0 NOT NULL,
	"revenue_amount" bigint DEFAULT 0 NOT NULL,
	"refunded_amount" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "analytics_daily_day_route_currency_pk" PRIMARY KEY("day","route","currency")
);
