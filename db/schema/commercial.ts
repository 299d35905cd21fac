import { boolean, doublePrecision, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Commercial settings an admin changes at run time (api/routes/admin-commercial.ts): the offer bundles and the
 * pricing rules. config/default.toml's [[bundles]] and [pricing].rules are the defaults: db/seed.ts copies them
 * here when the tables are empty, and db/commercial-settings.ts falls back to them while a table is empty.
 */
export const bundles = pgTable('bundles', {
  code: text().primaryKey(),
  name: text().notNull(),
  products: text().array().notNull(), // product codes
  discountPercent: doublePrecision().notNull().default(0),
  position: integer().notNull().default(0),
  active: boolean().notNull().default(true),
});

/** One pricing rule; the columns a kind does not use are null (see PricingRuleConfig in config/index.ts). */
export const pricingRules = pgTable(
  'pricing_rules',
  {
    id: text().primaryKey(),
    kind: text({ enum: ['sale', 'discount', 'surcharge'] }).notNull(),
    name: text().notNull(),
    percent: doublePrecision(),
    amount: integer(),
    routes: text().array(),
    cabins: text().array(),
    startsAt: timestamp({ withTimezone: true }),
    endsAt: timestamp({ withTimezone: true }),
    position: integer().notNull().default(0),
    active: boolean().notNull().default(true),
  },
  (t) => [index('pricing_rules_position').on(t.position)],
);
