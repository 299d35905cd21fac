/**
 * Day of travel (issue #15, items 3–4), over HTTP against the real stack: check-in inside its window (a short one
 * here: opens 30 min, closes 5 min before departure), travel documents on an international flight (validated,
 * stored encrypted), seats assigned in the sold cabin, check-in sequences unique per flight, the lap infant's pass,
 * the PDF417 image, the gate scan (boarded once, another flight, not checked in, superseded, cancelled), the
 * manifest, and the coupons settled FLOWN / NO_SHOW by the flight-status move at departure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBcbp, decodeBcbpConditional } from '../../domain/bcbp';
import { createPiiCipher } from '../../lib/pii';
import type { Services } from '../../lib/services';
import { moveFlightStatuses, scheduleRules } from '../../services/schedule';
import { outboxRows } from '../support/events';
import { createTestFlight, testRoute, type TestFlight, type TestRoute } from '../support/flights';
import { apiClient, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('day-of-travel');
const intlRoute = testRoute('day-of-travel-intl');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
let agent: string;

const adult = (first: string) => ({ ptc: 'ADT', first_name: first, last_name: 'Doe', date_of_birth: '1990-04-01' });
const infant = { ptc: 'INF', first_name: 'Baby', last_name: 'Doe', date_of_birth: '2026-05-01' };
const contact = { email: 'jane@example.com' };
const passport = { type: 'P', number: 'X1234567', nationality: 'FRA', expiry: '2031-05-31' };

let fOpen: TestFlight;
let fNotOpen: TestFlight;
let fClosed: TestFlight;
let fIntl: TestFlight;

const minutes = (n: number) => new Date(Math.floor((Date.now() + n * 60_000) / 1000) * 1000);

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, {
    APP_CHECK_IN__OPENS_HOURS_BEFORE: '0.5',
    APP_CHECK_IN__CLOSES_MINUTES_BEFORE: '5',
    APP_ORDERS__SALES_CLOSE_MINUTES: '1',
  });
  api = apiClient(stack.apiUrl);
  token = (await tokenFor(services, stack.config)).token;
  agent = (await tokenFor(services, stack.config, 'agent')).token;
  const make = (r: TestRoute, departsInMin: number) =>
    createTestFlight(services, { route: r, departureAt: minutes(departsInMin), capacity: 10 });
  fClosed = await make(route, 3.5); // sold until 1 min before departure, check-in closed 5 min before
  fOpen = await make(route, 20);
  fNotOpen = await make(route, 50);
  fIntl = await make(intlRoute, 20);
  // The international route's destination is in another country than its origin.
  await services.sql`UPDATE airports SET country = 'YY' WHERE code = ${intlRoute.destination}`;
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route, intlRoute]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

/** A paid (FULFILLED) order on the flight: one adult, or an adult with a lap infant. */
async function paidOrder(f: TestFlight, r: TestRoute, opts: { infant?: boolean; first?: string } = {}) {
  const search = await api('POST', '/v1/offers/search', {
    token,
    body: {
      origin: r.origin,
      destination: r.destination,
      departure_date: f.departureAt.toISOString().slice(0, 10),
      passengers: { adults: 1, infants: opts.infant ? 1 : 0 },
      cabin: 'ECONOMY',
    },
  });
  expect(search.status, JSON.stringify(search.body)).toBe(200);
  const offer = (search.body.offers as { id: string; bundle: { code: string }; segments: { flight_id: string }[] }[])
    .filter((o) => o.segments.every((s) => s.flight_id === f.id))
    .find((o) => o.bundle.code === 'FLIGHT_ONLY')!;
  expect(offer).toBeDefined();
  const travelers = opts.infant ? [adult(opts.first ?? 'Jane'), infant] : [adult(opts.first ?? 'Jane')];
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, { token, body: { travelers, contact } });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const id = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${id}/pay`, { token, body: { payment_token: 'tok_visa' } });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  expect(paid.body.status).toBe('FULFILLED');
  return { id, travelers: (paid.body.travelers as { id: string }[]).map((t) => t.id) };
}

const checkIn = (orderId: string, body: unknown, headers: Record<string, string> = {}) =>
  api('POST', `/v1/orders/${orderId}/check-in`, { token, body, headers });
const scan = (barcode: string, flightId?: string) =>
  api('POST', '/v1/gate/scan', { token: agent, body: { barcode, ...(flightId ? { flight_id: flightId } : {}) } });
const manifest = async (flightId: string) =>
  (await api('GET', `/v1/admin/flights/${flightId}/manifest`, { token: agent })).body;

interface Pass {
  traveler_id: string;
  seat_number: string | null;
  check_in_sequence: number;
  bcbp: string;
  barcode_url: string;
  ticket_number: string;
  status: string;
}

// Shared by the tests below, which run in order on the same flight.
const open: { a?: { id: string; pass: Pass }; b?: { id: string; passes: Pass[] }; c?: string; d?: string } = {};

describe('check-in', () => {
  it('answers 409 CHECK_IN_CLOSED after the window and CHECK_IN_NOT_OPEN before it', async () => {
    const late = await paidOrder(fClosed, route);
    const closed = await checkIn(late.id, { flight_id: fClosed.id, travelers: [{ ref: 'ADT1' }] });
    expect(closed.status, JSON.stringify(closed.body)).toBe(409);
    expect(closed.body.error.code).toBe('CHECK_IN_CLOSED');
    const early = await paidOrder(fNotOpen, route);
    const notOpen = await checkIn(early.id, { flight_id: fNotOpen.id, travelers: [{ ref: 'ADT1' }] });
    expect(notOpen.status).toBe(409);
    expect(notOpen.body.error.code).toBe('CHECK_IN_NOT_OPEN');
    expect(Date.parse(notOpen.body.error.details.opens_at)).toBe(fNotOpen.departureAt.getTime() - 30 * 60_000);
  });

  it('assigns a seat in the sold cabin, issues a checked-in pass with a per-flight sequence, and an image', async () => {
    const a = await paidOrder(fOpen, route, { first: 'Alice' });
    const b = await paidOrder(fOpen, route, { first: 'Bob', infant: true });
    const first = await checkIn(
      a.id,
      { flight_id: fOpen.id, travelers: [{ ref: 'ADT1' }] },
      { 'Idempotency-Key': `ci-${a.id}` },
    );
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.international).toBe(false);
    const pass = first.body.boarding_passes[0] as Pass;
    expect(pass.seat_number).toMatch(/^\d+[A-D]$/);
    expect(pass.status).toBe('CHECKED_IN');
    const seat = await services.sql<{ cabin: string; traveler_id: string; order_id: string }[]>`
      SELECT s.cabin, a.traveler_id, a.order_id FROM seat_assignments a
      JOIN flight_seats s ON s.flight_id = a.flight_id AND s.seat_number = a.seat_number
      WHERE a.flight_id = ${fOpen.id} AND a.seat_number = ${pass.seat_number}`;
    expect(seat).toEqual([{ cabin: 'ECONOMY', traveler_id: a.travelers[0], order_id: a.id }]);

    const leg = decodeBcbp(pass.bcbp).legs[0]!;
    expect(leg).toMatchObject({ passengerStatus: '1', compartment: 'Y', seat: pass.seat_number, from: route.origin });
    expect(Number(leg.checkInSequence)).toBe(pass.check_in_sequence);
    const cond = decodeBcbpConditional(decodeBcbp(pass.bcbp))!;
    expect(cond).toMatchObject({ passengerDescription: '0', ticketNumber: pass.ticket_number, documentType: 'B' });

    // The same key answers the same; checking in again issues nothing new.
    const replay = await checkIn(
      a.id,
      { flight_id: fOpen.id, travelers: [{ ref: 'ADT1' }] },
      { 'Idempotency-Key': `ci-${a.id}` },
    );
    expect(replay.body).toEqual(first.body);
    const again = await checkIn(a.id, { flight_id: fOpen.id, travelers: [{ ref: 'ADT1' }] });
    expect(again.status).toBe(200);
    expect(again.body.boarding_passes[0].check_in_sequence).toBe(pass.check_in_sequence);

    // Another order on the flight: sequences go on from the first order's, the lap infant has no seat.
    const both = await checkIn(b.id, { flight_id: fOpen.id, travelers: [{ ref: 'ADT1' }, { ref: 'INF1' }] });
    expect(both.status, JSON.stringify(both.body)).toBe(200);
    const passes = both.body.boarding_passes as Pass[];
    const sequences = [pass, ...passes].map((p) => p.check_in_sequence);
    expect(new Set(sequences).size).toBe(3);
    expect(Math.min(...passes.map((p) => p.check_in_sequence))).toBeGreaterThan(pass.check_in_sequence);
    const [bAdult, bInfant] = passes;
    expect(bAdult!.seat_number).toMatch(/^\d+[A-D]$/);
    expect(bAdult!.seat_number).not.toBe(pass.seat_number);
    expect(bInfant!.seat_number).toBeNull();
    const infantPass = decodeBcbp(bInfant!.bcbp);
    expect(infantPass.legs[0]!.seat).toBe('INF');
    expect(decodeBcbpConditional(infantPass)!.passengerDescription).toBe('4');

    // The barcode image: a PNG of the pass (PDF417).
    const png = await fetch(`${stack.apiUrl}${pass.barcode_url}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.length).toBeGreaterThan(500);
    const stranger = (await tokenFor(services, stack.config)).token;
    const hidden = await fetch(`${stack.apiUrl}${pass.barcode_url}`, {
      headers: { Authorization: `Bearer ${stranger}` },
    });
    expect(hidden.status).toBe(404);

    // The order's documents show the coupons' day-of-travel status.
    const docs = (await api('GET', `/v1/orders/${a.id}/fulfillment`, { token })).body;
    expect(docs.tickets[0].coupons[0]).toMatchObject({
      coupon_status: 'CHECKED_IN',
      check_in_sequence: pass.check_in_sequence,
      status: 'OPEN',
    });
    expect(docs.boarding_passes[0].bcbp).toBe(pass.bcbp);
    const events = (await outboxRows(services.db, [a.id])).filter((e) => e.type === 'TravelerCheckedIn');
    expect(events).toHaveLength(1);
    open.a = { id: a.id, pass };
    open.b = { id: b.id, passes };
  });

  it('requires valid travel documents on an international flight and stores them encrypted', async () => {
    const o = await paidOrder(fIntl, intlRoute);
    const missing = await checkIn(o.id, { flight_id: fIntl.id, travelers: [{ ref: 'ADT1' }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.issues).toEqual([
      { path: 'travelers.0.document', message: expect.stringContaining('travel document') },
    ]);
    const bad = await checkIn(o.id, {
      flight_id: fIntl.id,
      travelers: [{ ref: 'ADT1', document: { type: 'V', number: 'ab', nationality: 'FR', expiry: '2020-01-01' } }],
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error.details.issues as { path: string }[]).map((i) => i.path)).toEqual([
      'travelers.0.document.type',
      'travelers.0.document.number',
      'travelers.0.document.nationality',
      'travelers.0.document.expiry',
    ]);
    const ok = await checkIn(o.id, { flight_id: fIntl.id, travelers: [{ ref: 'ADT1', document: passport }] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.international).toBe(true);
    expect(decodeBcbpConditional(decodeBcbp(ok.body.boarding_passes[0].bcbp))!.documentVerification).toBe('2');
    const [row] = await services.sql<{ travel_document: string }[]>`
      SELECT travel_document FROM check_ins WHERE order_id = ${o.id}`;
    expect(row!.travel_document).not.toContain(passport.number);
    expect(JSON.parse(createPiiCipher(stack.config.pii).decrypt(row!.travel_document))).toEqual(passport);
  });
});

describe('check-in at once', () => {
  it('gives concurrent check-ins of several orders distinct sequences and seats on the flight', async () => {
    const orders = [];
    for (const first of ['Eve', 'Finn', 'Gus']) orders.push(await paidOrder(fIntl, intlRoute, { first }));
    const answers = await Promise.all(
      orders.map((o) => checkIn(o.id, { flight_id: fIntl.id, travelers: [{ ref: 'ADT1', document: passport }] })),
    );
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    const passes = answers.map((a) => a.body.boarding_passes[0] as Pass);
    expect(new Set(passes.map((p) => p.check_in_sequence)).size).toBe(3);
    expect(new Set(passes.map((p) => p.seat_number)).size).toBe(3);
    const rows = await services.sql<{ n: number; distinct: number }[]>`
      SELECT count(*)::int AS n, count(DISTINCT sequence)::int AS distinct FROM check_ins WHERE flight_id = ${fIntl.id}`;
    expect(rows[0]!.n).toBe(rows[0]!.distinct);
  });
});

describe('boarding at the gate', () => {
  it('boards a checked-in pass once: 200 with the passenger, then 409 ALREADY_BOARDED', async () => {
    const { pass } = open.a!;
    const boarded = await scan(pass.bcbp, fOpen.id);
    expect(boarded.status, JSON.stringify(boarded.body)).toBe(200);
    expect(boarded.body).toMatchObject({
      status: 'BOARDED',
      order_id: open.a!.id,
      passenger: { first_name: 'Alice', last_name: 'Doe' },
      seat_number: pass.seat_number,
      check_in_sequence: pass.check_in_sequence,
    });
    const twice = await scan(pass.bcbp, fOpen.id);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('ALREADY_BOARDED');
    const customer = await api('POST', '/v1/gate/scan', { token, body: { barcode: pass.bcbp } });
    expect(customer.status).toBe(403);
  });

  it('refuses a pass for another flight or day (422), and one not checked in, superseded or cancelled (409)', async () => {
    const bAdult = open.b!.passes[0]!;
    const otherFlight = await scan(bAdult.bcbp, fIntl.id);
    expect(otherFlight.status).toBe(422);
    expect(otherFlight.body.error.code).toBe('WRONG_FLIGHT');
    // The same pass with another date of flight (the Julian day, characters 44–46).
    const day = Number(bAdult.bcbp.slice(44, 47));
    const otherDay = bAdult.bcbp.slice(0, 44) + String((day % 365) + 1).padStart(3, '0') + bAdult.bcbp.slice(47);
    expect((await scan(otherDay)).status).toBe(422);

    // Not checked in: the pass issued at ticketing.
    const c = await paidOrder(fOpen, route, { first: 'Carol' });
    const issued = (await api('GET', `/v1/orders/${c.id}/fulfillment`, { token })).body.boarding_passes[0].bcbp;
    const notCheckedIn = await scan(issued, fOpen.id);
    expect(notCheckedIn.status).toBe(409);
    expect(notCheckedIn.body.error.code).toBe('NOT_CHECKED_IN');
    open.c = c.id;

    // Superseded: the seat changed after check-in, the pass was reissued with the same sequence.
    const map = (await api('GET', `/v1/flights/${fOpen.id}/seats`, { token })).body.seats as {
      seat_number: string;
      status: string;
    }[];
    const free = map.find((s) => s.status === 'AVAILABLE')!.seat_number;
    const moved = await api('POST', `/v1/orders/${open.b!.id}/seats`, {
      token,
      body: { traveler_ref: 'ADT1', flight_id: fOpen.id, seat_number: free, payment_token: 'tok_visa' },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const superseded = await scan(bAdult.bcbp, fOpen.id);
    expect(superseded.status).toBe(409);
    expect(superseded.body.error.code).toBe('BOARDING_PASS_SUPERSEDED');
    const reissued = (await api('GET', `/v1/orders/${open.b!.id}/fulfillment`, { token })).body.boarding_passes.find(
      (p: { traveler_id: string }) => p.traveler_id === bAdult.traveler_id,
    ).bcbp as string;
    expect(decodeBcbp(reissued).legs[0]).toMatchObject({
      seat: free,
      checkInSequence: String(bAdult.check_in_sequence),
    });

    // Cancelled after check-in: the pass no longer boards.
    const d = await paidOrder(fOpen, route, { first: 'Dan' });
    const dIn = await checkIn(d.id, { flight_id: fOpen.id, travelers: [{ ref: 'ADT1' }] });
    expect(dIn.status).toBe(200);
    const quote = await api('POST', `/v1/orders/${d.id}/cancellation-quotes`, { token });
    expect(quote.status, JSON.stringify(quote.body)).toBe(201);
    const confirmed = await api('POST', `/v1/orders/${d.id}/cancellation-quotes/${quote.body.id}/confirm`, { token });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const cancelled = await scan(dIn.body.boarding_passes[0].bcbp, fOpen.id);
    expect(cancelled.status).toBe(409);
    expect(cancelled.body.error.code).toBe('COUPON_NOT_OPEN');
    open.d = d.id;
  });

  it('lists the manifest, and settles coupons FLOWN / NO_SHOW once the flight departs', async () => {
    const before = await manifest(fOpen.id);
    const byOrder = (m: typeof before, id: string) =>
      (m.passengers as { order_id: string; coupon_status: string; check_in_sequence: number | null }[])
        .filter((p) => p.order_id === id)
        .map((p) => p.coupon_status);
    expect(byOrder(before, open.a!.id)).toEqual(['BOARDED']);
    expect(byOrder(before, open.b!.id)).toEqual(['CHECKED_IN', 'CHECKED_IN']);
    expect(byOrder(before, open.c!)).toEqual(['OPEN']);
    // Cancelled: its ticket's status (VOIDED: a flight-only fare refunds nothing) wins over the check-in.
    expect(byOrder(before, open.d!)).toEqual(['VOIDED']);
    expect(before.totals).toEqual({ ticketed: 4, not_checked_in: 1, checked_in: 3, boarded: 1, flown: 0, no_show: 0 });
    expect((await api('GET', `/v1/admin/flights/${fOpen.id}/manifest`, { token })).status).toBe(403);

    // The worker's flight-status move, as it runs once the flight has departed.
    const departed = new Date(fOpen.departureAt.getTime() + 60_000);
    await moveFlightStatuses(services, scheduleRules(stack.config), departed);
    await moveFlightStatuses(services, scheduleRules(stack.config), departed); // idempotent
    const after = await manifest(fOpen.id);
    expect(after.status).toBe('DEPARTED');
    expect(byOrder(after, open.a!.id)).toEqual(['FLOWN']);
    expect(byOrder(after, open.b!.id)).toEqual(['NO_SHOW', 'NO_SHOW']);
    expect(byOrder(after, open.c!)).toEqual(['NO_SHOW']);
    expect(byOrder(after, open.d!)).toEqual(['VOIDED']);
    expect(after.totals).toMatchObject({ flown: 1, no_show: 3, boarded: 1 });
    const flownEvents = (await outboxRows(services.db, [open.a!.id])).filter((e) => e.type === 'CouponFlown');
    expect(flownEvents).toHaveLength(1);
    const noShows = (await outboxRows(services.db, [open.c!])).filter((e) => e.type === 'CouponNoShow');
    expect(noShows).toHaveLength(1);

    // The ledger, in the departure's transaction: the flown coupon's value earned, the no-shows' retained, each once.
    const admin = (await tokenFor(services, stack.config, 'admin')).token;
    const ledgerOf = async (orderId: string) =>
      (await api('GET', `/v1/admin/orders/${orderId}/ledger`, { token: admin })).body as {
        balanced: boolean;
        entries: { kind: string; account: string; amount: { amount: number } }[];
      };
    const flownLedger = await ledgerOf(open.a!.id);
    expect(flownLedger.balanced).toBe(true);
    const earned = flownLedger.entries.filter((e) => e.kind === 'coupon_flown' && e.account === 'EARNED');
    expect(earned).toHaveLength(1);
    expect(earned[0]!.amount.amount).toBeLessThan(0); // a credit to revenue
    const noShowLedger = await ledgerOf(open.c!);
    expect(noShowLedger.entries.filter((e) => e.kind === 'coupon_no_show' && e.account === 'PENALTIES')).toHaveLength(
      1,
    );
    expect(noShowLedger.entries.some((e) => e.kind === 'coupon_flown')).toBe(false);

    const docs = (await api('GET', `/v1/orders/${open.a!.id}/fulfillment`, { token })).body;
    expect(docs.tickets[0].coupons[0].coupon_status).toBe('FLOWN');
    // A no-show's later cancellation follows the fare conditions' no-show rule.
    const quote = await api('POST', `/v1/orders/${open.c!}/cancellation-quotes`, { token });
    expect(quote.status, JSON.stringify(quote.body)).toBe(201);
    expect(quote.body.rule).toBe('no_show');
  });
});
