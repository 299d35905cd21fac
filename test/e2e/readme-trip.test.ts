/**
 * The Altis README's trip-hold guide, end to end over HTTP against the real processes: `api/main.ts`,
 * `worker/main.ts` and the payment sandbox, each started as its own process.
 */
import { createApp } from '../../api/app';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../lib/services';
import { orderWorkflowId } from '../../workflows/messages';
import { apiClient, eventually, recordHistory } from '../support/harness';
import { expectInventoryConsistent } from '../support/inventory-invariants';
import { startProcessStack, type ProcessStack } from '../support/processes';
import { openTestServices, silentLogger, testConfig } from '../support/services';

let services: Services;
let stack: ProcessStack;
let api: ReturnType<typeof apiClient>;
let apiUrl: string;
let env: Record<string, string>;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startProcessStack('readme', { APP_SERVER__SSE_HEARTBEAT_MS: '500' });
  ({ apiUrl, env } = stack);
  api = apiClient(apiUrl);
}, 120_000);

/** The seeded flights a test used: their counts, holds, seats, index and seat map must agree after it. */
const flightsUsed = new Set<string>();
afterEach(async () => {
  const token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
  await expectInventoryConsistent(services, [...flightsUsed], async (id) => {
    return (await api('GET', `/v1/flights/${id}/seats`, { token })).body.seats;
  });
  flightsUsed.clear();
});

afterAll(async () => {
  await stack?.stop();
  await services?.close();
});

const tomorrow = () => new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);

async function guest(): Promise<string> {
  const res = await api<{ token: string }>('POST', '/v1/auth/guest');
  expect(res.status).toBe(200);
  return res.body.token;
}

async function jfkLhrFlight(token: string): Promise<{ id: string }> {
  const res = await api('POST', '/v1/flights/search', {
    token,
    body: {
      legs: [{ origin_airport_code: 'JFK', destination_airport_code: 'LHR', date: tomorrow() }],
      passenger_count: 1,
    },
  });
  expect(res.status).toBe(200);
  const flight = res.body.legs[0].flights[0];
  expect(flight).toBeDefined();
  flightsUsed.add(flight.id);
  return flight;
}

/** The README's jq filter: the first AVAILABLE seat of the trip's cabin (ECONOMY unless told). */
async function availableSeat(flightId: string, token: string, cabin = 'ECONOMY'): Promise<string> {
  const map = await api('GET', `/v1/flights/${flightId}/seats`, { token });
  const seat = (map.body.seats as { seat_number: string; status: string; cabin: string }[]).find(
    (s) => s.status === 'AVAILABLE' && s.cabin === cabin,
  );
  return seat!.seat_number;
}

async function seatStatus(flightId: string, seatNumber: string, token: string): Promise<string> {
  const map = await api('GET', `/v1/flights/${flightId}/seats`, { token });
  return (map.body.seats as { seat_number: string; status: string }[]).find((s) => s.seat_number === seatNumber)!
    .status;
}

/** An SSE client: collects `event:` / `data:` frames from the stream until closed. */
function sse(flightId: string, token: string) {
  const controller = new AbortController();
  const events: { event: string; data: Record<string, string> }[] = [];
  let comments = 0;
  const opened = fetch(`${apiUrl}/v1/flights/${flightId}/stream`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: controller.signal,
  }).then(async (res) => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (frame.startsWith(':')) comments++;
            const event = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, string> });
          }
        }
      } catch {
        // aborted
      }
    })();
  });
  return { opened, events, comments: () => comments, close: () => controller.abort() };
}

describe('the Altis README guide, as written', () => {
  it('guest token → search → trip → passenger → seat → commit → CONFIRMED with tickets; the seat shows OCCUPIED', async () => {
    const token = await guest();
    const flight = await jfkLhrFlight(token);

    const trip = await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [flight.id] } });
    expect(trip.status).toBe(201);
    expect(trip.body.trip_id).toMatch(/^[0-9a-f-]{36}$/);
    // ISO 8601 (README "Vocabulary"), and the seed README's epoch seconds as the compatibility alias.
    expect(trip.body.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    expect(Date.parse(trip.body.expires_at)).toBeGreaterThan(Date.now() + 14 * 60_000);
    expect(Date.parse(trip.body.expires_at)).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 1000);
    expect(trip.body.expires_at_unix).toBe(Math.floor(Date.parse(trip.body.expires_at) / 1000));
    expect(trip.body).toMatchObject({ id: trip.body.trip_id, status: 'HELD', order_status: 'PROPOSED' });

    const pax = await api('POST', `/v1/holds/trip/${trip.body.trip_id}/passengers`, {
      token,
      body: { first_name: 'John', last_name: 'Doe', passenger_type: 'ADULT' },
    });
    expect(pax.status, JSON.stringify(pax.body)).toBe(201);
    expect(pax.body.passenger_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(pax.body).toMatchObject({ passenger_type: 'ADT', passenger_ref: 'ADT1' }); // ADULT: the seed's alias

    // The seed README's seat 1A is a business seat: an economy trip cannot have it (nor any other business seat).
    const business = await api('POST', '/v1/holds/seat', {
      token,
      body: {
        trip_id: trip.body.trip_id,
        flight_id: flight.id,
        seat_number: await availableSeat(flight.id, token, 'BUSINESS'),
      },
    });
    expect(business.status).toBe(409);
    expect(business.body.error.code).toBe('CABIN_MISMATCH');

    const seatNumber = await availableSeat(flight.id, token);
    const seat = await api('POST', '/v1/holds/seat', {
      token,
      body: { trip_id: trip.body.trip_id, flight_id: flight.id, seat_number: seatNumber },
    });
    expect(seat.status, JSON.stringify(seat.body)).toBe(200);
    expect(await seatStatus(flight.id, seatNumber, token)).toBe('HELD');

    const booking = await api('POST', '/v1/bookings/commit', {
      token,
      body: {
        trip_id: trip.body.trip_id,
        user_email: 'user@example.com',
        payment_token: 'tok_visa',
        passengers: [
          { first_name: 'Jane', last_name: 'Doe', seats: [{ flight_id: flight.id, seat_number: seatNumber }] },
        ],
      },
    });
    expect(booking.status, JSON.stringify(booking.body)).toBe(200);
    expect(booking.body.booking_id).toBe(trip.body.trip_id);
    expect(booking.body.id).toBe(trip.body.trip_id);
    expect(booking.body.status).toBe('CONFIRMED');
    expect(booking.body.order_status).toBe('FULFILLED');
    expect(booking.body.tickets).toHaveLength(1);
    expect(booking.body.tickets[0].number).toMatch(/^\d{13}$/);
    expect(booking.body.boarding_passes[0].bcbp).toMatch(/^M1DOE\/JANE\s+E/);
    expect(await seatStatus(flight.id, seatNumber, token)).toBe('OCCUPIED');

    const order = await api('GET', `/v1/orders/${booking.body.booking_id}`, { token });
    expect(order.body.travelers.map((t: { first_name: string }) => t.first_name)).toEqual(['Jane']);
    const seatItem = order.body.items.find((i: { product_type: string }) => i.product_type === 'Seat');
    expect(seatItem).toMatchObject({
      flight_id: flight.id,
      seat_number: seatNumber,
      traveler_id: order.body.travelers[0].id,
    });
    const fare = order.body.items.find((i: { product_type: string }) => i.product_type === 'Flight');
    expect(order.body.total.amount).toBe(fare.price.amount + seatItem.price.amount);
    await recordHistory(services.temporal, orderWorkflowId(trip.body.trip_id), 'trip-commit');
  });

  it('two trips racing for one seat: exactly one wins, the other gets 409', async () => {
    const [a, b] = [await guest(), await guest()];
    const flight = await jfkLhrFlight(a);
    const trips = await Promise.all(
      [a, b].map((token) => api('POST', '/v1/holds/trip', { token, body: { flight_ids: [flight.id] } })),
    );
    const seatNumber = await availableSeat(flight.id, a);
    const results = await Promise.all(
      [a, b].map((token, i) =>
        api('POST', '/v1/holds/seat', {
          token,
          body: { trip_id: trips[i]!.body.trip_id, flight_id: flight.id, seat_number: seatNumber },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('SEAT_UNAVAILABLE');
    // Another customer's trip is not theirs to use.
    const foreign = await api('POST', '/v1/holds/seat', {
      token: b,
      body: { trip_id: trips[0]!.body.trip_id, flight_id: flight.id, seat_number: seatNumber },
    });
    expect(foreign.status).toBe(404);
    for (const [i, token] of [a, b].entries()) {
      await api('POST', `/v1/orders/${trips[i]!.body.trip_id}/cancel`, { token, body: {} });
    }
    expect(await seatStatus(flight.id, seatNumber, a)).toBe('AVAILABLE');
  });

  it('answers 404 for an unknown seat, 400 for a blocked one, 401 without a token', async () => {
    const token = await guest();
    const flight = await jfkLhrFlight(token);
    const trip = (await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [flight.id] } })).body;
    const unknown = await api('POST', '/v1/holds/seat', {
      token,
      body: { trip_id: trip.trip_id, flight_id: flight.id, seat_number: '99K' },
    });
    expect(unknown.status).toBe(404);
    const map = await api('GET', `/v1/flights/${flight.id}/seats`, { token });
    const blocked = (map.body.seats as { seat_number: string; status: string }[]).find((s) => s.status === 'BLOCKED');
    if (blocked) {
      const res = await api('POST', '/v1/holds/seat', {
        token,
        body: { trip_id: trip.trip_id, flight_id: flight.id, seat_number: blocked.seat_number },
      });
      expect(res.status).toBe(400);
    }
    expect((await api('POST', '/v1/holds/trip', { body: { flight_ids: [flight.id] } })).status).toBe(401);
    await api('POST', `/v1/orders/${trip.trip_id}/cancel`, { token, body: {} });
  });

  it('streams seat.held and seat.released to an SSE client, with heartbeats', async () => {
    const token = await guest();
    const flight = await jfkLhrFlight(token);
    const stream = sse(flight.id, token);
    await stream.opened;
    const trip = (await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [flight.id] } })).body;
    const seatNumber = await availableSeat(flight.id, token);
    expect(
      (
        await api('POST', '/v1/holds/seat', {
          token,
          body: { trip_id: trip.trip_id, flight_id: flight.id, seat_number: seatNumber },
        })
      ).status,
    ).toBe(200);
    await api('POST', `/v1/orders/${trip.trip_id}/cancel`, { token, body: {} });
    const seen = await eventually(
      async () => stream.events.filter((e) => e.data.seat_number === seatNumber).map((e) => e.event),
      (types) => types.includes('seat.released'),
      10_000,
    );
    expect(seen).toEqual(['seat.held', 'seat.released']);
    expect(
      await eventually(
        async () => stream.comments(),
        (n) => n >= 2,
        5_000,
      ),
    ).toBeGreaterThanOrEqual(2);
    stream.close();
  });

  it('a trip that expires releases its seats and its inventory', async () => {
    const token = await guest();
    const flight = await jfkLhrFlight(token);
    // An API like the running one, with a two-second trip hold, on the running worker's task queue.
    const app = createApp({
      ...services,
      logger: silentLogger(),
      config: testConfig({ ...env, APP_ORDERS__TRIP_HOLD_SECONDS: '2' }),
    });
    const call = async (path: string, body: unknown) => {
      const res = await app.request(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const stream = sse(flight.id, token);
    await stream.opened;
    const before = (await api('GET', `/v1/flights/${flight.id}`, { token })).body.cabins.find(
      (c: { cabin: string }) => c.cabin === 'ECONOMY',
    ).available as number;
    const trip = await call('/v1/holds/trip', { flight_ids: [flight.id] });
    expect(trip.status).toBe(201);
    const seatNumber = await availableSeat(flight.id, token);
    expect(
      (await call('/v1/holds/seat', { trip_id: trip.body.trip_id, flight_id: flight.id, seat_number: seatNumber }))
        .status,
    ).toBe(200);

    const released = await eventually(
      async () => stream.events.filter((e) => e.data.seat_number === seatNumber).map((e) => e.event),
      (types) => types.includes('seat.released'),
      15_000,
    );
    expect(released).toEqual(['seat.held', 'seat.released']);
    expect(await seatStatus(flight.id, seatNumber, token)).toBe('AVAILABLE');
    const order = await api('GET', `/v1/orders/${trip.body.trip_id}`, { token });
    expect(order.body.status).toBe('EXPIRED');
    const after = (await api('GET', `/v1/flights/${flight.id}`, { token })).body.cabins.find(
      (c: { cabin: string }) => c.cabin === 'ECONOMY',
    ).available as number;
    expect(after).toBe(before);
    const late = await call('/v1/holds/seat', {
      trip_id: trip.body.trip_id,
      flight_id: flight.id,
      seat_number: seatNumber,
    });
    expect(late.status).toBe(410);
    stream.close();
    await recordHistory(services.temporal, orderWorkflowId(trip.body.trip_id), 'trip-expired');
  });
});
