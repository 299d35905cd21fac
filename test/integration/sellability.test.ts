/**
 * Sellability (issue #13, item 4): a flight that is cancelled, closed for sale (orders.sales_close_minutes before
 * departure) or departed is not found by flight or offer search, and an offer, order or trip made for it before is
 * refused at accept, trip hold, trip commit and pay with a code that says why; statuses move from the schedule.
 * All over HTTP against the real stack, including a second API process whose catalog cache still has the flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import type { Services } from '../../lib/services';
import { moveFlightStatuses, scheduleRules } from '../../services/schedule';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, ensureTestRoute, pgInventory, testRoute, type TestFlight } from '../support/flights';
import { apiClient, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices, silentLogger } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('sellability');
const MINUTE = 60_000;

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
let admin: string;
/** A second API process: its own services, so its own catalog cache. */
let otherServices: Services;
let other: App;

const traveler = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01' };
const contact = { email: 'jane@example.com' };
const day = (d: Date) => d.toISOString().slice(0, 10);
/** A whole minute `ms` from now. */
const inMs = (ms: number) => new Date(Math.floor((Date.now() + ms) / MINUTE) * MINUTE);

beforeAll(async () => {
  services = await openTestServices();
  await ensureTestRoute(services, route);
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
  admin = (await tokenFor(services, stack.config, 'admin')).token;
  otherServices = await openTestServices();
  other = createApp({ config: stack.config, logger: silentLogger(), ...otherServices });
});

afterAll(async () => {
  await stack?.close();
  await otherServices?.close();
  await services?.close();
});

const flight = (opts: { departureAt?: Date; durationMinutes?: number } = {}) =>
  createTestFlight(services, { route, capacity: 10, ...opts });

async function flightSearch(f: TestFlight, via: 'stack' | 'other' = 'stack') {
  const body = {
    legs: [{ origin_airport_code: f.origin, destination_airport_code: f.destination, date: day(f.departureAt) }],
    passenger_count: 1,
  };
  const res =
    via === 'stack'
      ? await api('POST', '/v1/flights/search', { body })
      : await other.request('/v1/flights/search', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
  const json = (via === 'stack' ? (res as { body: unknown }).body : await (res as Response).json()) as {
    legs: { flights: { id: string; status: string }[] }[];
  };
  return json.legs[0]!.flights.map((x) => x.id);
}

async function offersFor(f: TestFlight) {
  const res = await api<{ offers: { id: string; segments: { flight_id: string }[] }[] }>('POST', '/v1/offers/search', {
    token,
    body: { origin: f.origin, destination: f.destination, departure_date: day(f.departureAt), passengers: 1 },
  });
  expect(res.status).toBe(200);
  return res.body.offers.filter((o) => o.segments[0]!.flight_id === f.id);
}

const accept = (offerId: string) =>
  api('POST', `/v1/offers/${offerId}/accept`, { token, body: { travelers: [traveler], contact } });

const patchFlight = (id: string, body: unknown) => api('PATCH', `/v1/admin/flights/${id}`, { token: admin, body });

function expectRefused(res: { status: number; body: any }, status: number, code: string, flightId: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.error.details).toMatchObject({ flight_id: flightId });
}

describe('a flight cancelled by an admin', () => {
  it('is refused at accept, even by a process whose cache still lists it, and leaves search at once', async () => {
    const f = await flight();
    const [offer] = await offersFor(f);
    expect(offer).toBeDefined();
    // The other process has the flight's row cached (its search lists it) when the cancel comes.
    expect(await flightSearch(f, 'other')).toContain(f.id);

    const cancelled = await patchFlight(f.id, { status: 'CANCELLED' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');

    const res = await other.request(`/v1/offers/${offer!.id}/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ travelers: [traveler], contact }),
    });
    expectRefused({ status: res.status, body: await res.json() }, 409, 'FLIGHT_CANCELLED', f.id);
    expectRefused(await accept(offer!.id), 409, 'FLIGHT_CANCELLED', f.id);
    expect(await pgInventory(services.sql, f.id)).toMatchObject({ held: 0, sold: 0 });

    expect(await flightSearch(f)).not.toContain(f.id);
    expect(await offersFor(f)).toEqual([]);
    expect((await api('GET', `/v1/flights/${f.id}`)).body.status).toBe('CANCELLED');
    expectRefused(
      await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [f.id] } }),
      409,
      'FLIGHT_CANCELLED',
      f.id,
    );

    // Reinstated, it sells again.
    expect((await patchFlight(f.id, { status: 'SCHEDULED' })).body.status).toBe('SCHEDULED');
    expect(await flightSearch(f)).toContain(f.id);
    expect((await accept(offer!.id)).status).toBe(201);
  });

  it('stops an order accepted before it from being paid: nothing is charged', async () => {
    const f = await flight();
    const offer = await createTestOffer(services.redis, [f]);
    const accepted = await accept(offer.id);
    expect(accepted.status).toBe(201);
    await patchFlight(f.id, { status: 'CANCELLED' });

    const paid = await api('POST', `/v1/orders/${accepted.body.id}/pay`, {
      token,
      body: { payment_token: 'tok_visa' },
    });
    expectRefused(paid, 409, 'FLIGHT_CANCELLED', f.id);
    const order = await api('GET', `/v1/orders/${accepted.body.id}`, { token });
    expect(order.body).toMatchObject({ status: 'PROPOSED', payments: [] });
  });

  it('stops a trip held before it from being committed', async () => {
    const f = await flight();
    const trip = await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [f.id] } });
    expect(trip.status).toBe(201);
    await patchFlight(f.id, { status: 'CANCELLED' });
    const commit = await api('POST', '/v1/bookings/commit', {
      token,
      body: {
        trip_id: trip.body.trip_id,
        user_email: 'jane@example.com',
        payment_token: 'tok_visa',
        passengers: [{ first_name: 'Jane', last_name: 'Doe', seats: [] }],
      },
    });
    expectRefused(commit, 409, 'FLIGHT_CANCELLED', f.id);
    expect((await api('GET', `/v1/orders/${trip.body.trip_id}`, { token })).body).toMatchObject({
      status: 'PROPOSED',
      payments: [],
    });
  });
});

describe('sales close orders.sales_close_minutes (60) before departure', () => {
  it('a flight departing in 30 minutes is CLOSED: not searched, not offered, refused at accept and trip hold', async () => {
    const closed = await flight({ departureAt: inMs(30 * MINUTE) });
    const open = await flight({ departureAt: inMs(90 * MINUTE) });
    expect(await flightSearch(closed)).not.toContain(closed.id);
    expect(await flightSearch(open)).toContain(open.id);
    expect(await offersFor(closed)).toEqual([]);
    expect((await offersFor(open)).length).toBeGreaterThanOrEqual(3);

    expect((await api('GET', `/v1/flights/${closed.id}`)).body.status).toBe('CLOSED');
    const offer = await createTestOffer(services.redis, [closed]);
    const res = await accept(offer.id);
    expectRefused(res, 409, 'FLIGHT_CLOSED', closed.id);
    expect(Date.parse(res.body.error.details.sales_close_at)).toBe(closed.departureAt.getTime() - 60 * MINUTE);
    expectRefused(
      await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [closed.id] } }),
      409,
      'FLIGHT_CLOSED',
      closed.id,
    );
    expect(await pgInventory(services.sql, closed.id)).toMatchObject({ held: 0, sold: 0 });
  });

  it('an order whose flight is retimed into the closed window cannot be paid', async () => {
    const f = await flight();
    const accepted = await accept((await createTestOffer(services.redis, [f])).id);
    expect(accepted.status).toBe(201);
    const departure = inMs(20 * MINUTE);
    const retimed = await patchFlight(f.id, {
      departure_at: departure.toISOString(),
      arrival_at: new Date(departure.getTime() + 120 * MINUTE).toISOString(),
    });
    expect(retimed.body.status).toBe('CLOSED');
    const paid = await api('POST', `/v1/orders/${accepted.body.id}/pay`, {
      token,
      body: { payment_token: 'tok_visa' },
    });
    expectRefused(paid, 409, 'FLIGHT_CLOSED', f.id);
  });
});

describe('departed and arrived flights', () => {
  it('answer 410 FLIGHT_DEPARTED, show their status, and the worker records the moves', async () => {
    const departed = await flight({ departureAt: inMs(-30 * MINUTE), durationMinutes: 120 });
    const arrived = await flight({ departureAt: inMs(-180 * MINUTE), durationMinutes: 120 });
    const closing = await flight({ departureAt: inMs(45 * MINUTE) });
    const later = await flight();

    expectRefused(
      await accept((await createTestOffer(services.redis, [departed])).id),
      410,
      'FLIGHT_DEPARTED',
      departed.id,
    );
    expectRefused(
      await accept((await createTestOffer(services.redis, [arrived])).id),
      410,
      'FLIGHT_DEPARTED',
      arrived.id,
    );
    expect((await api('GET', `/v1/flights/${departed.id}`)).body.status).toBe('DEPARTED');
    expect((await api('GET', `/v1/flights/${arrived.id}`)).body.status).toBe('ARRIVED');
    expect((await patchFlight(departed.id, { status: 'CANCELLED' })).body.error.code).toBe('INVALID_STATE');

    await moveFlightStatuses(services, scheduleRules(stack.config));
    const recorded = await services.sql<{ id: string; status: string }[]>`
      SELECT id, status FROM flights WHERE id = ANY(${[departed.id, arrived.id, closing.id, later.id]}::uuid[])`;
    expect(Object.fromEntries(recorded.map((r) => [r.id, r.status]))).toEqual({
      [departed.id]: 'DEPARTED',
      [arrived.id]: 'ARRIVED',
      [closing.id]: 'CLOSED',
      [later.id]: 'SCHEDULED',
    });
    const list = await api('GET', `/v1/admin/flights?origin=${route.origin}&status=DEPARTED`, { token: admin });
    expect(list.body.data.map((x: { id: string }) => x.id)).toContain(departed.id);
    expect(list.body.data.map((x: { status: string }) => x.status)).toEqual(list.body.data.map(() => 'DEPARTED'));
  });
});
