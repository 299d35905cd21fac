/**
 * Issue #22 over HTTP against the real stack: holds that cannot be weaponised, and the defects found by a client
 * developer and a competitor.
 *   - Abuse limits (README, "Abuse limits"), at their configured defaults: new guests per address per hour, open
 *     holds and held seats per customer and per address, and held seats do not move the demand multiplier. The
 *     attacker mints guests from one address and holds a small cabin in a loop; real buyers from other addresses
 *     still book, at the price they would have paid without the attack.
 *   - A trip passenger added twice with one Idempotency-Key is added once.
 *   - A second accept of an offer with other travelers is 409; with the same body, 200 and the same order.
 *   - The order carries its booking reference, and GET /v1/orders?booking_reference= finds it for its owner only.
 *   - A present but invalid bearer token is 401 on public routes too.
 * The client address comes from X-Forwarded-For, which this stack's config trusts (rate_limit.trust_forwarded_for).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { demandAvailable, demandMultiplier } from '../../domain/pricing';
import { recordLocator } from '../../domain/record-locator';
import type { Services } from '../../lib/services';
import { CUSTOMER_ID_KEY, orderWorkflowId } from '../../workflows/messages';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { expectInventoryConsistent, type SeatMapSeat } from '../support/inventory-invariants';
import { apiClient, eventually, recordHistory, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices } from '../support/services';

const route = testRoute('abuse');
/** The shipped limits (config/default.toml, no env): the numbers the README states. */
const defaults = loadConfig({});

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
const flightsOfTest: string[] = [];

beforeAll(async () => {
  services = await openTestServices();
  const { holds, rate_limit, pricing } = defaults;
  stack = await startOrderStack(services, {
    APP_RATE_LIMIT__TRUST_FORWARDED_FOR: 'true',
    APP_RATE_LIMIT__GUESTS_PER_IP_PER_HOUR: String(rate_limit.guests_per_ip_per_hour),
    APP_HOLDS__MAX_OPEN_PER_CUSTOMER: String(holds.max_open_per_customer),
    APP_HOLDS__MAX_SEATS_PER_CUSTOMER: String(holds.max_seats_per_customer),
    APP_HOLDS__MAX_OPEN_PER_IP: String(holds.max_open_per_ip),
    APP_HOLDS__MAX_SEATS_PER_IP: String(holds.max_seats_per_ip),
    APP_PRICING__HELD_SEAT_WEIGHT: String(pricing.held_seat_weight),
  });
  api = apiClient(stack.apiUrl);
});

const seatMap = async (flightId: string) =>
  (await api<{ seats: SeatMapSeat[] }>('GET', `/v1/flights/${flightId}/seats`, { headers: from(address()) })).body
    .seats;

afterEach(async () => {
  await expectInventoryConsistent(services, flightsOfTest.splice(0), seatMap);
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

/** An address of its own per run (the limits' Redis windows outlive a run). */
const address = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const from = (ip: string) => ({ 'X-Forwarded-For': ip });

async function guest(ip: string): Promise<string> {
  const res = await api<{ token: string }>('POST', '/v1/auth/guest', { headers: from(ip) });
  expect(res.status).toBe(200);
  return res.body.token;
}

let day = 3;
async function flight(capacity: number): Promise<TestFlight> {
  const date = new Date(Date.now() + day++ * 86_400_000).toISOString().slice(0, 10);
  const f = await createTestFlight(services, { route, capacity, date });
  flightsOfTest.push(f.id);
  return f;
}

const day0 = (f: TestFlight) => f.departureAt.toISOString().slice(0, 10);

interface SearchCabin {
  cabin: string;
  available: number;
  demand_available: number;
  price_per_passenger: { amount: number };
  breakdown: { demand_multiplier: number };
}

async function economyOf(f: TestFlight, token: string, ip: string): Promise<SearchCabin | undefined> {
  const res = await api<{ legs: { flights: { id: string; cabins: SearchCabin[] }[] }[] }>(
    'POST',
    '/v1/flights/search',
    {
      token,
      headers: from(ip),
      body: {
        legs: [{ origin_airport_code: f.origin, destination_airport_code: f.destination, date: day0(f) }],
        passenger_count: 1,
      },
    },
  );
  expect(res.status).toBe(200);
  return res.body.legs[0]!.flights.find((x) => x.id === f.id)?.cabins.find((c) => c.cabin === 'ECONOMY');
}

const passenger = (n: number) => ({ first_name: 'Real', last_name: `Buyer${'ABCDEFGHIJ'[n % 10]}` });

describe('abuse limits: an attacker holding a small cabin from one address', () => {
  it('mints at most guests_per_ip_per_hour guests, holds at most max_seats_per_ip seats; real buyers book at the unmoved price', async () => {
    const { holds, rate_limit, pricing } = defaults;
    const capacity = 30;
    const f = await flight(capacity);
    const attacker = address();
    const buyerIp = address();
    const buyer = await guest(buyerIp);
    const before = (await economyOf(f, buyer, buyerIp))!;
    expect(before.breakdown.demand_multiplier).toBe(1);

    // 1. Guests from one address: the first guests_per_ip_per_hour, then 429 with Retry-After.
    const minted: string[] = [];
    let refusedGuests = 0;
    for (let i = 0; i < rate_limit.guests_per_ip_per_hour + 5; i++) {
      const res = await api<{ token: string; error?: { code: string } }>('POST', '/v1/auth/guest', {
        headers: from(attacker),
      });
      if (res.status === 200) minted.push(res.body.token);
      else {
        expect(res.status).toBe(429);
        expect(res.body.error?.code).toBe('RATE_LIMITED');
        expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
        refusedGuests++;
      }
    }
    expect(minted).toHaveLength(rate_limit.guests_per_ip_per_hour);
    expect(refusedGuests).toBe(5);
    // Another address is not affected.
    await guest(address());

    // 2. Each guest holds 4 seats, in a loop: the address's seat bound stops it, whatever the number of guests.
    const party = 4;
    let heldSeats = 0;
    let refusedHolds = 0;
    for (const token of minted) {
      const res = await api<{ trip_id: string; error?: { code: string; details: { limit_key: string } } }>(
        'POST',
        '/v1/holds/trip',
        { token, headers: from(attacker), body: { flight_ids: [f.id], passenger_count: party } },
      );
      if (res.status === 201) heldSeats += party;
      else {
        expect(res.status).toBe(409);
        expect(res.body.error).toMatchObject({ code: 'TOO_MANY_HOLDS', details: { limit_key: 'address' } });
        expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
        refusedHolds++;
      }
    }
    const bound = Math.floor(holds.max_seats_per_ip / party) * party;
    expect(heldSeats).toBe(Math.min(bound, holds.max_open_per_ip * party));
    expect(refusedHolds).toBe(minted.length - heldSeats / party);
    // Postgres agrees: the attacker's holds are all there is on the flight.
    const [inv] = await services.sql<{ held: number; sold: number }[]>`
      SELECT held, sold FROM flight_inventory WHERE flight_id = ${f.id} AND cabin = 'ECONOMY'`;
    expect(inv).toEqual({ held: heldSeats, sold: 0 });

    // 3. The price a real buyer sees moved only within the stated bound: held seats count at held_seat_weight.
    const during = (await economyOf(f, buyer, buyerIp))!;
    expect(during.available).toBe(capacity - heldSeats);
    const expected = demandMultiplier(
      demandAvailable({ capacity, held: heldSeats, sold: 0 }, pricing.held_seat_weight),
      capacity,
    );
    expect(during.breakdown.demand_multiplier).toBe(expected);
    expect(pricing.held_seat_weight).toBe(0); // the default: holds do not move the price at all
    expect(during.price_per_passenger).toEqual(before.price_per_passenger);

    // 4. Real buyers from other addresses book what is left; one of them books several times in a row (a paid
    //    hold no longer counts against the customer's bound).
    const book = async (token: string, ip: string, seats: number) => {
      const trip = await api<{ trip_id: string }>('POST', '/v1/holds/trip', {
        token,
        headers: from(ip),
        body: { flight_ids: [f.id], passenger_count: seats },
      });
      expect(trip.status).toBe(201);
      const done = await api<{ status: string; total: { amount: number } }>('POST', '/v1/bookings/commit', {
        token,
        headers: from(ip),
        body: {
          trip_id: trip.body.trip_id,
          user_email: 'buyer@example.com',
          payment_token: 'tok_visa',
          passengers: Array.from({ length: seats }, (_, n) => passenger(n)),
        },
      });
      expect(done.status).toBe(200);
      expect(done.body.status).toBe('CONFIRMED');
      return done.body.total.amount;
    };
    const repeat = holds.max_open_per_customer + 1;
    const totals: number[] = [];
    for (let i = 0; i < repeat; i++) totals.push(await book(buyer, buyerIp, 1));
    // At the pre-attack price: the attacker's holds did not raise it (each sale after the first raises it a little).
    expect(totals[0]).toBe(before.price_per_passenger.amount);
    const left = capacity - heldSeats - repeat;
    await book(await guest(address()), address(), Math.min(2, left));
    const [after] = await services.sql<{ held: number; sold: number }[]>`
      SELECT held, sold FROM flight_inventory WHERE flight_id = ${f.id} AND cabin = 'ECONOMY'`;
    expect(after).toEqual({ held: heldSeats, sold: repeat + Math.min(2, left) });
  });

  it('bounds one customer: at most max_open_per_customer open holds, and max_seats_per_customer seats in them', async () => {
    const { holds } = defaults;
    const f = await flight(30);
    const ip = address();
    const token = await guest(ip);
    const hold = (seats: number) =>
      api<{ trip_id: string; error?: { code: string; details: Record<string, unknown> } }>('POST', '/v1/holds/trip', {
        token,
        headers: from(ip),
        body: { flight_ids: [f.id], passenger_count: seats },
      });
    const made: string[] = [];
    for (let i = 0; i < holds.max_open_per_customer; i++) {
      const res = await hold(1);
      expect(res.status).toBe(201);
      made.push(res.body.trip_id);
    }
    const over = await hold(1);
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({
      code: 'TOO_MANY_HOLDS',
      details: { limit_key: 'customer', max_open_holds: holds.max_open_per_customer, open_holds: made.length },
    });
    // Cancelling one frees its place at once.
    expect((await api('POST', `/v1/orders/${made[0]}/cancel`, { token, headers: from(ip) })).status).toBe(200);
    const seats = holds.max_seats_per_customer - (made.length - 1);
    expect((await hold(seats + 1)).body.error).toMatchObject({ code: 'TOO_MANY_HOLDS' });
    expect((await hold(seats)).status).toBe(201);
  });
});

describe('issue #22 defects', () => {
  const ip = address();

  it('POST /v1/holds/trip/:id/passengers honours Idempotency-Key: the same key twice adds one passenger', async () => {
    const f = await flight(10);
    const token = await guest(ip);
    const trip = await api<{ trip_id: string }>('POST', '/v1/holds/trip', {
      token,
      headers: from(ip),
      body: { flight_ids: [f.id], passenger_count: 2 },
    });
    expect(trip.status).toBe(201);
    const path = `/v1/holds/trip/${trip.body.trip_id}/passengers`;
    const key = `pax-${randomUUID()}`;
    const body = { first_name: 'Ada', last_name: 'Lovelace' };
    const first = await api('POST', path, { token, body, headers: { ...from(ip), 'Idempotency-Key': key } });
    const again = await api('POST', path, { token, body, headers: { ...from(ip), 'Idempotency-Key': key } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(first.body.passenger_ref).toBe('ADT1');
    const order = await api<{ travelers: unknown[] }>('GET', `/v1/orders/${trip.body.trip_id}`, { token });
    expect(order.body.travelers).toHaveLength(1);
    // Another key is another passenger.
    const other = await api('POST', path, { token, body, headers: { ...from(ip), 'Idempotency-Key': `${key}-2` } });
    expect(other.body.passenger_ref).toBe('ADT2');
  });

  it('a second accept of an offer: 200 and the same order for the same body, 409 for other travelers', async () => {
    const f = await flight(10);
    const token = await guest(ip);
    const offer = await createTestOffer(services.redis, [f]);
    const body = {
      travelers: [{ ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01' }],
      contact: { email: 'jane@example.com' },
    };
    const accept = (b: unknown) =>
      api<{ id: string; travelers: { first_name: string }[]; error?: { code: string } }>(
        'POST',
        `/v1/offers/${offer.id}/accept`,
        { token, headers: from(ip), body: b },
      );
    const first = await accept(body);
    expect(first.status).toBe(201);
    const same = await accept(body);
    expect(same.status).toBe(200);
    expect(same.body.id).toBe(first.body.id);
    const other = await accept({ ...body, travelers: [{ ...body.travelers[0], first_name: 'John' }] });
    expect(other.status).toBe(409);
    expect(other.body.error?.code).toBe('CONFLICT');
    const otherContact = await accept({ ...body, contact: { email: 'john@example.com' } });
    expect(otherContact.status).toBe(409);
    // Nothing changed: the order still has its first traveler, and one seat is held.
    const order = await api<{ travelers: { first_name: string }[] }>('GET', `/v1/orders/${first.body.id}`, { token });
    expect(order.body.travelers.map((t) => t.first_name)).toEqual(['Jane']);
    const [inv] = await services.sql<{ held: number }[]>`
      SELECT held FROM flight_inventory WHERE flight_id = ${f.id} AND cabin = 'ECONOMY'`;
    expect(inv!.held).toBe(1);
  });

  it('the order carries its booking reference; GET /v1/orders?booking_reference= finds it for its owner only', async () => {
    const f = await flight(10);
    const token = await guest(ip);
    const offer = await createTestOffer(services.redis, [f]);
    const accepted = await api<{ id: string; booking_reference: string }>('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      headers: from(ip),
      body: {
        travelers: [{ ptc: 'ADT', first_name: 'Jane', last_name: 'Doe' }],
        contact: { email: 'jane@example.com' },
      },
    });
    expect(accepted.status).toBe(201);
    const ref = recordLocator(accepted.body.id); // the one on boarding passes and in mails
    expect(accepted.body.booking_reference).toBe(ref);
    const got = await api<{ booking_reference: string }>('GET', `/v1/orders/${accepted.body.id}`, { token });
    expect(got.body.booking_reference).toBe(ref);

    type Page = { data: { id: string; booking_reference: string }[]; next_cursor: string | null };
    const mine = await api<Page>('GET', `/v1/orders?booking_reference=${ref}`, { token });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ data: [{ id: accepted.body.id, booking_reference: ref }], next_cursor: null });
    const lower = await api<Page>('GET', `/v1/orders?booking_reference=${ref.toLowerCase()}`, { token });
    expect(lower.body.data.map((o) => o.id)).toEqual([accepted.body.id]);
    const stranger = await api<Page>('GET', `/v1/orders?booking_reference=${ref}`, { token: await guest(ip) });
    expect(stranger.status).toBe(200);
    expect(stranger.body.data).toEqual([]);
    const bad = await api<{ error: { code: string } }>('GET', '/v1/orders?booking_reference=R4H', { token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('a present but invalid bearer token is 401 on public routes as on the others; no header is anonymous', async () => {
    const f = await flight(10);
    const search = {
      legs: [{ origin_airport_code: f.origin, destination_airport_code: f.destination, date: day0(f) }],
      passenger_count: 1,
    };
    const offerSearch = { origin: f.origin, destination: f.destination, departure_date: day0(f), passengers: 1 };
    const calls: [string, string, unknown?][] = [
      ['POST', '/v1/auth/guest'],
      ['POST', '/v1/flights/search', search],
      ['GET', `/v1/flights/${f.id}`],
      ['GET', `/v1/flights/${f.id}/seats`],
      ['POST', '/v1/offers/search', offerSearch],
      ['GET', '/v1/orders'],
    ];
    for (const [method, path, body] of calls) {
      for (const authorization of ['garbage', 'Bearer not.a.token', 'Bearer ']) {
        const res = await api<{ error: { code: string } }>(method, path, {
          body,
          headers: { ...from(ip), Authorization: authorization },
        });
        expect({ path, authorization, status: res.status }).toEqual({ path, authorization, status: 401 });
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
        expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
      }
    }
    for (const [method, path, body] of calls.slice(0, 5)) {
      const res = await api(method, path, { body, headers: from(ip) });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });

  it('claiming a guest on sign-up moves the CustomerId search attribute of its open orders (a visibility query)', async () => {
    const f = await flight(10);
    const token = await guest(ip);
    const trip = await api<{ trip_id: string }>('POST', '/v1/holds/trip', {
      token,
      headers: from(ip),
      body: { flight_ids: [f.id], passenger_count: 1 },
    });
    expect(trip.status).toBe(201);
    const workflowId = orderWorkflowId(trip.body.trip_id);
    const claimEmail = `claim-${randomUUID()}@example.com`;
    const registered = await api<{ customer_id: string; claimed_guest_id: string }>('POST', '/v1/auth/register', {
      token,
      headers: from(ip),
      body: { email: claimEmail, password: 'correct horse battery' },
    });
    expect(registered.status).toBe(201);
    const account = registered.body.customer_id;
    const found = async () => {
      const ids: string[] = [];
      for await (const wf of services.temporal.workflow.list({
        query: `CustomerId = "${account}" AND WorkflowId = "${workflowId}"`,
      })) {
        ids.push(wf.workflowId);
      }
      return ids;
    };
    expect(await eventually(found, (ids) => ids.length === 1)).toEqual([workflowId]);
    const described = await services.temporal.workflow.getHandle(workflowId).describe();
    expect(described.typedSearchAttributes.get(CUSTOMER_ID_KEY)).toBe(account);
    // The account (its token) sees the order; then the trip is cancelled, and its history kept for the replay test.
    const accountToken = (
      await api<{ token: string }>('POST', '/v1/auth/login', {
        headers: from(ip),
        body: { email: claimEmail, password: 'correct horse battery' },
      })
    ).body.token;
    expect((await api('POST', `/v1/orders/${trip.body.trip_id}/cancel`, { token: accountToken })).status).toBe(200);
    await recordHistory(services.temporal, workflowId, 'claim-customer');
  });
});
