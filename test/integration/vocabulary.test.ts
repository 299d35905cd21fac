/**
 * One vocabulary across both API styles (README "Vocabulary"): the offer/order API and the seed README's
 * trip-hold API walked over HTTP against a real stack, and every answer checked for the same rules — every time
 * ISO 8601 in UTC, every key snake_case, one flight-number format, every list in `{ data, next_cursor }`,
 * passenger types ADT/CHD/INF with refs numbered per type from 1, the trip's status words as domain/vocabulary.ts
 * maps them. The events the walk wrote (the outbox) follow the same rules.
 */
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema';
import { FLIGHT_DESIGNATOR, PASSENGER_REF, TRIP_BOOKING_STATUSES } from '../../domain/vocabulary';
import type { Services } from '../../lib/services';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { apiClient, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('vocabulary');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let flight: TestFlight;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  // A day of its own 30–90 days ahead, so this file's searches see this flight first.
  const departsInMs = (30 + Math.floor(Math.random() * 60)) * 86_400_000;
  flight = await createTestFlight(services, { route, aircraft: 'T2C', departsInMs });
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

/** Every answer of the walk, by the request that got it. */
const answers: { call: string; body: unknown }[] = [];

async function call(method: string, path: string, opts: Parameters<typeof api>[2] = {}, expected = 200) {
  const res = await api(method, path, opts);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(expected);
  answers.push({ call: `${method} ${path}`, body: res.body });
  return res.body;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const PASSENGER_TYPES = ['ADT', 'CHD', 'INF'];

interface Finding {
  call: string;
  path: string;
  problem: string;
}

/** Walks a JSON value: every key, every time, every flight number, every passenger type and reference. */
function inspect(call: string, value: unknown, path = '$', findings: Finding[] = []): Finding[] {
  if (Array.isArray(value)) value.forEach((v, i) => inspect(call, v, `${path}[${i}]`, findings));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return findings;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}.${key}`;
    if (!SNAKE.test(key)) findings.push({ call, path: at, problem: 'key not snake_case' });
    const isTime = key === 'at' || key.endsWith('_at');
    if (isTime && v !== null && !(typeof v === 'string' && ISO_UTC.test(v) && !Number.isNaN(Date.parse(v)))) {
      findings.push({ call, path: at, problem: `time not ISO 8601 UTC: ${JSON.stringify(v)}` });
    }
    if (
      (key === 'date' || key === 'day' || key.startsWith('date_')) &&
      v !== null &&
      !(typeof v === 'string' && DAY.test(v))
    ) {
      findings.push({ call, path: at, problem: `day not YYYY-MM-DD: ${JSON.stringify(v)}` });
    }
    if (key === 'flight_number' && !(typeof v === 'string' && FLIGHT_DESIGNATOR.test(v))) {
      findings.push({ call, path: at, problem: `flight number not carrier + number: ${JSON.stringify(v)}` });
    }
    if ((key === 'ptc' || key === 'passenger_type') && !PASSENGER_TYPES.includes(String(v))) {
      findings.push({ call, path: at, problem: `passenger type not ADT/CHD/INF: ${JSON.stringify(v)}` });
    }
    if ((key === 'passenger_ref' || key === 'ref') && !PASSENGER_REF.test(String(v))) {
      findings.push({ call, path: at, problem: `passenger ref not type + number: ${JSON.stringify(v)}` });
    }
    inspect(call, v, at, findings);
  }
  return findings;
}

/** The refs of one party, per type: each type numbered 1, 2, … with no gap and no repeat. */
function expectRefsPerType(refs: string[]) {
  for (const type of PASSENGER_TYPES) {
    const numbers = refs.filter((r) => r.startsWith(type)).map((r) => Number(r.slice(3)));
    expect(numbers, `${type} refs of ${refs.join(',')}`).toEqual(numbers.map((_, i) => i + 1));
  }
}

function expectListEnvelope(body: unknown, call: string) {
  expect(Object.keys(body as object).sort(), call).toEqual(['data', 'next_cursor']);
  const { data, next_cursor } = body as { data: unknown; next_cursor: unknown };
  expect(Array.isArray(data), call).toBe(true);
  expect(next_cursor === null || typeof next_cursor === 'string', call).toBe(true);
}

const designator = () => `${flight.carrier}${flight.flightNumber}`;
const day = (d: Date) => d.toISOString().slice(0, 10);
const infantBirth = (d: Date) => new Date(d.getTime() - 200 * 86_400_000).toISOString().slice(0, 10);

describe('one vocabulary across both API styles', () => {
  it('the offer/order style, the trip style and the admin answer by the same rules', async () => {
    // ---- a guest, and who it is
    const guest = await call('POST', '/v1/auth/guest');
    const token = guest.token as string;
    await call('GET', '/v1/auth/me', { token });

    // ---- flights: search, one flight, its seat map
    const search = await call('POST', '/v1/flights/search', {
      body: {
        legs: [
          {
            origin_airport_code: route.origin,
            destination_airport_code: route.destination,
            date: day(flight.departureAt),
          },
        ],
        passenger_count: 3,
        passengers: { adults: 1, children: 1, infants: 1 },
      },
    });
    const found = search.legs[0].flights.find((f: { id: string }) => f.id === flight.id);
    expect(found.flight_number).toBe(designator());
    expect((await call('GET', `/v1/flights/${flight.id}`)).flight_number).toBe(designator());
    const seatMap = await call('GET', `/v1/flights/${flight.id}/seats`, { token });
    const freeSeats = (seatMap.seats as { seat_number: string; cabin: string; status: string }[])
      .filter((s) => s.cabin === 'ECONOMY' && s.status === 'AVAILABLE')
      .map((s) => s.seat_number);

    // ---- the offer/order style: one adult, one child, one infant
    const offers = await call('POST', '/v1/offers/search', {
      token,
      body: {
        origin: route.origin,
        destination: route.destination,
        departure_date: day(flight.departureAt),
        passengers: { adults: 1, children: 1, infants: 1 },
      },
    });
    const offer = (offers.offers as { id: string; segments: { flight_id: string; flight_number: string }[] }[]).find(
      (o) => o.segments.every((s) => s.flight_id === flight.id),
    )!;
    expect(offer.segments.map((s) => s.flight_number)).toEqual([designator()]);
    const offerBody = await call('GET', `/v1/offers/${offer.id}`, { token });
    expectRefsPerType([...new Set((offerBody.items as { passenger_ref: string }[]).map((i) => i.passenger_ref))]);
    const order = await call(
      'POST',
      `/v1/offers/${offer.id}/accept`,
      {
        token,
        body: {
          travelers: [
            { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01' },
            { ptc: 'CHD', first_name: 'Tim', last_name: 'Doe', date_of_birth: '2018-05-01' },
            { ptc: 'INF', first_name: 'Mia', last_name: 'Doe', date_of_birth: infantBirth(flight.departureAt) },
          ],
          contact: { email: 'jane@example.com' },
        },
      },
      201,
    );
    expect(order.segments.map((s: { flight_number: string }) => s.flight_number)).toEqual([designator()]);
    expect(order.travelers.map((t: { passenger_ref: string }) => t.passenger_ref)).toEqual(['ADT1', 'CHD1', 'INF1']);
    const paid = await call('POST', `/v1/orders/${order.id}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.status).toBe('FULFILLED');
    const read = await call('GET', `/v1/orders/${order.id}`, { token });
    // The workflow's live view, in the resource's casing (it was chargeId / declineCode).
    expect(read.live.payment).toEqual({
      attempt: 1,
      status: 'SUCCEEDED',
      charge_id: expect.stringMatching(/^ch_/),
      decline_code: null,
    });
    await call('GET', `/v1/orders/${order.id}/fulfillment`, { token });

    // ---- the trip style: ADULT (the seed's word, an alias), then an infant, then a child
    const trip = await call(
      'POST',
      '/v1/holds/trip',
      { token, body: { flight_ids: [flight.id], passenger_count: 2 } },
      201,
    );
    expect(trip).toMatchObject({ id: trip.trip_id, status: 'HELD', order_status: 'PROPOSED' });
    expect(trip.expires_at_unix).toBe(Math.floor(Date.parse(trip.expires_at) / 1000));
    const added = [];
    for (const p of [
      { first_name: 'John', last_name: 'Doe', passenger_type: 'ADULT' },
      { first_name: 'Liv', last_name: 'Doe', passenger_type: 'INF', date_of_birth: infantBirth(flight.departureAt) },
      { first_name: 'Max', last_name: 'Doe', passenger_type: 'CHD', date_of_birth: '2019-03-01' },
    ]) {
      added.push(await call('POST', `/v1/holds/trip/${trip.trip_id}/passengers`, { token, body: p }, 201));
    }
    // Numbered per type from 1: the first infant is INF1 (it was INF2, its place in the whole party).
    expect(added.map((a) => `${a.passenger_type}:${a.passenger_ref}`)).toEqual(['ADT:ADT1', 'INF:INF1', 'CHD:CHD1']);
    expect(added.map((a) => a.id)).toEqual(added.map((a) => a.passenger_id));
    const seat = await call('POST', '/v1/holds/seat', {
      token,
      body: { trip_id: trip.trip_id, flight_id: flight.id, seat_number: freeSeats.find((s) => s !== undefined) },
    });
    expect(seat.expires_at).toBe(trip.expires_at);
    const booking = await call('POST', '/v1/bookings/commit', {
      token,
      body: { trip_id: trip.trip_id, user_email: 'john@example.com', payment_token: 'tok_visa' },
    });
    expect(booking).toMatchObject({ id: trip.trip_id, booking_id: trip.trip_id, status: 'CONFIRMED' });
    // The trip's word and the order's state, as the one table maps them.
    const row = TRIP_BOOKING_STATUSES.find((r) => r.booking === booking.status)!;
    expect(row.orders as readonly string[]).toContain(booking.order_status);
    const tripOrder = await call('GET', `/v1/orders/${trip.trip_id}`, { token });
    expect(tripOrder.status).toBe(booking.order_status);
    expect(tripOrder.segments[0].flight_number).toBe(designator());
    expect(
      tripOrder.travelers.map((t: { ptc: string; passenger_ref: string }) => `${t.ptc}:${t.passenger_ref}`),
    ).toEqual(['ADT:ADT1', 'INF:INF1', 'CHD:CHD1']);

    // A declined commit names the trip's word and the order's state the same way.
    const other = await call('POST', '/v1/holds/trip', { token, body: { flight_ids: [flight.id] } }, 201);
    const declined = await call(
      'POST',
      '/v1/bookings/commit',
      {
        token,
        body: {
          trip_id: other.trip_id,
          user_email: 'john@example.com',
          payment_token: 'tok_chargeDeclined',
          passengers: [{ first_name: 'John', last_name: 'Doe', passenger_type: 'ADT' }],
        },
      },
      402,
    );
    expect(declined.error.details).toMatchObject({ status: 'HELD', order_status: 'PROPOSED' });

    // ---- every list: the caller's orders, and the admin's
    const mine = await call('GET', '/v1/orders?limit=1', { token });
    expectListEnvelope(mine, 'GET /v1/orders');
    expect(mine.next_cursor).toEqual(expect.any(String));
    expectListEnvelope(await call('GET', `/v1/orders?limit=1&cursor=${mine.next_cursor}`, { token }), 'page 2');
    const admin = (await tokenFor(services, stack.config, 'admin')).token;
    const lists = [
      `/v1/admin/flights?origin=${route.origin}&date=${day(flight.departureAt)}`,
      '/v1/admin/products',
      '/v1/admin/bundles',
      '/v1/admin/pricing-rules',
    ];
    for (const path of lists) expectListEnvelope(await call('GET', path, { token: admin }), path);
    const adminFlights = answers.find((a) => a.call.startsWith('GET /v1/admin/flights'))!.body as {
      data: { id: string; flight_number: string }[];
    };
    expect(adminFlights.data.find((f) => f.id === flight.id)?.flight_number).toBe(designator());
    expect((await call('GET', `/v1/admin/flights/${flight.id}`, { token: admin })).flight_number).toBe(designator());
    await call('GET', `/v1/admin/analytics?route=${route.origin}-${route.destination}`, { token: admin });

    // ---- every answer by the same rules
    const findings = answers.flatMap((a) => inspect(a.call, a.body));
    expect(findings).toEqual([]);

    // ---- and the events these orders wrote (payloads, in the outbox)
    const events = await services.db
      .select()
      .from(outbox)
      .where(inArray(outbox.aggregateId, [order.id, trip.trip_id]));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['OrderProposed', 'OrderPaid', 'OrderFulfilled']));
    const eventFindings = events.flatMap((e) => inspect(`event ${e.type}`, e.payload));
    expect(eventFindings).toEqual([]);
    const proposed = events
      .filter((e) => e.type === 'OrderProposed')
      .map((e) => e.payload as { travelers: { ref: string }[] });
    for (const p of proposed) expectRefsPerType(p.travelers.map((t) => t.ref));
  });

  it('the checks catch what they are for (the seed’s epoch time, camelCase, a bare number, INF2)', () => {
    const found = inspect('sample', {
      expires_at: 1_700_000_000,
      live: { payment: { chargeId: 'ch_1' } },
      segments: [{ flight_number: '318' }],
      travelers: [{ ptc: 'ADULT', passenger_ref: 'INF' }],
      departure_at: '2026-03-01T09:30:00+01:00',
    }).map((f) => `${f.path}: ${f.problem.split(':')[0]}`);
    expect(found).toEqual([
      '$.expires_at: time not ISO 8601 UTC',
      '$.live.payment.chargeId: key not snake_case',
      '$.segments[0].flight_number: flight number not carrier + number',
      '$.travelers[0].ptc: passenger type not ADT/CHD/INF',
      '$.travelers[0].passenger_ref: passenger ref not type + number',
      '$.departure_at: time not ISO 8601 UTC',
    ]);
    expect(() => expectRefsPerType(['ADT1', 'INF2'])).toThrow();
    expect(() => expectListEnvelope({ flights: [], next_offset: null }, 'old')).toThrow();
  });
});
