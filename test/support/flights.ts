import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { availKey, holdsKey, settlesKey } from '../../activities/inventory';
import type { Sql } from '../../db/client';
import type { CabinLayout } from '../../db/schema';
import { insertSchedule, type SeedRoute } from '../../db/seed';

/** Airports of the tests' own, so that test flights never share a route with the seeded schedule. */
export const TEST_ORIGIN = 'QXA';
export const TEST_DESTINATION = 'QXB';

const economy = (firstRow: number, lastRow: number, blockedSeats: string[]): CabinLayout => ({
  cabin: 'ECONOMY',
  compartment: 'Y',
  firstRow,
  lastRow,
  letters: 'ABC DEF',
  exitRows: [firstRow + 1],
  extraLegroomRows: [firstRow + 1],
  blockedSeats,
  seatPrice: { standard: 1500, extraLegroom: 4500 },
});

/** T50: 54 economy seats of which 4 are blocked, so a capacity of exactly 50. T2C: 8 business + 59 economy. */
export const TEST_AIRCRAFT: { code: string; name: string; layout: CabinLayout[] }[] = [
  { code: 'T50', name: 'Test 50-seater', layout: [economy(1, 9, ['9C', '9D', '9E', '9F'])] },
  {
    code: 'T2C',
    name: 'Test two-cabin',
    layout: [
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
      economy(3, 12, ['12F']),
    ],
  },
];

export async function ensureTestReferenceData(sql: Sql): Promise<void> {
  await sql`
    INSERT INTO airports (code, name, city, country, time_zone) VALUES
      (${TEST_ORIGIN}, 'Test Origin Field', 'Testville', 'ZZ', 'UTC'),
      (${TEST_DESTINATION}, 'Test Destination Field', 'Testburg', 'ZZ', 'UTC')
    ON CONFLICT DO NOTHING`;
  for (const t of TEST_AIRCRAFT) {
    await sql`
      INSERT INTO aircraft_types (code, name, layout) VALUES (${t.code}, ${t.name}, ${JSON.stringify(t.layout)}::jsonb)
      ON CONFLICT DO NOTHING`;
  }
}

export const tomorrow = (now = new Date()) => new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);

/**
 * A fresh flight of the tests' own (carrier ZZ, a random number, tomorrow unless told), with inventory and seats
 * made exactly as the seed makes them. Returns its id.
 */
export async function createTestFlight(
  sql: Sql,
  opts: { aircraft?: 'T50' | 'T2C'; date?: string; fares?: SeedRoute['fares']; departureMinutes?: number } = {},
): Promise<string> {
  await ensureTestReferenceData(sql);
  const aircraft = TEST_AIRCRAFT.find((t) => t.code === (opts.aircraft ?? 'T50'))!;
  const route: SeedRoute = {
    carrier: 'ZZ',
    flightNumber: `T${randomUUID().slice(0, 8)}`,
    origin: TEST_ORIGIN,
    destination: TEST_DESTINATION,
    aircraftType: aircraft.code,
    departureMinutes: opts.departureMinutes ?? 600 + Math.floor(Math.random() * 600),
    durationMinutes: 95,
    distanceKm: 700,
    fares: opts.fares ?? { ECONOMY: 12_000, BUSINESS: 48_000 },
  };
  const from = new Date(`${opts.date ?? tomorrow()}T00:00:00Z`);
  const { flightIds } = await insertSchedule(sql, { routes: [route], aircraft: [aircraft], from, days: 1 });
  if (flightIds.length !== 1) throw new Error('the test flight was not created');
  return flightIds[0]!;
}

/** Removes test flights with everything that points at them, in Postgres and in Redis. */
export async function deleteTestFlights(sql: Sql, redis: Redis, flightIds: string[]): Promise<void> {
  if (flightIds.length === 0) return;
  await sql`DELETE FROM seat_assignments WHERE flight_id = ANY(${flightIds}::uuid[])`;
  await sql`DELETE FROM inventory_holds WHERE flight_id = ANY(${flightIds}::uuid[])`;
  await sql`DELETE FROM flights WHERE id = ANY(${flightIds}::uuid[])`;
  await redis.del(...flightIds.flatMap((id) => [availKey(id), holdsKey(id), settlesKey(id)]));
}

/** Postgres' counts of one flight and cabin. */
export async function pgInventory(sql: Sql, flightId: string, cabin = 'ECONOMY') {
  const [row] = await sql<{ capacity: number; held: number; sold: number; available: number }[]>`
    SELECT capacity, held, sold, capacity - held - sold AS available
    FROM flight_inventory WHERE flight_id = ${flightId} AND cabin = ${cabin}`;
  return row!;
}
