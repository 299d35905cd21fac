/**
 * The agents' side of orders and flights (issue #16): GET /v1/orders searches every customer's orders for an agent
 * by booking reference, contact email (matched by its blind index: the contact is encrypted) or customer (id or
 * account email), cursor-paginated, while a customer may not use those filters (403); agents read the schedule by
 * flight number and day (GET /v1/admin/flights) but may not change it; GET /v1/admin/flights/:id/disruptions shows
 * who a cancelled flight affected and how each order answered. On the real stack.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../../db/schema';
import type { FareConditions } from '../../domain/commercial';
import { recordLocator } from '../../domain/record-locator';
import type { Services } from '../../lib/services';
import { saveOffers } from '../../services/offer-store';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('agent-orders');
const NON_REFUNDABLE: FareConditions = {
  refund_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
  change_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};
const traveler = { ptc: 'ADT', first_name: 'Katherine', last_name: 'Johnson', date_of_birth: '1978-08-26' } as const;

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let customer: { id: string; token: string };
let other: { id: string; token: string };
let agent: string;
let admin: string;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  customer = await tokenFor(services, stack.config);
  other = await tokenFor(services, stack.config);
  agent = (await tokenFor(services, stack.config, 'agent')).token;
  admin = (await tokenFor(services, stack.config, 'admin')).token;
});

ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

let dayOffset = 3 + Math.floor(Math.random() * 40) * 5;
const nextDay = () => new Date(Date.now() + dayOffset++ * 86_400_000).toISOString().slice(0, 10);
const flight = (day = nextDay(), hhmm = '09:00'): Promise<TestFlight> =>
  createTestFlight(services, { route, departureAt: new Date(`${day}T${hhmm}:00Z`), capacity: 10 });

/** A paid order of `as` on `f` with this contact email. */
async function paidOrder(f: TestFlight, as: string, email: string): Promise<string> {
  const offer = await createTestOffer(services.redis, [f]);
  await saveOffers(services.redis, [{ ...offer, conditions: NON_REFUNDABLE }], 900);
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token: as,
    body: { travelers: [traveler], contact: { email } },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const id = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${id}/pay`, { token: as, body: { payment_token: 'tok_visa' } });
  expect(paid.body.status).toBe('FULFILLED');
  return id;
}

const search = (query: string, token = agent) => api('GET', `/v1/orders?${query}`, { token });
const idsOf = (res: { body: Record<string, any> }) => (res.body.data as { id: string }[]).map((o) => o.id);

describe('the agents’ order search', () => {
  it('finds anyone’s order by booking reference, contact email (any case) and customer id or email, paginated', async () => {
    const f = await flight();
    const email = `Agent.Search+${randomUUID().slice(0, 8)}@Example.com`;
    const a = await paidOrder(f, customer.token, email);
    const b = await paidOrder(f, other.token, email.toLowerCase());
    const c = await paidOrder(f, customer.token, `someone-else-${randomUUID().slice(0, 8)}@example.com`);

    // The stored blind index, never the address: the contact stays encrypted.
    const [row] = await services.db.select().from(orders).where(eq(orders.id, a));
    expect(row!.contactEmailIndex).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.contact).not.toContain('@');
    expect(row!.bookingReference).toBe(recordLocator(a));

    const byRef = await search(`booking_reference=${recordLocator(a).toLowerCase()}`);
    expect(byRef.status).toBe(200);
    expect(idsOf(byRef)).toEqual([a]);
    expect(byRef.body.data[0].booking_reference).toBe(recordLocator(a));

    const byEmail = await search(`contact_email=${encodeURIComponent(email.toUpperCase())}`);
    expect(idsOf(byEmail)).toEqual([b, a]); // newest first

    // Paginated with the API's cursor: one a page, then the next, then no more.
    const first = await search(`contact_email=${encodeURIComponent(email)}&limit=1`);
    expect(idsOf(first)).toEqual([b]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await search(
      `contact_email=${encodeURIComponent(email)}&limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`,
    );
    expect(idsOf(second)).toEqual([a]);
    expect(second.body.next_cursor).toBeNull();

    const byCustomerId = await search(`customer=${customer.id}`);
    expect(idsOf(byCustomerId)).toEqual([c, a]);
    const byCustomerEmail = await search(`customer=${encodeURIComponent(`TEST-${customer.id}@altis.test`)}`);
    expect(idsOf(byCustomerEmail)).toEqual([c, a]);
    // Filters narrow together.
    expect(idsOf(await search(`customer=${customer.id}&contact_email=${encodeURIComponent(email)}`))).toEqual([a]);
    expect(idsOf(await search(`customer=nobody-${randomUUID()}@example.com`))).toEqual([]);
    expect(
      idsOf(await search(`booking_reference=${recordLocator(c)}&contact_email=${encodeURIComponent(email)}`)),
    ).toEqual([]);

    // An agent opens what it found (an agent reads any order).
    const opened = await api('GET', `/v1/orders/${b}`, { token: agent });
    expect(opened.status).toBe(200);
    expect(opened.body.customer_id).toBe(other.id);
  });

  it('refuses the agent-only filters to customers (403) and validates every filter (400)', async () => {
    const email = encodeURIComponent('someone@example.com');
    for (const q of [`contact_email=${email}`, `customer=${other.id}`]) {
      const res = await search(q, customer.token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    // A customer's booking reference search stays their own.
    expect((await search('booking_reference=ABCDEF', customer.token)).status).toBe(200);

    for (const [q, path] of [
      ['contact_email=not-an-email', 'contact_email'],
      ['customer=neither', 'customer'],
      ['booking_reference=TOOLONG1', 'booking_reference'],
      ['limit=0', 'limit'],
      ['cursor=%21%21', 'cursor'],
    ] as const) {
      const res = await search(q);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body.error.details)).toContain(path);
    }
    expect((await api('GET', '/v1/orders?contact_email=a%40b.co')).status).toBe(401);
  });
});

describe('flights for agents', () => {
  it('finds a flight by number and day; may read it but not change it', async () => {
    const day = nextDay();
    const f = await flight(day);
    const designator = `ZZ${f.flightNumber}`;
    const found = await api('GET', `/v1/admin/flights?flight_number=${designator.toLowerCase()}&date=${day}`, {
      token: agent,
    });
    expect(found.status).toBe(200);
    expect(found.body.data.map((x: { id: string }) => x.id)).toEqual([f.id]);
    expect(found.body.data[0].flight_number).toBe(designator);
    const byNumber = await api('GET', `/v1/admin/flights?flight_number=${f.flightNumber}&date=${day}`, {
      token: agent,
    });
    expect(byNumber.body.data.map((x: { id: string }) => x.id)).toEqual([f.id]);
    expect((await api('GET', `/v1/admin/flights/${f.id}`, { token: agent })).status).toBe(200);
    expect((await api('GET', `/v1/admin/flights?flight_number=Z-1`, { token: agent })).status).toBe(400);

    const patched = await api('PATCH', `/v1/admin/flights/${f.id}`, { token: agent, body: { status: 'CANCELLED' } });
    expect(patched.status).toBe(403);
    expect((await api('GET', `/v1/admin/flights?date=${day}`, { token: customer.token })).status).toBe(403);
  });
});

describe('a flight’s disruptions', () => {
  it('lists each affected order with its answer: refunded, or no answer yet', async () => {
    const day = nextDay();
    const cancelled = await flight(day, '08:00');
    await flight(day, '12:00'); // where the travelers are offered seats
    const email = `disrupted-${randomUUID().slice(0, 8)}@example.com`;
    const a = await paidOrder(cancelled, customer.token, email);
    const b = await paidOrder(cancelled, other.token, email);

    const none = await api('GET', `/v1/admin/flights/${cancelled.id}/disruptions`, { token: agent });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ flight_id: cancelled.id, data: [] });

    expect(
      (await api('PATCH', `/v1/admin/flights/${cancelled.id}`, { token: admin, body: { status: 'CANCELLED' } })).status,
    ).toBe(200);
    const read = () => api('GET', `/v1/admin/flights/${cancelled.id}/disruptions`, { token: agent });
    const open = await eventually(read, (r) => r.body.data[0]?.totals.affected === 2);
    expect(open.body.data[0]).toMatchObject({
      kind: 'FLIGHT_CANCELLED',
      before: { status: 'SCHEDULED' },
      after: { status: 'CANCELLED' },
      totals: { affected: 2, no_answer: 2, accepted: 0, refunded: 0, auto_accepted: 0 },
    });

    const refunded = await api('POST', `/v1/orders/${a}/disruption/refund`, {
      token: customer.token,
      headers: { 'Idempotency-Key': randomUUID() },
      body: {},
    });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    const answered = await eventually(read, (r) => r.body.data[0]?.totals.refunded === 1);
    const byOrder = new Map(answered.body.data[0].orders.map((o: Record<string, any>) => [o.order_id, o]));
    expect(byOrder.get(a)).toMatchObject({
      booking_reference: recordLocator(a),
      status: 'REFUNDED',
      response: 'refunded',
      responded_by: 'customer',
      available_actions: [],
    });
    expect(byOrder.get(b)).toMatchObject({
      status: 'OPEN',
      response: null,
      responded_at: null,
      available_actions: ['accept', 'refund'],
    });
    expect(answered.body.data[0].totals).toMatchObject({ affected: 2, no_answer: 1, refunded: 1 });

    // Agents only, and a flight id is validated.
    expect((await api('GET', `/v1/admin/flights/${cancelled.id}/disruptions`, { token: customer.token })).status).toBe(
      403,
    );
    expect((await api('GET', '/v1/admin/flights/not-a-flight/disruptions', { token: agent })).status).toBe(400);
  });
});
