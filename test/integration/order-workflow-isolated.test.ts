/**
 * The v2 order workflow alone, on the real Temporal server with its activities mocked (STYLE.md: isolated workflow
 * tests beside the end-to-end ones): the paths that are hard to reach through the real services.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import {
  confirmProposal,
  getOrderState,
  orderWorkflowId,
  paymentNotification,
  startPayment,
  ORDER_WORKFLOW_TYPE,
  type OrderWorkflowInput,
} from '../../workflows/messages';
import { eventually, recordHistory } from '../support/harness';
import { testConfig, uniqueTaskQueue, workflowBundle } from '../support/services';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: testConfig().temporal.address });
});
afterAll(async () => {
  await env?.teardown();
});

const input = (): OrderWorkflowInput => ({
  orderId: randomUUID(),
  customerId: randomUUID(),
  source: 'OFFER',
  offerId: `off_${randomUUID()}`,
  currency: 'USD',
  totalAmount: 12_345,
  segments: [
    {
      flightId: randomUUID(),
      cabin: 'ECONOMY',
      carrier: 'ZZ',
      flightNumber: '1234',
      origin: 'QWA',
      destination: 'QWB',
      departureAt: new Date(Date.now() + 86_400_000).toISOString(),
      arrivalAt: new Date(Date.now() + 90_000_000).toISOString(),
    },
  ],
  travelers: [{ ref: 'ADT1', ptc: 'ADT', firstName: 'x', lastName: 'y', dateOfBirth: null, gender: null }],
  items: [],
  contact: null,
  holdSeconds: 600,
  paymentTimeoutSeconds: 600,
  archiveGraceSeconds: 0,
});

type Calls = { name: string; args: unknown[] }[];

/** Every activity recorded and answered as `overrides` say (others succeed with nothing). */
function mockActivities(calls: Calls, overrides: Partial<Record<keyof Activities, (...args: any[]) => unknown>>) {
  const names: (keyof Activities)[] = [
    'proposeOrder',
    'chargeOrder',
    'completeSale',
    'voidPayment',
    'markPaymentFailed',
    'expireOrder',
    'cancelOrder',
    'archiveOrder',
  ];
  return Object.fromEntries(
    names.map((name) => [
      name,
      async (...args: unknown[]) => {
        calls.push({ name, args });
        return overrides[name] ? await overrides[name](...args) : { created: true };
      },
    ]),
  );
}

async function run<T>(activities: Record<string, unknown>, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('isolated');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities,
  });
  return worker.runUntil(body(taskQueue));
}

/** Accepts the order as the API does (update-with-start): the proposal's answer and the workflow's handle. */
async function accept(taskQueue: string, order: OrderWorkflowInput) {
  const op = new WithStartWorkflowOperation(ORDER_WORKFLOW_TYPE, {
    workflowId: orderWorkflowId(order.orderId),
    taskQueue,
    args: [order],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const proposal = await env.client.workflow.executeUpdateWithStart(confirmProposal, { startWorkflowOperation: op });
  return { proposal, handle: env.client.workflow.getHandle(orderWorkflowId(order.orderId)) };
}

async function start(taskQueue: string, order: OrderWorkflowInput) {
  const { proposal, handle } = await accept(taskQueue, order);
  expect(proposal).toMatchObject({ outcome: 'PROPOSED' });
  return handle;
}

/** Accepts, then waits for the workflow to close: the proposal's answer and how the workflow ended. */
async function proposeUntilClosed(order: OrderWorkflowInput, taskQueue: string) {
  const { proposal, handle } = await accept(taskQueue, order);
  await handle.result();
  return { proposal, closed: (await handle.describe()).status.name };
}

describe('the v2 order workflow with mocked activities', () => {
  it('refunds and cancels a paid order whose sale cannot be completed, instead of failing with the money', async () => {
    const calls: Calls = [];
    const activities = mockActivities(calls, {
      chargeOrder: () => ({ status: 'succeeded', chargeId: 'ch_paid', declineCode: null }),
      completeSale: () => {
        throw ApplicationFailure.create({
          type: 'VALIDATION_FAILED',
          message: 'bad flight number',
          nonRetryable: true,
        });
      },
      cancelOrder: () => ({ refundId: 're_1' }),
    });
    const order = input();
    const result = await run(activities, async (taskQueue) => {
      const handle = await start(taskQueue, order);
      await handle.executeUpdate(startPayment, { args: [{ paymentToken: 'pvr_test' }] });
      return handle.result();
    });
    expect(result.status).toBe('CANCELLED');
    expect(result.payment).toMatchObject({ status: 'REFUNDED', chargeId: 'ch_paid' });
    const cancel = calls.find((c) => c.name === 'cancelOrder')!;
    // Involuntary: everything paid comes back, whatever the fare's conditions (services/orders.ts `cancel`).
    expect(cancel.args[0]).toMatchObject({
      orderId: order.orderId,
      refund: { chargeId: 'ch_paid', amount: 12_345, currency: 'USD' },
      involuntary: true,
    });
  });

  it('gives back whatever a failed proposal may have recorded (an attempt whose answer was lost), then closes', async () => {
    const calls: Calls = [];
    const activities = mockActivities(calls, {
      proposeOrder: () => {
        // Postgres away through every attempt: the last one fails, an earlier one may have committed.
        throw ApplicationFailure.create({ type: 'DEPENDENCY_UNAVAILABLE', message: 'db away', nonRetryable: true });
      },
    });
    const order = input();
    const { proposal: outcome } = await run(activities, (taskQueue) => proposeUntilClosed(order, taskQueue));
    expect(outcome).toMatchObject({ outcome: 'FAILED' });
    expect(calls.map((c) => c.name)).toEqual(['proposeOrder', 'expireOrder']);
    expect(calls[1]!.args[0]).toMatchObject({ orderId: order.orderId });
  });

  it('closes cleanly when a failed proposal recorded nothing (the release finds no order)', async () => {
    const calls: Calls = [];
    const activities = mockActivities(calls, {
      proposeOrder: () => {
        throw ApplicationFailure.create({ type: 'DEPENDENCY_UNAVAILABLE', message: 'db away', nonRetryable: true });
      },
      expireOrder: () => {
        throw ApplicationFailure.create({ type: 'NOT_FOUND', message: 'no such order', nonRetryable: true });
      },
    });
    const order = input();
    const { closed } = await run(activities, (taskQueue) => proposeUntilClosed(order, taskQueue));
    // Before the fix the NOT_FOUND failed the workflow; a late attempt could then record an order no one owns.
    expect(closed).toBe('COMPLETED');
    expect(calls.map((c) => c.name)).toEqual(['proposeOrder', 'expireOrder']);
    await recordHistory(env.client, orderWorkflowId(order.orderId), 'failed-proposal-released');
  });

  it('settles a pending payment only by the webhook of its own charge', async () => {
    const calls: Calls = [];
    const activities = mockActivities(calls, {
      chargeOrder: () => ({ status: 'pending', chargeId: 'ch_real', declineCode: null }),
    });
    const order = input();
    await run(activities, async (taskQueue) => {
      const handle = await start(taskQueue, order);
      const paid = await handle.executeUpdate(startPayment, { args: [{ paymentToken: 'pvr_test' }] });
      expect(paid.status).toBe('PAYMENT_PENDING');
      // A correctly signed event naming a charge this order never made changes nothing.
      await handle.signal(paymentNotification, {
        eventId: 'evt_forged',
        chargeId: 'ch_someone_else',
        outcome: 'succeeded',
        declineCode: null,
      });
      await handle.signal(paymentNotification, {
        eventId: 'evt_x',
        chargeId: 'ch_real',
        outcome: 'succeeded',
        declineCode: null,
      });
      const view = await eventually(
        () => handle.query(getOrderState),
        (v) => v.status === 'FULFILLED',
      );
      expect(view.payment).toMatchObject({ status: 'SUCCEEDED', chargeId: 'ch_real' });
      await handle.terminate('test done');
    });
    const sale = calls.filter((c) => c.name === 'completeSale');
    expect(sale).toHaveLength(1);
    expect(sale[0]!.args[0]).toMatchObject({ chargeId: 'ch_real' });
  });

  it('ignores a webhook for another charge even before its own arrives, and stays PAYMENT_PENDING', async () => {
    const calls: Calls = [];
    const activities = mockActivities(calls, {
      chargeOrder: () => ({ status: 'pending', chargeId: 'ch_real', declineCode: null }),
    });
    await run(activities, async (taskQueue) => {
      const handle = await start(taskQueue, input());
      await handle.executeUpdate(startPayment, { args: [{ paymentToken: 'pvr_test' }] });
      await handle.signal(paymentNotification, {
        eventId: 'evt_1',
        chargeId: 'ch_forged',
        outcome: 'succeeded',
        declineCode: null,
      });
      // a query after the signal is answered once the signal has been handled
      expect(await handle.query(getOrderState)).toMatchObject({
        status: 'PAYMENT_PENDING',
        payment: { status: 'PENDING' },
      });
      await handle.terminate('test done');
    });
    expect(calls.map((c) => c.name)).not.toContain('completeSale');
  });
});
