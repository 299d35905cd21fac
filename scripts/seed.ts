/**
 * Reference data and a rolling flight schedule: airports, aircraft types with seat maps, the product catalog,
 * and one flight per route per UTC day for the next `days` days, each with its inventory per cabin and its seats.
 * Idempotent (ON CONFLICT DO NOTHING; a later run adds only the missing days) and set-based: seats are made in
 * SQL from a per-aircraft template, never row by row. Ends by rebuilding the Redis availability index.
 */
import type { Redis } from 'ioredis';
import { loadConfig, type AppConfig, type BundleConfig, type PricingRuleConfig } from '../config';
import type { Database, Sql } from '../db/client';
import { openDatabase } from '../lib/database';
import { AIRCRAFT_TYPES, AIRPORTS, PRODUCTS, ROUTES } from '../db/seed/data';
import { createRedis } from '../lib/redis';
import { exchangeRates, seedCommercialSettings } from '../services/commercial-settings';
import type { ExchangeRates } from '../domain/money';
import { createInventory } from '../services/inventory';
import { insertSchedule, utcDay } from '../services/schedule';

export interface SeedResult {
  airports: number;
  aircraftTypes: number;
  products: number;
  flights: number;
  inventory: number;
  seats: number;
  indexedFlights: number;
  ms: number;
  indexMs: number;
}

/**
 * Seeds reference data and `days` days of schedule starting at `today`'s UTC date. With `redis`, rebuilds the
 * availability index of the schedule's flights afterwards (other flights' keys are built when first read).
 */
export async function seed(
  db: Database,
  sql: Sql,
  opts: {
    today: Date;
    days?: number;
    redis?: Redis;
    currency?: string;
    /** The rate table that prices a local-currency route's seats (config pricing.exchange_rates). */
    fx?: ExchangeRates;
    /** The config's bundles and pricing rules: upserted (the config's rows; an admin's are left alone). */
    commercial?: { bundles: readonly BundleConfig[]; pricing: { rules: readonly PricingRuleConfig[] } };
  },
): Promise<SeedResult> {
  const started = performance.now();
  const days = opts.days ?? 60;
  const currency = opts.currency ?? 'USD';

  const airports = await sql`
    INSERT INTO airports ${sql(
      AIRPORTS.map((a) => ({ code: a.code, name: a.name, city: a.city, country: a.country, time_zone: a.timeZone })),
    )}
    ON CONFLICT DO NOTHING`;
  const aircraft = await sql`
    INSERT INTO aircraft_types (code, name, layout)
    SELECT t.code, t.name, t.layout
    FROM jsonb_to_recordset(${JSON.stringify(AIRCRAFT_TYPES)}::jsonb) AS t(code text, name text, layout jsonb)
    ON CONFLICT DO NOTHING`;
  const products = await sql`
    INSERT INTO products ${sql(PRODUCTS.map((p) => ({ ...p, currency })))}
    ON CONFLICT DO NOTHING`;

  if (opts.commercial) await seedCommercialSettings(db, opts.commercial);

  const schedule = await insertSchedule(sql, {
    routes: ROUTES,
    aircraft: AIRCRAFT_TYPES,
    from: opts.today,
    days,
    currency,
    ...(opts.fx ? { fx: opts.fx } : {}),
  });
  const ms = Math.round(performance.now() - started);

  let indexedFlights = 0;
  let indexMs = 0;
  if (opts.redis) {
    const t0 = performance.now();
    indexedFlights = await createInventory({ db, sql, redis: opts.redis }).rebuildIndex(schedule.scheduleIds);
    indexMs = Math.round(performance.now() - t0);
  }
  return {
    airports: airports.count,
    aircraftTypes: aircraft.count,
    products: products.count,
    flights: schedule.flights,
    inventory: schedule.inventory,
    seats: schedule.seats,
    indexedFlights,
    ms,
    indexMs,
  };
}

/** In db 0 of an Altis Redis: which clone uses which database (written by scripts/infra.sh; not an index key). */
export const REDIS_REGISTRY = 'altis:redis-databases';

/** Seeds the configured database with 60 days of schedule from today and prints what it added. */
export async function seedFromConfig(config: AppConfig) {
  const pg = openDatabase(config, { max: 2 });
  const redis = createRedis(config.redis, { name: 'seed' });
  try {
    // The index of a flight is built when it is first read; a full rebuild is worth its seconds only when Redis
    // has nothing (a fresh or restarted server, a reset), not on every `npm start`.
    const emptyRedis = (await redis.dbsize()) - (await redis.exists(REDIS_REGISTRY)) === 0;
    const r = await seed(pg.db, pg.sql, {
      today: new Date(),
      days: 60,
      redis: emptyRedis ? redis : undefined,
      currency: config.pricing.currency,
      fx: exchangeRates(config.pricing),
      commercial: config,
    });
    console.log(
      `[seed] added ${r.airports} airports, ${r.aircraftTypes} aircraft types, ${r.products} products, ` +
        `${r.flights} flights, ${r.inventory} inventory rows, ${r.seats} seats ` +
        `(${ROUTES.length} routes, 60 days from ${utcDay(new Date()).toISOString().slice(0, 10)}) in ${(r.ms / 1000).toFixed(1)} s; ` +
        (emptyRedis
          ? `availability index rebuilt for ${r.indexedFlights} flights in ${r.indexMs} ms`
          : 'availability index kept (Redis has it)'),
    );
  } finally {
    redis.disconnect();
    await pg.close();
  }
}

async function run() {
  await seedFromConfig(loadConfig());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
