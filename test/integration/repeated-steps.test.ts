/**
 * Activities run at least once. An Update's workflow task is speculative: when the server drops it (the worker's
 * completion is refused with "Workflow task not found", seen under load), the workflow runs that task again, its
 * local activities included, after the steps that came after them in the lost task had committed. Found as a pay
 * answered 500 INTERNAL: the repeated charge step found the order FULFILLED, failed for good, and failed the
 * workflow. Here the pay path's steps (the activities the v2 workflow runs, against the real Postgres, Redis and a
 * real payment sandbox over HTTP) run once, then again in the same order, as a lost task runs them: the repeat is a
 * no-op (one charge, one payment, one set of tickets, each event once, the ledger posted once), while a step that
 * is wrong and not a repeat (paying an expired order) is still refused and charges nothing.
 */
import { randomUUID } from 'node:crypto';
import type { ServerType } from '@hono/node-server';
import { and, count, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { orderIdForOffer, workflowInputFromOffer } from '../../api/order-commands';
import { customers, ledgerEntries, orders, outbox, payments, tickets } from '../../db/schema';
import { createPiiCipher } from '../../lib/pii';
import type { Services } from '../../lib/services';
import { createSandboxApp, type SandboxApp } from '../../payments-sandbox/app';
import { createHttpPaymentGateway, type PaymentGateway } from '../../services/payment-gateway';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute } from '../support/flights';
import { closeServer, freePort, listen } from '../support/harness';
import { openTestServices, silentLogger, testConfig } from '../support/services';

const config = testConfig();
const route = testRoute('repeated-steps');
const traveler = {
  ptc: 'ADT',
  first_name: 'Ada',
  last_name: 'Lovelace',
  date_of_birth: '1985-12-10',
  gender: 'F',
} as const;
let services: Services;
let sandbox: SandboxApp;
let server: ServerType;
let gateway: PaymentGateway;
let acts: ReturnType<typeof createActivities>;

beforeAll(async () => {
  services = await openTestServices(config);
  const port = await freePort();
  sandbox = createSandboxApp({
    apiKey: config.payments.gateway_api_key,
    webhookUrl: 'http://127.0.0.1:9/nowhere', // tok_visa settles in its answer: no webhook is needed here
    webhookSecret: config.payments.webhook_secret,
    asyncDelayMs: 1_000,
    webhookMaxAttempts: 1,
  });
  server = await listen(sandbox.app.fetch, port);
  gateway = createHttpPaymentGateway({
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: config.payments.gateway_api_key,
    timeoutMs: 5_000,
  });
  acts = createActivities({ ...services, config, logger: silentLogger(), gateway });
});

afterAll(async () => {
  await sandbox?.close();
  if (server) await closeServer(server);
  await services?.close();
});

/** An order held as the v2 workflow's first step holds it (PROPOSED, its seat held), and its payment step. */
async function proposed() {
  const customerId = randomUUID();
  await services.db.insert(customers).values({ id: customerId, kind: 'GUEST' });
  const offer = await createTestOffer(services.redis, [await createTestFlight(services, { route, capacity: 5 })]);
  const orderId = orderIdForOffer(offer.id);
  const input = workflowInputFromOffer(config, createPiiCipher(config.pii), {
    orderId,
    customerId,
    offer,
    travelers: [traveler],
    contact: { email: 'ada@example.com' },
  });
  const expiresAt = new Date(Date.now() + 600_000).toISOString();
  expect(await acts.proposeOrder(input, expiresAt, 'orderWorkflowV2')).toEqual({ created: true });
  const step = {
    orderId,
    attempt: 1,
    amount: input.totalAmount,
    currency: input.currency,
    payment: 'tok_visa',
    at: new Date().toISOString(),
  };
  return { orderId, input, step };
}

const statusOf = async (orderId: string) =>
  (await services.db.select({ s: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.s;
const eventsOf = async (orderId: string) =>
  (await services.db.select({ type: outbox.type }).from(outbox).where(eq(outbox.aggregateId, orderId)))
    .map((e) => e.type)
    .sort();
const countOf = async (rows: Promise<{ n: number }[]>) => (await rows)[0]!.n;

describe('the pay path’s steps, run again as a lost workflow task runs them', () => {
  it('are no-ops the second time: one charge, one payment, one set of tickets, each event and posting once', async () => {
    const { orderId, input, step } = await proposed();
    const sale = { orderId, attempt: 1, segments: input.segments, at: step.at };

    const charged = await acts.chargeOrder(step);
    expect(charged.status).toBe('succeeded');
    await acts.completeSale({ ...sale, chargeId: charged.chargeId! });
    expect(await statusOf(orderId)).toBe('FULFILLED');
    const once = {
      events: await eventsOf(orderId),
      tickets: await countOf(services.db.select({ n: count() }).from(tickets).where(eq(tickets.orderId, orderId))),
      postings: await countOf(
        services.db.select({ n: count() }).from(ledgerEntries).where(eq(ledgerEntries.orderId, orderId)),
      ),
    };
    expect(once.events).toContain('OrderPaid');
    expect(once.tickets).toBe(1);

    // The lost task again, step by step: the charge step finds the order FULFILLED, then the sale step does.
    const again = await acts.chargeOrder(step);
    expect(again).toMatchObject({ status: 'succeeded', chargeId: charged.chargeId });
    await acts.completeSale({ ...sale, chargeId: again.chargeId! });

    expect(await statusOf(orderId)).toBe('FULFILLED');
    expect(await gateway.listCharges(orderId)).toHaveLength(1);
    const rows = await services.db
      .select({ attempt: payments.attempt, status: payments.status, chargeId: payments.chargeId })
      .from(payments)
      .where(eq(payments.orderId, orderId));
    expect(rows).toEqual([{ attempt: 1, status: 'SUCCEEDED', chargeId: charged.chargeId }]);
    expect(await eventsOf(orderId)).toEqual(once.events);
    expect(await countOf(services.db.select({ n: count() }).from(tickets).where(eq(tickets.orderId, orderId)))).toBe(
      once.tickets,
    );
    expect(
      await countOf(services.db.select({ n: count() }).from(ledgerEntries).where(eq(ledgerEntries.orderId, orderId))),
    ).toBe(once.postings);
  });

  it('a step that is not a repeat is still refused: an expired order is not locked in, and nothing is charged', async () => {
    const { orderId, step } = await proposed();
    await acts.expireOrder({ orderId, at: new Date().toISOString() });
    await expect(acts.chargeOrder(step)).rejects.toMatchObject({ type: 'INVALID_STATE' });
    expect(await statusOf(orderId)).toBe('EXPIRED');
    expect(await gateway.listCharges(orderId)).toEqual([]);
    const started = await services.db
      .select({ n: count() })
      .from(outbox)
      .where(and(eq(outbox.aggregateId, orderId), inArray(outbox.type, ['PaymentStarted', 'OrderPaid'])));
    expect(started[0]!.n).toBe(0);
  });
});
