/**
 * GET /v1/orders/:id/timeline (issue #16): an order's domain events, oldest first, told as entries — the hold, a
 * declined payment and its retry, the sale and tickets, a cancellation quote, the cancellation and its refund —
 * each with the status it leaves and the amount it moved; the notification after each event the notifications
 * consumer handled; the Temporal Web UI link for agents only; 404 for another customer; cursor pages that neither
 * repeat nor skip. On the real stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedEvents } from '../../db/schema';
import { NOTIFICATIONS_CONSUMER } from '../../lib/order-events';
import type { Services } from '../../lib/services';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute } from '../support/flights';
import { apiClient, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('order-timeline');
let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
});

ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

interface Entry {
  id: string;
  kind: string;
  type: string;
  status: string | null;
  summary: string;
  amount: { amount: number; currency: string } | null;
  details: Record<string, unknown>;
}

describe('an order’s timeline', () => {
  it('tells the hold, a decline and its retry, the sale, the cancellation and its refund, with notifications', async () => {
    const { token } = await tokenFor(services, stack.config);
    const other = (await tokenFor(services, stack.config)).token;
    const agent = (await tokenFor(services, stack.config, 'agent')).token;
    const flight = await createTestFlight(services, {
      route,
      departureAt: new Date(Date.now() + (20 + Math.floor(Math.random() * 60)) * 86_400_000),
      capacity: 10,
    });
    const offer = await createTestOffer(services.redis, [flight]);
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: {
        travelers: [{ ptc: 'ADT', first_name: 'Ada', last_name: 'Lovelace', date_of_birth: '1985-12-10' }],
        contact: { email: 'ada@example.com' },
      },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    const id = accepted.body.id as string;
    const declined = await api('POST', `/v1/orders/${id}/pay`, {
      token,
      body: { payment_token: 'tok_chargeDeclined' },
    });
    expect(declined.status).toBe(402);
    const paid = await api('POST', `/v1/orders/${id}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.body.status).toBe('FULFILLED');
    const quote = await api('POST', `/v1/orders/${id}/cancellation-quotes`, { token });
    expect(quote.status, JSON.stringify(quote.body)).toBe(201);
    const confirmed = await api('POST', `/v1/orders/${id}/cancellation-quotes/${quote.body.id}/confirm`, { token });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);

    const mine = await api('GET', `/v1/orders/${id}/timeline`, { token });
    expect(mine.status).toBe(200);
    const entries = mine.body.data as Entry[];
    const types = entries.map((e) => e.type);
    const order = [
      'OfferAccepted',
      'OrderProposed',
      'PaymentStarted',
      'PaymentFailed',
      'PaymentStarted',
      'OrderPaid',
      'OrderFulfilled',
      'OrderCancellationQuoted',
      'OrderCancelled',
    ];
    // In commit order (seat events interleave; the refund comes with the cancellation).
    expect(types.filter((t) => order.includes(t))).toEqual(order);
    expect(types).toContain('RefundIssued');
    const byType = (t: string) => entries.find((e) => e.type === t)!;
    expect(byType('OrderProposed')).toMatchObject({ kind: 'STATE', status: 'PROPOSED' });
    expect(byType('OrderProposed').amount).toEqual(paid.body.total);
    expect(byType('PaymentFailed')).toMatchObject({ kind: 'PAYMENT', status: 'PROPOSED' });
    expect(byType('PaymentFailed').summary).toMatch(/declined/);
    expect(byType('OrderPaid')).toMatchObject({ kind: 'PAYMENT', status: 'PAID' });
    expect(byType('OrderFulfilled')).toMatchObject({ kind: 'DOCUMENT', status: 'FULFILLED' });
    expect(byType('OrderCancelled')).toMatchObject({ kind: 'STATE', status: 'CANCELLED' });
    expect(byType('RefundIssued')).toMatchObject({ kind: 'REFUND', amount: quote.body.refund_amount });
    expect(byType('OrderCancelled').details).not.toHaveProperty('order_id');
    // No name, contact or token in any entry.
    expect(JSON.stringify(entries)).not.toMatch(/Lovelace|ada@example|tok_/);
    // The customer gets no operator link; an agent does, to this order's workflow.
    expect(mine.body.workflow).toEqual({ id: `order-${id}`, web_ui_url: null });
    const seen = await api('GET', `/v1/orders/${id}/timeline`, { token: agent });
    expect(seen.status).toBe(200);
    expect(seen.body.workflow.web_ui_url).toBe(
      `${stack.config.temporal.web_ui_url.replace(/\/+$/, '')}/namespaces/${stack.config.temporal.namespace}/workflows/order-${id}`,
    );
    // Another customer: the order does not exist for them.
    expect((await api('GET', `/v1/orders/${id}/timeline`, { token: other })).status).toBe(404);

    // Once the notifications consumer has handled the fulfilment (its processed mark), the mail follows it.
    const fulfilled = byType('OrderFulfilled');
    await services.db.insert(processedEvents).values({ consumer: NOTIFICATIONS_CONSUMER, eventId: fulfilled.id });
    const after = (await api('GET', `/v1/orders/${id}/timeline`, { token })).body.data as Entry[];
    const at = after.findIndex((e) => e.id === fulfilled.id);
    expect(after[at + 1]).toMatchObject({ id: `${fulfilled.id}:notification`, kind: 'NOTIFICATION' });
    expect(after.filter((e) => e.kind === 'NOTIFICATION')).toHaveLength(1); // OfferAccepted etc. are not mailed

    // Pages of 2 add up to the whole, in order, without repeats.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api('GET', `/v1/orders/${id}/timeline?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(res.status).toBe(200);
      paged.push(...(res.body.data as Entry[]).filter((e) => e.kind !== 'NOTIFICATION').map((e) => e.id));
      cursor = res.body.next_cursor as string | null;
    } while (cursor);
    expect(paged).toEqual(after.filter((e) => e.kind !== 'NOTIFICATION').map((e) => e.id));
  });

  it('refuses a bad id, limit or cursor with 400 and names the field', async () => {
    const { token } = await tokenFor(services, stack.config);
    const bad = await api('GET', '/v1/orders/not-a-uuid/timeline', { token });
    expect(bad.status).toBe(400);
    const id = crypto.randomUUID();
    for (const q of ['limit=0', 'limit=501', 'cursor=bm9wZQ']) {
      const res = await api('GET', `/v1/orders/${id}/timeline?${q}`, { token });
      // An unknown order is 404 before its cursor is read; a bad limit is refused first.
      expect([400, 404]).toContain(res.status);
    }
    expect((await api('GET', `/v1/orders/${id}/timeline?limit=0`, { token })).status).toBe(400);
    expect((await api('GET', `/v1/orders/${id}/timeline`)).status).toBe(401);
  });
});
