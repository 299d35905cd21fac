import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '../../db/client';
import { saveOffers } from '../../db/offer-store';
import { PRODUCTS } from '../../db/seed';
import type { Sql } from '../../db/client';
import { aircraftTypes, airports, flightInventory, flights, flightSeats, type CabinLayout } from '../../db/schema';
import type { Offer, OfferItem, OfferPassengers } from '../../domain/offer';

/** Test data of a test's own: airports XAA/XBB, a small aircraft, flights with unique numbers. */
const TEST_LAYOUT: CabinLayout[] = [
  {
    cabin: 'ECONOMY',
    compartment: 'Y',
    firstRow: 1,
    lastRow: 30,
    letters: 'AB CD',
    exitRows: [10],
    extraLegroomRows: [1],
    blockedSeats: [],
    seatPrice: { standard: 1500, extraLegroom: 4000 },
  },
];

export async function ensureTestCatalog(db: Database): Promise<void> {
  await db
    .insert(airports)
    .values([
      { code: 'XAA', name: 'Test Alpha', city: 'Alphaville', country: 'ZZ', timeZone: 'UTC' },
      { code: 'XBB', name: 'Test Bravo', city: 'Bravotown', country: 'ZZ', timeZone: 'UTC' },
    ])
    .onConflictDoNothing();
  await db
    .insert(aircraftTypes)
    .values({ code: 'TST1', name: 'Test craft', layout: TEST_LAYOUT })
    .onConflictDoNothing();
}

/**
 * A test route of a file's own (two airports named after `label`), the test aircraft and the seed's products,
 * so that offers can be built on it without the full seed.
 */
export async function ensureOfferCatalog(
  services: { db: Database; sql: Sql },
  route: { origin: string; destination: string; label: string },
): Promise<void> {
  await ensureTestCatalog(services.db);
  await services.db
    .insert(airports)
    .values([
      { code: route.origin, name: `${route.label} Origin`, city: 'Origin', country: 'ZZ', timeZone: 'UTC' },
      {
        code: route.destination,
        name: `${route.label} Destination`,
        city: 'Destination',
        country: 'ZZ',
        timeZone: 'UTC',
      },
    ])
    .onConflictDoNothing();
  await services.sql`
    INSERT INTO products ${services.sql(PRODUCTS.map((p) => ({ ...p, currency: 'USD' })))} ON CONFLICT DO NOTHING`;
}

export interface TestFlight {
  id: string;
  carrier: string;
  flightNumber: string;
  origin: string;
  destination: string;
  departureAt: Date;
  arrivalAt: Date;
  capacity: number;
  baseFare: number;
}

/** A flight with `capacity` economy seats (rows of four: 1A..), departing `departsInMs` from now. */
export async function createTestFlight(
  db: Database,
  opts: { capacity?: number; departsInMs?: number; origin?: string; destination?: string; baseFare?: number } = {},
): Promise<TestFlight> {
  await ensureTestCatalog(db);
  const capacity = opts.capacity ?? 10;
  // Whole minutes, randomised so that (carrier, number, departure) stays unique across parallel test files.
  const departureAt = new Date(
    Math.floor((Date.now() + (opts.departsInMs ?? 2 * 24 * 3600_000)) / 60_000) * 60_000 +
      Math.floor(Math.random() * 600) * 60_000,
  );
  const arrivalAt = new Date(departureAt.getTime() + 2 * 3600_000);
  const flightNumber = String(Math.floor(Math.random() * 9000 + 1000));
  const baseFare = opts.baseFare ?? 20000;
  const [row] = await db
    .insert(flights)
    .values({
      carrier: 'AL',
      flightNumber,
      origin: opts.origin ?? 'XAA',
      destination: opts.destination ?? 'XBB',
      departureAt,
      arrivalAt,
      aircraftType: 'TST1',
    })
    .returning({ id: flights.id });
  const id = row!.id;
  await db.insert(flightInventory).values({ flightId: id, cabin: 'ECONOMY', capacity, baseFare, currency: 'USD' });
  const letters = ['A', 'B', 'C', 'D'];
  const seats = Array.from({ length: capacity }, (_, i) => {
    const letter = letters[i % 4]!;
    return {
      flightId: id,
      seatNumber: `${Math.floor(i / 4) + 1}${letter}`,
      cabin: 'ECONOMY' as const,
      characteristics: [letter === 'A' || letter === 'D' ? 'WINDOW' : 'AISLE'],
      price: 1500,
    };
  });
  await db.insert(flightSeats).values(seats);
  return {
    id,
    carrier: 'AL',
    flightNumber,
    origin: opts.origin ?? 'XAA',
    destination: opts.destination ?? 'XBB',
    departureAt,
    arrivalAt,
    capacity,
    baseFare,
  };
}

export async function inventoryOf(db: Database, flightId: string) {
  const [row] = await db.select().from(flightInventory).where(eq(flightInventory.flightId, flightId));
  return { capacity: row!.capacity, held: row!.held, sold: row!.sold };
}

/** An offer for the given flights, stored in Redis as the offer engine stores it. */
export async function createTestOffer(
  redis: Redis,
  testFlights: TestFlight[],
  opts: { passengers?: Partial<OfferPassengers>; ttlSeconds?: number; ancillaries?: boolean } = {},
): Promise<Offer> {
  const passengers: OfferPassengers = { adults: 1, children: 0, infants: 0, ...opts.passengers };
  const refs = [
    ...Array.from({ length: passengers.adults }, (_, i) => ({ ref: `ADT${i + 1}`, ptc: 'ADT' as const, share: 100 })),
    ...Array.from({ length: passengers.children }, (_, i) => ({ ref: `CHD${i + 1}`, ptc: 'CHD' as const, share: 75 })),
    ...Array.from({ length: passengers.infants }, (_, i) => ({ ref: `INF${i + 1}`, ptc: 'INF' as const, share: 10 })),
  ];
  const items: OfferItem[] = [];
  for (const f of testFlights) {
    for (const p of refs) {
      items.push({
        id: randomUUID(),
        product_type: 'Flight',
        product_code: 'FLIGHT',
        flight_id: f.id,
        passenger_ref: p.ref,
        ptc: p.ptc,
        price: { amount: Math.round((f.baseFare * p.share) / 100), currency: 'USD' },
      });
      if (opts.ancillaries && p.ptc !== 'INF') {
        items.push({
          id: randomUUID(),
          product_type: 'Bag',
          product_code: 'BAG_23KG',
          flight_id: f.id,
          passenger_ref: p.ref,
          ptc: p.ptc,
          price: { amount: 3500, currency: 'USD' },
        });
      }
    }
  }
  const total = items.reduce((sum, i) => sum + i.price.amount, 0);
  const now = new Date();
  const ttl = opts.ttlSeconds ?? 900;
  const offer: Offer = {
    id: `off_${randomUUID()}`,
    status: 'ACTIVE',
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
    bundle: { code: opts.ancillaries ? 'COMFORT' : 'FLIGHT_ONLY', name: opts.ancillaries ? 'Comfort' : 'Flight Only' },
    rank: 1,
    search: {
      origin: testFlights[0]!.origin,
      destination: testFlights[0]!.destination,
      departure_date: testFlights[0]!.departureAt.toISOString().slice(0, 10),
      return_date: null,
      cabin: 'ECONOMY',
      passengers,
    },
    segments: testFlights.map((f, i) => ({
      flight_id: f.id,
      carrier: f.carrier,
      flight_number: f.flightNumber,
      origin: f.origin,
      destination: f.destination,
      departure_at: f.departureAt.toISOString(),
      arrival_at: f.arrivalAt.toISOString(),
      cabin: 'ECONOMY',
      direction: i === 0 ? 'OUTBOUND' : 'INBOUND',
    })),
    items,
    price: { currency: 'USD', total: { amount: total, currency: 'USD' }, breakdown: null },
  };
  await saveOffers(redis, [offer], ttl);
  return offer;
}
