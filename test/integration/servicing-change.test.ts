/**
 * Voluntary change of a paid order on the real stack (API, worker, Temporal, Postgres, Redis, payment sandbox):
 * change request → change offers priced by the catalog's pricing under the sold conditions → confirm through the
 * order's workflow. After each path the inventory invariants hold on every flight involved.
 */
import { randomUUID } from 'node:crypto';
import { FLIGHT_DESIGNATOR } from '../../domain/vocabulary';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FareConditions } from '../../domain/commercial';
import type { Services } from '../../lib/services';
import { saveOffers } from '../../services/offer-store';
import { orderWorkflowId } from '../../workflows/messages';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, pgInventory, testRoute, type TestFlight } from '../support/flights';
import {
  apiClient,
  eventually,
  killHard,
  recordHistory,
  spawnWorker,
  startOrderStack,
  type OrderStack,
} from '../support/harness';
import { expectInventoryConsistent } from '../support/inventory-invariants';
import { openTestServices, uniqueTaskQueue } from '../support/services';
import { tokenFor } from '../support/tokens';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';

const route = testRoute('servicing-change');
const PENALTY = 1500;
const CHANGEABLE: FareConditions = {
  refund_before_departure: { allowed: true, penalty_amount: 0, penalty_currency: 'USD' },
  change_before_departure: { allowed: true, penalty_amount: PENALTY, penalty_currency: 'USD' },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};
const traveler = { ptc: 'ADT', first_name: 'Ada', last_name: 'Lovelace', date_of_birth: '1985-12-10' } as const;
const contact = { email: 'ada@example.com' };

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  token = (await tokenFor(services, stack.config)).token;
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

/** A day of its own per test (the change's search reads one day of the route). */
let dayOffset = 3 + Math.floor(Math.random() * 20) * 4;
const nextDay = () => new Date(Date.now() + dayOffset++ * 86_400_000).toISOString().slice(0, 10);

const flight = (date: string, baseFare: number, capacity = 10): Promise<TestFlight> =>
  createTestFlight(services, { route, date, baseFare, capacity });

type Call = ReturnType<typeof apiClient>;

/** An order accepted from a changeable offer on `f`, paid and FULFILLED. */
async function paidOrder(f: TestFlight, call: Call = api): Promise<string> {
  const offer = await createTestOffer(services.redis, [f]);
  await saveOffers(services.redis, [{ ...offer, conditions: CHANGEABLE }], 900);
  const accepted = await call('POST', `/v1/offers/${offer.id}/accept`, {
    token,
    body: { travelers: [traveler], contact },
  });
  expect(accepted.status).toBe(201);
  const orderId = accepted.body.id as string;
  const paid = await call('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: 'tok_visa' } });
  expect(paid.status).toBe(200);
  const order = await eventually(
    () => call('GET', `/v1/orders/${orderId}`, { token }),
    (r) => r.body.status === 'FULFILLED',
  );
  expect(order.body.status).toBe('FULFILLED');
  return orderId;
}

const changeRequest = (orderId: string, remove: string, date: string, call: Call = api) =>
  call('POST', `/v1/orders/${orderId}/change-requests`, {
    token,
    headers: { 'Idempotency-Key': randomUUID() },
    body: {
      remove: [remove],
      add: [{ origin: route.origin, destination: route.destination, departure_date: date, cabin: 'ECONOMY' }],
    },
  });

/** The change offer that moves to `to`. */
const offerTo = (body: Record<string, any>, to: TestFlight) => {
  const offer = (body.change_offers as Record<string, any>[]).find((o) => o.add[0].flight_id === to.id)!;
  // Segments read as the order's do: the flight number with its carrier.
  for (const s of [...offer.add, ...offer.remove]) expect(s.flight_number).toMatch(FLIGHT_DESIGNATOR);
  return offer;
};

const confirm = (orderId: string, changeOfferId: string, paymentToken?: string, call: Call = api) =>
  call('POST', `/v1/orders/${orderId}/changes`, {
    token,
    headers: { 'Idempotency-Key': randomUUID() },
    body: { change_offer_id: changeOfferId, ...(paymentToken ? { payment_token: paymentToken } : {}) },
  });

const chargesOf = async (orderId: string) =>
  (
    (await fetch(`${stack.sandboxUrl}/v1/charges?order_id=${orderId}`, {
      headers: { Authorization: `Bearer ${stack.config.payments.gateway_api_key}` },
    }).then((r) => r.json())) as { data: { id: string; status: string; amount: number; amount_refunded: number }[] }
  ).data;

const seatMap = async (flightId: string) =>
  (
    await api<{ seats: { seat_number: string; cabin: string; status: 'AVAILABLE' }[] }>(
      'GET',
      `/v1/flights/${flightId}/seats`,
    )
  ).body.seats;
const invariants = (...flights: TestFlight[]) =>
  expectInventoryConsistent(
    services,
    flights.map((f) => f.id),
    seatMap,
  );

/** What the catalog prices one adult at on the flight now (the pricing offers use). */
async function adultFare(f: TestFlight): Promise<number> {
  const res = await api('GET', `/v1/flights/${f.id}`);
  return (res.body.cabins as { cabin: string; price_per_passenger: { amount: number } }[]).find(
    (c) => c.cabin === 'ECONOMY',
  )!.price_per_passenger.amount;
}

/** The order as it was: segments, total, no change, its ticket OPEN. */
async function expectUnchanged(orderId: string, f: TestFlight, total: number) {
  const order = await api('GET', `/v1/orders/${orderId}`, { token });
  expect(order.body.segments.map((s: { flight_id: string }) => s.flight_id)).toEqual([f.id]);
  expect(order.body.total.amount).toBe(total);
  expect(order.body.changes).toEqual([]);
  const docs = await api('GET', `/v1/orders/${orderId}/fulfillment`, { token });
  expect(docs.body.tickets).toHaveLength(1);
  expect(docs.body.tickets[0]).toMatchObject({ status: 'OPEN', flight_ids: [f.id] });
}

describe('change request', () => {
  it('prices change offers with the catalog’s fare now and the sold penalty; 422 when the fare forbids changes', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const b = await flight(day, 40_000);
    const orderId = await paidOrder(a);
    const res = await changeRequest(orderId, a.id, day);
    expect(res.status).toBe(201);
    const offer = offerTo(res.body, b);
    const fare = await adultFare(b);
    expect(offer.fare_difference).toEqual({ amount: fare - 20_000, currency: 'USD' });
    expect(offer.penalty_amount).toEqual({ amount: PENALTY, currency: 'USD' });
    expect(offer.change_total_amount.amount).toBe(fare - 20_000 + PENALTY);
    expect(offer.new_total_amount.amount).toBe(20_000 + fare - 20_000 + PENALTY);
    expect(offer.remove[0].flight_id).toBe(a.id);

    // An order sold without change conditions (the test offer's default: none stored) cannot be changed.
    const plain = await createTestOffer(services.redis, [await flight(nextDay(), 20_000)]);
    const accepted = await api('POST', `/v1/offers/${plain.id}/accept`, {
      token,
      body: { travelers: [traveler], contact },
    });
    const plainId = accepted.body.id as string;
    await api('POST', `/v1/orders/${plainId}/pay`, { token, body: { payment_token: 'tok_visa' } });
    await eventually(
      () => api('GET', `/v1/orders/${plainId}`, { token }),
      (r) => r.body.status === 'FULFILLED',
    );
    const refused = await changeRequest(plainId, plain.segments[0]!.flight_id, day);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('CHANGE_NOT_ALLOWED');
    expect(refused.body.error.details.condition).toBe('change_before_departure');

    // Another customer's order does not exist for them.
    const other = await tokenFor(services, stack.config);
    const foreign = await api('POST', `/v1/orders/${orderId}/change-requests`, {
      token: other.token,
      body: {
        remove: [a.id],
        add: [{ origin: route.origin, destination: route.destination, departure_date: day, cabin: 'ECONOMY' }],
      },
    });
    expect(foreign.status).toBe(404);
  });
});

describe('confirming a change', () => {
  it('a positive difference: charged exactly at the sandbox, tickets exchanged, new flight sold, old released', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const b = await flight(day, 40_000);
    const orderId = await paidOrder(a);
    const offer = offerTo((await changeRequest(orderId, a.id, day)).body, b);
    const before = (await api('GET', `/v1/orders/${orderId}/fulfillment`, { token })).body;

    const res = await confirm(orderId, offer.id, 'tok_visa');
    expect(res.status).toBe(201);
    expect(res.body.segments.map((s: { flight_id: string }) => s.flight_id)).toEqual([b.id]);
    expect(res.body.total).toEqual(offer.new_total_amount);
    expect(res.body.changes).toHaveLength(1);
    expect(res.body.changes[0].change_total_amount).toEqual(offer.change_total_amount);

    const charges = await chargesOf(orderId);
    expect(charges).toHaveLength(2); // the sale, then the change
    expect(charges[1]).toMatchObject({ status: 'succeeded', amount: offer.change_total_amount.amount });
    expect(res.body.changes[0].charge_id).toBe(charges[1]!.id);

    const docs = (await api('GET', `/v1/orders/${orderId}/fulfillment`, { token })).body;
    const old = docs.tickets.find((t: { number: string }) => t.number === before.tickets[0].number);
    expect(old).toMatchObject({ status: 'EXCHANGED', flight_ids: [a.id] });
    const reissued = docs.tickets.find((t: { number: string }) => t.number === old.exchanged_for);
    expect(reissued).toMatchObject({ status: 'OPEN', flight_ids: [b.id] });
    expect(reissued.number).not.toBe(old.number);
    expect(res.body.changes[0].exchanged_tickets).toEqual([{ from: old.number, to: reissued.number }]);
    expect(docs.boarding_passes.map((p: { flight_id: string }) => p.flight_id)).toEqual([b.id]);

    expect(await pgInventory(services.sql, a.id)).toMatchObject({ held: 0, sold: 0 });
    expect(await pgInventory(services.sql, b.id)).toMatchObject({ held: 0, sold: 1 });
    await invariants(a, b);

    const [event] = await services.sql<{ payload: Record<string, any> }[]>`
      SELECT payload FROM outbox WHERE aggregate_id = ${orderId} AND type = 'OrderChanged'`;
    expect(event!.payload).toMatchObject({
      order_id: orderId,
      route: `${route.origin}-${route.destination}`,
      change_total_amount: offer.change_total_amount,
      new_total_amount: offer.new_total_amount,
    });
    // The workflow follows the change: its live view answers, and the same offer cannot be confirmed twice.
    expect((await confirm(orderId, offer.id, 'tok_visa')).status).toBe(409);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'voluntary-change');
  });

  it('a negative difference: refunded to the card, nothing charged', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const c = await flight(day, 5_000);
    const orderId = await paidOrder(a);
    const offer = offerTo((await changeRequest(orderId, a.id, day)).body, c);
    expect(offer.change_total_amount.amount).toBeLessThan(0);

    const res = await confirm(orderId, offer.id);
    expect(res.status).toBe(201);
    expect(res.body.segments[0].flight_id).toBe(c.id);
    expect(res.body.total).toEqual(offer.new_total_amount);
    const charges = await chargesOf(orderId);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.amount_refunded).toBe(-offer.change_total_amount.amount);
    expect(res.body.changes[0].refund_id).toEqual(expect.any(String));
    await invariants(a, c);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'voluntary-change-refund');
  });

  it('a declined change payment: 402, the order exactly as it was, the new hold given back', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const b = await flight(day, 40_000);
    const orderId = await paidOrder(a);
    const offer = offerTo((await changeRequest(orderId, a.id, day)).body, b);

    const res = await confirm(orderId, offer.id, 'tok_chargeDeclined');
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('PAYMENT_DECLINED');
    await expectUnchanged(orderId, a, 20_000);
    expect(await pgInventory(services.sql, a.id)).toMatchObject({ held: 0, sold: 1 });
    expect(await pgInventory(services.sql, b.id)).toMatchObject({ held: 0, sold: 0 });
    await invariants(a, b);

    // The same offer goes through with a card that pays.
    const again = await confirm(orderId, offer.id, 'tok_visa');
    expect(again.status).toBe(201);
    expect(await pgInventory(services.sql, b.id)).toMatchObject({ held: 0, sold: 1 });
    await invariants(a, b);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'voluntary-change-declined');
  });

  it('sold out between offer and confirm: 409 SOLD_OUT, order unchanged, nothing charged', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const d = await flight(day, 40_000, 1);
    const orderId = await paidOrder(a);
    const offer = offerTo((await changeRequest(orderId, a.id, day)).body, d);
    // Someone else takes the last seat.
    const rival = await createTestOffer(services.redis, [d]);
    expect(
      (await api('POST', `/v1/offers/${rival.id}/accept`, { token, body: { travelers: [traveler], contact } })).status,
    ).toBe(201);

    const res = await confirm(orderId, offer.id, 'tok_visa');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SOLD_OUT');
    await expectUnchanged(orderId, a, 20_000);
    expect(await chargesOf(orderId)).toHaveLength(1);
    expect(await pgInventory(services.sql, d.id)).toMatchObject({ capacity: 1, held: 1, sold: 0 });
    await invariants(a, d);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'voluntary-change-sold-out');
  });

  it('an expired change offer: 410, order unchanged', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const b = await flight(day, 40_000);
    const orderId = await paidOrder(a);
    const offer = offerTo((await changeRequest(orderId, a.id, day)).body, b);
    await services.sql`UPDATE order_change_offers SET expires_at = now() - interval '1 second' WHERE id = ${offer.id}`;

    const res = await confirm(orderId, offer.id, 'tok_visa');
    expect(res.status).toBe(410);
    await expectUnchanged(orderId, a, 20_000);
    expect(await chargesOf(orderId)).toHaveLength(1);
    await invariants(a, b);
  });

  it('change and cancel at once: the change in progress wins, the cancel gets 409', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const b = await flight(day, 40_000);
    const orderId = await paidOrder(a);
    const offer = offerTo((await changeRequest(orderId, a.id, day)).body, b);

    // tok_visaSlow answers after the sandbox's delay: the change is in progress while the cancel arrives.
    const changing = confirm(orderId, offer.id, 'tok_visaSlow');
    await eventually(
      () => pgInventory(services.sql, b.id),
      (inv) => inv.held === 1,
      10_000,
      20,
    );
    const cancel = await api('POST', `/v1/orders/${orderId}/cancel`, {
      token,
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('INVALID_STATE');
    const changed = await changing;
    expect(changed.status).toBe(201);
    expect(changed.body.status).toBe('FULFILLED');
    expect(changed.body.segments[0].flight_id).toBe(b.id);
    await invariants(a, b);
  });
});

describe('change and cancel sent together', () => {
  it('exactly one is accepted, the other answers 409, and the order ends whole either way', async () => {
    const day = nextDay();
    const a = await flight(nextDay(), 20_000);
    const b = await flight(day, 40_000);
    const orderId = await paidOrder(a);
    const offer = offerTo((await changeRequest(orderId, a.id, day)).body, b);

    const [changed, cancelled] = await Promise.all([
      confirm(orderId, offer.id, 'tok_visa'),
      api('POST', `/v1/orders/${orderId}/cancel`, { token, headers: { 'Idempotency-Key': randomUUID() } }),
    ]);
    expect([changed.status, cancelled.status].sort()).toEqual(changed.status === 201 ? [201, 409] : [200, 409]);
    const order = (await api('GET', `/v1/orders/${orderId}`, { token })).body;
    if (changed.status === 201) {
      expect(order.status).toBe('FULFILLED');
      expect(order.segments[0].flight_id).toBe(b.id);
      expect(await pgInventory(services.sql, b.id)).toMatchObject({ held: 0, sold: 1 });
    } else {
      expect(order.status).toBe('CANCELLED');
      expect(order.changes).toEqual([]);
      expect(await pgInventory(services.sql, b.id)).toMatchObject({ held: 0, sold: 0 });
      expect(await chargesOf(orderId)).toHaveLength(1); // the change was never charged
    }
    expect(await pgInventory(services.sql, a.id)).toMatchObject({ held: 0, sold: 0 });
    await invariants(a, b);
  });
});

describe('a worker killed during a change', () => {
  it('resumes on a new worker process: fully changed, the change charged exactly once', async () => {
    const taskQueue = uniqueTaskQueue('change-crash');
    const env = {
      APP_TEMPORAL__TASK_QUEUE: taskQueue,
      APP_PAYMENTS__GATEWAY_URL: stack.sandboxUrl,
      APP_LOG__LEVEL: 'info',
    };
    const { createApp } = await import('../../api/app');
    const { silentLogger } = await import('../support/services');
    const app = createApp({
      ...services,
      logger: silentLogger(),
      config: { ...stack.config, temporal: { ...stack.config.temporal, task_queue: taskQueue } },
    });
    const call = (async (method: string, path: string, opts: Parameters<Call>[2] = {}) => {
      const res = await app.request(path, {
        method,
        headers: {
          ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
          ...opts.headers,
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
    }) as Call;

    let worker = await spawnWorker(env);
    try {
      const day = nextDay();
      const a = await flight(nextDay(), 20_000);
      const b = await flight(day, 40_000);
      const orderId = await paidOrder(a, call);
      const offer = offerTo((await changeRequest(orderId, a.id, day, call)).body, b);
      const changing = confirm(orderId, offer.id, 'tok_visaSlow', call);
      // The worker dies while the change's charge is in flight.
      await eventually(
        () => chargesOf(orderId),
        (c) => c.length > 1,
        15_000,
        20,
      );
      await killHard(worker);
      worker = await spawnWorker(env);

      const res = await changing;
      expect(res.status).toBe(201);
      const order = (await call('GET', `/v1/orders/${orderId}`, { token })).body;
      expect(order.segments[0].flight_id).toBe(b.id);
      expect(order.changes).toHaveLength(1);
      const charges = await chargesOf(orderId);
      expect(charges).toHaveLength(2);
      expect(charges[1]).toMatchObject({ status: 'succeeded', amount: offer.change_total_amount.amount });
      expect(await pgInventory(services.sql, a.id)).toMatchObject({ held: 0, sold: 0 });
      expect(await pgInventory(services.sql, b.id)).toMatchObject({ held: 0, sold: 1 });
      await invariants(a, b);
    } finally {
      await killHard(worker);
    }
  }, 120_000);
});
