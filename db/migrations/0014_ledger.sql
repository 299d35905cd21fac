CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"posting_key" text NOT NULL,
	"line" integer NOT NULL,
	"kind" text NOT NULL,
	"order_id" uuid NOT NULL,
	"account" text NOT NULL,
	"amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"route" text NOT NULL,
	"document_number" char(13),
	"flight_id" uuid,
	"reference" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_posting_line" UNIQUE("posting_key","line")
);
--> statement-breakpoint
CREATE INDEX "ledger_entries_order" ON "ledger_entries" USING btree ("order_id","id");--> statement-breakpoint
CREATE INDEX "ledger_entries_day_route" ON "ledger_entries" USING btree ("occurred_at","route");