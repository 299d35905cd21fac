/**
 * The v2 order workflow as operators and auditors see it, from the real server's history: a lean history, no
 * card token in it, summaries on its timers and activities, its state in the current details; and v1 orders
 * that were in flight when v2 shipped completing under the new worker.
 */
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdForOffer, workflowInputFromOffer } from '../../api/order-commands';
import { orders } from '../../db/schema';
import { createPiiCipher } from '../../lib/pii';
import type { Services } from '../../lib/services';
import {
  CUSTOMER_ID_KEY,
  ORDER_STATUS_KEY,
  confirmProposal,
  orderWorkflowId,
  type OrderWorkflowInput,
} from '../../workflows/messages';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices } from '../support/services';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';

const route = testRoute('order-workflow-v2');
const CARD = 'tok_visa';

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
let customerId: string;

const traveler = {
  ptc: 'ADT',
  first_name: 'Jane',
  last_name: 'Doe',
  date_of_birth: '1990-04-01',
  gender: 'F',
} as const;
const contact = { email: 'jane@example.com' };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  const guest = await api<{ token: string; customer_id: string }>('POST', '/v1/auth/guest');
  token = guest.body.token;
  customerId = guest.body.customer_id;
});

// The ledger invariant (test/support/ledger-invariants.ts): every order a test made balances against the provider.
ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

const flight = (): Promise<TestFlight> => createTestFlight(services, { route, capacity: 10 });
const statusOf = async (orderId: string) =>
  (await services.db.select({ s: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.s;

/** A history event as protobuf JSON: enum names as strings, payload bytes as base64. */
interface HistoryEvent {
  eventType: string;
  userMetadata?: { summary?: { data?: string } };
  workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
}
const base64 = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const summaryOf = (e: HistoryEvent): string | null => {
  const data = e.userMetadata?.summary?.data;
  return data ? (JSON.parse(base64(data)) as string) : null;
};
/** Everything a history says, its payloads decoded: what an operator (or an attacker with its export) can read. */
const historyText = (events: HistoryEvent[]) =>
  JSON.stringify(events).replace(
    /"data":"([A-Za-z0-9+/=]+)"/g,
    (_m, b64: string) => `"data":${JSON.stringify(base64(b64))}`,
  );

async function eventsOf(workflowId: string): Promise<HistoryEvent[]> {
  const history = await services.temporal.workflow.getHandle(workflowId).fetchHistory();
  return (JSON.parse(historyToJSON(history)) as { events: HistoryEvent[] }).events;
}

async function settledHistory(orderId: string, status: string) {
  const handle = services.temporal.workflow.getHandle(orderWorkflowId(orderId));
  // The workflow publishes its status before it waits: once the search attribute says FULFILLED, it is settled.
  await eventually(
    async () => (await handle.describe()).typedSearchAttributes.get(ORDER_STATUS_KEY),
    (s) => s === status,
  );
  return eventsOf(orderWorkflowId(orderId));
}

describe('the v2 order workflow', () => {
  it('writes at most 25 history events for accept → pay → FULFILLED, none of them carrying the card token', async () => {
    const offer = await createTestOffer(services.redis, [await flight()], { ancillaries: true });
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: { travelers: [traveler], contact },
    });
    expect(accepted.status).toBe(201);
    const orderId = accepted.body.id as string;
    const paid = await api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: CARD } });
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('FULFILLED');

    const events = await settledHistory(orderId, 'FULFILLED');
    console.log(`[figures] happy-path history events: ${events.length} (target ≤ 25)`);
    expect(events.length).toBeLessThanOrEqual(25);
    expect(events[0]!.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('orderWorkflowV2');

    // The token went to the vault; history holds only its reference.
    const text = historyText(events);
    expect(text).toContain('startPayment');
    expect(text).not.toContain(CARD);
    expect(text).toMatch(/pvr_[0-9a-f-]{36}/);
  });

  it('names its timers and activities for the Temporal UI and shows its state in the current details', async () => {
    const offer = await createTestOffer(services.redis, [await flight()]);
    const orderId = (
      await api('POST', `/v1/offers/${offer.id}/accept`, { token, body: { travelers: [traveler], contact } })
    ).body.id as string;
    const handle = services.temporal.workflow.getHandle(orderWorkflowId(orderId));
    const metadata = async () =>
      (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
    expect(await metadata()).toContain('**PROPOSED**');
    expect(await metadata()).toContain('waiting for payment');
    expect((await api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: CARD } })).status).toBe(200);

    const events = await settledHistory(orderId, 'FULFILLED');
    const summaries = (type: string) => events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).map(summaryOf);
    expect(summaries('TIMER_STARTED')).toEqual(['hold expires', 'archive after arrival']);
    // Every step of a happy path is a local activity (its marker carries the summary); patch markers have none.
    expect(summaries('MARKER_RECORDED').filter((m) => m !== null)).toEqual([
      'hold the seats',
      'charge the card',
      'sell the seats, issue tickets',
    ]);
    expect(summaries('ACTIVITY_TASK_SCHEDULED')).toEqual([]);
    expect(await metadata()).toContain('**FULFILLED**');
    expect(await metadata()).toContain('waiting for arrival of the last flight');
  });
});

describe('v1 orders in flight when v2 shipped', () => {
  /** Starts an order on the v1 workflow type, as the API did before v2, and waits for its hold. */
  async function startV1(input: OrderWorkflowInput) {
    const handle = await services.temporal.workflow.start('orderWorkflow', {
      workflowId: orderWorkflowId(input.orderId),
      taskQueue: stack.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: CUSTOMER_ID_KEY, value: input.customerId },
        { key: ORDER_STATUS_KEY, value: 'PROPOSED' },
      ],
    });
    expect(await handle.executeUpdate(confirmProposal)).toMatchObject({ outcome: 'PROPOSED' });
    return handle;
  }

  it('an offer order is paid, ticketed and cancelled with a refund through today’s API and worker', async () => {
    const offer = await createTestOffer(services.redis, [await flight()]);
    const orderId = orderIdForOffer(offer.id);
    const pii = createPiiCipher(stack.config.pii);
    const handle = await startV1(
      workflowInputFromOffer(stack.config, pii, { orderId, customerId, offer, travelers: [traveler], contact }),
    );
    const [row] = await services.db.select().from(orders).where(eq(orders.id, orderId));
    expect(row!.workflowType).toBe('orderWorkflow');

    const paid = await api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: CARD } });
    expect(paid.status).toBe(200);
    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'FULFILLED',
      ),
    ).toBe('FULFILLED');
    const docs = await api('GET', `/v1/orders/${orderId}/fulfillment`, { token });
    expect(docs.body.tickets).toHaveLength(1);

    const cancelled = await api('POST', `/v1/orders/${orderId}/cancel`, { token, body: { reason: 'v1 drain' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(cancelled.body.payments[0].status).toBe('REFUNDED');
    const text = historyText(await eventsOf(orderWorkflowId(orderId)));
    expect(text).toContain('chargePayment');
    expect(text).not.toContain(CARD); // the v1 charge resolves the same vault reference
    expect(await handle.result()).toMatchObject({ status: 'CANCELLED' });
  });

  it('a trip commits through the v1 steps and is ticketed', async () => {
    const f = await flight();
    const tripId = randomUUID();
    const segment = {
      flightId: f.id,
      cabin: 'ECONOMY',
      carrier: f.carrier,
      flightNumber: f.flightNumber,
      origin: f.origin,
      destination: f.destination,
      departureAt: f.departureAt.toISOString(),
      arrivalAt: f.arrivalAt.toISOString(),
    };
    await startV1({
      orderId: tripId,
      customerId,
      source: 'TRIP',
      offerId: null,
      currency: 'USD',
      totalAmount: f.baseFare,
      segments: [segment],
      travelers: [],
      items: [],
      contact: null,
      holdSeconds: 900,
      seatCount: 1,
      fares: [{ flightId: f.id, ADT: f.baseFare, CHD: f.baseFare, INF: f.baseFare / 10 }],
      paymentTimeoutSeconds: 60,
      archiveGraceSeconds: 0,
    });
    const booked = await api('POST', '/v1/bookings/commit', {
      token,
      body: {
        trip_id: tripId,
        user_email: 'jane@example.com',
        payment_token: CARD,
        passengers: [{ first_name: 'Jane', last_name: 'Doe', seats: [{ flight_id: f.id, seat_number: '2B' }] }],
      },
    });
    expect(booked.status).toBe(200);
    expect(booked.body).toMatchObject({ booking_id: tripId, status: 'CONFIRMED' });
    expect(booked.body.tickets).toHaveLength(1);
    expect(await statusOf(tripId)).toBe('FULFILLED');
  });
});
