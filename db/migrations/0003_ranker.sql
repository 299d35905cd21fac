CREATE TABLE "ranker_arms" (
	"context" text NOT NULL,
	"bundle" text NOT NULL,
	"successes" double precision DEFAULT 0 NOT NULL,
	"failures" double precision DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ranker_arms_context_bundle_pk" PRIMARY KEY("context","bundle")
);
