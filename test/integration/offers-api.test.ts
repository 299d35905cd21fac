import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory, type Inventory } from '../../services/inventory';
import { DUE_SEARCHES_KEY } from '../../services/ranker-store';
import { createApp, type App } from '../../api/app';
import type { AppConfig } from '../../config';
import { createRedis } from '../../lib/redis';
import { orderItems, rankerArms } from '../../db/schema';
import { PRODUCTS } from '../../db/seed/data';
import { money } from '../../domain/money';
import type { Offer } from '../../domain/offer';
import type { OfferPriceBreakdown } from '../../domain/offer-builder';
import { priceLeg, type PassengerType } from '../../domain/pricing';
import type { Services } from '../../lib/services';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { createTestFlight, ensureTestRoute, pgInventory, testRoute } from '../support/flights';
import { createServices } from '../../services';
import { openTestServices, silentLogger } from '../support/services';

type ApiOffer = Offer & { price: { breakdown: OfferPriceBreakdown } };
interface SearchResult {
  search_id: string;
  expires_at: string;
  offers: ApiOffer[];
}

let services: Services;
let stack: OrderStack;
let config: AppConfig;
let inventory: Inventory;
let api: ReturnType<typeof apiClient>;
let token: string;

// The file's own route, so that nothing of other files shows up (or is changed by this file's rules).
const route = testRoute('offers-api');
const { origin: ORIGIN, destination: DESTINATION } = route;

const contact = { email: 'jane@example.com' };
const adult = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01', gender: 'F' };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  config = stack.config;
  api = apiClient(stack.apiUrl);
  inventory = createInventory(services);
  await ensureTestRoute(services, route);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

// Each test flies on a day of its own, 40–300 days ahead (a child or infant's age is checked at departure).
const usedDays = new Set<number>();
function freshDay(): string {
  let n = 0;
  do n = 40 + Math.floor(Math.random() * 260);
  while (usedDays.has(n));
  usedDays.add(n);
  return new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
}

/** A flight on the file's route at an exact time, with `capacity` economy seats, indexed in Redis. */
async function flight(
  date: string,
  hhmm: string,
  opts: { capacity?: number; baseFare?: number; reverse?: boolean } = {},
): Promise<{ id: string; departureAt: Date; arrivalAt: Date }> {
  return createTestFlight(services, {
    route,
    reverse: opts.reverse,
    capacity: opts.capacity ?? 10,
    baseFare: opts.baseFare,
    departureAt: new Date(`${date}T${hhmm}:00Z`),
  });
}

const searchBody = (date: string, extra: Record<string, unknown> = {}) => ({
  origin: ORIGIN,
  destination: DESTINATION,
  departure_date: date,
  passengers: 1,
  ...extra,
});

async function search(body: unknown, opts: { token?: string } = {}) {
  return api<SearchResult>('POST', '/v1/offers/search', { body, ...opts });
}

const accept = (offerId: string, travelers: unknown[] = [adult]) =>
  api('POST', `/v1/offers/${offerId}/accept`, { token, body: { travelers, contact } });

const itemSum = (o: ApiOffer) => o.items.reduce((s, i) => s + i.price.amount, 0);

/** Every identity of the breakdown, and the total against the items. */
function expectConsistent(o: ApiOffer) {
  const b = o.price.breakdown;
  const t = b.totals;
  expect(o.price.total.amount).toBe(itemSum(o));
  expect(t.total).toEqual(o.price.total);
  expect(t.base_fare.amount + t.demand_adjustment.amount + t.rule_adjustments.amount + t.taxes.amount).toBe(
    t.fares.amount,
  );
  expect(t.fares.amount + t.ancillaries.amount).toBe(t.total.amount);
  expect(t.ancillaries_list.amount + t.bundle_discount.amount).toBe(t.ancillaries.amount);
  const orderLevel = b.ancillaries.filter((a) => a.per === 'ORDER').reduce((s, a) => s + a.amount.amount, 0);
  expect(b.passenger_types.reduce((s, p) => s + p.total.amount, 0) + orderLevel).toBe(t.total.amount);
  for (const p of b.passenger_types) {
    expect(p.per_passenger_total.amount * p.count).toBe(p.total.amount);
    const flightItems = o.items.filter((i) => i.ptc === p.ptc && i.product_type === 'Flight');
    expect(flightItems.reduce((s, i) => s + i.price.amount, 0)).toBe(p.fare.total.amount);
  }
  expect(b.ancillaries.reduce((s, a) => s + a.amount.amount, 0)).toBe(
    o.items.filter((i) => i.product_type !== 'Flight').reduce((s, i) => s + i.price.amount, 0),
  );
}

describe('POST /v1/offers/search', () => {
  it('builds one offer per configured bundle with exactly its products, totals that add up, stored for 15 min', async () => {
    const date = freshDay();
    const f = await flight(date, '09:00');
    const before = Date.now();
    const res = await search(searchBody(date));
    expect(res.status).toBe(200);
    const { offers, search_id, expires_at } = res.body;
    expect(search_id).toMatch(/^srch_/);
    expect(Date.parse(expires_at) - before).toBeGreaterThan(config.offers.ttl_seconds * 1000 - 5_000);
    expect(Date.parse(expires_at) - before).toBeLessThanOrEqual(config.offers.ttl_seconds * 1000 + 1_000);

    const expectedCount = Math.min(config.bundles.length, config.offers.max_offers);
    expect(offers).toHaveLength(expectedCount);
    expect(offers.length).toBeGreaterThanOrEqual(config.offers.min_offers);
    expect(new Set(offers.map((o) => o.bundle.code)).size).toBe(expectedCount);
    expect(offers.map((o) => o.rank)).toEqual(offers.map((_, i) => i + 1));
    // The ranker's order: its scores descend.
    const scores = offers.map((o) => o.ranking!.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    for (const o of offers) {
      expect(o.id).toMatch(/^off_[0-9a-f]{60}$/); // signed: domain/offer-id.ts
      expect(o.status).toBe('ACTIVE');
      expect(o.expires_at).toBe(expires_at);
      expect(o.search_id).toBe(search_id);
      expect(o.customer_id).toBeNull();
      expect(o.segments).toEqual([
        expect.objectContaining({ flight_id: f.id, cabin: 'ECONOMY', direction: 'OUTBOUND' }),
      ]);
      const bundle = config.bundles.find((b) => b.code === o.bundle.code)!;
      expect(o.bundle.name).toBe(bundle.name);
      // Exactly the bundle's products, one each for the one passenger on the one segment, at its discount.
      const ancillaries = o.items.filter((i) => i.product_type !== 'Flight');
      expect(ancillaries.map((i) => i.product_code).sort()).toEqual([...bundle.products].sort());
      for (const item of ancillaries) {
        const product = PRODUCTS.find((p) => p.code === item.product_code)!;
        const discount = Math.round((product.price * bundle.discount_percent) / 100);
        expect(item).toMatchObject({ product_type: product.type, flight_id: f.id, passenger_ref: 'ADT1', ptc: 'ADT' });
        expect(item.price).toEqual(money(product.price - discount, 'USD'));
      }
      expect(o.items.filter((i) => i.product_type === 'Flight')).toEqual([
        expect.objectContaining({ product_code: 'FLIGHT', flight_id: f.id, passenger_ref: 'ADT1', ptc: 'ADT' }),
      ]);
      expectConsistent(o);

      const stored = await api<ApiOffer>('GET', `/v1/offers/${o.id}`);
      expect(stored.status).toBe(200);
      expect(stored.body).toEqual(o);
      const ttl = await services.redis.ttl(`offer:{${o.id}}`);
      expect(ttl).toBeGreaterThan(config.offers.ttl_seconds - 10);
      expect(ttl).toBeLessThanOrEqual(config.offers.ttl_seconds);
    }
    // The flight is priced by priceLeg at the live availability: 10/10 seats, multiplier 1.
    const flightOnly = offers.find((o) => o.bundle.code === 'FLIGHT_ONLY')!;
    const leg = priceLeg({
      baseFare: money(20000, 'USD'),
      available: 10,
      capacity: 10,
      passengerType: 'ADT',
      route: `${ORIGIN}-${DESTINATION}`,
      cabin: 'ECONOMY',
      now: new Date(),
      rules: config.pricing.rules,
      taxes: config.pricing.taxes,
      childFarePercent: config.pricing.child_fare_percent,
      infantFarePercent: config.pricing.infant_fare_percent,
    });
    expect(flightOnly.price.total).toEqual(leg.total);
    expect(flightOnly.price.breakdown.demand).toEqual([
      { flight_id: f.id, cabin: 'ECONOMY', available: 10, capacity: 10, multiplier: 1 },
    ]);
  });

  it('answers with the bytes it stored: each offer in the JSON answer is its Redis value, serialised once', async () => {
    const date = freshDay();
    await flight(date, '10:00');
    const res = await fetch(`${stack.apiUrl}/v1/offers/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(searchBody(date)),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    const body = JSON.parse(text) as SearchResult;
    expect(Object.keys(body)).toEqual(['search_id', 'expires_at', 'offers']);
    expect(body.offers.length).toBeGreaterThan(0);
    const stored = await Promise.all(body.offers.map((o) => services.redis.get(`offer:{${o.id}}`)));
    expect(text).toBe(
      `{"search_id":"${body.search_id}","expires_at":"${body.expires_at}","offers":[${stored.join(',')}]}`,
    );
  });

  it('round trip: outbound × inbound of the 3 earliest flights with seats, a Flight item per passenger per segment', async () => {
    const out = freshDay();
    const back = freshDay();
    const [first, date] = out < back ? [out, back] : [back, out];
    const o1 = await flight(first, '06:00');
    const o2 = await flight(first, '08:00');
    const o3 = await flight(first, '10:00');
    await flight(first, '12:00'); // the fourth of the day: beyond the cap
    const full = await flight(first, '05:00', { capacity: 1 }); // too small for two
    const i1 = await flight(date, '07:00', { reverse: true });
    const i2 = await flight(date, '15:00', { reverse: true });

    const res = await search(searchBody(first, { return_date: date, passengers: { adults: 2 } }));
    expect(res.status).toBe(200);
    const { offers } = res.body;
    const perItinerary = Math.min(config.bundles.length, config.offers.max_offers);
    expect(offers).toHaveLength(3 * 2 * perItinerary);
    const itineraries = new Set(offers.map((o) => o.segments.map((s) => s.flight_id).join('+')));
    expect([...itineraries].sort()).toEqual([o1, o2, o3].flatMap((o) => [i1, i2].map((i) => `${o.id}+${i.id}`)).sort());
    expect(offers.some((o) => o.segments.some((s) => s.flight_id === full.id))).toBe(false);
    for (const o of offers) {
      expect(o.segments.map((s) => s.direction)).toEqual(['OUTBOUND', 'INBOUND']);
      expect(o.search.return_date).toBe(date);
      const flightItems = o.items.filter((i) => i.product_type === 'Flight');
      expect(flightItems.map((i) => `${i.flight_id}:${i.passenger_ref}`).sort()).toEqual(
        o.segments.flatMap((s) => ['ADT1', 'ADT2'].map((r) => `${s.flight_id}:${r}`)).sort(),
      );
      const bundle = config.bundles.find((b) => b.code === o.bundle.code)!;
      expect(o.items.length).toBe(2 * 2 * (1 + bundle.products.length));
      expectConsistent(o);
    }
    // One search is one unit of evidence per bundle, split across its itineraries.
    expect(offers[0]!.ranking!.weight).toBeCloseTo(1 / 6);
  });

  it('prices a child and an infant (no seat, no ancillaries); accepting holds seats only for the seated', async () => {
    const date = freshDay();
    const f = await flight(date, '11:00', { capacity: 10 });
    const passengers = { adults: 1, children: 1, infants: 1 };
    const res = await search(searchBody(date, { passengers }));
    expect(res.status).toBe(200);
    const comfort = res.body.offers.find((o) => o.bundle.code === 'COMFORT')!;
    expectConsistent(comfort);

    const legFor = (ptc: PassengerType) =>
      priceLeg({
        baseFare: money(20000, 'USD'),
        available: 10,
        capacity: 10,
        passengerType: ptc,
        route: `${ORIGIN}-${DESTINATION}`,
        cabin: 'ECONOMY',
        now: new Date(),
        rules: config.pricing.rules,
        taxes: config.pricing.taxes,
        childFarePercent: config.pricing.child_fare_percent,
        infantFarePercent: config.pricing.infant_fare_percent,
      });
    const flightItem = (ref: string) =>
      comfort.items.find((i) => i.product_type === 'Flight' && i.passenger_ref === ref)!;
    expect(flightItem('ADT1').price).toEqual(legFor('ADT').total);
    expect(flightItem('CHD1')).toMatchObject({ ptc: 'CHD', price: legFor('CHD').total });
    expect(flightItem('INF1')).toMatchObject({ ptc: 'INF', price: legFor('INF').total });
    // The fare percents as configured: 75 % and 10 % of the adult base fare.
    const types = comfort.price.breakdown.passenger_types;
    expect(types.find((t) => t.ptc === 'CHD')!.fare.base_fare.amount).toBe(
      (20000 * config.pricing.child_fare_percent) / 100,
    );
    expect(types.find((t) => t.ptc === 'INF')!.fare.base_fare.amount).toBe(
      (20000 * config.pricing.infant_fare_percent) / 100,
    );
    expect(types.map((t) => [t.ptc, t.count])).toEqual([
      ['ADT', 1],
      ['CHD', 1],
      ['INF', 1],
    ]);
    const bundle = config.bundles.find((b) => b.code === 'COMFORT')!;
    expect(comfort.items.filter((i) => i.passenger_ref === 'INF1').map((i) => i.product_type)).toEqual(['Flight']);
    for (const ref of ['ADT1', 'CHD1']) {
      expect(
        comfort.items
          .filter((i) => i.passenger_ref === ref && i.product_type !== 'Flight')
          .map((i) => i.product_code)
          .sort(),
      ).toEqual([...bundle.products].sort());
    }

    const year = Number(date.slice(0, 4));
    const infantBorn = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const accepted = await accept(comfort.id, [
      adult,
      { ptc: 'CHD', first_name: 'Tom', last_name: 'Doe', date_of_birth: `${year - 6}-03-01` },
      { ptc: 'INF', first_name: 'Mia', last_name: 'Doe', date_of_birth: infantBorn },
    ]);
    expect(accepted.status).toBe(201);
    expect(accepted.body.total).toEqual(comfort.price.total);
    // Two seats: the adult and the child; the infant sits on a lap.
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ capacity: 10, held: 2, sold: 0 });
    const rows = await services.db.select().from(orderItems).where(eq(orderItems.orderId, accepted.body.id));
    expect(rows).toHaveLength(comfort.items.length);
    expect(rows.reduce((s, r) => s + r.amount, 0)).toBe(comfort.price.total.amount);
    expect((await api<ApiOffer>('GET', `/v1/offers/${comfort.id}`)).body.status).toBe('ACCEPTED');
  });

  it('honours the offered price at acceptance after demand moved', async () => {
    const date = freshDay();
    const f = await flight(date, '13:00', { capacity: 10 });
    const first = (await search(searchBody(date))).body.offers.find((o) => o.bundle.code === 'FLIGHT_ONLY')!;

    const other = randomUUID();
    await inventory.hold(other, [{ flightId: f.id, cabin: 'ECONOMY', quantity: 5 }]);
    await inventory.sell(other); // sold seats move demand (held ones do not: pricing.held_seat_weight = 0)
    const later = (await search(searchBody(date))).body.offers.find((o) => o.bundle.code === 'FLIGHT_ONLY')!;
    expect(later.price.breakdown.demand[0]!.multiplier).toBe(1.5);
    expect(later.price.total.amount).toBeGreaterThan(first.price.total.amount);

    const accepted = await accept(first.id);
    expect(accepted.status).toBe(201);
    expect(accepted.body.total).toEqual(first.price.total);
    const rows = await services.db.select().from(orderItems).where(eq(orderItems.orderId, accepted.body.id));
    expect(rows.reduce((s, r) => s + r.amount, 0)).toBe(first.price.total.amount);
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ capacity: 10, held: 1, sold: 5 });
  });

  it('offers nothing from a flight whose cabin lacks seats for the party', async () => {
    const date = freshDay();
    const small = await flight(date, '07:00', { capacity: 2 });
    const big = await flight(date, '09:00', { capacity: 10 });
    const res = await search(searchBody(date, { passengers: { adults: 2, children: 1, infants: 2 } }));
    expect(res.status).toBe(200);
    expect(res.body.offers.length).toBeGreaterThan(0);
    expect(new Set(res.body.offers.flatMap((o) => o.segments.map((s) => s.flight_id)))).toEqual(new Set([big.id]));

    const holder = randomUUID();
    await inventory.hold(holder, [{ flightId: big.id, cabin: 'ECONOMY', quantity: 8 }]);
    const none = await search(searchBody(date, { passengers: 3 }));
    expect(none.status).toBe(200);
    expect(none.body.offers).toEqual([]);
    await inventory.release(holder);
    expect(small.id).not.toBe(big.id);
    // A business cabin that this aircraft does not have: nothing either.
    const business = await search(searchBody(date, { cabin: 'BUSINESS' }));
    expect(business.body.offers).toEqual([]);
  });

  it('remembers the customer of a guest token; an invalid token is 401', async () => {
    const date = freshDay();
    await flight(date, '10:00');
    const res = await search(searchBody(date), { token });
    expect(res.status).toBe(200);
    const id = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;
    expect(res.body.offers.every((o) => o.customer_id === id)).toBe(true);
    const bad = await search(searchBody(date), { token: 'not.a.token' });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });

    // Someone else cannot see it or reject it (404, as if it did not exist); its customer can.
    const otherToken = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
    const offer = res.body.offers[0]!;
    expect((await api('GET', `/v1/offers/${offer.id}`, { token: otherToken })).status).toBe(404);
    const anonymous = await api('GET', `/v1/offers/${offer.id}`);
    expect(anonymous.status).toBe(404);
    expect(JSON.stringify(anonymous.body)).not.toContain(id);
    expect((await api<ApiOffer>('GET', `/v1/offers/${offer.id}`, { token })).body.id).toBe(offer.id);
    expect((await api('DELETE', `/v1/offers/${offer.id}`, { token: otherToken })).status).toBe(404);
    expect((await api('DELETE', `/v1/offers/${offer.id}`)).status).toBe(404);
    expect((await api('DELETE', `/v1/offers/${offer.id}`, { token })).status).toBe(204);
  });
});

describe('bad search bodies', () => {
  const date = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const cases: [string, unknown, string][] = [
    ['unknown airport', { ...searchBody(date), destination: 'QQQ' }, 'destination'],
    ['malformed airport', { ...searchBody(date), origin: 'JF' }, 'origin'],
    ['same airports', { ...searchBody(date), destination: ORIGIN }, 'destination'],
    ['past date', searchBody(yesterday), 'departure_date'],
    ['not a date', searchBody('2026-02-30'), 'departure_date'],
    ['return before departure', searchBody(date, { return_date: yesterday }), 'return_date'],
    ['no passengers', searchBody(date, { passengers: 0 }), 'passengers.adults'],
    ['ten passengers', searchBody(date, { passengers: 10 }), 'passengers'],
    ['ten seated', searchBody(date, { passengers: { adults: 5, children: 5 } }), 'passengers'],
    ['no adult', searchBody(date, { passengers: { adults: 0, children: 2 } }), 'passengers.adults'],
    ['infants > adults', searchBody(date, { passengers: { adults: 1, infants: 2 } }), 'passengers.infants'],
    ['fractional', searchBody(date, { passengers: 1.5 }), 'passengers'],
    ['unknown cabin', searchBody(date, { cabin: 'COACH' }), 'cabin'],
    ['unknown field', searchBody(date, { retrun_date: date }), ''],
    ['missing origin', { destination: DESTINATION, departure_date: date, passengers: 1 }, 'origin'],
    ['not JSON', '{"origin": ', ''],
    ['an array', '[]', ''],
  ];

  it.each(cases)('%s → 400 with the JSON error shape, nothing stored', async (_name, body, path) => {
    // An app on a Redis database of its own: after a bad request it must hold no key at all.
    const redis = createRedis(config.redis.url.replace(/\/\d+$/, '/9'), { name: 'offers-bad-bodies' });
    try {
      const app: App = createApp({ ...services, redis, config, logger: silentLogger() });
      const before = await redis.dbsize();
      const res = await app.request('/v1/offers/search', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as {
        error: { code: string; message: string; details?: { issues: { path: string }[] } };
      };
      expect(json.error.code).toBe('VALIDATION_FAILED');
      expect(typeof json.error.message).toBe('string');
      if (path) expect(json.error.details!.issues.map((i) => i.path)).toContain(path);
      expect(await redis.dbsize()).toBe(before);
    } finally {
      redis.disconnect();
    }
  });
});

describe('offer life', () => {
  it('an expired offer answers 410 to GET, DELETE and accept', async () => {
    const date = freshDay();
    await flight(date, '16:00');
    const shortLived: AppConfig = { ...config, offers: { ...config.offers, ttl_seconds: 1 } };
    const app = createApp({ ...services, config: shortLived, logger: silentLogger() });
    const res = await app.request('/v1/offers/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(searchBody(date)),
    });
    const { offers, expires_at } = (await res.json()) as SearchResult;
    const offer = offers[0]!;
    expect(Date.parse(expires_at) - Date.parse(offer.created_at)).toBe(1000);
    expect((await app.request(`/v1/offers/${offer.id}`)).status).toBe(200);

    await new Promise((r) => setTimeout(r, 1_300));
    const gone = await app.request(`/v1/offers/${offer.id}`);
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ error: { code: 'OFFER_EXPIRED' } });
    expect((await app.request(`/v1/offers/${offer.id}`, { method: 'DELETE' })).status).toBe(410);
    const late = await app.request(`/v1/offers/${offer.id}/accept`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ travelers: [adult], contact }),
    });
    expect(late.status).toBe(410);
    // Through the stack's API too (its own engine, same Redis).
    expect((await accept(offer.id)).status).toBe(410);
  });

  it('an unknown offer is 404 for GET, DELETE and accept', async () => {
    const id = `off_${randomUUID()}`;
    for (const [method, path] of [
      ['GET', `/v1/offers/${id}`],
      ['DELETE', `/v1/offers/${id}`],
    ] as const) {
      const res = await api(method, path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    }
    expect((await accept(id)).status).toBe(404);
  });

  it('an offer the store lost (Redis restarted) is 410 OFFER_LOST, "search again", not a 404; a forged id stays 404', async () => {
    const date = freshDay();
    await flight(date, '17:00');
    const { offers } = (await search(searchBody(date))).body;
    const offer = offers[0]!;
    // What a Redis restart does to this offer: its key is gone.
    await services.redis.del(`offer:{${offer.id}}`);
    for (const [method, path] of [
      ['GET', `/v1/offers/${offer.id}`],
      ['DELETE', `/v1/offers/${offer.id}`],
    ] as const) {
      const res = await api(method, path);
      expect(res.status, `${method} ${path}`).toBe(410);
      expect(res.body).toMatchObject({ error: { code: 'OFFER_LOST', message: expect.stringMatching(/search again/) } });
    }
    const lost = await accept(offer.id);
    expect(lost.status).toBe(410);
    expect(lost.body.error.code).toBe('OFFER_LOST');
    // The same shape with a signature of its own making is an id nobody issued.
    const forged = `${offer.id.slice(0, -4)}${offer.id.endsWith('0000') ? 'ffff' : '0000'}`;
    expect((await accept(forged)).status).toBe(404);
    expect((await api('GET', `/v1/offers/${forged}`)).status).toBe(404);
  });

  it('DELETE rejects: the offer is CANCELLED, accept answers 410, the ranker counts a rejection', async () => {
    const date = freshDay();
    const f = await flight(date, '18:00');
    const { offers } = (await search(searchBody(date))).body;
    const offer = offers.find((o) => o.bundle.code === 'PREMIUM')!;
    const context = offer.ranking!.context;
    const failuresBefore = await failuresOf(context, 'PREMIUM');

    const res = await api('DELETE', `/v1/offers/${offer.id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect((await api<ApiOffer>('GET', `/v1/offers/${offer.id}`)).body.status).toBe('CANCELLED');
    expect((await api('DELETE', `/v1/offers/${offer.id}`)).status).toBe(204); // idempotent

    const accepted = await accept(offer.id);
    expect(accepted.status).toBe(410);
    expect(accepted.body).toMatchObject({ error: { code: 'OFFER_EXPIRED' } });
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ capacity: 10, held: 0, sold: 0 });

    // Counted once, with the offer's weight.
    expect(await failuresOf(context, 'PREMIUM')).toBeCloseTo(failuresBefore + offer.ranking!.weight);

    // A sibling can still be accepted (accept still routes to the orders router), and cannot be rejected then.
    const sibling = offers.find((o) => o.bundle.code === 'FLIGHT_ONLY')!;
    expect((await accept(sibling.id)).status).toBe(201);
    const rejectAccepted = await api('DELETE', `/v1/offers/${sibling.id}`);
    expect(rejectAccepted.status).toBe(409);
  });

  it('a sweep turns a search whose offers expired into outcomes: its accepted offer a success, the rest failures', async () => {
    const date = freshDay();
    await flight(date, '20:00');
    const shortLived: AppConfig = { ...config, offers: { ...config.offers, ttl_seconds: 2 } };
    const deps = { ...services, config: shortLived, logger: silentLogger() };
    const appServices = createServices(deps);
    const app = createApp({ ...deps, services: appServices });
    const res = await app.request('/v1/offers/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      // Two adults: a context no other test here uses, so other searches swept alongside do not count in it.
      body: JSON.stringify(searchBody(date, { passengers: 2 })),
    });
    const { offers } = (await res.json()) as SearchResult;
    const chosen = offers.find((o) => o.bundle.code === 'GREEN')!;
    const acc = await app.request(`/v1/offers/${chosen.id}/accept`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ travelers: [adult, { ...adult, first_name: 'John', gender: 'M' }], contact }),
    });
    expect(acc.status).toBe(201);
    const context = chosen.ranking!.context;
    const before = await armsOf(context);
    await new Promise((r) => setTimeout(r, 2_200));

    // Searches are swept oldest first, a batch at a time, and another process may take this one: sweep until
    // it is gone from the queue, then check the state.
    const searchId = chosen.search_id!;
    for (let n = 0; n < 50 && (await services.redis.zscore(DUE_SEARCHES_KEY, searchId)) !== null; n++) {
      await appServices.offers.ranker.sweepExpiredSearches({ graceMs: 0, limit: 500 });
    }
    const after = await eventually(
      () => armsOf(context),
      (a) => (a.get('GREEN')?.successes ?? 0) > (before.get('GREEN')?.successes ?? 0),
    );
    expect(after.get('GREEN')!.successes).toBeCloseTo((before.get('GREEN')?.successes ?? 0) + 1);
    for (const o of offers.filter((x) => x.id !== chosen.id)) {
      expect(after.get(o.bundle.code)!.failures).toBeCloseTo((before.get(o.bundle.code)?.failures ?? 0) + 1);
    }
  });
});

async function failuresOf(context: string, bundle: string): Promise<number> {
  return (await armsOf(context)).get(bundle)?.failures ?? 0;
}

async function armsOf(context: string) {
  const rows = await services.db.select().from(rankerArms).where(eq(rankerArms.context, context));
  return new Map(rows.map((r) => [r.bundle, { successes: r.successes, failures: r.failures }]));
}
