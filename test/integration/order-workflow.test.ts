import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveOffers } from '../../services/offer-store';
import { outbox, orders } from '../../db/schema';
import { decodeBcbp } from '../../domain/bcbp';
import { isValidTicketNumber } from '../../domain/tickets';
import { signWebhook } from '../../domain/webhook-signature';
import { createInventory } from '../../services/inventory';
import type { Services } from '../../lib/services';
import { ORDER_STATUS_KEY, orderWorkflowId } from '../../workflows/messages';
import {
  apiClient,
  eventually,
  killHard,
  recordHistory,
  spawnWorker,
  startOrderStack,
  type OrderStack,
} from '../support/harness';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, pgInventory, testRoute, type TestFlight } from '../support/flights';
import { openTestServices, uniqueTaskQueue } from '../support/services';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';

const route = testRoute('order-workflow');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;

const traveler = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01', gender: 'F' };
const contact = { email: 'jane@example.com', phone: '+44 20 7946 0000' };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, {
    APP_PAYMENTS__GATEWAY_TIMEOUT_MS: '1500',
    APP_ORDERS__PAYMENT_TIMEOUT_SECONDS: '5',
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

async function flightWithIndex(capacity = 10): Promise<TestFlight> {
  const flight = await createTestFlight(services, { route, capacity });
  await createInventory(services).rebuildIndex([flight.id]);
  return flight;
}

/** An app like the stack's, but with another hold time (accepted orders keep the time they were created with). */
async function acceptWithHold(offerId: string, holdSeconds: number, travelers = [traveler]) {
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
    body: JSON.stringify({ travelers, contact }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const accept = (offerId: string, travelers: unknown[] = [traveler]) =>
  api('POST', `/v1/offers/${offerId}/accept`, { token, body: { travelers, contact } });
const pay = (orderId: string, paymentToken: string) =>
  api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: paymentToken } });
const getOrder = (orderId: string) => api('GET', `/v1/orders/${orderId}`, { token });
const statusOf = async (orderId: string) =>
  (await services.db.select({ s: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.s;
const eventsOf = async (orderId: string) =>
  (await services.db.select().from(outbox).where(eq(outbox.aggregateId, orderId)).orderBy(asc(outbox.seq))).map(
    (e) => e.type,
  );
const chargesOf = async (orderId: string) =>
  (await fetch(`${stack.sandboxUrl}/v1/charges?order_id=${orderId}`, {
    headers: { Authorization: `Bearer ${stack.config.payments.gateway_api_key}` },
  }).then((r) => r.json())) as { data: { id: string; status: string; amount_refunded: number }[] };

describe('order workflow', () => {
  it('accept → PROPOSED with seats held → pay → PAID → FULFILLED with tickets and boarding passes', async () => {
    const flight = await flightWithIndex();
    const offer = await createTestOffer(services.redis, [flight], { ancillaries: true });

    const accepted = await accept(offer.id);
    expect(accepted.status).toBe(201);
    const orderId = accepted.body.id as string;
    expect(accepted.body.status).toBe('PROPOSED');
    expect(accepted.body.total).toEqual(offer.price.total);
    expect(accepted.body.travelers[0].first_name).toBe('Jane');
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 1, sold: 0 });

    const again = await accept(offer.id);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(orderId);
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 1, sold: 0 });

    const paid = await pay(orderId, 'tok_visa');
    expect(paid.status).toBe(200);
    expect(['PAID', 'FULFILLED']).toContain(paid.body.status);
    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'FULFILLED',
      ),
    ).toBe('FULFILLED');
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 0, sold: 1 });

    const docs = (await api('GET', `/v1/orders/${orderId}/fulfillment`, { token })).body;
    expect(docs.tickets).toHaveLength(1);
    expect(isValidTicketNumber(docs.tickets[0].number)).toBe(true);
    expect(docs.tickets[0].number).toMatch(/^157\d{10}$/);
    expect(docs.emds).toHaveLength(1); // the bag
    expect(docs.boarding_passes).toHaveLength(1);
    const pass = decodeBcbp(docs.boarding_passes[0].bcbp);
    expect(pass.passengerName).toBe('DOE/JANE');
    expect(pass.legs[0]).toMatchObject({ from: route.origin, to: route.destination, carrier: 'ZZ', compartment: 'Y' });

    expect(await eventsOf(orderId)).toEqual([
      'OfferAccepted',
      'OrderProposed',
      'PaymentStarted',
      'OrderPaid',
      'OrderFulfilled',
    ]);
    // The search attribute is indexed by the workflow task that follows the activity: shortly after Postgres.
    const indexed = await eventually(
      async () =>
        (await services.temporal.workflow.getHandle(orderWorkflowId(orderId)).describe()).typedSearchAttributes.get(
          ORDER_STATUS_KEY,
        ),
      (v) => v === 'FULFILLED',
      10_000,
    );
    expect(indexed).toBe('FULFILLED');
    expect((await chargesOf(orderId)).data).toHaveLength(1);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'happy-path');
  });

  it('expires when the hold timer fires: seats released, pay answers 410', async () => {
    const flight = await flightWithIndex();
    const offer = await createTestOffer(services.redis, [flight]);
    const accepted = await acceptWithHold(offer.id, 2);
    expect(accepted.status).toBe(201);
    const orderId = accepted.body.id as string;
    expect((await pgInventory(services.sql, flight.id)).held).toBe(1);

    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'EXPIRED',
        15_000,
      ),
    ).toBe('EXPIRED');
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 0, sold: 0 });
    expect(
      (await createInventory(services).availability(flight.id)).find((c) => c.cabin === 'ECONOMY')?.available,
    ).toBe(10);
    const late = await pay(orderId, 'tok_visa');
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('HOLD_EXPIRED');
    expect(await eventsOf(orderId)).toEqual(['OfferAccepted', 'OrderProposed', 'OrderExpired']);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'expired');
  });

  it('pay racing the timer at the last instant: the lock-in wins or 410, never both', async () => {
    const holdSeconds = 2;
    const flight = await flightWithIndex(20);
    const runs = await Promise.all(
      [-150, -60, -20, 0, 20, 60].map(async (offsetMs) => {
        const offer = await createTestOffer(services.redis, [flight]);
        const accepted = await acceptWithHold(offer.id, holdSeconds);
        const orderId = accepted.body.id as string;
        const expiresAt = Date.parse(accepted.body.expires_at as string);
        await new Promise((r) => setTimeout(r, Math.max(expiresAt - Date.now() + offsetMs, 0)));
        const res = await pay(orderId, 'tok_visa');
        const final = await eventually(
          () => statusOf(orderId),
          (s) => s === 'FULFILLED' || s === 'EXPIRED',
          15_000,
        );
        return { status: res.status, final, events: await eventsOf(orderId) };
      }),
    );
    for (const run of runs) {
      if (run.status === 200) {
        expect(run.final).toBe('FULFILLED');
        expect(run.events).not.toContain('OrderExpired');
      } else {
        expect(run.status).toBe(410);
        expect(run.final).toBe('EXPIRED');
        expect(run.events).not.toContain('OrderPaid');
      }
    }
    const paidCount = runs.filter((r) => r.status === 200).length;
    // Every paid order kept its seat, every expired one gave it back: nothing is both sold and released.
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 20, held: 0, sold: paidCount });
  });

  it('a declined payment returns the order to PROPOSED (402); a second card succeeds', async () => {
    const flight = await flightWithIndex();
    const offer = await createTestOffer(services.redis, [flight]);
    const orderId = (await accept(offer.id)).body.id as string;

    const declined = await pay(orderId, 'tok_chargeDeclined');
    expect(declined.status).toBe(402);
    expect(declined.body.error.code).toBe('PAYMENT_DECLINED');
    expect(declined.body.error.details.decline_code).toBe('card_declined');
    expect(await statusOf(orderId)).toBe('PROPOSED');
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 1, sold: 0 });

    const paid = await pay(orderId, 'tok_visa');
    expect(paid.status).toBe(200);
    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'FULFILLED',
      ),
    ).toBe('FULFILLED');
    expect(await eventsOf(orderId)).toEqual([
      'OfferAccepted',
      'OrderProposed',
      'PaymentStarted',
      'PaymentFailed',
      'PaymentStarted',
      'OrderPaid',
      'OrderFulfilled',
    ]);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'decline-then-success');
  });

  it('an asynchronous payment completes through the signed webhook', async () => {
    const flight = await flightWithIndex();
    const offer = await createTestOffer(services.redis, [flight]);
    const orderId = (await accept(offer.id)).body.id as string;

    const pending = await pay(orderId, 'tok_async');
    expect(pending.status).toBe(202);
    expect(pending.body.status).toBe('PAYMENT_PENDING');
    // The lock-in: a second payment or a cancel while one is in flight is refused.
    expect((await pay(orderId, 'tok_visa')).status).toBe(409);
    expect((await api('POST', `/v1/orders/${orderId}/cancel`, { token, body: {} })).status).toBe(409);

    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'FULFILLED',
      ),
    ).toBe('FULFILLED');
    expect((await chargesOf(orderId)).data.map((c) => c.status)).toEqual(['succeeded']);
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'async-webhook');
  });

  it('rejects forged, unsigned and stale webhooks without a change, and shrugs off duplicates', async () => {
    const flight = await flightWithIndex();
    const offer = await createTestOffer(services.redis, [flight]);
    const orderId = (await accept(offer.id)).body.id as string;
    expect((await pay(orderId, 'tok_timeout')).status).toBe(202); // no answer: pending until a webhook or the void
    const charge = (await chargesOf(orderId)).data[0]!;

    const event = (id: string, type: 'charge.succeeded' | 'charge.failed') =>
      JSON.stringify({
        id,
        type,
        created: Math.floor(Date.now() / 1000),
        data: { charge: { id: charge.id, order_id: orderId, status: 'failed', decline_code: 'card_declined' } },
      });
    const post = (body: string, signature?: string) =>
      api('POST', '/v1/webhooks/payments', { body, headers: signature ? { 'Altis-Signature': signature } : {} });
    const now = Math.floor(Date.now() / 1000);
    const secret = stack.config.payments.webhook_secret;
    const body = event(`evt_test_${randomUUID()}`, 'charge.failed');

    expect((await post(body)).status).toBe(401);
    expect((await post(body, signWebhook('whsec_not_the_real_secret_000', body, now))).status).toBe(401);
    expect((await post(body, signWebhook(secret, body, now - 600))).status).toBe(401);
    const tampered = body.replace('charge.failed', 'charge.succeeded');
    expect((await post(tampered, signWebhook(secret, body, now))).status).toBe(401);
    expect(await statusOf(orderId)).toBe('PAYMENT_PENDING');

    const first = await post(body, signWebhook(secret, body, now));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true, duplicate: false });
    const duplicate = await post(body, signWebhook(secret, body, now));
    expect(duplicate.body).toEqual({ received: true, duplicate: true });
    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'PROPOSED',
      ),
    ).toBe('PROPOSED');
    // The duplicate did not decline a second time.
    expect((await eventsOf(orderId)).filter((e) => e === 'PaymentFailed')).toHaveLength(1);
  });

  it('voids a payment that never resolves and treats it as declined', async () => {
    const flight = await flightWithIndex();
    const offer = await createTestOffer(services.redis, [flight]);
    const orderId = (await accept(offer.id)).body.id as string;
    expect((await pay(orderId, 'tok_timeout')).status).toBe(202);
    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'PROPOSED',
        20_000,
      ),
    ).toBe('PROPOSED');
    expect((await chargesOf(orderId)).data.map((c) => c.status)).toEqual(['voided']);
    expect((await getOrder(orderId)).body.payments[0].status).toBe('VOIDED');
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'payment-timeout');
  });

  it('cancel before payment releases; cancel after payment refunds and releases', async () => {
    const flight = await flightWithIndex();
    const before = (await accept((await createTestOffer(services.redis, [flight])).id)).body.id as string;
    const after = (await accept((await createTestOffer(services.redis, [flight])).id)).body.id as string;
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 2, sold: 0 });

    const cancelled = await api('POST', `/v1/orders/${before}/cancel`, { token, body: { reason: 'changed plans' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 1, sold: 0 });
    await recordHistory(services.temporal, orderWorkflowId(before), 'cancel-before-payment');

    expect((await pay(after, 'tok_visa')).status).toBe(200);
    await eventually(
      () => statusOf(after),
      (s) => s === 'FULFILLED',
    );
    const refunded = await api('POST', `/v1/orders/${after}/cancel`, { token, body: {} });
    expect(refunded.status).toBe(200);
    expect(refunded.body.status).toBe('CANCELLED');
    expect(refunded.body.payments[0].status).toBe('REFUNDED');
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 0, sold: 0 });
    const [charge] = (await chargesOf(after)).data;
    expect(charge!.amount_refunded).toBeGreaterThan(0);
    expect(await eventsOf(after)).toEqual([
      'OfferAccepted',
      'OrderProposed',
      'PaymentStarted',
      'OrderPaid',
      'OrderFulfilled',
      'OrderCancelled',
      'RefundIssued',
    ]);
    expect((await api('POST', `/v1/orders/${after}/cancel`, { token, body: {} })).status).toBe(409);
    await recordHistory(services.temporal, orderWorkflowId(after), 'cancel-after-payment');
  });

  it('answers 409 when seats run out, and nothing stays held', async () => {
    const flight = await flightWithIndex(2);
    const offer = await createTestOffer(services.redis, [flight], { passengers: { adults: 3 } });
    const three = [traveler, { ...traveler, first_name: 'John' }, { ...traveler, first_name: 'Ann' }];
    const res = await accept(offer.id, three);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SOLD_OUT');
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 2, held: 0, sold: 0 });
  });

  it('rejects bad travelers (400) and unknown or expired offers (404 / 410) without holding anything', async () => {
    const flight = await flightWithIndex();
    const offer = await createTestOffer(services.redis, [flight], { passengers: { adults: 1, infants: 1 } });
    const infantAlone = [{ ptc: 'INF', first_name: 'Mia', last_name: 'Doe', date_of_birth: '2026-06-01' }];
    expect((await accept(offer.id, infantAlone)).status).toBe(400);
    const badName = await accept(offer.id, [
      { ...traveler, first_name: 'J0hn' },
      { ptc: 'INF', first_name: 'Mia', last_name: 'Doe', date_of_birth: '2026-06-01' },
    ]);
    expect(badName.status).toBe(400);
    expect(badName.body.error.details.issues[0].path).toBe('travelers.0.first_name');
    expect((await accept('off_does-not-exist')).status).toBe(404);
    const someoneElse = (await api<{ customer_id: string }>('POST', '/v1/auth/guest')).body.customer_id;
    const theirs = await createTestOffer(services.redis, [flight]);
    await saveOffers(services.redis, [{ ...theirs, customer_id: someoneElse }], 900);
    expect((await accept(theirs.id)).status).toBe(404);
    const shortLived = await createTestOffer(services.redis, [flight], { ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await accept(shortLived.id)).status).toBe(410);
    expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 0, sold: 0 });
  });

  it('lists the caller’s orders with a cursor and hides other customers’ orders (404)', async () => {
    const other = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
    const flight = await flightWithIndex();
    const mine = [];
    for (let i = 0; i < 3; i++) {
      const offer = await createTestOffer(services.redis, [flight]);
      const res = await api('POST', `/v1/offers/${offer.id}/accept`, {
        token: other,
        body: { travelers: [traveler], contact },
      });
      mine.push(res.body.id as string);
    }
    const page1 = await api('GET', '/v1/orders?limit=2', { token: other });
    expect(page1.body.data.map((o: { id: string }) => o.id)).toEqual([mine[2], mine[1]]);
    const page2 = await api('GET', `/v1/orders?limit=2&cursor=${page1.body.next_cursor}`, { token: other });
    expect(page2.body.data.map((o: { id: string }) => o.id)).toEqual([mine[0]]);
    expect(page2.body.next_cursor).toBeNull();
    for (const path of [`/v1/orders/${mine[0]}`, `/v1/orders/${mine[0]}/fulfillment`]) {
      expect((await api('GET', path, { token })).status).toBe(404);
    }
    expect((await pay(mine[0]!, 'tok_visa')).status).toBe(404);
    expect((await api('POST', `/v1/orders/${mine[0]}/cancel`, { token, body: {} })).status).toBe(404);
    expect((await api('GET', `/v1/orders/${mine[0]}`)).status).toBe(401);
  });
});

describe('a worker killed mid-payment', () => {
  it('resumes on a new worker process, and the gateway recorded exactly one charge', async () => {
    const taskQueue = uniqueTaskQueue('crash');
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
    const call = (path: string, body: unknown) =>
      app.request(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });

    let worker = await spawnWorker(env);
    try {
      const flight = await flightWithIndex();
      const offer = await createTestOffer(services.redis, [flight]);
      const accepted = await call(`/v1/offers/${offer.id}/accept`, { travelers: [traveler], contact });
      const orderId = ((await accepted.json()) as { id: string }).id;
      // tok_visaSlow answers after the sandbox's delay: the worker dies while the charge is in flight.
      const paying = call(`/v1/orders/${orderId}/pay`, { payment_token: 'tok_visaSlow' });
      await eventually(
        () => chargesOf(orderId),
        (c) => c.data.length > 0,
        10_000,
        20,
      );
      await killHard(worker);
      worker = await spawnWorker(env);

      expect((await paying).status).toBe(200);
      expect(
        await eventually(
          () => statusOf(orderId),
          (s) => s === 'FULFILLED',
          60_000,
        ),
      ).toBe('FULFILLED');
      const charges = (await chargesOf(orderId)).data;
      expect(charges).toHaveLength(1);
      expect(charges[0]!.status).toBe('succeeded');
      expect(await pgInventory(services.sql, flight.id)).toMatchObject({ capacity: 10, held: 0, sold: 1 });
    } finally {
      await killHard(worker);
    }
  }, 120_000);
});
