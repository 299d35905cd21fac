/**
 * The late payment policy (README, "Late payments") on the real stack: a charge that succeeds after the order
 * stopped waiting for it — the sandbox's test mode captures a voided charge late (a void that raced a capture),
 * and its signed `charge.succeeded` webhook reaches the API like any other. While the order is PROPOSED with its
 * hold running the late charge pays it; once it has EXPIRED, its seats are held again and the charge pays it when
 * they are still free; otherwise it is refunded in full, once, and the customer told (LatePaymentRefunded).
 * Duplicate deliveries change nothing.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, orders, payments, tickets } from '../../db/schema';
import { signWebhook } from '../../domain/webhook-signature';
import { createInventory } from '../../services/inventory';
import type { Services } from '../../lib/services';
import {
  getOrderState,
  latePaymentWorkflowId,
  orderWorkflowId,
  type LatePaymentOutcome,
} from '../../workflows/messages';
import { apiClient, eventually, recordHistory, startOrderStack, type OrderStack } from '../support/harness';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, pgInventory, testRoute, type TestFlight } from '../support/flights';
import { expectInventoryConsistent, type SeatMapSeat } from '../support/inventory-invariants';
import { openTestServices } from '../support/services';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';

const route = testRoute('late-payments');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;

const traveler = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01', gender: 'F' };
const contact = { email: 'jane@example.com' };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, {
    APP_PAYMENTS__GATEWAY_TIMEOUT_MS: '1500',
    APP_ORDERS__PAYMENT_TIMEOUT_SECONDS: '3',
  });
  api = apiClient(stack.apiUrl);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

async function flight(): Promise<TestFlight> {
  const f = await createTestFlight(services, { route, capacity: 10 });
  await createInventory(services).rebuildIndex([f.id]);
  return f;
}

/** An app like the stack's, but with another hold time (accepted orders keep the time they were created with). */
async function acceptWithHold(offerId: string, holdSeconds: number) {
  const { createApp } = await import('../../api/app');
  const { silentLogger } = await import('../support/services');
  const app = createApp({
    ...services,
    logger: silentLogger(),
    config: { ...stack.config, orders: { ...stack.config.orders, hold_seconds: holdSeconds } },
  });
  const res = await app.request(`/v1/offers/${offerId}/accept`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ travelers: [traveler], contact }),
  });
  return (await res.json()) as Record<string, any>;
}

const accept = async (offerId: string) =>
  (await api('POST', `/v1/offers/${offerId}/accept`, { token, body: { travelers: [traveler], contact } })).body;
const pay = (orderId: string, paymentToken: string) =>
  api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: paymentToken } });
const statusOf = async (orderId: string) =>
  (await services.db.select({ s: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.s;
const untilStatus = (orderId: string, status: string) =>
  eventually(
    () => statusOf(orderId),
    (s) => s === status,
    30_000,
  );
const eventsOf = async (orderId: string) =>
  await services.db.select().from(outbox).where(eq(outbox.aggregateId, orderId)).orderBy(asc(outbox.seq));
const typesOf = async (orderId: string) => (await eventsOf(orderId)).map((e) => e.type);
const paymentRows = (orderId: string) =>
  services.db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(asc(payments.attempt));
const ticketCount = async (orderId: string) =>
  (await services.db.select().from(tickets).where(eq(tickets.orderId, orderId))).length;

const sandbox = async <T>(method: string, path: string): Promise<T> =>
  (await fetch(`${stack.sandboxUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${stack.config.payments.gateway_api_key}` },
  }).then((r) => r.json())) as T;
type WireCharge = {
  id: string;
  status: string;
  amount: number;
  amount_refunded: number;
  metadata: { attempt: string };
};
const chargesOf = async (orderId: string) =>
  (await sandbox<{ data: WireCharge[] }>('GET', `/v1/charges?order_id=${orderId}`)).data;
const refundsOf = async (chargeId: string) =>
  (await sandbox<{ data: { id: string; amount: number }[] }>('GET', `/v1/refunds?charge_id=${chargeId}`)).data;
/** The test mode's late capture; resolves once its webhook was delivered (the API answered 2xx). */
async function captureLate(chargeId: string): Promise<string> {
  const captured = await sandbox<WireCharge>('POST', `/v1/test/charges/${chargeId}/capture_late`);
  expect(captured.status).toBe('succeeded');
  const events = await eventually(
    () => sandbox<{ data: { id: string; delivered: boolean }[] }>('GET', `/v1/events?charge_id=${chargeId}`),
    (e) => e.data.length === 1 && e.data[0]!.delivered,
  );
  expect(events.data[0]!.delivered).toBe(true);
  return events.data[0]!.id;
}

/** A correctly signed `charge.succeeded` for the charge, as the provider would send it. */
function deliver(orderId: string, chargeId: string, eventId: string) {
  const body = JSON.stringify({
    id: eventId,
    type: 'charge.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { charge: { id: chargeId, order_id: orderId, status: 'succeeded', decline_code: null } },
  });
  const signature = signWebhook(stack.config.payments.webhook_secret, body, Math.floor(Date.now() / 1000));
  return api('POST', '/v1/webhooks/payments', { body, headers: { 'Altis-Signature': signature } });
}

/** The same `charge.succeeded` delivered again (same event id), and as a new event for the same charge. */
async function redeliver(orderId: string, chargeId: string, eventId: string) {
  const answers = [];
  for (const id of [eventId, `evt_again_${randomUUID()}`]) answers.push(await deliver(orderId, chargeId, id));
  expect(answers.map((a) => a.status)).toEqual([200, 200]);
  expect(answers.map((a) => a.body.duplicate)).toEqual([true, false]);
}

/** Pays with a charge that never answers: after the payment timeout it is voided and the order PROPOSED again. */
async function voidedCharge(orderId: string): Promise<WireCharge> {
  expect((await pay(orderId, 'tok_timeout')).status).toBe(202);
  await eventually(
    () => chargesOf(orderId),
    (c) => c.length === 1 && c[0]!.status === 'voided',
    30_000,
  );
  const [charge] = await chargesOf(orderId);
  expect(charge!.status).toBe('voided');
  return charge!;
}

/** The order is FULFILLED on its first attempt's charge, kept whole (never refunded), one ticket, the seat sold. */
async function expectPaidOnceBy(orderId: string, chargeId: string, flightId: string) {
  const state = await workflowState(orderId);
  expect(state).toMatchObject({ status: 'FULFILLED', payment: { attempt: 1, status: 'SUCCEEDED', chargeId } });
  expect(await chargesOf(orderId)).toMatchObject([{ id: chargeId, status: 'succeeded', amount_refunded: 0 }]);
  expect(await refundsOf(chargeId)).toEqual([]);
  expect((await paymentRows(orderId)).map((p) => [p.attempt, p.status, p.chargeId])).toEqual([
    [1, 'SUCCEEDED', chargeId],
  ]);
  expect(await ticketCount(orderId)).toBe(1);
  expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, sold: 1 });
}

const seatMap = async (flightId: string) =>
  (await api<{ seats: SeatMapSeat[] }>('GET', `/v1/flights/${flightId}/seats`, { token })).body.seats;

/** A query is answered after every signal delivered before it: the workflow has taken the redeliveries. */
const workflowState = (orderId: string) =>
  services.temporal.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderState);

describe('late payments', () => {
  it('a late success while PROPOSED with the hold running pays the order: sold and ticketed, charged once', async () => {
    const f = await flight();
    const order = await accept((await createTestOffer(services.redis, [f])).id);
    const orderId = order.id as string;
    const charge = await voidedCharge(orderId);
    expect(await untilStatus(orderId, 'PROPOSED')).toBe('PROPOSED');
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 1, sold: 0 });

    const eventId = await captureLate(charge.id);
    expect(await untilStatus(orderId, 'FULFILLED')).toBe('FULFILLED');

    await redeliver(orderId, charge.id, eventId);
    await expectPaidOnceBy(orderId, charge.id, f.id);
    const types = await typesOf(orderId);
    expect(types.filter((t) => t === 'OrderPaid')).toHaveLength(1);
    expect(types.filter((t) => t === 'OrderFulfilled')).toHaveLength(1);
    expect(types).not.toContain('LatePaymentRefunded');
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'late-payment-pays');
  });

  it('a signed success naming a charge the provider never issued, while PROPOSED, changes nothing', async () => {
    const f = await flight();
    const orderId = (await accept((await createTestOffer(services.redis, [f])).id)).id as string;
    const forged = `ch_forged_${randomUUID().replaceAll('-', '')}`;
    expect((await deliver(orderId, forged, `evt_forged_${randomUUID()}`)).status).toBe(200);
    // The workflow asked the provider (the activity completed, its answer: no such charge) and moved nothing.
    const handle = services.temporal.workflow.getHandle(orderWorkflowId(orderId));
    const asked = async () => {
      const history = await handle.fetchHistory();
      const scheduled = history.events?.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'confirmLatePayment',
      );
      return history.events?.some(
        (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString(),
      );
    };
    expect(await eventually(asked, Boolean)).toBe(true);
    const state = await workflowState(orderId);
    expect(state).toMatchObject({ status: 'PROPOSED', payment: null });
    expect(await statusOf(orderId)).toBe('PROPOSED');
    expect(await typesOf(orderId)).toEqual(['OfferAccepted', 'OrderProposed']);
    expect(await paymentRows(orderId)).toEqual([]);
    // Still open for its own payment.
    expect((await pay(orderId, 'tok_visa')).status).toBe(200);
    expect(await untilStatus(orderId, 'FULFILLED')).toBe('FULFILLED');
  });

  it('a late success after another charge paid the order is refunded once and notified; the order unchanged', async () => {
    const f = await flight();
    const order = await accept((await createTestOffer(services.redis, [f])).id);
    const orderId = order.id as string;
    const late = await voidedCharge(orderId);
    expect(await untilStatus(orderId, 'PROPOSED')).toBe('PROPOSED');
    expect((await pay(orderId, 'tok_visa')).status).toBe(200);
    expect(await untilStatus(orderId, 'FULFILLED')).toBe('FULFILLED');
    const paidBy = (await chargesOf(orderId)).find((c) => c.id !== late.id)!;
    const ticketsBefore = await ticketCount(orderId);

    const eventId = await captureLate(late.id);
    const refunds = await eventually(
      () => refundsOf(late.id),
      (r) => r.length > 0,
    );
    expect(refunds).toMatchObject([{ amount: late.amount }]);
    await eventually(
      () => typesOf(orderId),
      (t) => t.includes('LatePaymentRefunded'),
    );

    await redeliver(orderId, late.id, eventId);
    const state = await workflowState(orderId);
    expect(state.status).toBe('FULFILLED');
    expect(state.payment).toMatchObject({ attempt: 2, status: 'SUCCEEDED', chargeId: paidBy.id });
    // The refund is recorded before the workflow's activity completes: once the row says so, nothing is pending.
    expect(await refundsOf(late.id)).toHaveLength(1);
    expect(await refundsOf(paidBy.id)).toEqual([]);
    expect((await paymentRows(orderId)).map((p) => [p.attempt, p.status, p.chargeId, p.refundedAmount])).toEqual([
      [1, 'REFUNDED', late.id, late.amount],
      [2, 'SUCCEEDED', paidBy.id, null],
    ]);
    const notices = (await eventsOf(orderId)).filter((e) => e.type === 'LatePaymentRefunded');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.payload).toMatchObject({
      order_id: orderId,
      charge_id: late.id,
      amount: { amount: late.amount, currency: 'USD' },
      charged: { amount: late.amount, currency: 'USD' },
    });
    expect(await statusOf(orderId)).toBe('FULFILLED');
    expect(await ticketCount(orderId)).toBe(ticketsBefore);
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 0, sold: 1 });
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'late-payment-refunded');
  });

  /** An order accepted with a 2 s hold whose only charge never answered: voided after the hold ran out, EXPIRED. */
  async function expiredWithVoidedCharge(f: TestFlight) {
    const order = await acceptWithHold((await createTestOffer(services.redis, [f])).id, 2);
    const orderId = order.id as string;
    const charge = await voidedCharge(orderId);
    expect(await untilStatus(orderId, 'EXPIRED')).toBe('EXPIRED');
    await services.temporal.workflow.getHandle(orderWorkflowId(orderId)).result(); // its workflow closed
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 0, sold: 0 });
    return { orderId, charge };
  }

  it('a success after the order EXPIRED re-holds its seats when they are free: sold, ticketed, serviceable', async () => {
    const f = await flight();
    const { orderId, charge } = await expiredWithVoidedCharge(f);

    const eventId = await captureLate(charge.id);
    const late = services.temporal.workflow.getHandle(latePaymentWorkflowId(charge.id));
    const outcome = (await late.result()) as LatePaymentOutcome;
    expect(outcome).toMatchObject({ orderId, chargeId: charge.id, outcome: 'reinstated', amount: charge.amount });
    // A new run of the order's own workflow sells and tickets on the late charge; nothing is charged again.
    expect(await untilStatus(orderId, 'FULFILLED')).toBe('FULFILLED');
    await redeliver(orderId, charge.id, eventId); // reaches the new run, which knows the charge: nothing changes
    await expectPaidOnceBy(orderId, charge.id, f.id);
    const types = await typesOf(orderId);
    expect(types.slice(types.indexOf('OrderExpired'))).toEqual([
      'OrderExpired',
      'OrderReinstated',
      'OrderPaid',
      'OrderFulfilled',
    ]);
    const read = await api('GET', `/v1/orders/${orderId}`, { token });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('FULFILLED');
    await expectInventoryConsistent(services, [f.id], seatMap);

    // The reinstated order is serviced as any other: cancelled, refunded by its workflow, the seat given back.
    const cancelled = await api('POST', `/v1/orders/${orderId}/cancel`, { token, body: { reason: 'changed plans' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    await services.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
    expect((await refundsOf(charge.id)).length).toBe(1);
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 0, sold: 0 });
    await expectInventoryConsistent(services, [f.id], seatMap);
    await recordHistory(services.temporal, latePaymentWorkflowId(charge.id), 'expired-reinstated');
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'reinstated-then-cancelled');
  });

  it('a success after the order EXPIRED is refunded, once, when its seats were sold meanwhile', async () => {
    const f = await createTestFlight(services, { route, capacity: 1 });
    await createInventory(services).rebuildIndex([f.id]);
    const { orderId, charge } = await expiredWithVoidedCharge(f);
    // Another customer takes the only seat while the first order is expired.
    const other = await accept((await createTestOffer(services.redis, [f])).id);
    expect((await pay(other.id as string, 'tok_visa')).status).toBe(200);
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 0, sold: 1 });

    const eventId = await captureLate(charge.id);
    const outcome = (await services.temporal.workflow
      .getHandle(latePaymentWorkflowId(charge.id))
      .result()) as LatePaymentOutcome;
    expect(outcome).toMatchObject({ orderId, chargeId: charge.id, outcome: 'refunded', amount: charge.amount });
    expect(outcome.reason).toMatch(/sold/);

    await redeliver(orderId, charge.id, eventId); // the webhook answers once its (refused) start has been tried
    expect(await refundsOf(charge.id)).toMatchObject([{ amount: charge.amount }]);
    expect((await chargesOf(orderId)).map((c) => [c.status, c.amount_refunded])).toEqual([
      ['succeeded', charge.amount],
    ]);
    expect((await paymentRows(orderId)).map((p) => [p.status, p.chargeId, p.refundedAmount])).toEqual([
      ['REFUNDED', charge.id, charge.amount],
    ]);
    const types = await typesOf(orderId);
    expect(types.filter((t) => t === 'LatePaymentRefunded')).toHaveLength(1);
    expect(types).not.toContain('OrderReinstated');
    expect(types).not.toContain('OrderPaid');
    expect(await statusOf(orderId)).toBe('EXPIRED');
    expect(await ticketCount(orderId)).toBe(0);
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 0, sold: 1 });
    await expectInventoryConsistent(services, [f.id], seatMap);
    await recordHistory(services.temporal, latePaymentWorkflowId(charge.id), 'expired-sold-out-refunded');
  });

  it('two late successes racing for one expired order: exactly one re-holds it, the other is refunded', async () => {
    const f = await flight();
    const order = await acceptWithHold((await createTestOffer(services.redis, [f])).id, 10);
    const orderId = order.id as string;
    // Two attempts whose charges never answer, each voided while the hold runs; then the hold runs out.
    const first = await voidedCharge(orderId);
    expect(await untilStatus(orderId, 'PROPOSED')).toBe('PROPOSED');
    expect((await pay(orderId, 'tok_timeout')).status).toBe(202);
    const charges = await eventually(
      () => chargesOf(orderId),
      (c) => c.length === 2 && c.every((x) => x.status === 'voided'),
      30_000,
    );
    expect(await untilStatus(orderId, 'EXPIRED')).toBe('EXPIRED');
    await services.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
    expect(charges.map((c) => c.id)).toContain(first.id);

    await Promise.all(charges.map((c) => captureLate(c.id)));
    const outcomes = await Promise.all(
      charges.map(
        async (c) =>
          (await services.temporal.workflow.getHandle(latePaymentWorkflowId(c.id)).result()) as LatePaymentOutcome,
      ),
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['refunded', 'reinstated']);
    const paidBy = outcomes.find((o) => o.outcome === 'reinstated')!.chargeId;
    const refunded = outcomes.find((o) => o.outcome === 'refunded')!.chargeId;
    expect(await untilStatus(orderId, 'FULFILLED')).toBe('FULFILLED');
    expect(await refundsOf(paidBy)).toEqual([]);
    expect(await refundsOf(refunded)).toHaveLength(1);
    expect(
      (await paymentRows(orderId))
        .map((p) => [p.chargeId, p.status])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual(
      [
        [paidBy, 'SUCCEEDED'],
        [refunded, 'REFUNDED'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(await ticketCount(orderId)).toBe(1);
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 0, sold: 1 });
    const types = await typesOf(orderId);
    expect(types.filter((t) => t === 'OrderReinstated')).toHaveLength(1);
    expect(types.filter((t) => t === 'OrderPaid')).toHaveLength(1);
    await expectInventoryConsistent(services, [f.id], seatMap);
  });

  it('a success after the order was CANCELLED is refunded, once; a charge the provider never issued is not', async () => {
    const f = await flight();
    const order = await accept((await createTestOffer(services.redis, [f])).id);
    const orderId = order.id as string;
    const charge = await voidedCharge(orderId);
    expect(await untilStatus(orderId, 'PROPOSED')).toBe('PROPOSED');
    const cancelled = await api('POST', `/v1/orders/${orderId}/cancel`, { token, body: { reason: 'changed plans' } });
    expect(cancelled.status).toBe(200);
    await services.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();

    // A correctly signed event naming a charge the provider never issued: looked up, found missing, not refunded.
    const forged = `ch_forged_${randomUUID().replaceAll('-', '')}`;
    expect((await deliver(orderId, forged, `evt_forged_${randomUUID()}`)).status).toBe(200);
    const ignored = (await services.temporal.workflow
      .getHandle(latePaymentWorkflowId(forged))
      .result()) as LatePaymentOutcome;
    expect(ignored.outcome).toBe('ignored');

    const eventId = await captureLate(charge.id);
    const outcome = (await services.temporal.workflow
      .getHandle(latePaymentWorkflowId(charge.id))
      .result()) as LatePaymentOutcome;
    expect(outcome.outcome).toBe('refunded');
    await redeliver(orderId, charge.id, eventId);
    expect(await refundsOf(charge.id)).toMatchObject([{ amount: charge.amount }]);
    expect(
      (await eventsOf(orderId))
        .filter((e) => e.type === 'LatePaymentRefunded')
        .map((e) => (e.payload as { charge_id: string }).charge_id),
    ).toEqual([charge.id]);
    expect(await statusOf(orderId)).toBe('CANCELLED');
    const [row] = await services.db
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.chargeId, charge.id)));
    expect(row?.status).toBe('REFUNDED');
  });
});
