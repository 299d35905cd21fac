/**
 * What is sold is what is priced (issue #13, items 1–3), over HTTP against the real stack:
 *   - cabin integrity: a seat is held only in the cabin the order or trip was priced for (409 CABIN_MISMATCH);
 *   - party pricing: every payment path charges the sum of the order's items, per passenger type (ADT/CHD/INF);
 *   - seats for offer orders: chosen per traveler and flight while PROPOSED, carried by ticket and boarding pass.
 * After every test the flights' counts, holds, seat assignments, index and seat map agree.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { decodeBcbp } from '../../domain/bcbp';
import type { Services } from '../../lib/services';
import { orderWorkflowId } from '../../workflows/messages';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { expectInventoryConsistent } from '../support/inventory-invariants';
import { apiClient, eventually, recordHistory, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices, silentLogger, testConfig } from '../support/services';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';

const route = testRoute('selling');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
const flightsOfTest: string[] = [];

const adult = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01' };
const child = { ptc: 'CHD', first_name: 'Tim', last_name: 'Doe', date_of_birth: '2018-05-01' };
const infant = { ptc: 'INF', first_name: 'Mia', last_name: 'Doe', date_of_birth: '2026-01-01' };
const contact = { email: 'jane@example.com' };

interface Item {
  id: string;
  product_type: string;
  product_code: string | null;
  flight_id: string | null;
  traveler_id: string | null;
  seat_number: string | null;
  price: { amount: number; currency: string };
}
interface SeatMapSeat {
  seat_number: string;
  cabin: string;
  status: 'AVAILABLE' | 'HELD' | 'OCCUPIED' | 'BLOCKED';
  characteristics: string[];
  price: { amount: number };
}

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
});

afterEach(async () => {
  await expectInventoryConsistent(services, flightsOfTest.splice(0), seatMap);
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

let day = 2;
/**
 * A flight with 8 business seats (rows 1–2) and 59 economy seats (rows 3–12, row 4 extra legroom), alone on its
 * day of the route, so that an offer search of that day finds it.
 */
async function flight(): Promise<TestFlight> {
  const date = new Date(Date.now() + day++ * 86_400_000).toISOString().slice(0, 10);
  const f = await createTestFlight(services, { route, aircraft: 'T2C', date });
  flightsOfTest.push(f.id);
  return f;
}

const seatMap = async (flightId: string) =>
  (await api<{ seats: SeatMapSeat[] }>('GET', `/v1/flights/${flightId}/seats`, { token })).body.seats;
const seatStatus = async (flightId: string, seat: string) =>
  (await seatMap(flightId)).find((s) => s.seat_number === seat)!.status;

const chargesOf = async (orderId: string) =>
  (
    (await fetch(`${stack.sandboxUrl}/v1/charges?order_id=${orderId}`, {
      headers: { Authorization: `Bearer ${stack.config.payments.gateway_api_key}` },
    }).then((r) => r.json())) as { data: { amount: number; currency: string; status: string }[] }
  ).data.filter((c) => c.status === 'succeeded');

const order = async (id: string) => (await api('GET', `/v1/orders/${id}`, { token })).body;
const itemTotal = (items: Item[]) => items.reduce((sum, i) => sum + i.price.amount, 0);

/** The offers of a search on the test route for this flight's day, only those flying this flight. */
async function offersFor(f: TestFlight, passengers: Record<string, number>, cabin = 'ECONOMY') {
  const res = await api('POST', '/v1/offers/search', {
    token,
    body: {
      origin: route.origin,
      destination: route.destination,
      departure_date: f.departureAt.toISOString().slice(0, 10),
      passengers,
      cabin,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (
    res.body.offers as { id: string; bundle: { code: string }; segments: { flight_id: string }[]; items: Item[] }[]
  ).filter((o) => o.segments.every((s) => s.flight_id === f.id));
}

async function acceptOffer(offerId: string, travelers: unknown[]) {
  const res = await api('POST', `/v1/offers/${offerId}/accept`, { token, body: { travelers, contact } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; travelers: { id: string; ptc: string }[]; total: { amount: number } };
}

const trip = async (flightId: string, body: Record<string, unknown> = {}) => {
  const res = await api('POST', '/v1/holds/trip', { token, body: { flight_ids: [flightId], ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.trip_id as string;
};
const holdSeat = (tripId: string, flightId: string, seat: string) =>
  api('POST', '/v1/holds/seat', { token, body: { trip_id: tripId, flight_id: flightId, seat_number: seat } });
const chooseSeat = (orderId: string, travelerId: string, flightId: string, seat: string) =>
  api('POST', `/v1/orders/${orderId}/seats`, {
    token,
    body: { traveler_id: travelerId, flight_id: flightId, seat_number: seat },
  });
const cancel = (id: string) => api('POST', `/v1/orders/${id}/cancel`, { token, body: {} });

describe('cabin integrity: a seat only in the cabin the order was priced for', () => {
  it('an economy trip cannot hold or commit a business seat (409 CABIN_MISMATCH, nothing held); economy seats it can', async () => {
    const f = await flight();
    const tripId = await trip(f.id);
    const business = await holdSeat(tripId, f.id, '1A');
    expect(business.status).toBe(409);
    expect(business.body.error).toMatchObject({
      code: 'CABIN_MISMATCH',
      details: { flight_id: f.id, seat_number: '1A', seat_cabin: 'BUSINESS', order_cabin: 'ECONOMY' },
    });
    expect(await seatStatus(f.id, '1A')).toBe('AVAILABLE');

    const commit = await api('POST', '/v1/bookings/commit', {
      token,
      body: {
        trip_id: tripId,
        user_email: 'jane@example.com',
        payment_token: 'tok_visa',
        passengers: [{ first_name: 'Jane', last_name: 'Doe', seats: [{ flight_id: f.id, seat_number: '2C' }] }],
      },
    });
    expect(commit.status).toBe(409);
    expect(commit.body.error.code).toBe('CABIN_MISMATCH');
    expect(await chargesOf(tripId)).toEqual([]);
    expect((await order(tripId)).status).toBe('PROPOSED');

    expect((await holdSeat(tripId, f.id, '3A')).status).toBe(200);
    expect(await seatStatus(f.id, '3A')).toBe('HELD');
    expect((await cancel(tripId)).status).toBe(200);
  });

  it('a business trip holds business seats only, and its boarding pass says J', async () => {
    const f = await flight();
    const tripId = await trip(f.id, { cabin: 'BUSINESS' });
    expect((await holdSeat(tripId, f.id, '3A')).body.error?.code).toBe('CABIN_MISMATCH');
    const booked = await api('POST', '/v1/bookings/commit', {
      token,
      body: {
        trip_id: tripId,
        user_email: 'jane@example.com',
        payment_token: 'tok_visa',
        passengers: [{ first_name: 'Jane', last_name: 'Doe', seats: [{ flight_id: f.id, seat_number: '1A' }] }],
      },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    const leg = decodeBcbp(booked.body.boarding_passes[0].bcbp).legs[0]!;
    expect({ compartment: leg.compartment, seat: leg.seat }).toEqual({ compartment: 'J', seat: '1A' });
    expect(await seatStatus(f.id, '1A')).toBe('OCCUPIED');
  });

  it('an economy offer order cannot choose a business seat', async () => {
    const f = await flight();
    const [offer] = await offersFor(f, { adults: 1 });
    const accepted = await acceptOffer(offer!.id, [adult]);
    const res = await chooseSeat(accepted.id, accepted.travelers[0]!.id, f.id, '1C');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CABIN_MISMATCH');
    expect(await seatStatus(f.id, '1C')).toBe('AVAILABLE');
    expect((await cancel(accepted.id)).status).toBe(200);
  });
});

describe('party pricing: every payment path charges the sum of the items per passenger type', () => {
  /** Flight items per traveler: one each, adult > child > infant > 0, and the charge equals the items. */
  async function expectItemisedCharge(orderId: string) {
    const o = await order(orderId);
    expect(o.status).toBe('FULFILLED');
    const items = o.items as Item[];
    const fareOf = (ptc: string) => {
      const t = (o.travelers as { id: string; ptc: string }[]).find((x) => x.ptc === ptc)!;
      const fares = items.filter((i) => i.product_type === 'Flight' && i.traveler_id === t.id);
      expect(fares, `${ptc} flight items`).toHaveLength(1);
      return fares[0]!.price.amount;
    };
    const [adt, chd, inf] = [fareOf('ADT'), fareOf('CHD'), fareOf('INF')];
    expect(adt).toBeGreaterThan(chd);
    expect(chd).toBeGreaterThan(inf);
    expect(inf).toBeGreaterThan(0);
    expect(o.total.amount).toBe(itemTotal(items));
    const charges = await chargesOf(orderId);
    expect(charges.map((c) => c.amount)).toEqual([itemTotal(items)]);
    return { adt, chd, inf, total: o.total.amount as number };
  }

  it('offer → accept → pay with an adult, a child and an infant', async () => {
    const f = await flight();
    const [offer] = await offersFor(f, { adults: 1, children: 1, infants: 1 });
    const accepted = await acceptOffer(offer!.id, [adult, child, infant]);
    const paid = await api('POST', `/v1/orders/${accepted.id}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    const charged = await expectItemisedCharge(accepted.id);
    expect(charged.total).toBe(itemTotal(offer!.items));
  });

  it('trip → passengers → bookings/commit with an adult, a child and an infant', async () => {
    const f = await flight();
    const tripId = await trip(f.id, { passenger_count: 2 });
    const res = await api('POST', '/v1/bookings/commit', {
      token,
      body: {
        trip_id: tripId,
        user_email: 'jane@example.com',
        payment_token: 'tok_visa',
        passengers: [
          { first_name: 'Jane', last_name: 'Doe', passenger_type: 'ADULT' },
          { first_name: 'Tim', last_name: 'Doe', passenger_type: 'CHILD', date_of_birth: '2018-05-01' },
          { first_name: 'Mia', last_name: 'Doe', passenger_type: 'INFANT', date_of_birth: '2026-01-01' },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const charged = await expectItemisedCharge(tripId);
    expect(res.body.total.amount).toBe(charged.total);
  });

  it('trip → passengers → POST /v1/orders/:id/pay charges the items, infant fare included, and the seats', async () => {
    const f = await flight();
    const tripId = await trip(f.id, { passenger_count: 2 });
    const added: string[] = [];
    for (const p of [
      { first_name: 'Jane', last_name: 'Doe', passenger_type: 'ADULT' },
      { first_name: 'Tim', last_name: 'Doe', passenger_type: 'CHILD', date_of_birth: '2018-05-01' },
      { first_name: 'Mia', last_name: 'Doe', passenger_type: 'INFANT', date_of_birth: '2026-01-01' },
    ]) {
      const res = await api('POST', `/v1/holds/trip/${tripId}/passengers`, { token, body: p });
      expect(res.status).toBe(201);
      added.push(res.body.passenger_id);
    }
    // Tim's seat chosen for him; the seat held for nobody goes to Jane, the first seated passenger without one.
    expect((await chooseSeat(tripId, added[1]!, f.id, '6B')).status).toBe(200);
    expect((await holdSeat(tripId, f.id, '4A')).status).toBe(200);
    const paid = await api('POST', `/v1/orders/${tripId}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    const charged = await expectItemisedCharge(tripId);
    const o = await order(tripId);
    const seatOf = (ptc: string) => {
      const t = (o.travelers as { id: string; ptc: string }[]).find((x) => x.ptc === ptc)!;
      return (o.items as Item[]).filter((i) => i.product_type === 'Seat' && i.traveler_id === t.id);
    };
    expect(seatOf('ADT')).toMatchObject([{ seat_number: '4A', price: { amount: 4500 } }]);
    expect(seatOf('CHD')).toMatchObject([{ seat_number: '6B', price: { amount: 1500 } }]);
    expect(seatOf('INF')).toEqual([]);
    expect(charged.total).toBe(charged.adt + charged.chd + charged.inf + 4500 + 1500);
    expect(await seatStatus(f.id, '4A')).toBe('OCCUPIED');
    expect(await seatStatus(f.id, '6B')).toBe('OCCUPIED');
  });
});

describe('seats for offer orders: per traveler and flight while PROPOSED', () => {
  it('a Comfort order (its bundle includes a seat) chooses both seats at no charge; ticket and pass carry them', async () => {
    const f = await flight();
    const comfort = (await offersFor(f, { adults: 1, children: 1 })).find((o) => o.bundle.code === 'COMFORT')!;
    expect(comfort.items.some((i) => i.product_type === 'Seat')).toBe(true);
    const accepted = await acceptOffer(comfort.id, [adult, child]);
    const [jane, tim] = accepted.travelers;
    for (const [t, seat] of [
      [jane!, '5A'],
      [tim!, '5B'],
    ] as const) {
      const res = await chooseSeat(accepted.id, t.id, f.id, seat);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.total.amount).toBe(accepted.total.amount);
    }
    expect(await seatStatus(f.id, '5A')).toBe('HELD');
    // The bundle's standard seat covers 1500 of an extra-legroom seat's 4500: the difference is charged, once.
    const legroom = await chooseSeat(accepted.id, tim!.id, f.id, '4D');
    expect(legroom.status, JSON.stringify(legroom.body)).toBe(200);
    expect(legroom.body.total.amount).toBe(accepted.total.amount + 3000);
    const back = await chooseSeat(accepted.id, tim!.id, f.id, '5B');
    expect(back.body.total.amount).toBe(accepted.total.amount);
    expect(await seatStatus(f.id, '4D')).toBe('AVAILABLE');
    const seatItems = ((await order(accepted.id)).items as Item[]).filter((i) => i.product_type === 'Seat');
    expect(seatItems.map((i) => [i.traveler_id, i.seat_number]).sort()).toEqual(
      [
        [jane!.id, '5A'],
        [tim!.id, '5B'],
      ].sort(),
    );

    const paid = await api('POST', `/v1/orders/${accepted.id}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect((await chargesOf(accepted.id)).map((c) => c.amount)).toEqual([accepted.total.amount]);
    const docs = (await api('GET', `/v1/orders/${accepted.id}/fulfillment`, { token })).body;
    const passSeat = (travelerId: string) =>
      decodeBcbp(docs.boarding_passes.find((p: { traveler_id: string }) => p.traveler_id === travelerId).bcbp).legs[0]!
        .seat;
    expect([passSeat(jane!.id), passSeat(tim!.id)]).toEqual(['5A', '5B']);
    const ticketOf = (travelerId: string) =>
      docs.tickets.find((t: { traveler_id: string }) => t.traveler_id === travelerId);
    expect(ticketOf(jane!.id).coupons).toEqual([
      { flight_id: f.id, seat_number: '5A', status: 'OPEN', coupon_status: 'OPEN', check_in_sequence: null },
    ]);
    expect(ticketOf(tim!.id).coupons).toEqual([
      { flight_id: f.id, seat_number: '5B', status: 'OPEN', coupon_status: 'OPEN', check_in_sequence: null },
    ]);
    expect(await seatStatus(f.id, '5B')).toBe('OCCUPIED');
  });

  it('a Flight Only order pays the seat-map price; a change frees the old seat; taken, lap and foreign seats are refused', async () => {
    const f = await flight();
    const only = (await offersFor(f, { adults: 1, infants: 1 })).find((o) => o.bundle.code === 'FLIGHT_ONLY')!;
    const accepted = await acceptOffer(only.id, [adult, infant]);
    const jane = accepted.travelers.find((t) => t.ptc === 'ADT')!;
    const mia = accepted.travelers.find((t) => t.ptc === 'INF')!;
    const base = accepted.total.amount;

    const legroom = await chooseSeat(accepted.id, jane.id, f.id, '4C');
    expect(legroom.status, JSON.stringify(legroom.body)).toBe(200);
    expect(legroom.body.total.amount).toBe(base + 4500);
    const moved = await chooseSeat(accepted.id, jane.id, f.id, '6C');
    expect(moved.status).toBe(200);
    expect(moved.body.total.amount).toBe(base + 1500);
    expect((moved.body.items as Item[]).filter((i) => i.product_type === 'Seat').map((i) => i.seat_number)).toEqual([
      '6C',
    ]);
    expect(await seatStatus(f.id, '4C')).toBe('AVAILABLE');
    expect(await seatStatus(f.id, '6C')).toBe('HELD');

    const lap = await chooseSeat(accepted.id, mia.id, f.id, '6D');
    expect(lap.status).toBe(400);
    expect(lap.body.error.code).toBe('VALIDATION_FAILED');
    const other = await trip(f.id);
    expect((await holdSeat(other, f.id, '7A')).status).toBe(200);
    const taken = await chooseSeat(accepted.id, jane.id, f.id, '7A');
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('SEAT_UNAVAILABLE');
    const stranger = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
    const foreign = await api('POST', `/v1/orders/${accepted.id}/seats`, {
      token: stranger,
      body: { traveler_id: jane.id, flight_id: f.id, seat_number: '8A' },
    });
    expect(foreign.status).toBe(404);
    expect((await order(accepted.id)).total.amount).toBe(base + 1500);

    const paid = await api('POST', `/v1/orders/${accepted.id}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect((await chargesOf(accepted.id)).map((c) => c.amount)).toEqual([base + 1500]);
    expect(await seatStatus(f.id, '6C')).toBe('OCCUPIED');
    // Paid: a change is a seat change after booking (servicing-services.test.ts); 8A costs no more than the 6C paid for.
    const late = await chooseSeat(accepted.id, jane.id, f.id, '8A');
    expect(late.status, JSON.stringify(late.body)).toBe(200);
    expect((await chargesOf(accepted.id)).map((c) => c.amount)).toEqual([base + 1500]);
    expect(await seatStatus(f.id, '6C')).toBe('AVAILABLE');
    expect(await seatStatus(f.id, '8A')).toBe('OCCUPIED');
    expect((await cancel(other)).status).toBe(200);
    await recordHistory(services.temporal, orderWorkflowId(accepted.id), 'seat-choice');
  });

  it('an order that expires lets its chosen seat go (the seat lock and the assignment)', async () => {
    const f = await flight();
    const [offer] = await offersFor(f, { adults: 1 });
    // An API like the stack's, with an eight-second hold, on the stack's worker.
    const app = createApp({
      ...services,
      logger: silentLogger(),
      config: testConfig({
        APP_TEMPORAL__TASK_QUEUE: stack.taskQueue,
        APP_PAYMENTS__GATEWAY_URL: stack.sandboxUrl,
        APP_ORDERS__HOLD_SECONDS: '8',
      }),
    });
    const call = async (path: string, body: unknown) => {
      const res = await app.request(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const accepted = await call(`/v1/offers/${offer!.id}/accept`, { travelers: [adult], contact });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    const id = accepted.body.id as string;
    const chosen = await chooseSeat(id, accepted.body.travelers[0].id, f.id, '10A');
    expect(chosen.status, JSON.stringify(chosen.body)).toBe(200);
    expect(await seatStatus(f.id, '10A')).toBe('HELD');
    expect(
      (
        await eventually(
          () => order(id),
          (o) => o.status === 'EXPIRED',
          20_000,
        )
      ).status,
    ).toBe('EXPIRED');
    expect(await seatStatus(f.id, '10A')).toBe('AVAILABLE');
    const late = await chooseSeat(id, accepted.body.travelers[0].id, f.id, '10B');
    expect(late.status).toBe(410);
  });

  it('a cancelled order lets its chosen seat go', async () => {
    const f = await flight();
    const [offer] = await offersFor(f, { adults: 1 });
    const accepted = await acceptOffer(offer!.id, [adult]);
    expect((await chooseSeat(accepted.id, accepted.travelers[0]!.id, f.id, '9A')).status).toBe(200);
    expect(await seatStatus(f.id, '9A')).toBe('HELD');
    expect((await cancel(accepted.id)).status).toBe(200);
    expect(await seatStatus(f.id, '9A')).toBe('AVAILABLE');
  });
});
