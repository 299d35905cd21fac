import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../services/catalog';
import { createInventory, type Inventory } from '../../services/inventory';
import type { Services } from '../../lib/services';
import { createTestFlight, deleteTestFlights, pgInventory, testRoute } from '../support/flights';
import { openTestServices, testConfig } from '../support/services';

/**
 * The availability a search shows is never more than catalog.availability_max_age_ms behind Postgres: the
 * catalog's cache on a clock of the test's own (no waiting, no timed assertion), over the real index and tables.
 */
const config = testConfig();
const MAX_AGE_MS = 500;
const route = testRoute('search-staleness');
let services: Services;
let inventory: Inventory;
const flights: string[] = [];

beforeAll(async () => {
  services = await openTestServices(config);
  inventory = createInventory(services);
});

afterAll(async () => {
  await deleteTestFlights(services, flights);
  await services.close();
});

describe('availability staleness of search', () => {
  it('shows a hold no later than the stated age behind Postgres', async () => {
    const departureAt = new Date(Date.now() + 50 * 86_400_000);
    const f = await createTestFlight(services, { route, capacity: 10, departureAt });
    flights.push(f.id);
    let now = 1_000_000;
    const catalog = createCatalog({
      ...services,
      config,
      inventory,
      availabilityMaxAgeMs: MAX_AGE_MS,
      clock: () => now,
    });
    const date = departureAt.toISOString().slice(0, 10);
    const available = async () => {
      const [flight] = await catalog.searchFlights({
        origin: f.origin,
        destination: f.destination,
        date,
        passengers: 1,
      });
      return flight!.cabins.find((c) => c.cabin === 'ECONOMY')!.available;
    };

    expect(await available()).toBe(10);
    await inventory.hold(randomUUID(), [{ flightId: f.id, cabin: 'ECONOMY', quantity: 3 }]);
    const postgres = (await pgInventory(services.sql, f.id)).available;
    expect(postgres).toBe(7);

    // Within the age the cached figure may still show; it is one that Postgres had, never another.
    now += MAX_AGE_MS - 1;
    expect([10, postgres]).toContain(await available());
    // At the age it is read again, and it is Postgres's.
    now += 1;
    expect(await available()).toBe(postgres);

    // With no cache (the tests' setting, availability_max_age_ms = 0), every search reads the index.
    const live = createCatalog({ ...services, config, inventory, availabilityMaxAgeMs: 0, clock: () => now });
    await inventory.hold(randomUUID(), [{ flightId: f.id, cabin: 'ECONOMY', quantity: 2 }]);
    const [flight] = await live.searchFlights({ origin: f.origin, destination: f.destination, date, passengers: 1 });
    expect(flight!.cabins.find((c) => c.cabin === 'ECONOMY')!.available).toBe(
      (await pgInventory(services.sql, f.id)).available,
    );
  });

  it('a seat map shows a seat taken no later than catalog.seat_map_max_age_ms behind the lock', async () => {
    const f = await createTestFlight(services, { route, capacity: 10 });
    flights.push(f.id);
    let now = 5_000_000;
    const catalog = createCatalog({ ...services, config, inventory, seatMapMaxAgeMs: MAX_AGE_MS, clock: () => now });
    const statusOf = async (seat: string) => {
      const map = JSON.parse((await catalog.seatMapJson(f.id)).toString()) as {
        seats: { seat_number: string; status: string }[];
      };
      expect(map).toEqual(JSON.parse(JSON.stringify(await catalog.seatMap(f.id))) as unknown); // as the route answers
      return map.seats.find((s) => s.seat_number === seat)!.status;
    };
    const seat = '1A';
    expect(await statusOf(seat)).toBe('AVAILABLE');
    const owner = randomUUID();
    await inventory.hold(owner, [{ flightId: f.id, cabin: 'ECONOMY', quantity: 1 }]);
    expect(await inventory.lockSeat({ ownerId: owner, flightId: f.id, seatNumber: seat, ttlMs: 60_000 })).toEqual({
      ok: true,
    });
    // Within the age the kept map may still show the seat free (the lock and Postgres decide a choice, not the map).
    now += MAX_AGE_MS - 1;
    expect(['AVAILABLE', 'HELD']).toContain(
      (
        JSON.parse((await catalog.seatMapJson(f.id)).toString()) as { seats: { seat_number: string; status: string }[] }
      ).seats.find((s) => s.seat_number === seat)!.status,
    );
    // At the age it is read again.
    now += 1;
    expect(await statusOf(seat)).toBe('HELD');
  });
});
