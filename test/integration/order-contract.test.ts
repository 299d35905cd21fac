/**
 * The Order resource against its contract (api/order-schema.ts): real answers of GET /v1/orders/:id and of the
 * list, in every state these flows reach, parse with the strict schema; and a page of the list costs the same
 * number of database queries whatever its size.
 */
import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../../api/app';
import { orderSchema } from '../../api/order-schema';
import * as schema from '../../db/schema';
import { orderItems, orders, payments, travelers } from '../../db/schema';
import { createPiiCipher } from '../../lib/pii';
import type { Services } from '../../lib/services';
import { createInventory } from '../../services/inventory';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, ensureTestRoute, testRoute, type TestFlight } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices, silentLogger } from '../support/services';

const route = testRoute('order-contract');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;

const traveler = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01', gender: 'F' };
const child = { ptc: 'CHD', first_name: 'Tom', last_name: 'Doe', date_of_birth: '2018-06-01' };
const contact = { email: 'jane@example.com' };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  await ensureTestRoute(services, route);
  const guest = (await api<{ token: string; customer_id: string }>('POST', '/v1/auth/guest')).body;
  token = guest.token;
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

async function flightWithIndex(): Promise<TestFlight> {
  const flight = await createTestFlight(services, { route, capacity: 10 });
  await createInventory(services).rebuildIndex([flight.id]);
  return flight;
}

/** The answer parsed with the contract; the issues are the failure message. */
function expectOrder(body: unknown) {
  const parsed = orderSchema.safeParse(body);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  return parsed.data!;
}

const getOrder = async (id: string) => {
  const res = await api('GET', `/v1/orders/${id}`, { token });
  expect(res.status).toBe(200);
  return expectOrder(res.body);
};

describe('GET /v1/orders/:id against the Order schema', () => {
  it('an offer order: PROPOSED with its live view, then paid and FULFILLED with its payment', async () => {
    const offer = await createTestOffer(services.redis, [await flightWithIndex()], {
      passengers: { adults: 1, children: 1 },
      ancillaries: true,
    });
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: { travelers: [traveler, child], contact },
    });
    expect(accepted.status).toBe(201);
    const proposed = expectOrder(accepted.body);
    const read = await getOrder(proposed.id);
    expect(read).toMatchObject({ status: 'PROPOSED', source: 'OFFER', offer_id: offer.id });
    expect(read.live?.status).toBe('PROPOSED');
    expect(read.segments).toHaveLength(1);
    expect(read.travelers.map((t) => t.ptc)).toEqual(['ADT', 'CHD']);
    expect(new Set(read.items.map((i) => i.product_type))).toEqual(new Set(['Flight', 'Bag']));

    const paid = await api('POST', `/v1/orders/${proposed.id}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.status).toBe(200);
    expectOrder(paid.body);
    const fulfilled = await eventually(
      () => getOrder(proposed.id),
      (o) => o.status === 'FULFILLED',
    );
    expect(fulfilled.payments).toMatchObject([{ attempt: 1, status: 'SUCCEEDED', amount: offer.price.total }]);
    expect(fulfilled.live?.payment?.status).toBe('SUCCEEDED');
  });

  it('a declined then cancelled order, and a trip with a passenger', async () => {
    const offer = await createTestOffer(services.redis, [await flightWithIndex()]);
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: { travelers: [traveler], contact },
    });
    const id = expectOrder(accepted.body).id;
    const declined = await api('POST', `/v1/orders/${id}/pay`, {
      token,
      body: { payment_token: 'tok_chargeDeclined' },
    });
    expect(declined.status).toBe(402);
    expect((await getOrder(id)).payments[0]).toMatchObject({ status: 'FAILED', decline_code: expect.any(String) });
    const cancelled = await api('POST', `/v1/orders/${id}/cancel`, { token });
    expect(cancelled.status).toBe(200);
    expect(expectOrder(cancelled.body).status).toBe('CANCELLED');

    const flight = await flightWithIndex();
    const trip = await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [flight.id] } });
    expect(trip.status).toBe(201);
    const tripId = trip.body.trip_id as string;
    const pax = await api('POST', `/v1/holds/trip/${tripId}/passengers`, {
      token,
      body: { first_name: 'Ada', last_name: 'Lovelace' },
    });
    expect(pax.status).toBe(201);
    const held = await getOrder(tripId);
    expect(held).toMatchObject({ source: 'TRIP', offer_id: null, status: 'PROPOSED' });
    expect(held.segments.map((s) => s.flight_id)).toEqual([flight.id]);

    const list = await api('GET', '/v1/orders?limit=100', { token });
    expect(list.status).toBe(200);
    const page = z.object({ data: z.array(orderSchema), next_cursor: z.string().nullable() }).parse(list.body);
    expect(page.data.map((o) => o.id)).toEqual(expect.arrayContaining([id, tripId]));
  });
});

describe('GET /v1/orders', () => {
  /** A customer of their own with `n` orders, each with two travelers, two items and a payment, written directly. */
  async function customerWithOrders(n: number): Promise<string> {
    const guest = (await api<{ token: string; customer_id: string }>('POST', '/v1/auth/guest')).body;
    const pii = createPiiCipher(stack.config.pii);
    for (let k = 0; k < n; k++) {
      const id = randomUUID();
      const at = new Date(Date.now() - k * 1000).toISOString();
      await services.db.insert(orders).values({
        id,
        offerId: `off_${randomUUID()}`,
        customerId: guest.customer_id,
        source: 'OFFER',
        status: 'PAID',
        currency: 'USD',
        totalAmount: 20_000,
        expiresAt: new Date(Date.now() + 1800_000),
        offer: {
          segments: [
            {
              flightId: randomUUID(),
              cabin: 'ECONOMY',
              carrier: 'ZZ',
              flightNumber: '123',
              origin: route.origin,
              destination: route.destination,
              departureAt: at,
              arrivalAt: at,
            },
          ],
          fares: null,
        },
      });
      const pax = await services.db
        .insert(travelers)
        .values(
          [0, 1].map((position) => ({
            orderId: id,
            position,
            ptc: 'ADT' as const,
            firstName: pii.encrypt(`Pax${position}`),
            lastName: pii.encrypt('Doe'),
          })),
        )
        .returning();
      await services.db.insert(orderItems).values(
        pax.map((t) => ({
          orderId: id,
          productType: 'Flight',
          productCode: 'FLIGHT',
          travelerId: t.id,
          cabin: 'ECONOMY',
          amount: 10_000,
          currency: 'USD',
        })),
      );
      await services.db
        .insert(payments)
        .values({ orderId: id, attempt: 1, status: 'SUCCEEDED', chargeId: `ch_${k}`, amount: 20_000, currency: 'USD' });
    }
    return guest.token;
  }

  it('reads a page in a constant number of queries, whatever its size', async () => {
    let queries = 0;
    // One connection, warmed up first: postgres.js reads the server's types once per connection, a query that
    // would otherwise land in whichever count opened it.
    const sql = postgres(stack.config.database.url, { max: 1, onnotice: () => {}, debug: () => void queries++ });
    try {
      const app = createApp({
        ...services,
        db: drizzle(sql, { schema, casing: 'snake_case' }),
        sql,
        config: stack.config,
        logger: silentLogger(),
      });
      const counted = async (guestToken: string, limit: number) => {
        queries = 0;
        const res = await app.request(`/v1/orders?limit=${limit}`, {
          headers: { Authorization: `Bearer ${guestToken}` },
        });
        expect(res.status).toBe(200);
        const body = z.object({ data: z.array(orderSchema) }).parse(await res.json());
        expect(body.data).toHaveLength(limit);
        for (const order of body.data) {
          expect(order.travelers.map((t) => t.first_name)).toEqual(['Pax0', 'Pax1']);
          expect(order.items).toHaveLength(2);
          expect(order.payments).toHaveLength(1);
        }
        return queries;
      };
      const [two, seven] = [await customerWithOrders(2), await customerWithOrders(7)];
      // Each customer's first request also looks the customer up (cached after): warm both up.
      await counted(two, 2);
      await counted(seven, 7);
      const few = await counted(two, 2);
      const many = await counted(seven, 7);
      expect(few).toBeGreaterThan(0);
      expect(many).toBe(few);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
