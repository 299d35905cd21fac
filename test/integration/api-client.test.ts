/**
 * The typed client (api/client.ts, Hono RPC over the routes' zod contracts) walking the main flows against a
 * running stack. Its point is as much the type checker as the assertions: a contract that drifts from what
 * these calls send or read fails `tsc` here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory } from '../../services/inventory';
import { createAltisClient, type AltisClient } from '../../api/client';
import type { Services } from '../../lib/services';
import { createTestFlight, ensureTestRoute, testRoute, type TestFlight } from '../support/flights';
import { eventually, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices } from '../support/services';

const route = testRoute('api-client');

let services: Services;
let stack: OrderStack;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  await ensureTestRoute(services, route);
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

// The file's own route, so that the offer engine's earliest flights are this file's.
const { origin: ORIGIN, destination: DESTINATION } = route;

/** A flight on the file's route 40–300 days ahead (a day of its own), indexed in Redis. */
/**
 * Each test's flight on a day of its own: the catalog keeps a leg's flights for a while (catalog.ts `legCache`), so
 * a second flight on a day an earlier test searched would not be offered yet (two random days once collided).
 */
let nextDay = 40 + Math.floor(Math.random() * 200);
async function flightWithIndex(capacity = 10): Promise<TestFlight> {
  const departsInMs = nextDay++ * 86_400_000;
  const flight = await createTestFlight(services, { route, capacity, departsInMs });
  await createInventory(services).rebuildIndex([flight.id]);
  return flight;
}

/** A guest token from the client without a token, and a client that carries it. */
async function guestClient(): Promise<{ client: AltisClient; customerId: string }> {
  const res = await createAltisClient(stack.apiUrl).v1.auth.guest.$post();
  expect(res.status).toBe(200);
  if (res.status !== 200) throw new Error(`no guest token: ${res.status}`);
  const body = await res.json();
  return { client: createAltisClient(stack.apiUrl, body.token), customerId: body.customer_id };
}

const day = (d: Date) => d.toISOString().slice(0, 10);

describe('the typed client', () => {
  it('guest → flight search → trip → passenger → seat → commit → the order and its documents', async () => {
    const flight = await flightWithIndex();
    const { client, customerId } = await guestClient();

    const me = await client.v1.auth.me.$get();
    expect(me.status).toBe(200);
    if (me.status !== 200) return;
    expect((await me.json()).customer_id).toBe(customerId);

    const search = await client.v1.flights.search.$post({
      json: {
        legs: [{ origin_airport_code: ORIGIN, destination_airport_code: DESTINATION, date: day(flight.departureAt) }],
        passenger_count: 1,
      },
    });
    expect(search.status).toBe(200);
    if (search.status !== 200) return;
    const found = (await search.json()).legs[0]!.flights.find((f) => f.id === flight.id);
    expect(found?.cabins[0]?.available).toBe(10);

    const trip = await client.v1.holds.trip.$post({ json: { flight_ids: [flight.id] }, header: {} });
    expect(trip.status).toBe(201);
    if (trip.status !== 201) return;
    const { trip_id, expires_at } = await trip.json();
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now()); // ISO 8601 (README "Vocabulary")

    const pax = await client.v1.holds.trip[':trip_id'].passengers.$post({
      param: { trip_id },
      json: { first_name: 'Ada', last_name: 'Lovelace', passenger_type: 'ADT' },
      header: {},
    });
    expect(pax.status).toBe(201);

    const seats = await client.v1.flights[':id'].seats.$get({ param: { id: flight.id } });
    expect(seats.status).toBe(200);
    if (seats.status !== 200) return;
    const seat = (await seats.json()).seats.find((s) => s.status === 'AVAILABLE')!;

    const held = await client.v1.holds.seat.$post({
      json: { trip_id, flight_id: flight.id, seat_number: seat.seat_number },
    });
    expect(held.status).toBe(200);
    if (held.status !== 200) return;
    expect((await held.json()).status).toBe('HELD');

    const booking = await client.v1.bookings.commit.$post({
      json: {
        trip_id,
        user_email: 'ada@example.com',
        payment_token: 'tok_visa',
        passengers: [
          {
            first_name: 'Ada',
            last_name: 'Lovelace',
            seats: [{ flight_id: flight.id, seat_number: seat.seat_number }],
          },
        ],
      },
      header: { 'idempotency-key': `commit-${trip_id}` },
    });
    expect(booking.status).toBe(200);
    if (booking.status !== 200) return;
    const confirmed = await booking.json();
    expect(confirmed).toMatchObject({ booking_id: trip_id, status: 'CONFIRMED' });
    expect(confirmed.tickets).toHaveLength(1);

    const order = await client.v1.orders[':id'].$get({ param: { id: trip_id } });
    expect(order.status).toBe(200);
    if (order.status !== 200) return;
    const body = await order.json();
    expect(body.status).toBe('FULFILLED');
    expect(body.customer_id).toBe(customerId);

    const docs = await client.v1.orders[':id'].fulfillment.$get({ param: { id: trip_id } });
    expect(docs.status).toBe(200);
    if (docs.status !== 200) return;
    const fulfillment = await docs.json();
    expect(fulfillment.tickets[0]!.number).toMatch(/^\d{13}$/);
    expect(fulfillment.boarding_passes[0]!.bcbp).toMatch(/^M1LOVELACE\/ADA/);

    const list = await client.v1.orders.$get({ query: { limit: '5' } });
    expect(list.status).toBe(200);
    if (list.status !== 200) return;
    expect((await list.json()).data.map((o) => o.id)).toContain(trip_id);
  });

  it('offer search → accept → pay → fulfilled; an unknown offer is 404 in the error shape', async () => {
    const flight = await flightWithIndex();
    const { client } = await guestClient();

    const search = await client.v1.offers.search.$post({
      json: { origin: ORIGIN, destination: DESTINATION, departure_date: day(flight.departureAt), passengers: 1 },
    });
    expect(search.status).toBe(200);
    if (search.status !== 200) return;
    const offers = (await search.json()).offers.filter((o) => o.segments[0]!.flight_id === flight.id);
    expect(offers.length).toBeGreaterThanOrEqual(1);
    const offer = offers[0]!;
    expect(offer.price.total.amount).toBe(offer.items.reduce((sum, i) => sum + i.price.amount, 0));

    const read = await client.v1.offers[':id'].$get({ param: { id: offer.id } });
    expect(read.status).toBe(200);

    const accepted = await client.v1.offers[':id'].accept.$post({
      param: { id: offer.id },
      header: {},
      json: {
        travelers: [{ ptc: 'ADT', first_name: 'Grace', last_name: 'Hopper', date_of_birth: '1980-12-09' }],
        contact: { email: 'grace@example.com' },
      },
    });
    expect(accepted.status).toBe(201);
    if (accepted.status !== 201) return;
    const order = await accepted.json();
    expect(order.status).toBe('PROPOSED');
    expect(order.total.amount).toBe(offer.price.total.amount);

    const paid = await client.v1.orders[':id'].pay.$post({
      param: { id: order.id },
      header: {},
      json: { payment_token: 'tok_visa' },
    });
    expect(paid.status).toBe(200);

    // Fulfilment follows payment in the workflow, moments later.
    const tickets = await eventually(
      async () => {
        const docs = await client.v1.orders[':id'].fulfillment.$get({ param: { id: order.id } });
        return docs.status === 200 ? (await docs.json()).tickets : [];
      },
      (t) => t.length > 0,
    );
    expect(tickets).toHaveLength(1);
    expect(tickets[0]!.flight_ids).toEqual([flight.id]);

    const missing = await client.v1.offers[':id'].$get({ param: { id: 'off_does-not-exist' } });
    expect(missing.status).toBe(404);
    if (missing.status !== 404) return;
    expect((await missing.json()).error.code).toBe('NOT_FOUND');
  });

  it('cancels a held trip; a second client (another guest) cannot see it', async () => {
    const flight = await flightWithIndex();
    const { client } = await guestClient();
    const { client: other } = await guestClient();
    const trip = await client.v1.holds.trip.$post({
      json: { flight_ids: [flight.id], passenger_count: 2 },
      header: {},
    });
    if (trip.status !== 201) throw new Error(`trip: ${trip.status}`);
    const { trip_id } = await trip.json();

    const foreign = await other.v1.orders[':id'].$get({ param: { id: trip_id } });
    expect(foreign.status).toBe(404);

    const cancelled = await client.v1.orders[':id'].cancel.$post({
      param: { id: trip_id },
      header: {},
      json: { reason: 'changed plans' },
    });
    expect(cancelled.status).toBe(200);
    if (cancelled.status !== 200) return;
    expect((await cancelled.json()).status).toBe('CANCELLED');
  });
});
