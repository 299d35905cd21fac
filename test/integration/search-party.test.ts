/**
 * Flight search takes the party into account (issue #13, item 8): only cabins with seats for the seated
 * passengers (an infant sits on a lap), priced per passenger type and for the whole party. Over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { money } from '../../domain/money';
import { priceLeg, type PassengerType } from '../../domain/pricing';
import type { Services } from '../../lib/services';
import type { CabinOffer, FlightView } from '../../services/catalog';
import { createInventory } from '../../services/inventory';
import { createTestFlight, deleteTestFlights, ensureTestRoute, testRoute, type TestFlight } from '../support/flights';
import { openTestServices, silentLogger, testConfig } from '../support/services';

const config = testConfig();
const route = testRoute('search-party');
let services: Services;
let app: App;
const made: string[] = [];

beforeAll(async () => {
  services = await openTestServices(config);
  await ensureTestRoute(services, route);
  app = createApp({ config, logger: silentLogger(), ...services });
});

afterAll(async () => {
  await deleteTestFlights(services, made);
  await services.close();
});

const day = (d: Date) => d.toISOString().slice(0, 10);

/** A flight on its own day (the app caches a leg's rows), with `left` seats left per cabin. */
async function flightWith(
  aircraft: 'T50' | 'T2C',
  daysAhead: number,
  left: Partial<Record<'ECONOMY' | 'BUSINESS', number>>,
) {
  const f = await createTestFlight(services, {
    route,
    aircraft,
    date: day(new Date(Date.now() + daysAhead * 86_400_000)),
  });
  made.push(f.id);
  const inventory = createInventory(services);
  const capacity = { ECONOMY: aircraft === 'T50' ? 50 : 59, BUSINESS: 8 };
  const items = Object.entries(left).map(([cabin, n]) => ({
    flightId: f.id,
    cabin: cabin as 'ECONOMY' | 'BUSINESS',
    quantity: capacity[cabin as 'ECONOMY' | 'BUSINESS'] - n,
  }));
  if (items.length > 0) await inventory.hold(randomUUID(), items);
  return f;
}

async function search(f: TestFlight, extra: Record<string, unknown>) {
  const res = await app.request('/v1/flights/search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      legs: [{ origin_airport_code: f.origin, destination_airport_code: f.destination, date: day(f.departureAt) }],
      ...extra,
    }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { legs: { flights: FlightView[] }[]; error?: { code: string } },
  };
}

const find = async (f: TestFlight, extra: Record<string, unknown>) => {
  const res = await search(f, extra);
  expect(res.status).toBe(200);
  return res.body.legs[0]!.flights.find((x) => x.id === f.id);
};

/** What a passenger type pays in this cabin: priceLeg at the cabin's live availability. */
function expectedEach(f: TestFlight, cabin: CabinOffer, capacity: number, baseFare: number, type: PassengerType) {
  return priceLeg({
    baseFare: money(baseFare, f.currency),
    available: cabin.available,
    capacity,
    passengerType: type,
    route: `${f.origin}-${f.destination}`,
    cabin: cabin.cabin,
    now: new Date(),
    rules: config.pricing.rules,
    taxes: config.pricing.taxes,
    childFarePercent: config.pricing.child_fare_percent,
    infantFarePercent: config.pricing.infant_fare_percent,
  }).total;
}

describe('POST /v1/flights/search with a party', () => {
  it('lists only the cabins with seats for the party; an infant on a lap takes none', async () => {
    const f = await flightWith('T2C', 3, { BUSINESS: 2 });
    expect((await find(f, { passenger_count: 2 }))!.cabins.map((c) => c.cabin)).toEqual(['ECONOMY', 'BUSINESS']);
    expect((await find(f, { passenger_count: 3 }))!.cabins.map((c) => c.cabin)).toEqual(['ECONOMY']);
    const withInfant = await find(f, { passenger_count: 3, passengers: { adults: 2, infants: 1 } });
    expect(withInfant!.cabins.map((c) => c.cabin)).toEqual(['ECONOMY', 'BUSINESS']);
  });

  it('leaves out a flight with no cabin for the party', async () => {
    const f = await flightWith('T50', 4, { ECONOMY: 2 });
    expect(await find(f, { passenger_count: 2 })).toBeDefined();
    expect(await find(f, { passenger_count: 3 })).toBeUndefined();
  });

  it('prices each passenger type and gives the party total', async () => {
    const f = await flightWith('T2C', 5, {});
    const found = await find(f, { passenger_count: 4, passengers: { adults: 2, children: 1, infants: 1 } });
    for (const cabin of found!.cabins) {
      const capacity = cabin.cabin === 'BUSINESS' ? 8 : 59;
      const base = cabin.cabin === 'BUSINESS' ? 48_000 : f.baseFare;
      const each = (t: PassengerType) => expectedEach(f, cabin, capacity, base, t);
      expect(cabin.party).toEqual([
        {
          passenger_type: 'ADT',
          count: 2,
          price_per_passenger: each('ADT'),
          total: money(each('ADT').amount * 2, f.currency),
        },
        { passenger_type: 'CHD', count: 1, price_per_passenger: each('CHD'), total: each('CHD') },
        { passenger_type: 'INF', count: 1, price_per_passenger: each('INF'), total: each('INF') },
      ]);
      expect(each('CHD').amount).toBeLessThan(each('ADT').amount);
      expect(each('INF').amount).toBeLessThan(each('CHD').amount);
      expect(cabin.price_per_passenger).toEqual(each('ADT'));
      expect(cabin.total_price).toEqual(
        money(2 * each('ADT').amount + each('CHD').amount + each('INF').amount, f.currency),
      );
    }
    // Without types, the count is adults.
    const adults = await find(f, { passenger_count: 3 });
    const economy = adults!.cabins.find((c) => c.cabin === 'ECONOMY')!;
    expect(economy.party).toEqual([expect.objectContaining({ passenger_type: 'ADT', count: 3 })]);
    expect(economy.total_price.amount).toBe(economy.price_per_passenger.amount * 3);
  });

  it.each([
    ['types that do not add up to passenger_count', { passenger_count: 3, passengers: { adults: 1, children: 1 } }],
    ['more infants than adults', { passenger_count: 3, passengers: { adults: 1, infants: 2 } }],
    ['no adult', { passenger_count: 1, passengers: { adults: 0, children: 1 } }],
  ])('refuses %s with 400', async (_what, extra) => {
    const f = await flightWith('T50', 6, {});
    const res = await search(f, extra);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
