import { boolean, doublePrecision, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { FareConditionsConfig } from '../../domain/commercial';

/**
 * Commercial settings an admin changes at run time (api/routes/admin-commercial.ts): the offer bundles (with their
 * fare conditions) and the pricing rules. config/default.toml's [[bundles]] and [pricing].rules reach these tables
 * through the seed, which upserts the rows the config defines (source = 'config') and leaves the rows an admin
 * made or changed (source = 'admin') alone; services/commercial-settings.ts falls back to the config while a
 * table is empty.
 */
const source = () =>
  text({ enum: ['config', 'admin'] })
    .notNull()
    .default('admin');
export const bundles = pgTable('bundles', {
  code: text().primaryKey(),
  name: text().notNull(),
  products: text().array().notNull(), // product codes
  discountPercent: doublePrecision().notNull().default(0),
  conditions: jsonb().$type<FareConditionsConfig>(), // null: sold non-refundable (domain DEFAULT_CONDITIONS)
  position: integer().notNull().default(0),
  active: boolean().notNull().default(true),
  source: source(),
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
    source: source(),
  },
  (t) => [index('pricing_rules_position').on(t.position)],
);
