/**
 * The flight and order lifecycle on the real stack (issue #15, item 5): a flight shows SCHEDULED → CHECK_IN_OPEN →
 * CLOSED → DEPARTED → ARRIVED by its schedule and keeps selling while its check-in is open; an order is ARCHIVED
 * only once its last flight has arrived (not at departure), with every coupon settled (FLOWN or NO_SHOW).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flights, orders } from '../../db/schema';
import type { Services } from '../../lib/services';
import { moveFlightStatuses, scheduleRules } from '../../services/schedule';
import { orderWorkflowId } from '../../workflows/messages';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute } from '../support/flights';
import { apiClient, eventually, recordHistory, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('flight-lifecycle');

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;

const contact = { email: 'jane@example.com' };
const traveler = { ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));
const inSeconds = (n: number) => new Date(Math.ceil((Date.now() + n * 1000) / 1000) * 1000);

beforeAll(async () => {
  services = await openTestServices();
  // Check-in opens 30 min before departure; sales close at departure; archived right after the last arrival.
  stack = await startOrderStack(services, {
    APP_CHECK_IN__OPENS_HOURS_BEFORE: '0.5',
    APP_CHECK_IN__CLOSES_MINUTES_BEFORE: '0',
    APP_ORDERS__SALES_CLOSE_MINUTES: '0',
    APP_ORDERS__ARCHIVE_GRACE_SECONDS: '0',
  });
  api = apiClient(stack.apiUrl);
  token = (await tokenFor(services, stack.config)).token;
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

const statusShown = async (flightId: string) =>
  (await api<{ status: string }>('GET', `/v1/flights/${flightId}`, { token })).body.status;
const recorded = async (flightId: string) =>
  (await services.db.select({ s: flights.status }).from(flights).where(eq(flights.id, flightId)))[0]!.s;
const orderStatus = async (orderId: string) =>
  (await services.db.select({ s: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]!.s;

describe('the flight lifecycle', () => {
  it('moves SCHEDULED → CHECK_IN_OPEN by its schedule, and keeps selling while check-in is open', async () => {
    const later = await createTestFlight(services, { route, departsInMs: 3 * 3_600_000, capacity: 10 });
    const soon = await createTestFlight(services, { route, departureAt: inSeconds(20 * 60), capacity: 10 });
    expect(await statusShown(later.id)).toBe('SCHEDULED');
    expect(await statusShown(soon.id)).toBe('CHECK_IN_OPEN');
    // The worker records the move (the times decide the status shown before that).
    await moveFlightStatuses(services, scheduleRules(stack.config), new Date(), [soon.id, later.id]);
    expect(await recorded(soon.id)).toBe('CHECK_IN_OPEN');
    expect(await recorded(later.id)).toBe('SCHEDULED');
    // Still sold and listed while its check-in is open.
    const search = await api<{ flights: { id: string; status: string }[] }>('POST', '/v1/flights/search', {
      token,
      body: {
        legs: [
          {
            origin_airport_code: route.origin,
            destination_airport_code: route.destination,
            date: soon.departureAt.toISOString().slice(0, 10),
          },
        ],
        passenger_count: 1,
      },
    });
    expect(search.status, JSON.stringify(search.body)).toBe(200);
    expect(JSON.stringify(search.body)).toContain(soon.id);
    const offer = await createTestOffer(services.redis, [soon]);
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: { travelers: [traveler], contact },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    // Then CLOSED, DEPARTED, ARRIVED as the clock passes sales close, departure and arrival.
    const rules = scheduleRules(stack.config);
    // (This stack sells until departure; with sales closing a minute before, 30 s before departure is CLOSED.)
    await moveFlightStatuses(
      services,
      { ...rules, salesCloseMinutes: 1 },
      new Date(soon.departureAt.getTime() - 30_000),
      [soon.id],
    );
    expect(await recorded(soon.id)).toBe('CLOSED');
    await moveFlightStatuses(services, rules, new Date(soon.departureAt.getTime() + 1), [soon.id]);
    expect(await recorded(soon.id)).toBe('DEPARTED');
    await moveFlightStatuses(services, rules, new Date(soon.arrivalAt.getTime() + 1), [soon.id]);
    expect(await recorded(soon.id)).toBe('ARRIVED');
  });

  it('archives an order only once its last flight has arrived, every coupon settled', async () => {
    // Departs in 12 s, arrives 12 s later.
    const f = await createTestFlight(services, {
      route,
      departureAt: inSeconds(12),
      durationMinutes: 0.2,
      capacity: 10,
    });
    const offer = await createTestOffer(services.redis, [f]);
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: { travelers: [traveler], contact },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    const orderId = accepted.body.id as string;
    const paid = await api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.body.status).toBe('FULFILLED');

    // Departed, not arrived: still FULFILLED.
    await sleep(f.departureAt.getTime() + 2_000 - Date.now());
    expect(Date.now()).toBeLessThan(f.arrivalAt.getTime());
    expect(await orderStatus(orderId)).toBe('FULFILLED');

    // Arrived: the workflow's timer archives it, and the never-boarded coupon is settled NO_SHOW by then.
    expect(
      await eventually(
        () => orderStatus(orderId),
        (s) => s === 'ARCHIVED',
        30_000,
      ),
    ).toBe('ARCHIVED');
    expect(Date.now()).toBeGreaterThanOrEqual(f.arrivalAt.getTime());
    await services.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
    const docs = await api<{ tickets: { coupons: { coupon_status: string }[] }[] }>(
      'GET',
      `/v1/orders/${orderId}/fulfillment`,
      { token },
    );
    expect(docs.body.tickets.flatMap((t) => t.coupons.map((c) => c.coupon_status))).toEqual(['NO_SHOW']);
    expect(await recorded(f.id)).toBe('ARRIVED');
    await recordHistory(services.temporal, orderWorkflowId(orderId), 'archived-after-arrival');
  });
});
