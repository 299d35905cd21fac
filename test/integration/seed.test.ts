import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory } from '../../services/inventory';
import { AIRCRAFT_TYPES, AIRPORTS, PRODUCTS, ROUTES } from '../../db/seed/data';
import { seed } from '../../scripts/seed';
import { capacityByCabin, seatsForLayout } from '../../services/schedule';
import type { Services } from '../../lib/services';
import { openTestServices, testConfig } from '../support/services';

const config = testConfig();
let services: Services;

beforeAll(async () => {
  services = await openTestServices(config);
});
afterAll(async () => {
  await services.close();
});

const dayAfter = (d: Date, n: number) => new Date(d.getTime() + n * 86_400_000).toISOString().slice(0, 10);

describe('the seed', () => {
  it('describes at least 20 airports, 40 routes, three aircraft and every product type', () => {
    expect(AIRPORTS.length).toBeGreaterThanOrEqual(20);
    for (const code of ['JFK', 'LHR', 'SIN', 'KUL']) expect(AIRPORTS.map((a) => a.code)).toContain(code);
    expect(ROUTES.length).toBeGreaterThanOrEqual(40);
    const pairs = ROUTES.map((r) => `${r.origin}-${r.destination}`);
    for (const p of ['JFK-LHR', 'LHR-JFK', 'SIN-KUL', 'KUL-SIN']) expect(pairs).toContain(p);
    expect(new Set(ROUTES.map((r) => `${r.carrier}${r.flightNumber}`)).size).toBe(ROUTES.length);
    expect(new Set(PRODUCTS.map((p) => p.type))).toEqual(
      new Set(['Flight', 'Seat', 'Bag', 'Meal', 'Lounge', 'CarbonOffset', 'Insurance', 'FastTrack']),
    );
    // a long haul costs more than a short hop, business more than economy
    const jfkLhr = ROUTES.find((r) => r.origin === 'JFK' && r.destination === 'LHR')!;
    const sinKul = ROUTES.find((r) => r.origin === 'SIN' && r.destination === 'KUL')!;
    expect(jfkLhr.fares.ECONOMY!).toBeGreaterThan(sinKul.fares.ECONOMY!);
    expect(jfkLhr.fares.BUSINESS!).toBeGreaterThan(jfkLhr.fares.ECONOMY!);
    expect(jfkLhr.durationMinutes).toBeGreaterThan(360);
    expect(sinKul.durationMinutes).toBeLessThan(90);
  });

  it('makes seat maps with window, aisle, middle, exit rows, extra legroom and blocked seats', () => {
    const a320 = AIRCRAFT_TYPES.find((t) => t.code === 'A320')!;
    const seats = seatsForLayout(a320.layout);
    const seat = (n: string) => seats.find((s) => s.seatNumber === n)!;
    expect(seats).toHaveLength(3 * 4 + 27 * 6);
    expect(seat('1A')).toMatchObject({ cabin: 'BUSINESS', characteristics: ['WINDOW'], price: 0 });
    expect(seat('1C').characteristics).toEqual(['AISLE']);
    expect(seat('4B')).toMatchObject({ cabin: 'ECONOMY', characteristics: ['MIDDLE', 'EXTRA_LEGROOM'], price: 4500 });
    expect(seat('11F').characteristics).toEqual(['WINDOW', 'EXIT_ROW', 'EXTRA_LEGROOM']);
    expect(seat('20D')).toMatchObject({ characteristics: ['AISLE'], price: 1500, blocked: false });
    expect(seat('30F').blocked).toBe(true);
    expect(capacityByCabin(a320.layout)).toEqual({ BUSINESS: 12, ECONOMY: 160 });
    const b789 = AIRCRAFT_TYPES.find((t) => t.code === 'B789')!;
    expect(Object.keys(capacityByCabin(b789.layout)).sort()).toEqual(['BUSINESS', 'ECONOMY', 'PREMIUM_ECONOMY']);
  });

  it('is idempotent: a second run adds nothing, and the schedule, seats and index are as described', async () => {
    const today = new Date();
    await seed(services.db, services.sql, { today, days: 2, redis: services.redis });
    const again = await seed(services.db, services.sql, { today, days: 2, redis: services.redis });
    expect(again).toMatchObject({ airports: 0, aircraftTypes: 0, products: 0, flights: 0, inventory: 0, seats: 0 });
    expect(again.indexedFlights).toBeGreaterThanOrEqual(ROUTES.length);

    const flights = await services.sql<{ id: string; origin: string; destination: string; aircraft_type: string }[]>`
      SELECT id, origin, destination, aircraft_type FROM flights
      WHERE carrier = 'AL' AND departure_at >= ${dayAfter(today, 1)}::date AND departure_at < ${dayAfter(today, 2)}::date`;
    expect(flights).toHaveLength(ROUTES.length); // one per route on tomorrow's UTC day

    const jfkLhr = flights.find((f) => f.origin === 'JFK' && f.destination === 'LHR')!;
    const layout = AIRCRAFT_TYPES.find((t) => t.code === jfkLhr.aircraft_type)!.layout;
    const [seatCount] = await services.sql<{ n: number; blocked: number }[]>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE blocked)::int AS blocked
      FROM flight_seats WHERE flight_id = ${jfkLhr.id}`;
    expect(seatCount!.n).toBe(seatsForLayout(layout).length);
    expect(seatCount!.blocked).toBe(seatsForLayout(layout).filter((s) => s.blocked).length);

    const inventoryRows = await services.sql<{ cabin: 'ECONOMY'; capacity: number; base_fare: number }[]>`
      SELECT cabin, capacity, base_fare FROM flight_inventory WHERE flight_id = ${jfkLhr.id}`;
    const capacity = capacityByCabin(layout);
    for (const row of inventoryRows) {
      expect(row.capacity).toBe(capacity[row.cabin]);
      expect(row.base_fare).toBe(ROUTES.find((r) => r.flightNumber === '100')!.fares[row.cabin]);
    }

    // the index after seeding agrees with Postgres
    const inventory = createInventory({ db: services.db, sql: services.sql, redis: services.redis });
    const index = await inventory.availability(jfkLhr.id);
    const pg = await services.sql<{ cabin: string; capacity: number; held: number; sold: number }[]>`
      SELECT cabin, capacity, held, sold FROM flight_inventory WHERE flight_id = ${jfkLhr.id}`;
    for (const row of pg) {
      expect(index.find((c) => c.cabin === row.cabin)).toEqual({
        ...row,
        available: row.capacity - row.held - row.sold,
      });
    }

    const products = await services.sql<
      { code: string; type: string; per: string }[]
    >`SELECT code, type, per FROM products`;
    for (const code of [
      'SEAT_STANDARD',
      'SEAT_EXTRA_LEGROOM',
      'BAG_23KG',
      'BAG_23KG_2',
      'MEAL_HOT',
      'MEAL_PREMIUM',
      'LOUNGE',
      'CARBON_OFFSET',
      'INSURANCE',
      'FAST_TRACK',
      'FLIGHT',
    ]) {
      expect(products.map((p) => p.code)).toContain(code);
    }
    expect(products.find((p) => p.code === 'INSURANCE')!.per).toBe('ORDER');
  });
});
