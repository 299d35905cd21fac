/**
 * Commercial correctness over HTTP (#13 items 5 and 6): a yen route and a dinar route priced, taxed, sold and
 * refunded end to end with exact minor units, and cancellations refunded per the fare conditions the order was
 * sold under (both API styles). Each route's airports get the countries of their jurisdictions (JP; KW → AE).
 *
 * Expected figures by hand from config/default.toml (no sale is on; a 10-seat flight with every seat free
 * prices at 1.00×):
 *   JPY, JP departure: fare 12000 + YQ 3800 + XF 675 (4.50 USD × 150) + SW 2130 = 18605 JPY per adult.
 *   COMFORT in JPY: seat 2250, bag 5250, meal 1800 (USD list × 150), less 10 %: 2025 + 4725 + 1620 = 8370.
 *   KWD, KW departure: fare 38.500 + YQ 0.770 + XF 1.382 (4.50 × 0.307 = 1.3815 → 1.382) + KW 3.000 = 43.652.
 *   GREEN in KWD: bag 10.745 → 10.208 (−5 %, 0.53725 → 0.537), offset 2.456 → 2.333: 12.541.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { orderSchema } from '../../api/order-schema';
import type { Services } from '../../lib/services';
import { createTestFlight, ensureTestRoute, testRoute, type TestRoute } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices, silentLogger } from '../support/services';

const jpyRoute = testRoute('commercial-jpy');
const kwdRoute = testRoute('commercial-kwd');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;

const adult = { ptc: 'ADT', first_name: 'Aiko', last_name: 'Sato', date_of_birth: '1988-02-03', gender: 'F' };
const contact = { email: 'aiko@example.com' };

async function countries(route: TestRoute, origin: string, destination: string) {
  await ensureTestRoute(services, route);
  await services.sql`UPDATE airports SET country = ${origin} WHERE code = ${route.origin}`;
  await services.sql`UPDATE airports SET country = ${destination} WHERE code = ${route.destination}`;
}

beforeAll(async () => {
  services = await openTestServices();
  await countries(jpyRoute, 'JP', 'JP');
  await countries(kwdRoute, 'KW', 'AE');
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [jpyRoute, kwdRoute]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

/** A day `days` from today, UTC. */
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

type OfferBody = {
  id: string;
  bundle: { code: string };
  price: { currency: string; total: { amount: number; currency: string }; breakdown: any };
  items: { product_type: string; flight_id: string | null; price: { amount: number; currency: string } }[];
  conditions: Record<
    'refund_before_departure' | 'change_before_departure' | 'no_show',
    { allowed: boolean; penalty_amount: number | null; penalty_currency: string | null }
  >;
};

async function searchOffers(route: TestRoute, date: string, returnDate?: string): Promise<OfferBody[]> {
  const res = await api<{ offers: OfferBody[] }>('POST', '/v1/offers/search', {
    token,
    body: {
      origin: route.origin,
      destination: route.destination,
      departure_date: date,
      ...(returnDate ? { return_date: returnDate } : {}),
      passengers: 1,
    },
  });
  expect(res.status).toBe(200);
  return res.body.offers;
}

/** Accepts, pays with the sandbox's success token and waits for FULFILLED; returns the order id. */
async function buy(offer: OfferBody): Promise<string> {
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token,
    body: { travelers: [adult], contact },
  });
  expect(accepted.status).toBe(201);
  const id = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${id}/pay`, { token, body: { payment_token: 'tok_visa' } });
  expect(paid.status).toBe(200);
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'FULFILLED',
  );
  return id;
}

async function getOrder(id: string) {
  const res = await api('GET', `/v1/orders/${id}`, { token });
  expect(res.status).toBe(200);
  const parsed = orderSchema.safeParse(res.body);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  return parsed.data!;
}

async function cancel(id: string) {
  const res = await api('POST', `/v1/orders/${id}/cancel`, { token });
  expect(res.status).toBe(200);
  return eventually(
    () => getOrder(id),
    (o) => o.status === 'CANCELLED',
  );
}

const bundleOf = (offers: OfferBody[], code: string) => {
  const offer = offers.find((o) => o.bundle.code === code);
  expect(offer, `a ${code} offer`).toBeDefined();
  return offer!;
};

describe('a JPY route (0 decimals)', () => {
  it('gets an offer per bundle, every amount in yen, taxed by the Japanese jurisdiction', async () => {
    const date = day(3);
    await createTestFlight(services, { route: jpyRoute, date, currency: 'JPY', baseFare: 12_000 });
    const offers = await searchOffers(jpyRoute, date);
    expect(offers.map((o) => o.bundle.code).sort()).toEqual(['COMFORT', 'FLIGHT_ONLY', 'GREEN', 'PREMIUM']);
    for (const o of offers) {
      expect(o.price.currency).toBe('JPY');
      expect(new Set(o.items.map((i) => i.price.currency))).toEqual(new Set(['JPY']));
    }
    const flightOnly = bundleOf(offers, 'FLIGHT_ONLY');
    const leg = flightOnly.price.breakdown.passenger_types[0].segments[0].leg;
    expect(leg.taxes.map((t: any) => [t.code, t.amount.amount])).toEqual([
      ['YQ', 3800],
      ['XF', 675],
      ['SW', 2130],
    ]);
    expect(flightOnly.price.total).toEqual({ amount: 18_605, currency: 'JPY' });
    expect(bundleOf(offers, 'COMFORT').price.total).toEqual({ amount: 18_605 + 8_370, currency: 'JPY' });
  });

  it('COMFORT (refundable, 100.00 USD = 15000 JPY penalty): paid 26975, refunded 11975 on cancel', async () => {
    const date = day(4);
    await createTestFlight(services, { route: jpyRoute, date, currency: 'JPY', baseFare: 12_000 });
    const comfort = bundleOf(await searchOffers(jpyRoute, date), 'COMFORT');
    expect(comfort.conditions.refund_before_departure).toEqual({
      allowed: true,
      penalty_amount: 15_000,
      penalty_currency: 'JPY',
    });
    const id = await buy(comfort);
    const sold = await getOrder(id);
    expect(sold.conditions).toEqual(comfort.conditions);
    expect(sold.payments).toMatchObject([{ status: 'SUCCEEDED', amount: { amount: 26_975, currency: 'JPY' } }]);

    const cancelled = await cancel(id);
    expect(cancelled.payments).toMatchObject([{ status: 'REFUNDED', refunded: { amount: 11_975, currency: 'JPY' } }]);
    // The gateway refunded exactly that, once.
    const charge = cancelled.payments[0]!.charge_id!;
    const refunds = await fetch(`${stack.sandboxUrl}/v1/refunds?charge_id=${charge}`, {
      headers: { Authorization: `Bearer ${stack.config.payments.gateway_api_key}` },
    });
    const list = (await refunds.json()) as { data: { amount: number; currency: string }[] };
    expect(list.data.map((r) => [r.amount, r.currency])).toEqual([[11_975, 'JPY']]);
  });

  it('a flown coupon is never refunded: PREMIUM after its outbound departed refunds the return less the no-show penalty', async () => {
    const date = day(5);
    await createTestFlight(services, { route: jpyRoute, date, currency: 'JPY', baseFare: 12_000 });
    const back = await createTestFlight(services, {
      route: jpyRoute,
      reverse: true,
      date: day(6),
      currency: 'JPY',
      baseFare: 12_000,
    });
    const premium = bundleOf(await searchOffers(jpyRoute, date, day(6)), 'PREMIUM');
    // 50.00 USD at 150 = 7500 JPY per passenger once a flight has departed.
    expect(premium.conditions.no_show).toEqual({ allowed: true, penalty_amount: 7_500, penalty_currency: 'JPY' });
    const id = await buy(premium);
    // The outbound has flown (as the order's record says when the clock passes it).
    await services.sql`
      UPDATE orders SET offer = jsonb_set(offer, '{segments,0,departureAt}', to_jsonb(${new Date(Date.now() - 60_000).toISOString()}::text))
      WHERE id = ${id}`;
    const returnItems = premium.items.filter((i) => i.flight_id === back.id).reduce((s, i) => s + i.price.amount, 0);
    expect(returnItems).toBeGreaterThan(7_500);
    const cancelled = await cancel(id);
    expect(cancelled.payments[0]!.refunded).toEqual({ amount: returnItems - 7_500, currency: 'JPY' });
  });
});

describe('a KWD route (3 decimals)', () => {
  it('GREEN (refundable, 75.00 USD = 23.025 KWD penalty): paid 56.193, refunded 33.168', async () => {
    const date = day(3);
    await createTestFlight(services, { route: kwdRoute, date, currency: 'KWD', baseFare: 38_500 });
    const offers = await searchOffers(kwdRoute, date);
    expect(offers).toHaveLength(4);
    const flightOnly = bundleOf(offers, 'FLIGHT_ONLY');
    expect(
      flightOnly.price.breakdown.passenger_types[0].segments[0].leg.taxes.map((t: any) => [t.code, t.amount.amount]),
    ).toEqual([
      ['YQ', 770],
      ['XF', 1_382],
      ['KW', 3_000],
    ]);
    expect(flightOnly.price.total).toEqual({ amount: 43_652, currency: 'KWD' });
    const green = bundleOf(offers, 'GREEN');
    expect(green.price.total).toEqual({ amount: 43_652 + 12_541, currency: 'KWD' });
    expect(green.conditions.refund_before_departure.penalty_amount).toBe(23_025);

    const cancelled = await cancel(await buy(green));
    expect(cancelled.payments).toMatchObject([
      { status: 'REFUNDED', amount: { amount: 56_193 }, refunded: { amount: 33_168, currency: 'KWD' } },
    ]);
  });

  it('FLIGHT_ONLY is non-refundable: cancelling the paid order refunds nothing', async () => {
    const date = day(4);
    await createTestFlight(services, { route: kwdRoute, date, currency: 'KWD', baseFare: 38_500 });
    const flightOnly = bundleOf(await searchOffers(kwdRoute, date), 'FLIGHT_ONLY');
    expect(flightOnly.conditions.refund_before_departure).toEqual({
      allowed: false,
      penalty_amount: null,
      penalty_currency: null,
    });
    const cancelled = await cancel(await buy(flightOnly));
    expect(cancelled.payments).toMatchObject([
      { status: 'SUCCEEDED', amount: { amount: 43_652 }, refunded: { amount: 0, currency: 'KWD' } },
    ]);
  });
});

describe('an involuntary cancellation', () => {
  it('refunds a sale the airline could not complete in full, whatever the fare (money never kept without a ticket)', async () => {
    const date = day(5);
    await createTestFlight(services, { route: kwdRoute, date, currency: 'KWD', baseFare: 38_500 });
    const id = await buy(bundleOf(await searchOffers(kwdRoute, date), 'FLIGHT_ONLY')); // non-refundable
    const payment = (await getOrder(id)).payments[0]!;
    // What the workflow sends when completeSale fails for good (order-workflow-isolated.test.ts shows it does).
    const activities = createActivities({ ...services, config: stack.config, logger: silentLogger() });
    await new MockActivityEnvironment().run(activities.cancelOrder, {
      orderId: id,
      at: new Date().toISOString(),
      reason: 'the sale could not be completed; refunded',
      refund: { chargeId: payment.charge_id!, amount: payment.amount.amount, currency: 'KWD' },
      involuntary: true,
    });
    const after = await getOrder(id);
    expect(after.status).toBe('CANCELLED');
    expect(after.payments).toMatchObject([
      { status: 'REFUNDED', refunded: { amount: payment.amount.amount, currency: 'KWD' } },
    ]);
  });
});

describe('a trip (the README API) is sold under the trip bundle’s conditions', () => {
  it('keeps FLIGHT_ONLY’s conditions in the trip’s currency and refunds nothing on cancel', async () => {
    const flight = await createTestFlight(services, {
      route: jpyRoute,
      date: day(7),
      currency: 'JPY',
      baseFare: 12_000,
    });
    const trip = await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [flight.id] } });
    expect(trip.status).toBe(201);
    const tripId = trip.body.trip_id as string;
    const held = await getOrder(tripId);
    expect(held.conditions).toEqual({
      refund_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
      change_before_departure: { allowed: true, penalty_amount: 11_250, penalty_currency: 'JPY' },
      no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
    });
    const committed = await api('POST', '/v1/bookings/commit', {
      token,
      body: {
        trip_id: tripId,
        user_email: 'aiko@example.com',
        payment_token: 'tok_visa',
        passengers: [{ first_name: 'Aiko', last_name: 'Sato', passenger_type: 'ADULT', seats: [] }],
      },
    });
    expect(committed.status).toBe(200);
    expect(committed.body.total).toEqual({ amount: 18_605, currency: 'JPY' });
    const cancelled = await cancel(tripId);
    expect(cancelled.payments[0]).toMatchObject({ status: 'SUCCEEDED', refunded: { amount: 0, currency: 'JPY' } });
  });
});
