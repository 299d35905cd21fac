/**
 * Servicing a paid order (issue #14, items 3–4), over HTTP against the real stack (API, worker, Temporal,
 * Postgres, Redis, the payment sandbox): services after booking — what is on sale with its limits, buying (charged
 * once, EMDs with the product's RFIC/RFISC), a decline, the limits, removal refunded by its rule — and seats after
 * booking — free with a bundle's seat, charged otherwise, the old seat freed, the boarding pass reissued, two
 * orders racing for one seat. After every test the flights' counts, holds, seat assignments, index and seat map agree.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeBcbp } from '../../domain/bcbp';
import type { Services } from '../../lib/services';
import { orderWorkflowId } from '../../workflows/messages';
import { outboxRows } from '../support/events';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { expectInventoryConsistent } from '../support/inventory-invariants';
import { apiClient, recordHistory, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';

const route = testRoute('servicing-services');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
const flightsOfTest: string[] = [];

const adult = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01' };
const contact = { email: 'jane@example.com' };

interface SeatMapSeat {
  seat_number: string;
  cabin: string;
  status: 'AVAILABLE' | 'HELD' | 'OCCUPIED' | 'BLOCKED';
}
interface Charge {
  id: string;
  amount: number;
  status: string;
  amount_refunded: number;
}

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  token = (await tokenFor(services, stack.config)).token;
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

let day = 3;
/** A flight with 8 business seats (rows 1–2) and 59 economy (rows 3–12, row 4 extra legroom), alone on its day. */
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
    }).then((r) => r.json())) as { data: Charge[] }
  ).data.filter((c) => c.status === 'succeeded');
const order = async (id: string) => (await api('GET', `/v1/orders/${id}`, { token })).body;
const fulfillment = async (id: string) => (await api('GET', `/v1/orders/${id}/fulfillment`, { token })).body;
const eventsOf = async (id: string, type: string) =>
  (await outboxRows(services.db, [id])).filter((e) => e.type === type).map((e) => e.payload as Record<string, any>);

/** A paid (FULFILLED) order of one adult on the flight, in the bundle asked for. */
async function paidOrder(f: TestFlight, bundle: 'FLIGHT_ONLY' | 'COMFORT' | 'PREMIUM') {
  const search = await api('POST', '/v1/offers/search', {
    token,
    body: {
      origin: route.origin,
      destination: route.destination,
      departure_date: f.departureAt.toISOString().slice(0, 10),
      passengers: { adults: 1 },
      cabin: 'ECONOMY',
    },
  });
  expect(search.status, JSON.stringify(search.body)).toBe(200);
  const offer = (search.body.offers as { id: string; bundle: { code: string }; segments: { flight_id: string }[] }[])
    .filter((o) => o.segments.every((s) => s.flight_id === f.id))
    .find((o) => o.bundle.code === bundle)!;
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, { token, body: { travelers: [adult], contact } });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const id = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${id}/pay`, { token, body: { payment_token: 'tok_visa' } });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  expect(paid.body.status).toBe('FULFILLED');
  return {
    id,
    travelerId: paid.body.travelers[0].id as string,
    total: paid.body.total.amount as number,
    items: paid.body.items as { product_type: string; product_code: string }[],
  };
}

const addServices = (id: string, lines: unknown[], paymentToken = 'tok_visa', headers: Record<string, string> = {}) =>
  api('POST', `/v1/orders/${id}/services`, { token, headers, body: { services: lines, payment_token: paymentToken } });

describe('services after booking', () => {
  it('lists per traveler and segment, priced in the order’s currency, what the bundle already has counted against the limits', async () => {
    const f = await flight();
    const comfort = await paidOrder(f, 'COMFORT');
    expect(comfort.items.map((i) => i.product_code)).toEqual(expect.arrayContaining(['BAG_23KG', 'MEAL_HOT']));
    const res = await api('GET', `/v1/orders/${comfort.id}/available-services`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const list = res.body.services as Record<string, any>[];
    const of = (code: string) => list.filter((s) => s.id === code);
    // Bags: at most 2 per traveler per segment; the bundle's bag leaves one.
    expect(of('BAG_23KG')).toEqual([
      expect.objectContaining({
        type: 'Bag',
        traveler_id: comfort.travelerId,
        traveler_ref: 'ADT1',
        segment_id: f.id,
        max_quantity: 1,
        price: { amount: 3500, currency: 'USD' },
        rfic: 'C',
        rfisc: '0CC',
        refund_rule: { kind: 'UNTIL_DEPARTURE', hours_before: 24 },
      }),
    ]);
    // One meal per traveler per segment: the bundle's hot meal leaves none of any meal.
    expect(of('MEAL_HOT')).toEqual([]);
    expect(of('MEAL_PREMIUM')).toEqual([]);
    expect(of('INSURANCE')).toEqual([
      expect.objectContaining({ segment_id: null, per: 'ORDER', rfic: 'D', refund_rule: { kind: 'NEVER' } }),
    ]);
    for (const code of ['LOUNGE', 'FAST_TRACK', 'CARBON_OFFSET']) expect(of(code)).toHaveLength(1);

    const stranger = (await tokenFor(services, stack.config)).token;
    expect((await api('GET', `/v1/orders/${comfort.id}/available-services`, { token: stranger })).status).toBe(404);
  });

  it('a bag and insurance: charged once at the sandbox, an EMD each with its RFIC/RFISC, on the order and in /fulfillment; a replay charges nothing', async () => {
    const f = await flight();
    const o = await paidOrder(f, 'FLIGHT_ONLY');
    const lines = [
      { id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 },
      { id: 'INSURANCE', traveler_ref: 'ADT1', quantity: 1 },
    ];
    const key = { 'Idempotency-Key': `svc-${o.id}` };
    const added = await addServices(o.id, lines, 'tok_visa', key);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.charged).toEqual({ amount: 6000, currency: 'USD' });
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total, 6000]);

    const ticket = (await fulfillment(o.id)).tickets.find((t: { flight_ids: string[] }) => t.flight_ids[0] === f.id);
    const bag = added.body.services.find((s: { id: string }) => s.id === 'BAG_23KG');
    const insurance = added.body.services.find((s: { id: string }) => s.id === 'INSURANCE');
    expect(bag.emd).toMatchObject({ type: 'EMD-A', rfic: 'C', rfisc: '0CC', associated_ticket: ticket.number });
    expect(insurance.emd).toMatchObject({ type: 'EMD-S', rfic: 'D', rfisc: '0MJ', associated_ticket: null });
    expect(added.body.order.total.amount).toBe(o.total + 6000);

    const emds = (await fulfillment(o.id)).emds as Record<string, any>[];
    expect(emds.map((e) => [e.number, e.order_item_id, e.rfic, e.rfisc, e.status]).sort()).toEqual(
      [
        [bag.emd.number, bag.order_item_id, 'C', '0CC', 'OPEN'],
        [insurance.emd.number, insurance.order_item_id, 'D', '0MJ', 'OPEN'],
      ].sort(),
    );
    const items = (await order(o.id)).items as { id: string; product_code: string }[];
    expect(items.map((i) => i.id)).toEqual(expect.arrayContaining([bag.order_item_id, insurance.order_item_id]));

    const replay = await addServices(o.id, lines, 'tok_visa', key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total, 6000]);
    const [added1] = await eventsOf(o.id, 'OrderServicesAdded');
    expect(added1).toMatchObject({
      order_id: o.id,
      route: `${route.origin}-${route.destination}`,
      amount: { amount: 6000, currency: 'USD' },
    });
    expect(await eventsOf(o.id, 'OrderServicesAdded')).toHaveLength(1);
    await recordHistory(services.temporal, orderWorkflowId(o.id), 'services-added');
  });

  it('a declined card answers 402 and leaves the order exactly as it was', async () => {
    const f = await flight();
    const o = await paidOrder(f, 'FLIGHT_ONLY');
    const before = await order(o.id);
    const declined = await addServices(
      o.id,
      [{ id: 'LOUNGE', traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 }],
      'tok_chargeDeclined',
    );
    expect(declined.status, JSON.stringify(declined.body)).toBe(402);
    expect(declined.body.error).toMatchObject({ code: 'PAYMENT_DECLINED', details: { decline_code: 'card_declined' } });
    const after = await order(o.id);
    expect(after.items).toEqual(before.items);
    expect(after.total).toEqual(before.total);
    expect((await fulfillment(o.id)).emds).toEqual([]);
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total]);
    expect(await eventsOf(o.id, 'OrderServicesAdded')).toEqual([]);
  });

  it('over the limit (422), an unknown service or traveler (400), an unpaid order (409): nothing charged', async () => {
    const f = await flight();
    const o = await paidOrder(f, 'FLIGHT_ONLY');
    const three = await addServices(o.id, [{ id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: f.id, quantity: 3 }]);
    expect(three.status).toBe(422);
    expect(three.body.error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 2, remaining: 2 } });
    // Two lines of one type add up against the limit.
    const split = await addServices(o.id, [
      { id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 },
      { id: 'BAG_23KG_2', traveler_ref: 'ADT1', segment_id: f.id, quantity: 2 },
    ]);
    expect(split.status).toBe(422);
    const unknown = await addServices(o.id, [{ id: 'PONY_RIDE', traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 }]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no service PONY_RIDE/);
    const stranger = await addServices(o.id, [{ id: 'BAG_23KG', traveler_ref: 'ADT7', segment_id: f.id, quantity: 1 }]);
    expect(stranger.status).toBe(400);
    expect(stranger.body.error.message).toMatch(/no traveler ADT7/);
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total]);

    // After two bags, a third is over the limit; nothing more is listed.
    const two = await addServices(o.id, [{ id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: f.id, quantity: 2 }]);
    expect(two.status, JSON.stringify(two.body)).toBe(201);
    const more = await addServices(o.id, [{ id: 'BAG_23KG_2', traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 }]);
    expect(more.status).toBe(422);
    expect(more.body.error.details).toMatchObject({ remaining: 0 });
    const listed = (await api('GET', `/v1/orders/${o.id}/available-services`, { token })).body.services;
    expect(listed.filter((s: { type: string }) => s.type === 'Bag')).toEqual([]);
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total, 7000]);

    const unpaid = await api('POST', '/v1/offers/search', {
      token,
      body: {
        origin: route.origin,
        destination: route.destination,
        departure_date: f.departureAt.toISOString().slice(0, 10),
        passengers: { adults: 1 },
        cabin: 'ECONOMY',
      },
    });
    const offer = (unpaid.body.offers as { id: string; segments: { flight_id: string }[] }[]).find((x) =>
      x.segments.every((s) => s.flight_id === f.id),
    )!;
    const proposed = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: { travelers: [adult], contact },
    });
    expect(
      (await addServices(proposed.body.id, [{ id: 'LOUNGE', traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 }]))
        .status,
    ).toBe(409);
    expect((await api('POST', `/v1/orders/${proposed.body.id}/cancel`, { token, body: {} })).status).toBe(200);
  });

  it('removing an unused bag refunds it (until 24 h before departure) and voids its EMD; insurance is never refunded', async () => {
    const f = await flight();
    const o = await paidOrder(f, 'FLIGHT_ONLY');
    const added = await addServices(o.id, [
      { id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: f.id, quantity: 1 },
      { id: 'INSURANCE', traveler_ref: o.travelerId, quantity: 1 },
    ]);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const bag = added.body.services.find((s: { id: string }) => s.id === 'BAG_23KG');
    const insurance = added.body.services.find((s: { id: string }) => s.id === 'INSURANCE');

    const removed = await api('DELETE', `/v1/orders/${o.id}/services/${bag.order_item_id}`, { token });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body).toMatchObject({ emd: bag.emd.number, refund: { amount: 3500, currency: 'USD' } });
    expect(removed.body.order.total.amount).toBe(o.total + 2500);
    const charge = (await chargesOf(o.id)).find((c) => c.amount === 6000)!;
    expect(charge.amount_refunded).toBe(3500);
    const emds = (await fulfillment(o.id)).emds as { number: string; status: string }[];
    expect(emds.find((e) => e.number === bag.emd.number)!.status).toBe('VOIDED');
    expect(emds.find((e) => e.number === insurance.emd.number)!.status).toBe('OPEN');

    const never = await api('DELETE', `/v1/orders/${o.id}/services/${insurance.order_item_id}`, { token });
    expect(never.status).toBe(422);
    expect(never.body.error).toMatchObject({ code: 'NOT_REFUNDABLE', details: { rule: { kind: 'NEVER' } } });
    expect((await chargesOf(o.id)).find((c) => c.amount === 6000)!.amount_refunded).toBe(3500);
    expect((await order(o.id)).total.amount).toBe(o.total + 2500);
    const again = await api('DELETE', `/v1/orders/${o.id}/services/${bag.order_item_id}`, { token });
    expect(again.status).toBe(200); // already removed: the same answer, no second refund
    expect((await chargesOf(o.id)).find((c) => c.amount === 6000)!.amount_refunded).toBe(3500);
    await recordHistory(services.temporal, orderWorkflowId(o.id), 'service-removed');
  });

  it('cancelling gives back what services bought after booking were charged too: the refund split over both charges', async () => {
    // Premium refunds in full before departure: the quote is the sale and the insurance bought after it. The sale's
    // charge alone cannot hold that refund (the cancellation used to refund it only, keeping the insurance's money).
    const f = await flight();
    const o = await paidOrder(f, 'PREMIUM');
    const added = await addServices(o.id, [{ id: 'INSURANCE', traveler_ref: 'ADT1', quantity: 1 }]);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const extra = added.body.charged.amount as number;
    expect(extra).toBeGreaterThan(0);
    const quote = await api('POST', `/v1/orders/${o.id}/cancellation-quotes`, { token });
    expect(quote.status, JSON.stringify(quote.body)).toBe(201);
    expect(quote.body.refund_amount).toEqual({ amount: o.total + extra, currency: 'USD' });
    const confirm = await api('POST', `/v1/orders/${o.id}/cancellation-quotes/${quote.body.id}/confirm`, { token });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    const charges = await chargesOf(o.id);
    expect(charges.map((c) => [c.amount, c.amount_refunded])).toEqual([
      [o.total, o.total],
      [extra, extra],
    ]);
    const again = await api('POST', `/v1/orders/${o.id}/cancellation-quotes/${quote.body.id}/confirm`, { token });
    expect(again.status).toBe(200);
    expect((await chargesOf(o.id)).map((c) => c.amount_refunded)).toEqual([o.total, extra]);
    const refunds = await eventsOf(o.id, 'RefundIssued');
    expect(refunds.map((r) => r.amount.amount).sort((a, b) => a - b)).toEqual([extra, o.total].sort((a, b) => a - b));
    expect((await order(o.id)).status).toBe('CANCELLED');
  });
});

describe('seats after booking', () => {
  const changeSeat = (id: string, body: Record<string, unknown>) =>
    api('POST', `/v1/orders/${id}/seats`, { token, body });
  const passSeat = async (id: string, travelerId: string) =>
    decodeBcbp(
      (await fulfillment(id)).boarding_passes.find((p: { traveler_id: string }) => p.traveler_id === travelerId).bcbp,
    ).legs[0]!.seat;

  it('free with a bundle’s seat: the old seat is freed for others, the boarding pass and coupon carry the new one', async () => {
    const f = await flight();
    const o = await paidOrder(f, 'COMFORT');
    const first = await changeSeat(o.id, { traveler_ref: 'ADT1', flight_id: f.id, seat_number: '6C' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(await seatStatus(f.id, '6C')).toBe('OCCUPIED');
    const moved = await changeSeat(o.id, { traveler_id: o.travelerId, flight_id: f.id, seat_number: '7C' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.total.amount).toBe(o.total);
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total]);
    expect(await seatStatus(f.id, '6C')).toBe('AVAILABLE');
    expect(await seatStatus(f.id, '7C')).toBe('OCCUPIED');
    expect(await passSeat(o.id, o.travelerId)).toBe('7C');
    const docs = await fulfillment(o.id);
    expect(docs.tickets[0].coupons).toEqual([
      { flight_id: f.id, seat_number: '7C', status: 'OPEN', coupon_status: 'OPEN', check_in_sequence: null },
    ]);
    expect((await eventsOf(o.id, 'SeatChanged')).map((e) => [e.from_seat, e.to_seat, e.amount.amount])).toEqual([
      [null, '6C', 0],
      ['6C', '7C', 0],
    ]);

    // The freed seat is anyone's: another paid order takes it.
    const other = await paidOrder(f, 'COMFORT');
    expect((await changeSeat(other.id, { traveler_ref: 'ADT1', flight_id: f.id, seat_number: '6C' })).status).toBe(200);
    // Within the sold cabin only.
    const business = await changeSeat(o.id, { traveler_ref: 'ADT1', flight_id: f.id, seat_number: '1A' });
    expect(business.status).toBe(409);
    expect(business.body.error.code).toBe('CABIN_MISMATCH');
    expect(await passSeat(o.id, o.travelerId)).toBe('7C');
  });

  it('charged at the seat-map price without one (payment_token required), on an EMD-A; a decline changes nothing', async () => {
    const f = await flight();
    const o = await paidOrder(f, 'FLIGHT_ONLY');
    const noToken = await changeSeat(o.id, { traveler_ref: 'ADT1', flight_id: f.id, seat_number: '4C' });
    expect(noToken.status).toBe(400);
    expect(noToken.body.error.message).toMatch(/payment_token is required/);
    const declined = await changeSeat(o.id, {
      traveler_ref: 'ADT1',
      flight_id: f.id,
      seat_number: '4C',
      payment_token: 'tok_chargeDeclined',
    });
    expect(declined.status).toBe(402);
    expect(await seatStatus(f.id, '4C')).toBe('AVAILABLE');

    const paid = await changeSeat(o.id, {
      traveler_ref: 'ADT1',
      flight_id: f.id,
      seat_number: '4C',
      payment_token: 'tok_visa',
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total, 4500]);
    expect(paid.body.total.amount).toBe(o.total + 4500);
    const seatEmd = ((await fulfillment(o.id)).emds as Record<string, any>[])[0]!;
    expect(seatEmd).toMatchObject({ type: 'EMD-A', rfic: 'A', rfisc: '0B5', status: 'OPEN' });
    expect(await passSeat(o.id, o.travelerId)).toBe('4C');
    // A cheaper seat is covered by what was paid: no new charge.
    const cheaper = await changeSeat(o.id, { traveler_ref: 'ADT1', flight_id: f.id, seat_number: '8A' });
    expect(cheaper.status, JSON.stringify(cheaper.body)).toBe(200);
    expect((await chargesOf(o.id)).map((c) => c.amount)).toEqual([o.total, 4500]);
    expect(await seatStatus(f.id, '4C')).toBe('AVAILABLE');
    await recordHistory(services.temporal, orderWorkflowId(o.id), 'seat-after-booking');
  });

  it('two orders changing to the same seat at once: one wins, the other gets 409 and keeps no charge', async () => {
    const f = await flight();
    const [a, b] = [await paidOrder(f, 'FLIGHT_ONLY'), await paidOrder(f, 'FLIGHT_ONLY')];
    const results = await Promise.all(
      [a, b].map((o) =>
        changeSeat(o.id, { traveler_ref: 'ADT1', flight_id: f.id, seat_number: '9D', payment_token: 'tok_visa' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results[0]!.status === 409 ? a : b;
    const winner = loser === a ? b : a;
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('SEAT_UNAVAILABLE');
    expect(await seatStatus(f.id, '9D')).toBe('OCCUPIED');
    expect(await passSeat(winner.id, winner.travelerId)).toBe('9D');
    expect(await passSeat(loser.id, loser.travelerId)).toBeNull();
    // The loser was refused before its charge, or refunded after it: it keeps nothing.
    const kept = (await chargesOf(loser.id)).reduce((sum, c) => sum + c.amount - c.amount_refunded, 0);
    expect(kept).toBe(loser.total);
    expect((await order(loser.id)).total.amount).toBe(loser.total);
  });
});
