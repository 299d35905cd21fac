import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config';
import { seedCommercialSettings } from '../../services/commercial-settings';
import { bundles, flights, pricingRules, products } from '../../db/schema';
import type { Services } from '../../lib/services';
import { ensureTestAircraft, ensureTestRoute, testRoute } from '../support/flights';
import { apiClient, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices, testConfig } from '../support/services';
import { tokenFor } from '../support/tokens';

let services: Services;
let stack: OrderStack;
let config: AppConfig;
let api: ReturnType<typeof apiClient>;
let admin: string;
let customer: string;
let agent: string;

// The file's own route, so that nothing of other files shows up (or is changed by this file's rules).
const route = testRoute('admin');
const { origin: ORIGIN, destination: DESTINATION } = route;
/** An economy-only aircraft of 120 seats (test/support/flights.ts). */
const AIRCRAFT = 'TC120';
const RUN = randomUUID().slice(0, 6).toUpperCase().replace(/-/g, '');
const createdFlights: string[] = [];

const contact = { email: 'jane@example.com' };
const adult = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01', gender: 'F' };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  config = stack.config;
  api = apiClient(stack.apiUrl);
  await ensureTestRoute(services, route);
  await ensureTestAircraft(services, 120);
  // The config's defaults in the tables (as the seed leaves them), so this file's writes never drop them.
  await seedCommercialSettings(services.db, config);
  admin = (await tokenFor(services, config, 'admin')).token;
  customer = (await tokenFor(services, config, 'customer')).token;
  agent = (await tokenFor(services, config, 'agent')).token;
});

afterAll(async () => {
  await services?.db.delete(pricingRules).where(eq(pricingRules.id, `admin-test-${RUN}`.toLowerCase()));
  await services?.db.delete(bundles).where(eq(bundles.code, `ADMIN_TEST_${RUN}`.replace(/[^A-Z_]/g, 'X')));
  await stack?.close();
  await services?.close();
});

let dayOffset = 20 + Math.floor(Math.random() * 100);
const freshDay = () => new Date(Date.now() + dayOffset++ * 86_400_000).toISOString().slice(0, 10);

const flightBody = (date: string, extra: Record<string, unknown> = {}) => ({
  carrier: 'ZA',
  flight_number: String(1000 + Math.floor(Math.random() * 9000)),
  origin: ORIGIN,
  destination: DESTINATION,
  departure_at: `${date}T10:00:00Z`,
  arrival_at: `${date}T12:30:00Z`,
  aircraft_type: AIRCRAFT,
  base_fares: { ECONOMY: 20_000 },
  ...extra,
});

async function createFlight(date = freshDay()) {
  const res = await api('POST', '/v1/admin/flights', { token: admin, body: flightBody(date) });
  expect(res.status).toBe(201);
  createdFlights.push(res.body.id as string);
  return { id: res.body.id as string, date, body: res.body };
}

const flightSearch = (date: string) =>
  api('POST', '/v1/flights/search', {
    body: { legs: [{ origin_airport_code: ORIGIN, destination_airport_code: DESTINATION, date }], passenger_count: 1 },
  });
const offerSearch = (date: string) =>
  api('POST', '/v1/offers/search', {
    body: { origin: ORIGIN, destination: DESTINATION, departure_date: date, passengers: 1 },
  });

function expectError(res: { status: number; body: Record<string, any> }, status: number, code?: string) {
  expect(res.status).toBe(status);
  expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  if (code) expect(res.body.error.code).toBe(code);
}

describe('admin auth', () => {
  const probes: [string, string, unknown?][] = [
    ['GET', '/v1/admin/flights'],
    ['POST', '/v1/admin/flights', {}],
    ['GET', '/v1/admin/products'],
    ['DELETE', '/v1/admin/products/BAG_23KG'],
    ['GET', '/v1/admin/bundles'],
    ['PATCH', '/v1/admin/bundles/COMFORT', { name: 'x' }],
    ['GET', '/v1/admin/pricing-rules'],
    ['POST', '/v1/admin/pricing-rules', {}],
  ];

  it('answers 401 without a token and 403 to customers and agents (who may only read the schedule), in the JSON error shape', async () => {
    for (const [method, path, body] of probes) {
      expectError(await api(method, path, { body }), 401, 'UNAUTHENTICATED');
      expectError(await api(method, path, { body, token: customer }), 403, 'FORBIDDEN');
      const asAgent = await api(method, path, { body, token: agent });
      // The agent portal finds flights for their manifests (test/integration/agent-orders.test.ts).
      if (method === 'GET' && path === '/v1/admin/flights') expect(asAgent.status).toBe(200);
      else expectError(asAgent, 403, 'FORBIDDEN');
    }
    // Nothing was deleted or changed by the refused calls.
    const [bag] = await services.db.select().from(products).where(eq(products.code, 'BAG_23KG'));
    expect(bag).toBeDefined();
  });
});

describe('/v1/admin/flights', () => {
  it('creates a flight with inventory and seats from the layout, lists, reads, patches and deletes it', async () => {
    const { id, date, body } = await createFlight();
    expect(body).toMatchObject({
      origin: ORIGIN,
      destination: DESTINATION,
      aircraft_type: AIRCRAFT,
      status: 'SCHEDULED',
      departure_at: `${date}T10:00:00.000Z`,
      arrival_at: `${date}T12:30:00.000Z`,
    });
    // Carrier and number, as everywhere (README "Vocabulary"); the schedule keeps the number alone.
    expect(body.flight_number).toMatch(/^ZA\d{4}$/);
    const [stored] = await services.db.select().from(flights).where(eq(flights.id, id));
    expect(`ZA${stored!.flightNumber}`).toBe(body.flight_number);
    expect(body.cabins).toEqual([
      { cabin: 'ECONOMY', capacity: 120, held: 0, sold: 0, available: 120, base_fare: 20_000, currency: 'USD' },
    ]);
    const [seatCount] = await services.sql<{ seats: number }[]>`
      SELECT count(*)::int AS seats FROM flight_seats WHERE flight_id = ${id}`;
    expect(seatCount?.seats).toBe(120);

    // The same flight named by its designator ("ZA1234", as the answer shows it) is the same flight.
    const dup = await api('POST', '/v1/admin/flights', {
      token: admin,
      body: flightBody(date, { flight_number: body.flight_number, carrier: body.carrier }),
    });
    expectError(dup, 409, 'CONFLICT');

    const list = await api('GET', `/v1/admin/flights?origin=${ORIGIN}&destination=${DESTINATION}&date=${date}`, {
      token: admin,
    });
    expect(list.status).toBe(200);
    expect(list.body.data.map((f: { id: string }) => f.id)).toEqual([id]);
    expect(list.body.next_cursor).toBeNull();
    const page = await api('GET', `/v1/admin/flights?limit=1`, { token: admin });
    expect(page.body.data).toHaveLength(1);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const next = await api('GET', `/v1/admin/flights?limit=1&cursor=${page.body.next_cursor}`, { token: admin });
    expect(next.body.data).toHaveLength(1);
    expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
    expectError(await api('GET', `/v1/admin/flights?cursor=not-a-cursor`, { token: admin }), 400, 'VALIDATION_FAILED');

    expect((await api('GET', `/v1/admin/flights/${id}`, { token: admin })).body.id).toBe(id);
    expectError(await api('GET', `/v1/admin/flights/${randomUUID()}`, { token: admin }), 404, 'NOT_FOUND');

    const patched = await api('PATCH', `/v1/admin/flights/${id}`, {
      token: admin,
      body: { status: 'CANCELLED', arrival_at: `${date}T13:00:00Z` },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: 'CANCELLED', arrival_at: `${date}T13:00:00.000Z` });
    expectError(
      await api('PATCH', `/v1/admin/flights/${id}`, { token: admin, body: { arrival_at: `${date}T09:00:00Z` } }),
      400,
    );
    expectError(await api('PATCH', `/v1/admin/flights/${id}`, { token: admin, body: { status: 'DEPARTED' } }), 400);

    expect((await api('DELETE', `/v1/admin/flights/${id}`, { token: admin })).status).toBe(204);
    expect(await services.db.select().from(flights).where(eq(flights.id, id))).toEqual([]);
    expectError(await api('DELETE', `/v1/admin/flights/${id}`, { token: admin }), 404);
  });

  it('answers 400 to bad bodies and creates nothing', async () => {
    const date = freshDay();
    const bad = [
      { ...flightBody(date), origin: 'ZZZ' }, // unknown airport
      { ...flightBody(date), arrival_at: `${date}T09:00:00Z` }, // lands before it leaves
      { ...flightBody(date), aircraft_type: 'NOPE' },
      { ...flightBody(date), base_fares: { BUSINESS: 1000 } }, // the test aircraft has no business cabin, no economy fare
      { ...flightBody(date), departure_at: 'tomorrow' },
      { ...flightBody(date), surprise: true },
      { ...flightBody('2020-01-01') }, // the past
    ];
    for (const body of bad) expectError(await api('POST', '/v1/admin/flights', { token: admin, body }), 400);
    const list = await api('GET', `/v1/admin/flights?origin=${ORIGIN}&date=${date}`, { token: admin });
    expect(list.body).toEqual({ data: [], next_cursor: null });
    // Days that match the pattern but are no calendar day were a 500 (found by Schemathesis).
    for (const day of ['0000-00-00', '2026-02-30', '2026-13-01']) {
      expectError(await api('GET', `/v1/admin/flights?origin=${ORIGIN}&date=${day}`, { token: admin }), 400);
    }
  });

  it('makes a flight that search finds and that can be booked; a flight with an order cannot be deleted', async () => {
    const { id, date } = await createFlight();
    const found = await flightSearch(date);
    expect(found.status).toBe(200);
    expect(found.body.legs[0].flights.map((f: { id: string }) => f.id)).toContain(id);

    const offers = await offerSearch(date);
    expect(offers.status).toBe(200);
    const offer = offers.body.offers[0];
    expect(offer).toBeDefined();
    const guest = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token: guest,
      body: { travelers: [adult], contact },
    });
    expect(accepted.status).toBe(201);

    const del = await api('DELETE', `/v1/admin/flights/${id}`, { token: admin });
    expectError(del, 409, 'CONFLICT');
    expect(await services.db.select().from(flights).where(eq(flights.id, id))).toHaveLength(1);
  });
});

describe('/v1/admin/products', () => {
  const code = `TEST_${RUN}`.replace(/[^A-Z0-9_]/g, 'X');

  it('creates, lists, reads, updates and deletes a product; 409 on a duplicate and on one a bundle names', async () => {
    const created = await api('POST', '/v1/admin/products', {
      token: admin,
      body: { code, type: 'Meal', name: 'Test snack', price: 900, per: 'SEGMENT' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code, type: 'Meal', price: 900, currency: 'USD', active: true });
    expectError(
      await api('POST', '/v1/admin/products', {
        token: admin,
        body: { code, type: 'Meal', name: 'again', price: 1 },
      }),
      409,
      'CONFLICT',
    );
    const list = await api('GET', '/v1/admin/products?type=Meal', { token: admin });
    expect(list.body.data.map((p: { code: string }) => p.code)).toContain(code);
    expect((await api('GET', `/v1/admin/products/${code}`, { token: admin })).body.name).toBe('Test snack');
    const patched = await api('PATCH', `/v1/admin/products/${code}`, {
      token: admin,
      body: { price: 1100, active: false },
    });
    expect(patched.body).toMatchObject({ price: 1100, active: false });

    expectError(await api('DELETE', '/v1/admin/products/BAG_23KG', { token: admin }), 409, 'CONFLICT');
    expect((await api('DELETE', `/v1/admin/products/${code}`, { token: admin })).status).toBe(204);
    expectError(await api('GET', `/v1/admin/products/${code}`, { token: admin }), 404, 'NOT_FOUND');
  });

  it('answers 400 to bad bodies and changes nothing', async () => {
    for (const body of [
      { code, type: 'Spaceship', name: 'x', price: 1 },
      { code, type: 'Meal', name: 'x', price: -1 },
      { code: 'lower', type: 'Meal', name: 'x', price: 1 },
      { code, type: 'Meal', name: 'x', price: 1, currency: 'usd' },
      { code, type: 'Meal', name: 'x', price: 105112887371 }, // beyond the integer column: was a 500
    ]) {
      expectError(await api('POST', '/v1/admin/products', { token: admin, body }), 400, 'VALIDATION_FAILED');
    }
    expectError(await api('PATCH', '/v1/admin/products/BAG_23KG', { token: admin, body: { price: 'free' } }), 400);
    expectError(await api('PATCH', '/v1/admin/products/BAG_23KG', { token: admin, body: {} }), 400);
    expectError(await api('PATCH', '/v1/admin/products/BAG_23KG', { token: admin, body: { price: 2 ** 31 } }), 400);
    expect(await services.db.select().from(products).where(eq(products.code, code))).toEqual([]);
    const [bag] = await services.db.select().from(products).where(eq(products.code, 'BAG_23KG'));
    expect(bag!.price).toBe(3500);
  });
});

describe('/v1/admin/pricing-rules', () => {
  const id = `admin-test-${RUN}`.toLowerCase();

  it('a new rule changes the next search and offer on its route; deleting it restores the prices', async () => {
    const { id: flightId, date } = await createFlight();
    const price = async () => {
      const found = await flightSearch(date);
      const f = found.body.legs[0].flights.find((x: { id: string }) => x.id === flightId);
      return f.cabins[0].price_per_passenger.amount as number;
    };
    const offerFare = async () => {
      const res = await offerSearch(date);
      expect(res.status).toBe(200);
      // The same bundle each time: the ranker's order varies from search to search.
      const flightOnly = res.body.offers.find((o: { bundle: { code: string } }) => o.bundle.code === 'FLIGHT_ONLY');
      return flightOnly.price.total.amount as number;
    };
    const [before, offerBefore] = [await price(), await offerFare()];

    const created = await api('POST', '/v1/admin/pricing-rules', {
      token: admin,
      body: { id, kind: 'discount', name: 'Admin test half price', percent: 50, routes: [`${ORIGIN}-${DESTINATION}`] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, kind: 'discount', percent: 50, active: true });
    expectError(
      await api('POST', '/v1/admin/pricing-rules', {
        token: admin,
        body: { id, kind: 'discount', name: 'again', percent: 5 },
      }),
      409,
      'CONFLICT',
    );
    expect((await api('GET', `/v1/admin/pricing-rules/${id}`, { token: admin })).body.name).toBe(
      'Admin test half price',
    );
    const list = await api('GET', '/v1/admin/pricing-rules', { token: admin });
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([id, 'winter-sale']));

    const during = await price();
    expect(during).toBeLessThan(before);
    // Half the fare off: the total (fare plus taxes on it, plus fixed fees) drops by well over a third.
    expect(during).toBeLessThan(before * 0.66);
    expect(await offerFare()).toBeLessThan(offerBefore);

    const patched = await api('PATCH', `/v1/admin/pricing-rules/${id}`, { token: admin, body: { percent: 25 } });
    expect(patched.body.percent).toBe(25);
    expect(await price()).toBeGreaterThan(during);

    expect((await api('DELETE', `/v1/admin/pricing-rules/${id}`, { token: admin })).status).toBe(204);
    expect(await price()).toBe(before);
    expect(await offerFare()).toBe(offerBefore);
    expectError(await api('DELETE', `/v1/admin/pricing-rules/${id}`, { token: admin }), 404, 'NOT_FOUND');
  });

  it('answers 400 to rules the config schema rejects and stores nothing', async () => {
    for (const body of [
      { id, kind: 'discount', name: 'x', percent: 150 },
      { id, kind: 'bogus', name: 'x', percent: 5 },
      { id, kind: 'surcharge', name: 'x', amount: 1.5 },
      { id, kind: 'surcharge', name: 'x', amount: 23187607924455 }, // beyond the integer column: was a 500
      { id, kind: 'discount', name: 'x', percent: 5, routes: ['nope'] },
      { id, kind: 'sale', name: 'x', percent: 5, starts_at: '2026-02-01T00:00:00Z', ends_at: '2026-01-01T00:00:00Z' },
    ]) {
      expectError(await api('POST', '/v1/admin/pricing-rules', { token: admin, body }), 400, 'VALIDATION_FAILED');
    }
    expect(await services.db.select().from(pricingRules).where(eq(pricingRules.id, id))).toEqual([]);
    const bad = await api('PATCH', '/v1/admin/pricing-rules/transatlantic-promo', {
      token: admin,
      body: { percent: 500 },
    });
    expectError(bad, 400);
    const [promo] = await services.db.select().from(pricingRules).where(eq(pricingRules.id, 'transatlantic-promo'));
    expect(promo!.percent).toBe(5);
  });
});

describe('/v1/admin/bundles', () => {
  const code = `ADMIN_TEST_${RUN}`.replace(/[^A-Z_]/g, 'X');

  it('a new bundle appears in the next offer search; CRUD, 409 on a duplicate, 400 on bad bodies', async () => {
    const { date } = await createFlight();
    for (const body of [
      { code: 'lower', name: 'x', products: [], discount_percent: 0 },
      { code, name: 'x', products: ['NO_SUCH_PRODUCT'], discount_percent: 0 },
      { code, name: 'x', products: ['LOUNGE'], discount_percent: 101 },
    ]) {
      expectError(await api('POST', '/v1/admin/bundles', { token: admin, body }), 400, 'VALIDATION_FAILED');
    }
    expect(await services.db.select().from(bundles).where(eq(bundles.code, code))).toEqual([]);

    const created = await api('POST', '/v1/admin/bundles', {
      token: admin,
      body: { code, name: 'Lounge lover', products: ['LOUNGE', 'FAST_TRACK'], discount_percent: 20, position: 0 },
    });
    expect(created.status).toBe(201);
    try {
      expectError(
        await api('POST', '/v1/admin/bundles', {
          token: admin,
          body: { code, name: 'again', products: [], discount_percent: 0 },
        }),
        409,
        'CONFLICT',
      );
      const offers = await offerSearch(date);
      expect(offers.body.offers.map((o: { bundle: { code: string } }) => o.bundle.code)).toContain(code);

      expectError(await api('DELETE', '/v1/admin/products/FAST_TRACK', { token: admin }), 409, 'CONFLICT');
      // Fare conditions through the admin API: shown on the next offers of the bundle; a bad one changes nothing.
      const conditions = {
        refund_before_departure: { allowed: true, amount: 2_000 },
        change_before_departure: { allowed: false },
        no_show: { allowed: false },
      };
      expectError(
        await api('PATCH', `/v1/admin/bundles/${code}`, {
          token: admin,
          body: { conditions: { refund_before_departure: { allowed: 'yes' } } },
        }),
        400,
        'VALIDATION_FAILED',
      );
      const withConditions = await api('PATCH', `/v1/admin/bundles/${code}`, { token: admin, body: { conditions } });
      expect(withConditions.status).toBe(200);
      expect(withConditions.body.conditions).toEqual(conditions);
      const shown = (await offerSearch(date)).body.offers.find(
        (o: { bundle: { code: string } }) => o.bundle.code === code,
      );
      expect(shown.conditions.refund_before_departure).toEqual({
        allowed: true,
        penalty_amount: 2_000,
        penalty_currency: 'USD',
      });
      const patched = await api('PATCH', `/v1/admin/bundles/${code}`, { token: admin, body: { active: false } });
      expect(patched.body).toMatchObject({ code, active: false });
      const after = await offerSearch(date);
      expect(after.body.offers.map((o: { bundle: { code: string } }) => o.bundle.code)).not.toContain(code);
      expect((await api('GET', `/v1/admin/bundles/${code}`, { token: admin })).body.name).toBe('Lounge lover');
      const list = await api('GET', '/v1/admin/bundles', { token: admin });
      expect(list.body.data.map((b: { code: string }) => b.code)).toEqual(expect.arrayContaining([code, 'COMFORT']));
    } finally {
      expect((await api('DELETE', `/v1/admin/bundles/${code}`, { token: admin })).status).toBe(204);
    }
    expectError(await api('GET', `/v1/admin/bundles/${code}`, { token: admin }), 404, 'NOT_FOUND');
  });
});

describe('config and database: which source wins (README "Commercial settings")', () => {
  const ruleId = `env-half-price-${RUN}`.toLowerCase();
  const adminRuleId = `admin-owned-${RUN}`.toLowerCase();
  afterAll(async () => {
    // Leave the tables as the default configuration says.
    await services?.db.delete(pricingRules).where(eq(pricingRules.id, adminRuleId));
    if (config) await seedCommercialSettings(services.db, config);
  });

  it('a rule set by env var reaches a seeded database on re-seed; an admin’s row is left alone', async () => {
    const { id: flightId, date } = await createFlight();
    const price = async () => {
      const found = await flightSearch(date);
      const f = found.body.legs[0].flights.find((x: { id: string }) => x.id === flightId);
      return f.cabins[0].price_per_passenger.amount as number;
    };
    const before = await price();

    // An admin's rule whose id the configuration will also define: the admin's row wins.
    const mine = await api('POST', '/v1/admin/pricing-rules', {
      token: admin,
      body: { id: adminRuleId, kind: 'surcharge', name: 'Admin fee', amount: 0, routes: [`${ORIGIN}-${DESTINATION}`] },
    });
    expect(mine.status).toBe(201);

    const envRules = [
      ...config.pricing.rules,
      { id: ruleId, kind: 'discount', name: 'Env half price', percent: 50, routes: [`${ORIGIN}-${DESTINATION}`] },
      { id: adminRuleId, kind: 'surcharge', name: 'Config fee', amount: 99_999 },
    ];
    const fromEnv = testConfig({ APP_PRICING__RULES: JSON.stringify(envRules) });
    expect(fromEnv.pricing.rules.map((r) => r.id)).toContain(ruleId);
    await seedCommercialSettings(services.db, fromEnv);

    const during = await price();
    // Half the fare off: the total drops by well over a third.
    expect(during).toBeLessThan(before * 0.66);
    const [adminRow] = await services.db.select().from(pricingRules).where(eq(pricingRules.id, adminRuleId));
    expect(adminRow).toMatchObject({ name: 'Admin fee', amount: 0, source: 'admin' });
    const [envRow] = await services.db.select().from(pricingRules).where(eq(pricingRules.id, ruleId));
    expect(envRow).toMatchObject({ percent: 50, source: 'config' });

    // The env var gone, a re-seed removes the config's rule it defined; the admin's stays.
    await seedCommercialSettings(services.db, config);
    expect(await price()).toBe(before);
    expect(await services.db.select().from(pricingRules).where(eq(pricingRules.id, ruleId))).toEqual([]);
    expect(await services.db.select().from(pricingRules).where(eq(pricingRules.id, adminRuleId))).toHaveLength(1);
  });

  it('fare conditions changed in config reach new offers, never an order sold before', async () => {
    const { date } = await createFlight();
    const comfortOf = async () => {
      const res = await offerSearch(date);
      expect(res.status).toBe(200);
      return res.body.offers.find((o: { bundle: { code: string } }) => o.bundle.code === 'COMFORT');
    };
    const offer = await comfortOf();
    expect(offer.conditions.refund_before_departure).toEqual({
      allowed: true,
      penalty_amount: 10_000,
      penalty_currency: 'USD',
    });
    const guest = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token: guest,
      body: { travelers: [adult], contact },
    });
    expect(accepted.status).toBe(201);
    const orderId = accepted.body.id as string;

    const stricter = config.bundles.map((b) =>
      b.code === 'COMFORT'
        ? { ...b, conditions: { ...b.conditions!, refund_before_departure: { allowed: false } } }
        : b,
    );
    await seedCommercialSettings(services.db, testConfig({ APP_BUNDLES: JSON.stringify(stricter) }));
    const after = await comfortOf();
    expect(after.conditions.refund_before_departure).toEqual({
      allowed: false,
      penalty_amount: null,
      penalty_currency: null,
    });
    const [row] = await services.db.select().from(bundles).where(eq(bundles.code, 'COMFORT'));
    expect(row?.conditions?.refund_before_departure).toEqual({ allowed: false });

    // The order keeps what it was sold under.
    const order = await services.sql<{ conditions: unknown }[]>`
      SELECT offer -> 'conditions' AS conditions FROM orders WHERE id = ${orderId}`;
    expect(order[0]!.conditions).toEqual(offer.conditions);
    const read = await api('GET', `/v1/orders/${orderId}`, { token: guest });
    expect(read.body.conditions).toEqual(offer.conditions);
    expect((await api('POST', `/v1/orders/${orderId}/cancel`, { token: guest })).status).toBe(200);
  });
});
