/**
 * The revenue ledger (issue #15, item 6), over HTTP against the real stack: a sale posts the capture and the tickets'
 * unearned liability; a cancellation the refund and the penalty retained; a change the difference and its penalty;
 * services their capture and EMDs; a flown coupon its earned revenue. GET /v1/admin/orders/:id/ledger shows each
 * order's postings with running balances, GET /v1/admin/settlement the figures per route and day. After every test
 * each order's ledger balances against what the payments sandbox recorded.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FareConditions } from '../../domain/commercial';
import type { Services } from '../../lib/services';
import { postCouponFlown, postCouponNoShow, postTicketsReissued } from '../../services/ledger';
import { saveOffers } from '../../services/offer-store';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('ledger');
const ROUTE = `${route.origin}-${route.destination}`;
const PENALTY = 5_000;
const CHANGE_PENALTY = 1_500;

const conditions: FareConditions = {
  refund_before_departure: { allowed: true, penalty_amount: PENALTY, penalty_currency: 'USD' },
  change_before_departure: { allowed: true, penalty_amount: CHANGE_PENALTY, penalty_currency: 'USD' },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};
const traveler = { ptc: 'ADT', first_name: 'Grace', last_name: 'Hopper', date_of_birth: '1986-12-09', gender: 'F' };
const contact = { email: 'ledger@example.com' };

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
let admin: string;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  token = (await tokenFor(services, stack.config)).token;
  admin = (await tokenFor(services, stack.config, 'admin')).token;
});

// The invariant after every test: each order's ledger balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

let dayOffset = 3 + Math.floor(Math.random() * 40) * 3;
const nextDay = () => new Date(Date.now() + dayOffset++ * 86_400_000).toISOString().slice(0, 10);
const flight = (baseFare = 20_000, date = nextDay()): Promise<TestFlight> =>
  createTestFlight(services, { route, date, baseFare, capacity: 10 });

interface Entry {
  posting_key: string;
  kind: string;
  account: string;
  amount: { amount: number; currency: string };
  balance_after: { amount: number };
  document_number: string | null;
  reference: string | null;
}
interface Ledger {
  order_id: string;
  balanced: boolean;
  balances: { account: string; balance: { amount: number; currency: string } }[];
  entries: Entry[];
}

const ledgerOf = async (orderId: string) => {
  const res = await api<Ledger>('GET', `/v1/admin/orders/${orderId}/ledger`, { token: admin });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const balance = (l: Ledger, account: string) => l.balances.find((b) => b.account === account)?.balance.amount ?? 0;
const sumOf = (l: Ledger, kind: string, account: string) =>
  l.entries.filter((e) => e.kind === kind && e.account === account).reduce((n, e) => n + e.amount.amount, 0);

const today = () => new Date().toISOString().slice(0, 10);
interface Figures {
  captured: number;
  refunded: number;
  unearned: number;
  earned: number;
  penalties: number;
}
async function settlementOf(date = today()): Promise<Figures> {
  const res = await api<{ routes: Record<string, any>[] }>('GET', `/v1/admin/settlement?date=${date}&route=${ROUTE}`, {
    token: admin,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const row = res.body.routes.find((r) => r.route === ROUTE);
  const f = (k: string) => (row?.[k]?.amount as number | undefined) ?? 0;
  return {
    captured: f('captured'),
    refunded: f('refunded'),
    unearned: f('unearned'),
    earned: f('earned'),
    penalties: f('penalties'),
  };
}
const delta = (after: Figures, before: Figures): Figures => ({
  captured: after.captured - before.captured,
  refunded: after.refunded - before.refunded,
  unearned: after.unearned - before.unearned,
  earned: after.earned - before.earned,
  penalties: after.penalties - before.penalties,
});

/** An order of one adult on `f`, sold under the test's conditions, paid and FULFILLED. */
async function paidOrder(f: TestFlight, opts: { ancillaries?: boolean } = {}) {
  const offer = await createTestOffer(services.redis, [f], { ancillaries: opts.ancillaries ?? false });
  await saveOffers(services.redis, [{ ...offer, conditions }], 900);
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token,
    body: { travelers: [traveler], contact },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const orderId = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: 'tok_visa' } });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  const order = await eventually(
    () => api('GET', `/v1/orders/${orderId}`, { token }),
    (r) => r.body.status === 'FULFILLED',
  );
  return { orderId, total: order.body.total.amount as number, offer };
}

const chargesOf = async (orderId: string) =>
  (
    (await fetch(`${stack.sandboxUrl}/v1/charges?order_id=${orderId}`, {
      headers: { Authorization: `Bearer ${stack.config.payments.gateway_api_key}` },
    }).then((r) => r.json())) as { data: { id: string; status: string; amount: number }[] }
  ).data.filter((c) => c.status === 'succeeded');

describe('the ledger of a sale', () => {
  it('a payment posts the capture (CASH) and the tickets issued (UNEARNED), balanced, with running balances', async () => {
    const before = await settlementOf();
    const { orderId, total } = await paidOrder(await flight(), { ancillaries: true });
    const l = await ledgerOf(orderId);
    expect(l.balanced).toBe(true);
    const [charge] = await chargesOf(orderId);
    const capture = l.entries.filter((e) => e.kind === 'payment_captured');
    expect(capture.map((e) => [e.account, e.amount.amount, e.reference])).toEqual([
      ['CASH', total, charge!.id],
      ['CUSTOMER', -total, charge!.id],
    ]);
    expect(capture[0]!.posting_key).toBe(`capture:${orderId}:${charge!.id}`);
    // Every ticket and EMD carries its value; together they are the sale.
    const issued = l.entries.filter((e) => e.account === 'UNEARNED');
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(issued.every((e) => e.document_number !== null && e.amount.amount < 0)).toBe(true);
    expect(sumOf(l, 'tickets_issued', 'UNEARNED')).toBe(-total);
    expect(balance(l, 'CASH')).toBe(total);
    expect(balance(l, 'CUSTOMER')).toBe(0);
    expect(balance(l, 'UNEARNED')).toBe(-total);
    expect(l.entries.at(-1)!.balance_after.amount).toBe(-total);

    expect(delta(await settlementOf(), before)).toEqual({
      captured: total,
      refunded: 0,
      unearned: total,
      earned: 0,
      penalties: 0,
    });
  });

  it('a flown coupon (the gate’s transition) earns the ticket’s value, once', async () => {
    const { orderId, total } = await paidOrder(await flight());
    const [ticket] = (await ledgerOf(orderId)).entries.filter((e) => e.account === 'UNEARNED');
    const before = await settlementOf();
    const at = new Date();
    await services.db.transaction((tx) => postCouponFlown(tx, { orderId, ticketNumber: ticket!.document_number!, at }));
    await services.db.transaction((tx) => postCouponFlown(tx, { orderId, ticketNumber: ticket!.document_number!, at }));
    const l = await ledgerOf(orderId);
    expect(l.balanced).toBe(true);
    expect(balance(l, 'EARNED')).toBe(-total);
    expect(balance(l, 'UNEARNED')).toBe(0);
    expect(delta(await settlementOf(), before)).toMatchObject({ earned: total, unearned: -total, captured: 0 });
  });
  it('a no-show’s coupon is kept under the no-show rule (PENALTIES), and a coupon is consumed only once', async () => {
    const { orderId, total } = await paidOrder(await flight());
    const [ticket] = (await ledgerOf(orderId)).entries.filter((e) => e.account === 'UNEARNED');
    const at = new Date();
    await services.db.transaction((tx) =>
      postCouponNoShow(tx, { orderId, ticketNumber: ticket!.document_number!, at }),
    );
    await services.db.transaction((tx) => postCouponFlown(tx, { orderId, ticketNumber: ticket!.document_number!, at }));
    const l = await ledgerOf(orderId);
    expect(l.balanced).toBe(true);
    expect(balance(l, 'PENALTIES')).toBe(-total);
    expect(balance(l, 'EARNED')).toBe(0);
    expect(balance(l, 'UNEARNED')).toBe(0);
  });
  it('a reissue with no money (re-accommodation) carries each ticket’s value to its new number', async () => {
    const { orderId, total } = await paidOrder(await flight());
    const [ticket] = (await ledgerOf(orderId)).entries.filter((e) => e.account === 'UNEARNED');
    const from = ticket!.document_number!;
    const to = '1579999999999';
    const at = new Date();
    for (let i = 0; i < 2; i++) {
      await services.db.transaction((tx) =>
        postTicketsReissued(tx, { orderId, key: 'option-1', exchanged: [{ from, to }], at }),
      );
    }
    const l = await ledgerOf(orderId);
    expect(l.balanced).toBe(true);
    const reissue = l.entries.filter((e) => e.kind === 'reissue');
    expect(reissue.map((e) => [e.document_number, e.amount.amount])).toEqual([
      [from, total],
      [to, -total],
    ]);
    expect(balance(l, 'UNEARNED')).toBe(-total);
    expect(balance(l, 'CASH')).toBe(total);
  });
});

describe('the ledger of servicing', () => {
  it('a cancellation with a penalty posts the refund and the penalty retained; settlement shows both', async () => {
    const before = await settlementOf();
    const { orderId, total } = await paidOrder(await flight());
    const quote = await api('POST', `/v1/orders/${orderId}/cancellation-quotes`, { token });
    expect(quote.status, JSON.stringify(quote.body)).toBe(201);
    const refund = quote.body.refund_amount.amount as number;
    expect(refund).toBe(total - PENALTY);
    const confirmed = await api('POST', `/v1/orders/${orderId}/cancellation-quotes/${quote.body.id}/confirm`, {
      token,
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const l = await eventually(
      () => ledgerOf(orderId),
      (x) => x.entries.some((e) => e.kind === 'cancellation'),
    );
    expect(l.balanced).toBe(true);
    expect(sumOf(l, 'cancellation', 'CASH')).toBe(-refund);
    expect(sumOf(l, 'cancellation', 'PENALTIES')).toBe(-PENALTY);
    expect(balance(l, 'CASH')).toBe(total - refund);
    expect(balance(l, 'UNEARNED')).toBe(0);
    expect(balance(l, 'CUSTOMER')).toBe(0);
    expect(delta(await settlementOf(), before)).toEqual({
      captured: total,
      refunded: refund,
      unearned: 0,
      earned: 0,
      penalties: PENALTY,
    });
  });

  it('a change with a positive difference captures it, exchanges the ticket’s value and retains the change penalty', async () => {
    const day = nextDay();
    const a = await flight(20_000);
    const b = await flight(40_000, day);
    const { orderId, total } = await paidOrder(a);
    const request = await api('POST', `/v1/orders/${orderId}/change-requests`, {
      token,
      headers: { 'Idempotency-Key': randomUUID() },
      body: {
        remove: [a.id],
        add: [{ origin: route.origin, destination: route.destination, departure_date: day, cabin: 'ECONOMY' }],
      },
    });
    expect(request.status, JSON.stringify(request.body)).toBe(201);
    const offer = (request.body.change_offers as Record<string, any>[]).find((o) => o.add[0].flight_id === b.id)!;
    const changeTotal = offer.change_total_amount.amount as number;
    expect(changeTotal).toBeGreaterThan(CHANGE_PENALTY);
    const res = await api('POST', `/v1/orders/${orderId}/changes`, {
      token,
      headers: { 'Idempotency-Key': randomUUID() },
      body: { change_offer_id: offer.id, payment_token: 'tok_visa' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const l = await ledgerOf(orderId);
    expect(l.balanced).toBe(true);
    const change = l.entries.filter((e) => e.kind === 'change');
    expect(sumOf(l, 'change', 'PENALTIES')).toBe(-CHANGE_PENALTY);
    expect(sumOf(l, 'change', 'CUSTOMER')).toBe(changeTotal);
    // The old ticket's value released, the new ticket's issued: the difference less the penalty.
    expect(sumOf(l, 'change', 'UNEARNED')).toBe(-(changeTotal - CHANGE_PENALTY));
    expect(change.filter((e) => e.account === 'UNEARNED').map((e) => Math.sign(e.amount.amount))).toEqual([1, -1]);
    expect(balance(l, 'CASH')).toBe(total + changeTotal);
    expect(balance(l, 'UNEARNED')).toBe(-(total + changeTotal - CHANGE_PENALTY));
  });

  it('services bought after booking: their charge captured and each EMD’s value unearned', async () => {
    const f = await flight();
    const { orderId, total } = await paidOrder(f);
    const order = (await api('GET', `/v1/orders/${orderId}`, { token })).body;
    const available = await api('GET', `/v1/orders/${orderId}/available-services`, { token });
    expect(available.status, JSON.stringify(available.body)).toBe(200);
    const bag = (available.body.services as { id: string; type: string }[]).find((s) => s.type === 'Bag')!;
    const added = await api('POST', `/v1/orders/${orderId}/services`, {
      token,
      headers: { 'Idempotency-Key': randomUUID() },
      body: {
        services: [{ id: bag.id, traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 }],
        payment_token: 'tok_visa',
      },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const charged = added.body.charged.amount as number;
    expect(charged).toBeGreaterThan(0);
    expect(order.status).toBe('FULFILLED');
    const l = await ledgerOf(orderId);
    expect(l.balanced).toBe(true);
    const emd = added.body.services[0].emd.number as string;
    expect(l.entries.filter((e) => e.kind === 'emds_issued' && e.account === 'UNEARNED')).toMatchObject([
      { document_number: emd, amount: { amount: -charged } },
    ]);
    expect(balance(l, 'CASH')).toBe(total + charged);
    expect(balance(l, 'UNEARNED')).toBe(-(total + charged));
    expect(balance(l, 'CUSTOMER')).toBe(0);
  });
});

describe('the ledger endpoints', () => {
  it('admin only; 404 for an unknown order; clear 400s for bad parameters', async () => {
    const someone = randomUUID();
    expect((await api('GET', `/v1/admin/orders/${someone}/ledger`, { token })).status).toBe(403);
    expect((await api('GET', `/v1/admin/settlement?date=${today()}`)).status).toBe(401);
    const missing = await api('GET', `/v1/admin/orders/${someone}/ledger`, { token: admin });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    expect((await api('GET', '/v1/admin/orders/not-a-uuid/ledger', { token: admin })).status).toBe(400);
    for (const q of ['', 'date=2026-02-30', 'date=tomorrow', `date=${today()}&route=jfk-lhr`]) {
      const res = await api('GET', `/v1/admin/settlement?${q}`, { token: admin });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code, q).toBe('VALIDATION_FAILED');
    }
    const all = await api('GET', `/v1/admin/settlement?date=${today()}`, { token: admin });
    expect(all.status).toBe(200);
    expect(all.body.date).toBe(today());
  });
});
