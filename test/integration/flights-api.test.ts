import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlightView, SeatMap } from '../../services/catalog';
import { createInventory, type Inventory } from '../../services/inventory';
import { exchangeRates } from '../../services/commercial-settings';
// Internal key layout, only to stage a Redis-only seat lock (no facade call writes one without its assignment).
import { seatLockKey } from '../../services/inventory/keys';
import { createApp, type App } from '../../api/app';
import { money } from '../../domain/money';
import { demandAvailable, priceLeg } from '../../domain/pricing';
import type { Services } from '../../lib/services';
import { createTestFlight, deleteTestFlights, ensureTestRoute, testRoute, tomorrow } from '../support/flights';
import { openTestServices, silentLogger, testConfig } from '../support/services';

const config = testConfig();
let services: Services;
let app: App;
let inventory: Inventory;
const testFlights: string[] = [];
// The seeded schedule (JFK→LHR, SIN→KUL) is only read here: no test of the parallel group writes to it.
const route = testRoute('flights-api');
const TEST_ORIGIN = route.origin;
const TEST_DESTINATION = route.destination;

interface SearchBody {
  legs: { origin: string; destination: string; date: string; flights: FlightView[] }[];
}
interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: { path: string; message: string }[] } };
}

beforeAll(async () => {
  services = await openTestServices(config);
  // The route's airports exist before the app's first search caches the airport list.
  await ensureTestRoute(services, route);
  app = createApp({ config, logger: silentLogger(), ...services });
  inventory = createInventory({ db: services.db, sql: services.sql, redis: services.redis });
});

afterAll(async () => {
  await deleteTestFlights(services, testFlights);
  await services.close();
});

async function newFlight(aircraft: 'T50' | 'T2C' = 'T50', date = tomorrow()) {
  const { id } = await createTestFlight(services, { route, aircraft, date });
  testFlights.push(id);
  return id;
}

function search(body: unknown) {
  return app.request('/v1/flights/search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const leg = (origin: string, destination: string, date = tomorrow()) => ({
  origin_airport_code: origin,
  destination_airport_code: destination,
  date,
});

/** The price a cabin of a search result must have: priceLeg on the flight's fare and its live availability. */
async function expectPricedByPriceLeg(flight: FlightView, now: Date) {
  const [fares, index, airports] = await Promise.all([
    services.sql<{ cabin: string; base_fare: number; currency: string; capacity: number }[]>`
      SELECT cabin, base_fare, currency, capacity FROM flight_inventory WHERE flight_id = ${flight.id}`,
    inventory.availability(flight.id),
    services.sql<{ code: string; country: string }[]>`
      SELECT code, country FROM airports WHERE code IN (${flight.origin}, ${flight.destination})`,
  ]);
  const country = (code: string) => airports.find((a) => a.code === code)?.country;
  expect(flight.cabins.map((c) => c.cabin).sort()).toEqual(fares.map((f) => f.cabin).sort());
  for (const cabin of flight.cabins) {
    const fare = fares.find((f) => f.cabin === cabin.cabin)!;
    const figures = index.find((c) => c.cabin === cabin.cabin)!;
    expect(cabin.available).toBe(figures.available);
    expect(cabin.demand_available).toBe(demandAvailable(figures, config.pricing.held_seat_weight));
    const expected = priceLeg({
      baseFare: money(fare.base_fare, fare.currency),
      available: cabin.demand_available,
      capacity: fare.capacity,
      passengerType: 'ADT',
      route: `${flight.origin}-${flight.destination}`,
      cabin: cabin.cabin,
      now,
      rules: config.pricing.rules,
      taxes: config.pricing.taxes,
      childFarePercent: config.pricing.child_fare_percent,
      infantFarePercent: config.pricing.infant_fare_percent,
      originCountry: country(flight.origin),
      destinationCountry: country(flight.destination),
      fx: exchangeRates(config.pricing),
    });
    expect(cabin.breakdown).toEqual(expected);
    expect(cabin.price_per_passenger).toEqual(expected.total);
  }
}

describe('POST /v1/flights/search', () => {
  it('finds tomorrow’s JFK→LHR flight with each cabin priced exactly as priceLeg prices it', async () => {
    const res = await search({ legs: [leg('JFK', 'LHR')], passenger_count: 1 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SearchBody;
    expect(body.legs).toHaveLength(1);
    expect(body.legs[0]).toMatchObject({ origin: 'JFK', destination: 'LHR', date: tomorrow() });
    const al100 = body.legs[0]!.flights.find((f) => f.flight_number === 'AL100')!;
    expect(al100).toMatchObject({
      carrier: 'AL',
      origin: 'JFK',
      destination: 'LHR',
      aircraft: 'B789',
    });
    // Tomorrow's flight: its check-in (24 h before departure) may already be open, depending on the hour.
    const checkInOpen = Date.parse(al100.departure_at) - Date.now() <= 24 * 3_600_000;
    expect(al100.status).toBe(checkInOpen ? 'CHECK_IN_OPEN' : 'SCHEDULED');
    expect(al100.departure_at.slice(0, 10)).toBe(tomorrow());
    expect(Date.parse(al100.arrival_at) - Date.parse(al100.departure_at)).toBe(al100.duration_minutes * 60_000);
    expect(al100.cabins.map((c) => c.cabin)).toEqual(['ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS']);
    await expectPricedByPriceLeg(al100, new Date());
    // the config's rules show in the breakdown: the JFK-LHR promotion, the business cabin surcharge
    const business = al100.cabins.find((c) => c.cabin === 'BUSINESS')!;
    expect(business.breakdown.adjustments.map((a) => a.rule_id)).toEqual([
      'transatlantic-promo',
      'premium-cabin-surcharge',
    ]);
    expect(business.price_per_passenger.currency).toBe('USD');
    // JFK departs the US: the US Transportation Tax is levied (and not on the way back, see domain tests).
    expect(business.breakdown.taxes.map((t) => t.code)).toEqual(['US', 'YQ', 'XF']);
  });

  it('searches several legs at once, accepts lower-case codes, and prices with the live demand', async () => {
    const flightId = await newFlight();
    // Sold seats move demand; held ones count at pricing.held_seat_weight (0 by default: not at all).
    const sold = randomUUID();
    await inventory.hold(sold, [{ flightId, cabin: 'ECONOMY', quantity: 20 }]);
    await inventory.sell(sold);
    await inventory.hold(randomUUID(), [{ flightId, cabin: 'ECONOMY', quantity: 5 }]);
    const res = await search({
      legs: [leg('jfk', 'lhr'), leg('SIN', 'KUL'), leg(TEST_ORIGIN, TEST_DESTINATION)],
      passenger_count: 2,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SearchBody;
    expect(body.legs.map((l) => `${l.origin}-${l.destination}`)).toEqual([
      'JFK-LHR',
      'SIN-KUL',
      `${TEST_ORIGIN}-${TEST_DESTINATION}`,
    ]);
    expect(body.legs[1]!.flights.map((f) => f.flight_number)).toContain('AL310');
    const mine = body.legs[2]!.flights.find((f) => f.id === flightId)!;
    expect(mine.cabins).toHaveLength(1);
    expect(mine.cabins[0]).toMatchObject({ cabin: 'ECONOMY', available: 25, demand_available: 30 });
    expect(mine.cabins[0]!.breakdown.demand_multiplier).toBe(1.32); // 20 of 50 sold: 1 + 2·0.4²
    await expectPricedByPriceLeg(mine, new Date());
  });

  it('answers the same after the index keys are wiped: the search rebuilds them from Postgres', async () => {
    // Another day than the other searches: the app caches a leg's flight rows for 30 s.
    const date = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const flightId = await newFlight('T2C', date);
    await inventory.hold(randomUUID(), [
      { flightId, cabin: 'ECONOMY', quantity: 7 },
      { flightId, cabin: 'BUSINESS', quantity: 2 },
    ]);
    const sold = randomUUID();
    await inventory.hold(sold, [{ flightId, cabin: 'ECONOMY', quantity: 3 }]);
    await inventory.sell(sold);
    const find = async () => {
      const res = await search({ legs: [leg(TEST_ORIGIN, TEST_DESTINATION, date)], passenger_count: 1 });
      return ((await res.json()) as SearchBody).legs[0]!.flights.find((f) => f.id === flightId)!;
    };
    const before = await find();
    expect(before.cabins.map((c) => [c.cabin, c.available])).toEqual([
      ['ECONOMY', 49],
      ['BUSINESS', 6],
    ]);
    const availabilityBefore = await inventory.availability(flightId);

    await inventory.dropIndex([flightId]);
    const after = await find();
    expect(after.cabins).toEqual(before.cabins);
    expect(await inventory.availability(flightId)).toEqual(availabilityBefore);
  });

  it('returns no flights for a day without any, and nothing departed', async () => {
    const res = await search({ legs: [leg('JFK', 'SYD')], passenger_count: 1 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as SearchBody).legs[0]!.flights).toEqual([]);
  });

  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const bad: [string, unknown, string?][] = [
    ['an unknown airport', { legs: [leg('JFK', 'XQZ')], passenger_count: 1 }, 'legs.0.destination_airport_code'],
    ['a date in the past', { legs: [leg('JFK', 'LHR', yesterday)], passenger_count: 1 }, 'legs.0.date'],
    ['a date not written YYYY-MM-DD', { legs: [leg('JFK', 'LHR', '2030-6-1')], passenger_count: 1 }, 'legs.0.date'],
    ['a date that does not exist', { legs: [leg('JFK', 'LHR', '2030-02-30')], passenger_count: 1 }, 'legs.0.date'],
    [
      'a code that is not three letters',
      { legs: [leg('JF1', 'LHR')], passenger_count: 1 },
      'legs.0.origin_airport_code',
    ],
    ['the same origin and destination', { legs: [leg('JFK', 'JFK')], passenger_count: 1 }],
    ['a missing passenger_count', { legs: [leg('JFK', 'LHR')] }, 'passenger_count'],
    ['a missing date', { legs: [{ origin_airport_code: 'JFK', destination_airport_code: 'LHR' }], passenger_count: 1 }],
    ['passenger_count 0', { legs: [leg('JFK', 'LHR')], passenger_count: 0 }, 'passenger_count'],
    ['passenger_count 10', { legs: [leg('JFK', 'LHR')], passenger_count: 10 }, 'passenger_count'],
    ['no legs', { legs: [], passenger_count: 1 }, 'legs'],
    ['seven legs', { legs: Array.from({ length: 7 }, () => leg('JFK', 'LHR')), passenger_count: 1 }, 'legs'],
    ['an unknown airport in the second leg', { legs: [leg('JFK', 'LHR'), leg('QQQ', 'LHR')], passenger_count: 1 }],
  ];
  it.each(bad)('answers 400 VALIDATION_FAILED to %s', async (_, body, path) => {
    const res = await search(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as ErrorBody;
    expect(json.error.code).toBe('VALIDATION_FAILED');
    expect(typeof json.error.message).toBe('string');
    expect(json.error.details?.issues?.length).toBeGreaterThan(0);
    if (path) expect(json.error.details!.issues!.map((i) => i.path)).toContain(path);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await search('{"legs": [');
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe('VALIDATION_FAILED');
  });

  it('is in the OpenAPI document', () => {
    const doc = app.getOpenAPIDocument({ openapi: '3.0.0', info: { title: 'Altis', version: '1' } });
    expect(Object.keys(doc.paths ?? {})).toEqual(
      expect.arrayContaining(['/v1/flights/search', '/v1/flights/{id}', '/v1/flights/{id}/seats']),
    );
  });
});

describe('GET /v1/flights/:id and /seats', () => {
  it('returns one flight, 404 for an unknown one and 400 for a malformed id', async () => {
    const flightId = await newFlight();
    const ok = await app.request(`/v1/flights/${flightId}`);
    expect(ok.status).toBe(200);
    const flight = (await ok.json()) as FlightView;
    expect(flight).toMatchObject({ id: flightId, carrier: 'ZZ', origin: TEST_ORIGIN, aircraft: 'T50' });
    await expectPricedByPriceLeg(flight, new Date());

    const missing = await app.request(`/v1/flights/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.code).toBe('NOT_FOUND');
    const malformed = await app.request('/v1/flights/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as ErrorBody).error.code).toBe('VALIDATION_FAILED');
    expect((await app.request(`/v1/flights/${randomUUID()}/seats`)).status).toBe(404);
    expect((await app.request('/v1/flights/123/seats')).status).toBe(400);
  });

  it('shows seats AVAILABLE, HELD after a seat lock, OCCUPIED after the sale, and BLOCKED', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    const seats = async () => {
      const res = await app.request(`/v1/flights/${flightId}/seats`);
      expect(res.status).toBe(200);
      const map = (await res.json()) as SeatMap;
      return { map, status: (n: string) => map.seats.find((s) => s.seat_number === n)!.status };
    };

    const initial = await seats();
    expect(initial.map.seats).toHaveLength(54);
    expect(initial.map.seats.slice(0, 7).map((s) => s.seat_number)).toEqual(['1A', '1B', '1C', '1D', '1E', '1F', '2A']);
    expect(initial.map.seats.find((s) => s.seat_number === '2A')).toEqual({
      seat_number: '2A',
      cabin: 'ECONOMY',
      status: 'AVAILABLE',
      characteristics: ['WINDOW', 'EXIT_ROW', 'EXTRA_LEGROOM'],
      price: { amount: 4500, currency: 'USD' },
    });
    expect(initial.status('9C')).toBe('BLOCKED');
    expect(initial.map.seats.filter((s) => s.status === 'AVAILABLE')).toHaveLength(50);

    await inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 1 }]);
    expect(await inventory.lockSeat({ ownerId: owner, flightId, seatNumber: '1A', ttlMs: 60_000 })).toEqual({
      ok: true,
    });
    // a live Redis lock alone (before its seat assignment is written) also shows the seat as held
    await services.redis.set(seatLockKey(flightId, '1B'), randomUUID(), 'PX', 60_000);
    const held = await seats();
    expect(held.status('1A')).toBe('HELD');
    expect(held.status('1B')).toBe('HELD');
    expect(held.status('1C')).toBe('AVAILABLE');

    await inventory.sell(owner);
    const sold = await seats();
    expect(sold.status('1A')).toBe('OCCUPIED');
    expect(sold.status('9C')).toBe('BLOCKED');
    await services.redis.del(seatLockKey(flightId, '1B'));
    expect((await seats()).status('1B')).toBe('AVAILABLE');
  });
});
