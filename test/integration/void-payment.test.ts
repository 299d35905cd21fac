/**
 * The void of a payment with no outcome (services/orders.ts `voidPayment`, the `voidPayment` activity), against a
 * real payment sandbox over HTTP and the real Postgres (issue #22): only a charge the provider reports as voided
 * is recorded VOIDED; a charge that settled as declined between the list and the void is recorded FAILED with its
 * own decline code; any other refusal is retried, never taken for a void. The payment row records the charge id
 * and decline code in every case. The race is staged by waiting, before the real void, for the real charge to
 * settle: the sandbox then answers the void with its real 409.
 */
import { randomUUID } from 'node:crypto';
import type { ServerType } from '@hono/node-server';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers, orders, payments } from '../../db/schema';
import type { Services } from '../../lib/services';
import { createPiiCipher } from '../../lib/pii';
import { createInventory } from '../../services/inventory';
import { createOrderService } from '../../services/orders';
import {
  createHttpPaymentGateway,
  GatewayRequestError,
  chargeIdempotencyKey,
  type PaymentGateway,
} from '../../services/payment-gateway';
import { createPaymentVault } from '../../services/payment-vault';
import { createSandboxApp, type SandboxApp } from '../../payments-sandbox/app';
import { closeServer, eventually, freePort, listen } from '../support/harness';
import { openTestServices, silentLogger, testConfig } from '../support/services';

const config = testConfig();
let services: Services;
let sandbox: SandboxApp;
let server: ServerType;
let real: PaymentGateway;

beforeAll(async () => {
  services = await openTestServices(config);
  const port = await freePort();
  sandbox = createSandboxApp({
    apiKey: config.payments.gateway_api_key,
    webhookUrl: 'http://127.0.0.1:9/nowhere', // nobody listens: the settlement's webhook is not part of this test
    webhookSecret: config.payments.webhook_secret,
    asyncDelayMs: 1_500, // tok_asyncDecline settles (declined) this long after the charge
    webhookMaxAttempts: 1,
  });
  server = await listen(sandbox.app.fetch, port);
  real = createHttpPaymentGateway({
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: config.payments.gateway_api_key,
    timeoutMs: 1_000, // tok_timeout is never answered: the charge is recorded by the provider all the same
  });
});

afterAll(async () => {
  await sandbox?.close();
  if (server) await closeServer(server);
  await services?.close();
});

function orderService(gateway: PaymentGateway) {
  const pii = createPiiCipher(config.pii);
  return createOrderService({
    config,
    logger: silentLogger(),
    db: services.db,
    inventory: createInventory(services),
    gateway,
    pii,
    vault: createPaymentVault({ db: services.db, pii }),
  });
}

/** An order in PAYMENT_PENDING with its attempt-1 payment row, and the provider's charge for it. */
async function pendingPayment(paymentToken: string) {
  const orderId = randomUUID();
  const customerId = randomUUID();
  await services.db.insert(customers).values({ id: customerId, kind: 'GUEST' });
  await services.db.insert(orders).values({
    id: orderId,
    customerId,
    source: 'TRIP',
    status: 'PAYMENT_PENDING',
    currency: 'USD',
    totalAmount: 12_345,
    expiresAt: new Date(Date.now() + 600_000),
  });
  await services.db
    .insert(payments)
    .values({ orderId, attempt: 1, status: 'PENDING', amount: 12_345, currency: 'USD' });
  await real
    .charge({
      orderId,
      attempt: 1,
      amount: 12_345,
      currency: 'USD',
      paymentToken,
      idempotencyKey: chargeIdempotencyKey(orderId, 1),
    })
    .catch(() => null); // tok_timeout: no answer, the outcome unknown (what the void is for)
  return { orderId };
}

const paymentRow = async (orderId: string) =>
  (
    await services.db
      .select({ status: payments.status, chargeId: payments.chargeId, declineCode: payments.declineCode })
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.attempt, 1)))
  )[0];

describe('voidPayment', () => {
  it('voids a pending charge and records VOIDED with its charge id and decline code', async () => {
    const { orderId } = await pendingPayment('tok_timeout');
    const chargeIdOf = (await real.listCharges(orderId))[0]!.id;
    const outcome = await orderService(real).voidPayment({ orderId, attempt: 1, chargeId: null });
    expect(outcome).toEqual({ status: 'failed', chargeId: chargeIdOf, declineCode: 'payment_timeout' });
    expect((await real.getCharge(chargeIdOf))!.status).toBe('voided');
    expect(await paymentRow(orderId)).toEqual({
      status: 'VOIDED',
      chargeId: chargeIdOf,
      declineCode: 'payment_timeout',
    });
  });

  it('a charge declined between the list and the void is recorded FAILED with its own decline code, not voided', async () => {
    const { orderId } = await pendingPayment('tok_asyncDecline');
    const [listed] = await real.listCharges(orderId);
    expect(listed!.status).toBe('pending');
    const racing: PaymentGateway = {
      ...real,
      async voidCharge(id) {
        await eventually(
          () => real.getCharge(id),
          (c) => c?.status === 'failed',
        );
        return real.voidCharge(id); // the sandbox's own answer: 409 charge_not_pending
      },
    };
    const outcome = await orderService(racing).voidPayment({ orderId, attempt: 1, chargeId: null });
    expect(outcome).toEqual({ status: 'failed', chargeId: listed!.id, declineCode: 'card_declined' });
    expect((await real.getCharge(listed!.id))!.status).toBe('failed');
    expect(await paymentRow(orderId)).toEqual({ status: 'FAILED', chargeId: listed!.id, declineCode: 'card_declined' });
  });

  it('a 409 for a charge the provider cannot name is retried (the activity throws), the row untouched', async () => {
    const { orderId } = await pendingPayment('tok_timeout');
    const refusing: PaymentGateway = {
      ...real,
      voidCharge: () =>
        Promise.reject(new GatewayRequestError('voidCharge', 409, 'conflict', 'another request is in progress')),
      getCharge: () => Promise.resolve(null),
    };
    await expect(orderService(refusing).voidPayment({ orderId, attempt: 1, chargeId: null })).rejects.toBeInstanceOf(
      GatewayRequestError,
    );
    expect(await paymentRow(orderId)).toEqual({ status: 'PENDING', chargeId: null, declineCode: null });
  });
});
