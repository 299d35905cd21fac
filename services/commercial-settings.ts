/**
 * The commercial settings the offer engine and the catalog price with: bundles and pricing rules, read from
 * Postgres (tables `bundles` and `pricing_rules`, changed by the admin API) in the shapes of `config.bundles` and
 * `config.pricing.rules`. While a table is empty its config section is the answer, so a fresh database prices as
 * the configuration says. Cached in process for a few seconds; an admin write in this process invalidates every
 * reader of the process at once (`invalidateCommercialSettings`).
 */
import { and, asc, eq, inArray, not, sql as raw } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { AnyPgColumn, PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import type { AppConfig, BundleConfig, PricingRuleConfig } from '../config';
import type { Database, Tx } from '../db/client';
import { bundles as bundlesTable, pricingRules as rulesTable } from '../db/schema';
import { LRUCache } from '../lib/cache';
import { conditionsIn, type FareConditions } from '../domain/commercial';
import type { ExchangeRates } from '../domain/money';

export const COMMERCIAL_CACHE_MS = 5_000;

/** The stated rate table of the configuration: amounts in pricing.currency to every currency it lists. */
export function exchangeRates(pricing: Pick<AppConfig['pricing'], 'currency' | 'exchange_rates'>): ExchangeRates {
  return { base: pricing.currency, rates: pricing.exchange_rates };
}

let generation = 0;
/** Drops every cached read of this process (call after a write to `bundles` or `pricing_rules`). */
export function invalidateCommercialSettings(): void {
  generation++;
}

export type BundleRow = typeof bundlesTable.$inferSelect;
export type PricingRuleRow = typeof rulesTable.$inferSelect;

export function bundleFromRow(r: BundleRow): BundleConfig {
  return {
    code: r.code,
    name: r.name,
    products: [...r.products],
    discount_percent: r.discountPercent,
    ...(r.conditions ? { conditions: r.conditions } : {}),
  };
}

export function ruleFromRow(r: PricingRuleRow): PricingRuleConfig {
  const scope = { ...(r.routes ? { routes: [...r.routes] } : {}), ...(r.cabins ? { cabins: [...r.cabins] } : {}) };
  switch (r.kind) {
    case 'sale':
      return {
        id: r.id,
        kind: 'sale',
        name: r.name,
        percent: r.percent ?? 0,
        starts_at: (r.startsAt ?? new Date(0)).toISOString(),
        ends_at: (r.endsAt ?? new Date(0)).toISOString(),
      };
    case 'discount':
      return { id: r.id, kind: 'discount', name: r.name, percent: r.percent ?? 0, ...scope };
    case 'surcharge':
      return { id: r.id, kind: 'surcharge', name: r.name, amount: r.amount ?? 0, ...scope };
  }
}

/** Where a bundle or rule stands in its table: its place in offer order, whether it applies, who wrote it last. */
export interface Placement {
  position: number;
  active: boolean;
  source: BundleRow['source'];
}
/** The config's `i`th bundle or rule, as the seed copies it in. */
const fromConfig = (position: number): Placement => ({ position, active: true, source: 'config' });

/** The columns of a rule in its config shape (the inverse of `ruleFromRow`). */
export function ruleToRow(rule: PricingRuleConfig, { position, active, source }: Placement): PricingRuleRow {
  return {
    source,
    id: rule.id,
    kind: rule.kind,
    name: rule.name,
    percent: rule.kind === 'surcharge' ? null : rule.percent,
    amount: rule.kind === 'surcharge' ? rule.amount : null,
    routes: rule.kind === 'sale' ? null : (rule.routes ?? null),
    cabins: rule.kind === 'sale' ? null : (rule.cabins ?? null),
    startsAt: rule.kind === 'sale' ? new Date(rule.starts_at) : null,
    endsAt: rule.kind === 'sale' ? new Date(rule.ends_at) : null,
    position,
    active,
  };
}

export function bundleToRow(bundle: BundleConfig, { position, active, source }: Placement): BundleRow {
  return {
    code: bundle.code,
    name: bundle.name,
    products: bundle.products,
    discountPercent: bundle.discount_percent,
    conditions: bundle.conditions ?? null,
    source,
    position,
    active,
  };
}

type CommercialConfig = { bundles: readonly BundleConfig[]; pricing: { rules: readonly PricingRuleConfig[] } };

/**
 * The admin API's first write: copies the config's bundles and rules into a table that is still empty, so that
 * adding one rule never silently drops the configured ones (idempotent; a table with rows is left alone).
 */
export async function seedCommercialDefaults(db: Database, config: CommercialConfig) {
  return db.transaction(async (tx) => {
    // One seeder at a time: two concurrent seeds must not both see an empty table.
    await tx.execute(raw`SELECT pg_advisory_xact_lock(hashtext('altis.commercial-seed'))`);
    let b = 0;
    let r = 0;
    const [hasBundle] = await tx.select({ code: bundlesTable.code }).from(bundlesTable).limit(1);
    if (!hasBundle && config.bundles.length > 0) {
      const rows = config.bundles.map((x, i) => bundleToRow(x, fromConfig(i)));
      b = (await tx.insert(bundlesTable).values(rows).onConflictDoNothing().returning()).length;
    }
    const [hasRule] = await tx.select({ id: rulesTable.id }).from(rulesTable).limit(1);
    if (!hasRule && config.pricing.rules.length > 0) {
      const rows = config.pricing.rules.map((x, i) => ruleToRow(x, fromConfig(i)));
      r = (await tx.insert(rulesTable).values(rows).onConflictDoNothing().returning()).length;
    }
    if (b + r > 0) invalidateCommercialSettings();
    return { bundles: b, rules: r };
  });
}

/**
 * The seed: makes the tables say what the config says, for the rows the config owns. Every bundle and rule the
 * config defines is inserted or brought up to date (source 'config'); a config row the config no longer defines
 * is deleted; a row an admin created or changed (source 'admin') is never touched, even when the config defines
 * the same code. Idempotent. Returns how many rows were written and deleted.
 */
export async function seedCommercialSettings(
  db: Database,
  config: CommercialConfig,
): Promise<{ bundles: number; rules: number; removed: number }> {
  return db.transaction(async (tx) => {
    await tx.execute(raw`SELECT pg_advisory_xact_lock(hashtext('altis.commercial-seed'))`);
    const bundles = await syncConfigRows(
      tx,
      bundlesTable,
      'code',
      config.bundles.map((x, i) => bundleToRow(x, fromConfig(i))),
      ['name', 'products', 'discountPercent', 'conditions', 'position', 'active'],
    );
    const rules = await syncConfigRows(
      tx,
      rulesTable,
      'id',
      config.pricing.rules.map((x, i) => ruleToRow(x, fromConfig(i))),
      ['kind', 'name', 'percent', 'amount', 'routes', 'cabins', 'startsAt', 'endsAt', 'position', 'active'],
    );
    invalidateCommercialSettings();
    return { bundles: bundles.written, rules: rules.written, removed: bundles.removed + rules.removed };
  });
}

/**
 * One table's part of the seed: the config's rows inserted, or their `update` columns brought up to date where
 * the row is still the config's (source 'config'); then the config rows whose key the config no longer names are
 * deleted. Admin rows are never touched.
 */
async function syncConfigRows<T extends typeof bundlesTable | typeof rulesTable>(
  tx: Tx,
  table: T,
  key: keyof T['$inferSelect'] & string,
  rows: T['$inferInsert'][],
  update: (keyof T['$inferInsert'] & string)[],
): Promise<{ written: number; removed: number }> {
  // Both tables share the columns this reads (source and the key); drizzle's insert types cannot follow a union.
  const t = table as unknown as PgTable & { source: AnyPgColumn } & Record<string, AnyPgColumn>;
  const keyColumn: AnyPgColumn = t[key];
  let written = 0;
  if (rows.length > 0) {
    // The client names columns snake_case from their keys (db/client.ts `casing`), the name `excluded` has.
    const dbName = (c: AnyPgColumn) => (c.keyAsName ? toSnakeCase(c.name) : c.name);
    const set = Object.fromEntries(update.map((k) => [k, raw`excluded.${raw.identifier(dbName(t[k]))}`]));
    written = (
      await tx
        .insert(t)
        .values(rows as PgInsertValue<typeof t>[])
        .onConflictDoUpdate({ target: keyColumn, set, setWhere: raw`${t.source} = 'config'` })
        .returning()
    ).length;
  }
  const keys = rows.map((r) => (r as Record<string, unknown>)[key] as string);
  const removed = (
    await tx
      .delete(t)
      .where(and(eq(t.source, 'config'), not(inArray(keyColumn, ['', ...keys]))))
      .returning()
  ).length;
  return { written, removed };
}

export interface CommercialSettings {
  /** Active bundles in position order, as `config.bundles` (the config's while the table is empty). */
  bundles(): Promise<BundleConfig[]>;
  /** Active pricing rules in position order, as `config.pricing.rules` (the config's while the table is empty). */
  pricingRules(): Promise<PricingRuleConfig[]>;
}

export function createCommercialSettings(deps: {
  db: Database;
  config: Pick<AppConfig, 'bundles'> & { pricing: Pick<AppConfig['pricing'], 'rules'> };
  cacheMs?: number;
}): CommercialSettings {
  const { db, config } = deps;
  const cacheMs = deps.cacheMs ?? COMMERCIAL_CACHE_MS;

  // Keyed by the generation: after an invalidation a read misses, and a load begun before it can only land
  // under its old key, which nobody reads again (two entries: the current one and at most one such late load).
  function cachedRead<T extends NonNullable<unknown>>(load: () => Promise<T>): () => Promise<T> {
    const cache = new LRUCache<number, T>({ max: 2, ttl: cacheMs, fetchMethod: () => load() });
    return async () => {
      const value = await cache.fetch(generation);
      if (value === undefined) throw new Error('commercial settings: the load gave no value');
      return value;
    };
  }

  const bundles = cachedRead(async () => {
    const rows = await db.select().from(bundlesTable).orderBy(asc(bundlesTable.position), asc(bundlesTable.code));
    if (rows.length === 0) return config.bundles.map((b) => ({ ...b }));
    return rows.filter((r) => r.active).map(bundleFromRow);
  });
  const pricingRules = cachedRead(async () => {
    const rows = await db.select().from(rulesTable).orderBy(asc(rulesTable.position), asc(rulesTable.id));
    if (rows.length === 0) return [...config.pricing.rules];
    return rows.filter((r) => r.active).map(ruleFromRow);
  });
  return { bundles, pricingRules };
}

/**
 * The fare conditions trips are sold under: those of the bundle `pricing.trip_bundle` names (non-refundable,
 * unchangeable when it is not an active bundle), in the trip's currency.
 */
export async function tripConditions(
  commercial: CommercialSettings,
  config: Pick<AppConfig, 'pricing'>,
  currency: string,
): Promise<FareConditions> {
  const bundle = (await commercial.bundles()).find((b) => b.code === config.pricing.trip_bundle);
  return conditionsIn(bundle?.conditions, currency, exchangeRates(config.pricing));
}

/** Whether a bundle names the product (for the admin API's 409 on deleting a product in use). */
export async function bundlesUsingProduct(db: Database, code: string): Promise<string[]> {
  const rows = await db
    .select({ code: bundlesTable.code })
    .from(bundlesTable)
    .where(raw`${code} = ANY(${bundlesTable.products})`);
  return rows.map((r) => r.code);
}
