/**
 * Cancelling a sold order (issue #14, item 1): a cancellation quote computed from the fare conditions the order
 * was sold under (per ticket and EMD), then its confirm, which refunds exactly the quote once at the payment
 * sandbox, gives back each ticket and EMD, releases the seats and cancels the order. Only the latest unexpired
 * quote confirms (an older one 409, an expired one 410). On the real stack: API, worker, Temporal, Postgres,
 * Redis and the payment sandbox.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { createAltisClient } from '../../api/client';
import { cancellationQuotes, outbox, payments } from '../../db/schema';
import type { FareConditions } from '../../domain/commercial';
import type { Services } from '../../lib/services';
import { saveOffers } from '../../services/offer-store';
import { orderWorkflowId } from '../../workflows/messages';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { apiClient, recordHistory, startOrderStack, type OrderStack } from '../support/harness';
import { expectInventoryConsistent } from '../support/inventory-invariants';
import { openTestServices, silentLogger, testConfig } from '../support/services';
import { tokenFor } from '../support/tokens';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';

const route = testRoute('servicing-cancel');
const CARD = 'tok_visa';
const PENALTY = 5_000;

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
const flightsOfTest: string[] = [];

const refundable: FareConditions = {
  refund_before_departure: { allowed: true, penalty_amount: PENALTY, penalty_currency: 'USD' },
  change_before_departure: { allowed: true, penalty_amount: 2_500, penalty_currency: 'USD' },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};
const nonRefundable: FareConditions = {
  refund_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
  change_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};

const travelers = [
  { ptc: 'ADT', first_name: 'Ada', last_name: 'Lovelace', date_of_birth: '1985-12-10', gender: 'F' },
  { ptc: 'ADT', first_name: 'Alan', last_name: 'Turing', date_of_birth: '1982-06-23', gender: 'M' },
] as const;
const contact = { email: 'servicing@example.com' };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  token = (await tokenFor(services, stack.config)).token;
});

afterEach(async () => {
  // The inventory invariant after every path: capacity = available + held + sold, one owner per seat.
  await expectInventoryConsistent(services, flightsOfTest.splice(0), seatMap);
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

const seatMap = async (flightId: string) =>
  (
    await api<{
      seats: { seat_number: string; cabin: string; status: 'AVAILABLE' | 'HELD' | 'OCCUPIED' | 'BLOCKED' }[];
    }>('GET', `/v1/flights/${flightId}/seats`, { token })
  ).body.seats;

async function flight(): Promise<TestFlight> {
  const f = await createTestFlight(services, { route, capacity: 10 });
  flightsOfTest.push(f.id);
  return f;
}

/** An accepted order (two adults, a fare and a bag each) sold under `conditions`; paid unless told otherwise. */
async function order(conditions: FareConditions, opts: { pay?: boolean; as?: string } = {}) {
  const f = await flight();
  const offer = await createTestOffer(services.redis, [f], { passengers: { adults: 2 }, ancillaries: true });
  offer.conditions = conditions;
  await saveOffers(services.redis, [offer], 900);
  const as = opts.as ?? token;
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token: as,
    body: { travelers, contact },
  });
  expect(accepted.status).toBe(201);
  const orderId = accepted.body.id as string;
  if (opts.pay !== false) {
    const paid = await api('POST', `/v1/orders/${orderId}/pay`, { token: as, body: { payment_token: CARD } });
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('FULFILLED');
  }
  const fare = offer.items.find((i) => i.product_type === 'Flight')!.price.amount;
  const bag = offer.items.find((i) => i.product_type === 'Bag')!.price.amount;
  return { orderId, flight: f, offer, fare, bag, total: offer.price.total.amount };
}

const quote = (orderId: string, opts: { as?: string; key?: string } = {}) =>
  api('POST', `/v1/orders/${orderId}/cancellation-quotes`, {
    token: opts.as ?? token,
    ...(opts.key ? { headers: { 'Idempotency-Key': opts.key } } : {}),
  });
const confirm = (orderId: string, quoteId: string, opts: { as?: string } = {}) =>
  api('POST', `/v1/orders/${orderId}/cancellation-quotes/${quoteId}/confirm`, { token: opts.as ?? token });

const refundsOf = (chargeId: string) =>
  [...stack.sandbox.store.refunds.values()].filter((r) => r.chargeId === chargeId);
async function chargeOf(orderId: string) {
  const [p] = await services.db.select().from(payments).where(eq(payments.orderId, orderId));
  return p!;
}
async function eventsOf(orderId: string, type: string) {
  return services.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.aggregateId, orderId), eq(outbox.type, type)));
}

describe('cancellation quotes', () => {
  it('quote a refundable fare per its stored conditions: fare minus the penalty per passenger, bags back in full', async () => {
    const o = await order(refundable);
    const res = await quote(o.orderId);
    expect(res.status).toBe(201);
    const q = res.body;
    // Per traveler: (fare + bag) − penalty; the penalty is taken from the ticket, the bag's EMD refunds in full.
    expect(q.refund_amount).toEqual({ amount: 2 * (o.fare + o.bag - PENALTY), currency: 'USD' });
    expect(q.penalty_amount).toEqual({ amount: 2 * PENALTY, currency: 'USD' });
    expect(q.refund_to).toBe('original_payment');
    expect(q.rule).toBe('refund_before_departure');
    expect(q.status).toBe('QUOTED');
    expect(q.order_id).toBe(o.orderId);
    expect(Date.parse(q.expires_at) - Date.parse(q.created_at)).toBe(900_000); // [orders] cancellation_quote_ttl_seconds

    const docs = (await api('GET', `/v1/orders/${o.orderId}/fulfillment`, { token })).body;
    const lines = q.breakdown as {
      document_number: string;
      document_type: string;
      refundable_amount: { amount: number };
      penalty_amount: { amount: number };
    }[];
    expect(lines.map((l) => l.document_number).sort()).toEqual(
      [
        ...docs.tickets.map((t: { number: string }) => t.number),
        ...docs.emds.map((e: { number: string }) => e.number),
      ].sort(),
    );
    for (const l of lines.filter((x) => x.document_type === 'TKT')) {
      expect([l.refundable_amount.amount, l.penalty_amount.amount]).toEqual([o.fare - PENALTY, PENALTY]);
    }
    for (const l of lines.filter((x) => x.document_type === 'EMD')) {
      expect([l.refundable_amount.amount, l.penalty_amount.amount]).toEqual([o.bag, 0]);
    }
    // Stored in Postgres with its event, in the same transaction.
    const [row] = await services.db.select().from(cancellationQuotes).where(eq(cancellationQuotes.id, q.id));
    expect(row?.refundAmount).toBe(q.refund_amount.amount);
    const quoted = await eventsOf(o.orderId, 'OrderCancellationQuoted');
    expect(quoted).toHaveLength(1);
    expect(quoted[0]!.payload).toMatchObject({
      quote_id: q.id,
      route: `${route.origin}-${route.destination}`,
      refund_amount: q.refund_amount,
      penalty_amount: q.penalty_amount,
    });
    // A quote changes nothing on the order.
    expect((await api('GET', `/v1/orders/${o.orderId}`, { token })).body.status).toBe('FULFILLED');
    expect(refundsOf((await chargeOf(o.orderId)).chargeId!)).toHaveLength(0);
  });

  it('quote a non-refundable fare at 0: everything unflown is kept', async () => {
    const o = await order(nonRefundable);
    const res = await quote(o.orderId);
    expect(res.status).toBe(201);
    expect(res.body.refund_amount).toEqual({ amount: 0, currency: 'USD' });
    expect(res.body.penalty_amount).toEqual({ amount: o.total, currency: 'USD' });
    for (const l of res.body.breakdown as { refundable_amount: { amount: number } }[]) {
      expect(l.refundable_amount.amount).toBe(0);
    }
  });

  it('quote an unpaid order at 0, and its confirm cancels it with nothing refunded', async () => {
    const o = await order(refundable, { pay: false });
    const res = await quote(o.orderId);
    expect(res.status).toBe(201);
    expect(res.body.refund_amount).toEqual({ amount: 0, currency: 'USD' });
    expect(res.body.penalty_amount).toEqual({ amount: 0, currency: 'USD' });
    expect(res.body.breakdown).toEqual([]);
    expect(res.body.rule).toBe('unpaid');
    const confirmed = await confirm(o.orderId, res.body.id as string);
    expect(confirmed.status).toBe(200);
    expect((await api('GET', `/v1/orders/${o.orderId}`, { token })).body.status).toBe('CANCELLED');
    await recordHistory(services.temporal, orderWorkflowId(o.orderId), 'cancellation-quote-unpaid');
  });

  it('honour the Idempotency-Key: the same key answers the same quote', async () => {
    const o = await order(refundable);
    const first = await quote(o.orderId, { key: `quote-${o.orderId}` });
    const again = await quote(o.orderId, { key: `quote-${o.orderId}` });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(
      await services.db.select().from(cancellationQuotes).where(eq(cancellationQuotes.orderId, o.orderId)),
    ).toHaveLength(1);
  });

  it("answer 404 for another customer's order and for a quote of another order", async () => {
    const o = await order(refundable);
    const other = (await tokenFor(services, stack.config)).token;
    expect((await quote(o.orderId, { as: other })).status).toBe(404);
    const q = (await quote(o.orderId)).body;
    expect((await confirm(o.orderId, q.id as string, { as: other })).status).toBe(404);
    const p = await order(refundable);
    expect((await confirm(p.orderId, q.id as string)).status).toBe(404);
    expect((await api('GET', `/v1/orders/${o.orderId}`, { token })).body.status).toBe('FULFILLED');
  });
});

describe('confirming a cancellation quote', () => {
  it('refunds exactly the quote once at the sandbox, gives back every ticket and EMD, releases the seats → CANCELLED', async () => {
    const o = await order(refundable);
    const q = (await quote(o.orderId)).body;
    const res = await confirm(o.orderId, q.id as string);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CONFIRMED');
    expect(res.body.refund_amount).toEqual(q.refund_amount);

    const charge = await chargeOf(o.orderId);
    const refunds = refundsOf(charge.chargeId!);
    expect(refunds.map((r) => r.amount)).toEqual([q.refund_amount.amount]);
    expect(charge.refundedAmount).toBe(q.refund_amount.amount);
    expect(charge.status).toBe('REFUNDED');

    const view = (await api('GET', `/v1/orders/${o.orderId}`, { token })).body;
    expect(view.status).toBe('CANCELLED');
    const docs = (await api('GET', `/v1/orders/${o.orderId}/fulfillment`, { token })).body;
    for (const t of docs.tickets) {
      expect(t.status).toBe('REFUNDED');
      for (const c of t.coupons) expect(c.status).toBe('REFUNDED');
    }
    for (const e of docs.emds) expect(e.status).toBe('REFUNDED');

    const cancelled = await eventsOf(o.orderId, 'OrderCancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.payload).toMatchObject({
      quote_id: q.id,
      route: `${route.origin}-${route.destination}`,
      after_sale: true,
      refund_amount: q.refund_amount,
      penalty_amount: q.penalty_amount,
    });
    // The seats are given back: the flight sells all its economy seats again.
    const [inv] = await services.sql<{ sold: number; held: number }[]>`
      SELECT sold, held FROM flight_inventory WHERE flight_id = ${o.flight.id} AND cabin = 'ECONOMY'`;
    expect(inv).toEqual({ sold: 0, held: 0 });
    await recordHistory(services.temporal, orderWorkflowId(o.orderId), 'cancellation-quote-confirm');
  });

  it('answers the same confirm twice with the same 200, and refunds once', async () => {
    const o = await order(refundable);
    const q = (await quote(o.orderId)).body;
    const first = await confirm(o.orderId, q.id as string);
    const again = await confirm(o.orderId, q.id as string);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(refundsOf((await chargeOf(o.orderId)).chargeId!)).toHaveLength(1);
  });

  it('voids the documents of a non-refundable fare and asks the sandbox for no refund', async () => {
    const o = await order(nonRefundable);
    const q = (await quote(o.orderId)).body;
    expect((await confirm(o.orderId, q.id as string)).status).toBe(200);
    expect(refundsOf((await chargeOf(o.orderId)).chargeId!)).toHaveLength(0);
    const docs = (await api('GET', `/v1/orders/${o.orderId}/fulfillment`, { token })).body;
    expect([...docs.tickets, ...docs.emds].map((d: { status: string }) => d.status)).toEqual(
      Array(docs.tickets.length + docs.emds.length).fill('VOIDED'),
    );
  });

  it('refuses an older quote once a newer one exists (409), and confirms the newer one', async () => {
    const o = await order(refundable);
    const older = (await quote(o.orderId)).body;
    const newer = (await quote(o.orderId)).body;
    const res = await confirm(o.orderId, older.id as string);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('INVALID_STATE');
    expect((await api('GET', `/v1/orders/${o.orderId}`, { token })).body.status).toBe('FULFILLED');
    expect(refundsOf((await chargeOf(o.orderId)).chargeId!)).toHaveLength(0);
    expect((await confirm(o.orderId, newer.id as string)).status).toBe(200);
    // The older one is still refused once the order is cancelled.
    expect((await confirm(o.orderId, older.id as string)).status).toBe(409);
  });

  it('refuses an expired quote with 410 QUOTE_EXPIRED and changes nothing', async () => {
    // The same API with a one-second quote lifetime (the config key, as an env override).
    const shortConfig = {
      ...testConfig({ APP_ORDERS__CANCELLATION_QUOTE_TTL_SECONDS: '1' }),
      temporal: stack.config.temporal,
      payments: stack.config.payments,
    };
    const shortApp: App = createApp({ config: shortConfig, logger: silentLogger(), ...services });
    const call = async (path: string) => {
      const res = await shortApp.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const o = await order(refundable);
    const q = await call(`/v1/orders/${o.orderId}/cancellation-quotes`);
    expect(q.status).toBe(201);
    expect(Date.parse(q.body.expires_at as string) - Date.parse(q.body.created_at as string)).toBe(1_000);
    await new Promise((r) => setTimeout(r, 1_500)); // let the quote's lifetime pass
    const res = await confirm(o.orderId, q.body.id as string);
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('QUOTE_EXPIRED');
    expect((await api('GET', `/v1/orders/${o.orderId}`, { token })).body.status).toBe('FULFILLED');
    expect(refundsOf((await chargeOf(o.orderId)).chargeId!)).toHaveLength(0);
  });
});

describe('the typed client', () => {
  it('sees the quote and confirm routes and their answers', async () => {
    const o = await order(refundable);
    const client = createAltisClient(stack.apiUrl, token);
    const quoted = await client.v1.orders[':id']['cancellation-quotes'].$post({
      param: { id: o.orderId },
      header: {},
      json: {},
    });
    expect(quoted.status).toBe(201);
    if (quoted.status !== 201) return;
    const q = await quoted.json();
    expect(q.refund_amount.amount).toBe(2 * (o.fare + o.bag - PENALTY));
    const confirmed = await client.v1.orders[':id']['cancellation-quotes'][':quote_id'].confirm.$post({
      param: { id: o.orderId, quote_id: q.id },
      header: {},
      json: {},
    });
    expect(confirmed.status).toBe(200);
    if (confirmed.status !== 200) return;
    expect((await confirmed.json()).status).toBe('CONFIRMED');
  });
});

describe('POST /cancel on a paid order: a quote and its confirm in one step', () => {
  it('refunds by the same rule, records the quote CONFIRMED and emits the same OrderCancelled', async () => {
    const o = await order(refundable);
    const res = await api('POST', `/v1/orders/${o.orderId}/cancel`, { token });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CANCELLED');
    const expected = 2 * (o.fare + o.bag - PENALTY);
    expect(refundsOf((await chargeOf(o.orderId)).chargeId!).map((r) => r.amount)).toEqual([expected]);
    const [row] = await services.db.select().from(cancellationQuotes).where(eq(cancellationQuotes.orderId, o.orderId));
    expect(row).toMatchObject({ status: 'CONFIRMED', refundAmount: expected, penaltyAmount: 2 * PENALTY });
    const cancelled = await eventsOf(o.orderId, 'OrderCancelled');
    expect(cancelled[0]!.payload).toMatchObject({
      quote_id: row!.id,
      refund_amount: { amount: expected, currency: 'USD' },
      penalty_amount: { amount: 2 * PENALTY, currency: 'USD' },
    });
  });
});
