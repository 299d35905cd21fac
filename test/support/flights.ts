/**
 * The one fixture for test flights. Every test file that writes or reads inventory, orders, offers or trips flies
 * on a route of its own (`testRoute(name)`: two airports no other file and no seeded route uses), so that no test
 * file can see, hold or sell another file's seats. The seeded schedule (carrier AL) is read only by the README
 * guide and seed tests, which run in the serial group; test/global-setup.ts fails the run when a test of the
 * parallel group has written to it.
 */
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createInventory } from '../../services/inventory';
import type { Database, Sql } from '../../db/client';
import type { CabinLayout } from '../../db/schema';
import { PRODUCTS } from '../../db/seed/data';
import { capacityByCabin, seatsForLayout } from '../../services/schedule';

export interface TestRoute {
  origin: string;
  destination: string;
}

/**
 * One route per test file, by name. The codes start with Q, which no seeded airport does; a name that is not
 * here is refused, so two files cannot share a route by accident.
 */
const ROUTES = {
  'flights-api': ['QFA', 'QFB'],
  inventory: ['QIA', 'QIB'],
  'order-workflow': ['QOA', 'QOB'],
  'order-workflow-v2': ['QWA', 'QWB'],
  fuzz: ['QZA', 'QZB'],
  'api-client': ['QCA', 'QCB'],
  tracing: ['QTA', 'QTB'],
  observability: ['QVA', 'QVB'],
  security: ['QSA', 'QSB'],
  'offers-api': ['QPA', 'QPB'],
  admin: ['QDA', 'QDB'],
  bench: ['QBA', 'QBB'],
  'order-contract': ['QKA', 'QKB'],
  sellability: ['QEA', 'QEB'],
  'search-party': ['QEC', 'QED'],
  'offer-analytics': ['QEE', 'QEF'],
  selling: ['QHA', 'QHB'],
  'commercial-jpy': ['QJA', 'QJB'],
  'commercial-kwd': ['QUA', 'QUB'],
  hardening: ['QNA', 'QNB'],
  'payment-circuit': ['QGA', 'QGB'],
  'search-staleness': ['QXA', 'QXB'],
  'servicing-services': ['QQA', 'QQB'],
  schemathesis: ['XSA', 'XSB'],
  'schemathesis-admin': ['XSC', 'XSD'],
  abuse: ['QLA', 'QLB'],
  'servicing-change': ['QYA', 'QYB'],
  vocabulary: ['QMV', 'QMW'],
  'servicing-cancel': ['QRA', 'QRB'],
  'late-payments': ['QLP', 'QLQ'],
  ledger: ['QXL', 'QXM'],
  'scale-out': ['QSX', 'QSY'],
  'day-of-travel': ['QAT', 'QAU'],
  'day-of-travel-intl': ['QAV', 'QAW'],
  disruptions: ['QZD', 'QZE'],
  'flight-lifecycle': ['QFL', 'QFM'],
  'browser-booking': ['QBK', 'QBL'],
  'browser-seat-map': ['QSM', 'QSN'],
  'browser-manage': ['QMG', 'QMH'],
  'browser-agent': ['QAG', 'QAH'],
  'agent-orders': ['QAX', 'QAY'],
  'browser-analytics': ['QAN', 'QAO'],
  'order-timeline': ['QTL', 'QTM'],
  'order-lookup': ['QLK', 'QLL'],
  'repeated-steps': ['QRS', 'QRT'],
} as const satisfies Record<string, readonly [string, string]>;

export type TestRouteName = keyof typeof ROUTES;

export function testRoute(name: TestRouteName): TestRoute {
  const [origin, destination] = ROUTES[name];
  return { origin, destination };
}

/** Every route's codes, for the check that no two files share one. */
export const ALL_TEST_ROUTES = Object.entries(ROUTES).map(([name, [origin, destination]]) => ({
  name,
  origin,
  destination,
}));

const economy = (firstRow: number, lastRow: number, letters: string, blockedSeats: string[]): CabinLayout => ({
  cabin: 'ECONOMY',
  compartment: 'Y',
  firstRow,
  lastRow,
  letters,
  exitRows: [],
  extraLegroomRows: [],
  blockedSeats,
  seatPrice: { standard: 1500, extraLegroom: 1500 },
});

/** T50: 54 economy seats of which 4 are blocked, so a capacity of exactly 50. T2C: 8 business + 59 economy. */
export const TEST_AIRCRAFT = {
  T50: [
    {
      ...economy(1, 9, 'ABC DEF', ['9C', '9D', '9E', '9F']),
      exitRows: [2],
      extraLegroomRows: [2],
      seatPrice: { standard: 1500, extraLegroom: 4500 },
    },
  ],
  T2C: [
    {
      cabin: 'BUSINESS',
      compartment: 'J',
      firstRow: 1,
      lastRow: 2,
      letters: 'AC DF',
      exitRows: [],
      extraLegroomRows: [],
      blockedSeats: [],
      seatPrice: { standard: 0, extraLegroom: 0 },
    },
    {
      ...economy(3, 12, 'ABC DEF', ['12F']),
      exitRows: [4],
      extraLegroomRows: [4],
      seatPrice: { standard: 1500, extraLegroom: 4500 },
    },
  ],
} satisfies Record<string, CabinLayout[]>;

/** An economy-only aircraft of exactly `capacity` seats, rows of four (1A 1B 1C 1D 2A ...), the rest blocked. */
function economyOf(capacity: number): CabinLayout[] {
  const rows = Math.ceil(capacity / 4);
  const blocked = Array.from({ length: rows * 4 - capacity }, (_, i) => `${rows}${'DCB'[i]}`);
  return [economy(1, rows, 'AB CD', blocked)];
}

export interface TestFlight {
  id: string;
  carrier: string;
  flightNumber: string;
  origin: string;
  destination: string;
  departureAt: Date;
  arrivalAt: Date;
  /** Economy seats (or the aircraft's economy capacity). */
  capacity: number;
  baseFare: number;
  currency: string;
}

export interface TestFlightOptions {
  /** The file's route; `reverse` flies it the other way. */
  route: TestRoute;
  reverse?: boolean;
  /** An economy-only aircraft with exactly this many seats (default 10), or one of the test aircraft. */
  capacity?: number;
  aircraft?: keyof typeof TEST_AIRCRAFT;
  /** When: an exact time, a day (at a random time of day), or from now (default two days, at a random minute). */
  departureAt?: Date;
  date?: string;
  departsInMs?: number;
  durationMinutes?: number;
  /** Base fares per cabin (economy default 20000, business 48000), in minor units of `currency` (default USD). */
  baseFare?: number;
  fares?: Partial<Record<CabinLayout['cabin'], number>>;
  currency?: string;
}

interface FixtureServices {
  sql: Sql;
  db?: Database;
  redis?: Redis;
}

/**
 * Flights an earlier run of the suite left on a route (the test database outlives a run), deleted with everything
 * that points at them, so that a file's searches see only the flights of this run. Once per route per test process.
 */
const cleared = new Map<string, Promise<void>>();
function clearEarlierRuns(services: FixtureServices, route: TestRoute): Promise<void> {
  const key = `${route.origin}-${route.destination}`;
  let done = cleared.get(key);
  if (!done) {
    done = (async () => {
      const { sql } = services;
      const codes = [route.origin, route.destination];
      const ids = (
        await sql<{ id: string }[]>`
          SELECT id FROM flights WHERE origin = ANY(${codes}) AND destination = ANY(${codes})`
      ).map((r) => r.id);
      if (ids.length === 0) return;
      await sql.begin(async (tx) => {
        await tx`DELETE FROM order_items WHERE flight_id = ANY(${ids}::uuid[])`;
        await tx`DELETE FROM boarding_passes WHERE flight_id = ANY(${ids}::uuid[])`;
        await tx`DELETE FROM seat_assignments WHERE flight_id = ANY(${ids}::uuid[])`;
        await tx`DELETE FROM inventory_holds WHERE flight_id = ANY(${ids}::uuid[])`;
        await tx`DELETE FROM flights WHERE id = ANY(${ids}::uuid[])`;
      });
      if (services.redis && services.db) {
        await createInventory({ db: services.db, sql, redis: services.redis }).dropIndex(ids);
      }
    })();
    cleared.set(key, done);
  }
  return done;
}

/**
 * The route's airports and the seed's products (what the offer engine needs), idempotently; the first call of a
 * test process also clears what earlier runs left on the route.
 */
export async function ensureTestRoute(services: FixtureServices, route: TestRoute): Promise<void> {
  const { sql } = services;
  await clearEarlierRuns(services, route);
  await sql`
    INSERT INTO airports (code, name, city, country, time_zone) VALUES
      (${route.origin}, ${`Test ${route.origin}`}, ${`${route.origin} City`}, 'ZZ', 'UTC'),
      (${route.destination}, ${`Test ${route.destination}`}, ${`${route.destination} City`}, 'ZZ', 'UTC')
    ON CONFLICT DO NOTHING`;
  await sql`
    INSERT INTO products ${sql(PRODUCTS.map((p) => ({ ...p, currency: 'USD' })))} ON CONFLICT DO NOTHING`;
}

/** An economy-only test aircraft of exactly `capacity` seats (`TC<capacity>`), for tests that create flights by API. */
export async function ensureTestAircraft(services: FixtureServices, capacity: number): Promise<string> {
  const code = `TC${capacity}`;
  await ensureAircraft(services.sql, code, economyOf(capacity));
  return code;
}

async function ensureAircraft(sql: Sql, code: string, layout: CabinLayout[]): Promise<void> {
  await sql`
    INSERT INTO aircraft_types (code, name, layout) VALUES (${code}, ${`Test aircraft ${code}`}, ${JSON.stringify(layout)}::jsonb)
    ON CONFLICT DO NOTHING`;
}

function departureOf(opts: TestFlightOptions): Date {
  if (opts.departureAt) return opts.departureAt;
  if (opts.date) return new Date(Date.parse(`${opts.date}T00:00:00Z`) + (600 + randomInt(600)) * 60_000);
  const at = Date.now() + (opts.departsInMs ?? 2 * 86_400_000);
  return new Date(Math.floor(at / 60_000) * 60_000 + randomInt(600) * 60_000);
}

/**
 * A flight of the test's own on its file's route (carrier ZZ, a random four-digit number), with inventory and
 * seats made from the aircraft layout exactly as the seed makes them. With `redis`, its availability index is
 * built too.
 */
export async function createTestFlight(services: FixtureServices, opts: TestFlightOptions): Promise<TestFlight> {
  const { sql } = services;
  await ensureTestRoute(services, opts.route);
  const aircraftCode = opts.aircraft ?? `TC${opts.capacity ?? 10}`;
  const layout = opts.aircraft ? TEST_AIRCRAFT[opts.aircraft] : economyOf(opts.capacity ?? 10);
  await ensureAircraft(sql, aircraftCode, layout);
  const origin = opts.reverse ? opts.route.destination : opts.route.origin;
  const destination = opts.reverse ? opts.route.origin : opts.route.destination;
  const currency = opts.currency ?? 'USD';
  const fares = { ECONOMY: opts.baseFare ?? 20_000, BUSINESS: 48_000, ...opts.fares };
  const capacity = capacityByCabin(layout);

  // (carrier, number, departure) is unique: a clash with another file's random pick simply draws again.
  for (let attempt = 0; attempt < 10; attempt++) {
    const departureAt = departureOf(opts);
    const arrivalAt = new Date(departureAt.getTime() + (opts.durationMinutes ?? 120) * 60_000);
    const flightNumber = String(1000 + randomInt(9000));
    const id = await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        INSERT INTO flights (carrier, flight_number, origin, destination, departure_at, arrival_at, aircraft_type)
        VALUES ('ZZ', ${flightNumber}, ${origin}, ${destination}, ${departureAt.toISOString()}, ${arrivalAt.toISOString()}, ${aircraftCode})
        ON CONFLICT DO NOTHING RETURNING id`;
      if (!row) return null;
      const cabins = Object.entries(capacity).map(([cabin, seats]) => ({
        flight_id: row.id,
        cabin,
        capacity: seats,
        base_fare: fares[cabin as keyof typeof fares] ?? fares.ECONOMY,
        currency,
      }));
      await tx`INSERT INTO flight_inventory ${tx(cabins)}`;
      const seats = seatsForLayout(layout).map((s) => ({
        flight_id: row.id,
        seat_number: s.seatNumber,
        cabin: s.cabin,
        characteristics: s.characteristics,
        blocked: s.blocked,
        price: s.price,
      }));
      await tx`INSERT INTO flight_seats ${tx(seats)}`;
      return row.id;
    });
    if (!id) continue;
    if (services.redis && services.db) {
      await createInventory({ db: services.db, sql, redis: services.redis }).rebuildIndex([id]);
    }
    return {
      id,
      carrier: 'ZZ',
      flightNumber,
      origin,
      destination,
      departureAt,
      arrivalAt,
      capacity: capacity.ECONOMY ?? 0,
      baseFare: fares.ECONOMY,
      currency,
    };
  }
  throw new Error('could not create a test flight with a unique number');
}

export const tomorrow = (now = new Date()) => new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);

/** Removes test flights with everything that points at them, in Postgres and in Redis. */
export async function deleteTestFlights(
  services: { db: Database; sql: Sql; redis: Redis },
  flightIds: string[],
): Promise<void> {
  if (flightIds.length === 0) return;
  const { sql } = services;
  await sql`DELETE FROM seat_assignments WHERE flight_id = ANY(${flightIds}::uuid[])`;
  await sql`DELETE FROM inventory_holds WHERE flight_id = ANY(${flightIds}::uuid[])`;
  await sql`DELETE FROM flights WHERE id = ANY(${flightIds}::uuid[])`;
  await createInventory(services).dropIndex(flightIds);
}

/** Postgres' counts of one flight and cabin. */
export async function pgInventory(sql: Sql, flightId: string, cabin = 'ECONOMY') {
  const [row] = await sql<{ capacity: number; held: number; sold: number; available: number }[]>`
    SELECT capacity, held, sold, capacity - held - sold AS available
    FROM flight_inventory WHERE flight_id = ${flightId} AND cabin = ${cabin}`;
  return row!;
}
