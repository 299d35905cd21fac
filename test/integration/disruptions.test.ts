/**
 * Airline-initiated changes on the real stack (API, worker, Temporal, Postgres, Redis, payment sandbox): an admin
 * cancels, retimes or delays a flight (PATCH /v1/admin/flights/:id); its fan-out workflow writes the flight's change
 * with its Flight* event and signals every affected order, which records its disruption (options held for a
 * cancelled flight), shows it over HTTP and takes the customer's answer or, at respond_by, the configured default.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationsHandler, type Mailer } from '../../consumers/notifications';
import { createPiiCipher } from '../../lib/pii';
import { outbox } from '../../db/schema';
import type { FareConditions } from '../../domain/commercial';
import type { Services } from '../../lib/services';
import { saveOffers } from '../../services/offer-store';
import { flightDisruptionWorkflowId } from '../../api/flight-disruptions';
import { orderWorkflowId } from '../../workflows/messages';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, pgInventory, testRoute, type TestFlight } from '../support/flights';
import { apiClient, eventually, recordHistory, startOrderStack, type OrderStack } from '../support/harness';
import { expectInventoryConsistent } from '../support/inventory-invariants';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices, silentLogger } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('disruptions');
const NON_REFUNDABLE: FareConditions = {
  refund_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
  change_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};
const traveler = { ptc: 'ADT', first_name: 'Grace', last_name: 'Hopper', date_of_birth: '1980-12-09' } as const;
const contact = { email: 'grace@example.com' };
// Many orders from one address and one customer: the abuse limits are not what these tests are about.
const LIMITS = {
  APP_HOLDS__MAX_OPEN_PER_CUSTOMER: '1000',
  APP_HOLDS__MAX_SEATS_PER_CUSTOMER: '1000',
  APP_HOLDS__MAX_OPEN_PER_IP: '1000',
  APP_HOLDS__MAX_SEATS_PER_IP: '1000',
  APP_RATE_LIMIT__PER_IP_PER_MINUTE: '100000',
  APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '100000',
};

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
let admin: string;
let agent: string;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, {
    ...LIMITS,
    APP_DISRUPTIONS__RESPONSE_HOURS: '1',
    APP_DISRUPTIONS__RETIME_TOLERANCE_MINUTES: '60',
  });
  api = apiClient(stack.apiUrl);
  token = (await tokenFor(services, stack.config)).token;
  admin = (await tokenFor(services, stack.config, 'admin')).token;
  agent = (await tokenFor(services, stack.config, 'agent')).token; // an agent reads (and answers for) any order
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
const ledger = ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

/** Days of their own per test: a re-accommodation looks at the route's flights from the cancelled one's on. */
let dayOffset = 3 + Math.floor(Math.random() * 40) * 5;
const nextDay = () => new Date(Date.now() + dayOffset++ * 86_400_000).toISOString().slice(0, 10);
const at = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00Z`);

const flight = (departureAt: Date, capacity = 10): Promise<TestFlight> =>
  createTestFlight(services, { route, departureAt, capacity, durationMinutes: 120 });

type Call = ReturnType<typeof apiClient>;

/** An order accepted from a non-refundable offer on `f` and paid (FULFILLED). */
async function paidOrder(f: TestFlight, call: Call = api, as = token): Promise<string> {
  const offer = await createTestOffer(services.redis, [f]);
  await saveOffers(services.redis, [{ ...offer, conditions: NON_REFUNDABLE }], 900);
  const accepted = await call('POST', `/v1/offers/${offer.id}/accept`, {
    token: as,
    body: { travelers: [traveler], contact },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const orderId = accepted.body.id as string;
  const paid = await call('POST', `/v1/orders/${orderId}/pay`, { token: as, body: { payment_token: 'tok_visa' } });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  expect(paid.body.status, JSON.stringify(paid.body)).toBe('FULFILLED');
  return orderId;
}

const patchFlight = (id: string, body: unknown, call: Call = api) =>
  call('PATCH', `/v1/admin/flights/${id}`, { token: admin, body });
const getOrder = (id: string, call: Call = api, as = token) => call('GET', `/v1/orders/${id}`, { token: as });
const withDisruption = (id: string, ok: (d: Record<string, any>) => boolean, call: Call = api, ms = 20_000) =>
  eventually(
    () => getOrder(id, call),
    (r) => r.body.disruption != null && ok(r.body.disruption),
    ms,
  );
const answer = (id: string, what: 'accept' | 'refund', body: unknown = {}, call: Call = api) =>
  call('POST', `/v1/orders/${id}/disruption/${what}`, {
    token,
    headers: { 'Idempotency-Key': randomUUID() },
    body,
  });

const chargesOf = async (orderId: string, sandboxUrl = stack.sandboxUrl) =>
  (
    (await fetch(`${sandboxUrl}/v1/charges?order_id=${orderId}`, {
      headers: { Authorization: `Bearer ${stack.config.payments.gateway_api_key}` },
    }).then((r) => r.json())) as { data: { id: string; status: string; amount: number; amount_refunded: number }[] }
  ).data;

const seatMap = async (flightId: string, call: Call = api) =>
  (
    await call<{ seats: { seat_number: string; cabin: string; status: 'AVAILABLE' }[] }>(
      'GET',
      `/v1/flights/${flightId}/seats`,
    )
  ).body.seats;

const eventsOf = (aggregateIds: string[], type: string) =>
  services.db
    .select()
    .from(outbox)
    .where(and(inArray(outbox.aggregateId, aggregateIds), eq(outbox.type, type)));

describe('a cancelled flight', () => {
  it('stops selling, publishes FlightCancelled, and each paid order is offered held seats: accept moves it, refund returns everything', async () => {
    const day = nextDay();
    const cancelled = await flight(at(day, '08:00'));
    const first = await flight(at(day, '11:00'));
    const second = await flight(at(day, '15:00'));
    const [a, b] = [await paidOrder(cancelled), await paidOrder(cancelled)];
    const unsold = await createTestOffer(services.redis, [cancelled]);

    const patched = await patchFlight(cancelled.id, { status: 'CANCELLED' });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('CANCELLED');
    // Stops selling at once.
    const refused = await api('POST', `/v1/offers/${unsold.id}/accept`, {
      token,
      body: { travelers: [traveler], contact },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('FLIGHT_CANCELLED');
    // The event, in the outbox with the flight's change.
    const [event] = await eventsOf([cancelled.id], 'FlightCancelled');
    expect(event?.payload).toMatchObject({ flight_id: cancelled.id, status: 'CANCELLED' });

    // Each order shows its disruption with two options, held.
    for (const id of [a, b]) {
      const order = await withDisruption(id, (d) => d.status === 'OPEN');
      expect(order.body.status).toBe('FULFILLED');
      expect(order.body.disruption).toMatchObject({
        kind: 'FLIGHT_CANCELLED',
        flight_id: cancelled.id,
        available_actions: ['accept', 'refund'],
        removed: [{ flight_id: cancelled.id }],
        default_action: 'protect',
      });
      expect(order.body.disruption.options.map((o: any) => o.segments[0].flight_id)).toEqual([first.id, second.id]);
      expect(Date.parse(order.body.disruption.respond_by)).toBeGreaterThan(Date.now());
    }
    expect(await pgInventory(services.sql, first.id)).toMatchObject({ held: 2, sold: 0 });
    expect(await pgInventory(services.sql, second.id)).toMatchObject({ held: 2, sold: 0 });

    // Findable in Temporal by the Disruption search attribute.
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of services.temporal.workflow.list({
          query: `Disruption = "FLIGHT_CANCELLED" AND WorkflowId = "${orderWorkflowId(a)}"`,
        })) {
          ids.push(w.workflowId);
        }
        return ids;
      },
      (ids) => ids.length === 1,
    );
    expect(found).toEqual([orderWorkflowId(a)]);

    // The customer is mailed (the notifications consumer's handler on the OrderDisrupted event).
    const [disrupted] = await eventsOf([a], 'OrderDisrupted');
    const mails: { to: string; subject: string; text: string }[] = [];
    const mailer: Mailer = {
      sendMail: async (m) => mails.push(m),
      close: () => undefined,
    };
    const handler = notificationsHandler({
      config: stack.config,
      logger: silentLogger(),
      pii: createPiiCipher(stack.config.pii),
      mailer,
    });
    expect(handler.types).toContain('OrderDisrupted');
    await services.db.transaction((tx) =>
      handler.handle(
        {
          id: disrupted!.id,
          type: disrupted!.type,
          schema_version: disrupted!.schemaVersion,
          occurred_at: disrupted!.occurredAt.toISOString(),
          order_id: a,
          payload: disrupted!.payload as Record<string, unknown>,
        },
        tx,
      ),
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/a change to your booking/);
    expect(mails[0]!.text).toContain('cancelled by the airline');

    // Accept: moved to the first option, tickets reissued, nothing charged; the other option's hold given back.
    const optionA = (await getOrder(a)).body.disruption.options[0].id as string;
    expectError(await answer(a, 'accept', { option_id: randomUUID() }), 400, 'VALIDATION_FAILED');
    const accepted = await answer(a, 'accept', { option_id: optionA });
    expect(accepted.status).toBe(200);
    expect(accepted.body.segments.map((s: any) => s.flight_id)).toEqual([first.id]);
    expect(accepted.body.disruption).toMatchObject({
      status: 'ACCEPTED',
      action_taken: 'accepted',
      action_taken_by: 'customer',
      option_id: optionA,
      available_actions: [],
    });
    const fulfillment = (await api('GET', `/v1/orders/${a}/fulfillment`, { token })).body;
    expect(fulfillment.tickets.map((t: any) => [t.status, t.flight_ids[0]]).sort()).toEqual(
      [
        ['EXCHANGED', cancelled.id],
        ['OPEN', first.id],
      ].sort(),
    );
    const chargesA = await chargesOf(a);
    expect(chargesA).toHaveLength(1); // the original payment only: no charge for the move
    expect(chargesA[0]!.amount_refunded).toBe(0);
    expectError(await answer(a, 'accept', { option_id: optionA }), 409, 'NO_OPEN_DISRUPTION');

    // Refund: everything paid comes back, whatever the (non-refundable) fare.
    const refunded = await answer(b, 'refund');
    expect(refunded.status).toBe(200);
    expect(refunded.body.status).toBe('CANCELLED');
    expect(refunded.body.disruption).toMatchObject({ status: 'REFUNDED', action_taken: 'refunded' });
    const [chargeB] = await chargesOf(b);
    expect(chargeB!.amount_refunded).toBe(chargeB!.amount);
    expectError(await answer(b, 'refund'), 409, 'NO_OPEN_DISRUPTION');

    expect(await pgInventory(services.sql, first.id)).toMatchObject({ held: 0, sold: 1 });
    expect(await pgInventory(services.sql, second.id)).toMatchObject({ held: 0, sold: 0 });
    expect(await pgInventory(services.sql, cancelled.id)).toMatchObject({ held: 0, sold: 0 });
    await expectInventoryConsistent(services, [cancelled.id, first.id, second.id], (id) => seatMap(id));

    await recordHistory(services.temporal, orderWorkflowId(a), 'disruption-accepted');
    await recordHistory(services.temporal, orderWorkflowId(b), 'disruption-refunded');
    await recordHistory(
      services.temporal,
      flightDisruptionWorkflowId(cancelled.id, { status: 'CANCELLED' }),
      'cancelled-fan-out',
    );
  }, 90_000);

  it('answers 409 NO_OPEN_DISRUPTION on an order that has none', async () => {
    const f = await flight(at(nextDay(), '09:00'));
    const id = await paidOrder(f);
    expect((await getOrder(id)).body.disruption).toBeNull();
    expectError(await answer(id, 'refund'), 409, 'NO_OPEN_DISRUPTION');
  });
});

describe('a retimed flight', () => {
  it('within the tolerance is accepted for the customer; beyond it, offered: accept keeps the new time', async () => {
    const day = nextDay();
    const f = await flight(at(day, '10:00'));
    const id = await paidOrder(f);

    const small = await patchFlight(f.id, {
      departure_at: `${day}T10:30:00Z`,
      arrival_at: `${day}T12:30:00Z`,
    });
    expect(small.status).toBe(200);
    const auto = await withDisruption(id, (d) => d.status === 'AUTO_ACCEPTED');
    expect(auto.body.disruption).toMatchObject({
      kind: 'FLIGHT_DELAYED',
      action_taken: 'auto_accepted',
      action_taken_by: 'tolerance',
      available_actions: [],
      respond_by: null,
    });
    expect(auto.body.segments[0]).toMatchObject({
      departure_at: `${day}T10:30:00.000Z`,
      arrival_at: `${day}T12:30:00.000Z`,
    });

    const big = { departure_at: `${day}T06:00:00Z`, arrival_at: `${day}T08:00:00Z` };
    expect((await patchFlight(f.id, big)).status).toBe(200);
    expect((await patchFlight(f.id, big)).status).toBe(200); // retried: no second event
    expect(await eventsOf([f.id], 'FlightRetimed')).toHaveLength(1);
    const offered = await withDisruption(id, (d) => d.kind === 'FLIGHT_RETIMED');
    expect(offered.body.disruption).toMatchObject({ status: 'OPEN', available_actions: ['accept', 'refund'] });
    expect(offered.body.segments[0]).toMatchObject({ departure_at: `${day}T06:00:00.000Z` });
    const keep = offered.body.disruption.options[0].id as string;
    const accepted = await answer(id, 'accept', { option_id: keep });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      status: 'FULFILLED',
      disruption: { status: 'ACCEPTED', action_taken_by: 'customer' },
      segments: [{ flight_id: f.id, departure_at: `${day}T06:00:00.000Z` }],
    });
    expect(await chargesOf(id)).toHaveLength(1);
    await recordHistory(services.temporal, orderWorkflowId(id), 'disruption-retimed');
  });
});

describe('no answer by respond_by', () => {
  it('the configured default is carried out by the order workflow’s timer (protect: the first option)', async () => {
    const short = await startOrderStack(services, {
      ...LIMITS,
      APP_DISRUPTIONS__RESPONSE_HOURS: String(3 / 3600), // 3 seconds
      APP_DISRUPTIONS__DEFAULT_ACTION: 'protect',
    });
    try {
      const call = apiClient(short.apiUrl);
      const day = nextDay();
      const cancelled = await flight(at(day, '08:00'));
      const next = await flight(at(day, '12:00'));
      const id = await paidOrder(cancelled, call);
      expect((await patchFlight(cancelled.id, { status: 'CANCELLED' }, call)).status).toBe(200);
      const done = await withDisruption(id, (d) => d.status === 'ACCEPTED', call, 30_000);
      expect(done.body.disruption).toMatchObject({ action_taken: 'accepted', action_taken_by: 'default' });
      expect(done.body.segments.map((s: any) => s.flight_id)).toEqual([next.id]);
      expect(await pgInventory(services.sql, next.id)).toMatchObject({ held: 0, sold: 1 });
      await recordHistory(services.temporal, orderWorkflowId(id), 'disruption-defaulted');
      // This test's orders were paid at its own stack's sandbox: checked against that one, here.
      await ledger.checkNow(short);
    } finally {
      await short.close();
    }
  }, 120_000);
});

describe('capacity invariants', () => {
  it('hold across 100 orders disrupted at once', async () => {
    // The latest days of the file: no other test's flight comes after these.
    dayOffset += 30;
    const day = nextDay();
    // A few seats to spare: the admission gate refuses the very last seats while other bookings are in progress.
    const cancelled = await flight(at(day, '08:00'), 110);
    const next = await flight(at(day, '12:00'), 100);
    const customers = await Promise.all(
      Array.from({ length: 10 }, async () => (await tokenFor(services, stack.config)).token),
    );
    const ids = (
      await Promise.all(
        customers.map(async (t) =>
          [...Array(10)].reduce(
            async (acc) => [...(await acc), await paidOrder(cancelled, api, t)],
            Promise.resolve([] as string[]),
          ),
        ),
      )
    ).flat();
    expect(ids).toHaveLength(100);
    expect(await pgInventory(services.sql, cancelled.id)).toMatchObject({ sold: 100, held: 0 });

    expect((await patchFlight(cancelled.id, { status: 'CANCELLED' })).status).toBe(200);
    await eventually(
      async () => (await eventsOf(ids, 'OrderDisrupted')).length,
      (n) => n === 100,
      45_000,
      250,
    );
    // Each order shows it over HTTP, with one option on the next flight.
    const orders: Awaited<ReturnType<typeof getOrder>>[] = [];
    for (let n = 0; n < ids.length; n += 10) {
      orders.push(...(await Promise.all(ids.slice(n, n + 10).map((id) => getOrder(id, api, agent)))));
    }
    for (const o of orders) {
      expect(o.status, JSON.stringify(o.body)).toBe(200);
      expect(o.body.disruption).toMatchObject({ kind: 'FLIGHT_CANCELLED', status: 'OPEN' });
      expect(o.body.disruption.options.map((x: any) => x.segments[0].flight_id)).toEqual([next.id]);
    }
    expect(await pgInventory(services.sql, next.id)).toMatchObject({ capacity: 100, held: 100, available: 0 });
    await expectInventoryConsistent(services, [cancelled.id, next.id], (id) => seatMap(id));
  }, 180_000);
});

function expectError(res: { status: number; body: any }, status: number, code?: string) {
  expect(res.status).toBe(status);
  if (code) expect(res.body.error.code).toBe(code);
}
