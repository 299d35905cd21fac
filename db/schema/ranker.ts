import { doublePrecision, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The offer ranker's evidence per context and bundle (domain/ranker.ts): weighted pseudo-counts of accepted
 * (successes) and rejected or expired (failures) offers. The priors stay in config, so changing them needs no
 * migration. Redis serves the hot path; this table is what survives Redis.
 */
export const rankerArms = pgTable(
  'ranker_arms',
  {
    context: text().notNull(), // "JFK-LHR-JFK|p2|d15-60"
    bundle: text().notNull(), // a [[bundles]] code
    successes: doublePrecision().notNull().default(0),
    failures: doublePrecision().notNull().default(0),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.context, t.bundle] })],
);
