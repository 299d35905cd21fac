/**
 * The payments sandbox as a real process (npx tsx payments-sandbox/main.ts), driven through the HTTP gateway
 * adapter the activities use. Webhooks go to a small node:http receiver started here.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chargeIdempotencyKey,
  createHttpPaymentGateway,
  GatewayRequestError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from '../../services/payment-gateway';
import type { PaymentGateway } from '../../services/payment-gateway';
import { verifyWebhook } from '../../domain/webhook-signature';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const API_KEY = 'sk_test_integration_0123';
const WEBHOOK_SECRET = 'whsec_integration_secret_0123456789';

// ---- helpers ------------------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface SandboxProcess {
  url: string;
  proc: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

const running = new Set<SandboxProcess>();

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startSandbox(env: Record<string, string>): Promise<SandboxProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  // Own process group (detached), so stop() reaches npx, tsx and the node process that runs the sandbox.
  const proc = spawn('npx', ['tsx', 'payments-sandbox/main.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SANDBOX_PORT: String(port),
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_API_KEY: API_KEY,
      SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ...env,
    },
  });
  proc.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const pid = proc.pid!;
  const sandbox: SandboxProcess = {
    url,
    proc,
    output,
    async stop() {
      running.delete(sandbox);
      if (!groupAlive(pid)) return;
      process.kill(-pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    },
  };
  running.add(sandbox);
  try {
    await waitFor(
      'the sandbox /health',
      async () => {
        if (proc.exitCode !== null) throw new Error(`sandbox exited with ${proc.exitCode}:\n${output.join('')}`);
        const res = await fetch(`${url}/health`).catch(() => null);
        return res?.status === 200 ? true : undefined;
      },
      30_000,
    );
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  return sandbox;
}

interface Delivery {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: { id: string; type: string; created: number; data: { charge: { id: string; status: string } } };
  answered: number;
}

/** The merchant's webhook endpoint. `answers` is a queue of statuses to give (then 200). */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const answered = answers.shift() ?? 200;
      deliveries.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody) as Delivery['body'], answered });
      res.writeHead(answered, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/webhooks/payments`,
    deliveries,
    answers,
    forCharge: (chargeId: string) => deliveries.filter((d) => d.body.data.charge.id === chargeId),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const newOrderId = () => `ord_${randomUUID()}`;

function chargeReq(orderId: string, paymentToken: string, attempt = 1, amount = 45_900) {
  return {
    orderId,
    attempt,
    amount,
    currency: 'USD',
    paymentToken,
    idempotencyKey: chargeIdempotencyKey(orderId, attempt),
  };
}

function expectValidSignature(delivery: Delivery) {
  const verification = verifyWebhook({
    secret: WEBHOOK_SECRET,
    rawBody: delivery.rawBody,
    header: delivery.headers['altis-signature'] as string | undefined,
    nowSeconds: Date.now() / 1000,
    toleranceSeconds: 300,
  });
  expect(verification).toMatchObject({ ok: true });
}

// ---- tests --------------------------------------------------------------------------------------------------

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let sandbox: SandboxProcess;
let gateway: PaymentGateway;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ SANDBOX_WEBHOOK_URL: receiver.url, SANDBOX_ASYNC_DELAY_MS: '300' });
  gateway = createHttpPaymentGateway({ baseUrl: sandbox.url, apiKey: API_KEY, timeoutMs: 5_000 });
});

afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop()));
  await receiver?.close();
});

describe('payments sandbox: access', () => {
  it('answers /health without an API key', async () => {
    const res = await fetch(`${sandbox.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses requests without a valid API key (401)', async () => {
    const res = await fetch(`${sandbox.url}/v1/charges?order_id=x`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });

    const wrongKey = createHttpPaymentGateway({ baseUrl: sandbox.url, apiKey: 'sk_test_wrong', timeoutMs: 5_000 });
    await expect(wrongKey.charge(chargeReq(newOrderId(), 'tok_visa'))).rejects.toMatchObject({
      name: 'GatewayRequestError',
      status: 401,
    });
  });

  it('throws GatewayUnavailableError (retryable) when the provider cannot be reached', async () => {
    const nobody = createHttpPaymentGateway({
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      apiKey: API_KEY,
      timeoutMs: 2_000,
    });
    await expect(nobody.charge(chargeReq(newOrderId(), 'tok_visa'))).rejects.toBeInstanceOf(GatewayUnavailableError);
  });

  it('requires an Idempotency-Key on charges (400)', async () => {
    const res = await fetch(`${sandbox.url}/v1/charges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 100, currency: 'USD', payment_token: 'tok_visa', order_id: newOrderId() }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'idempotency_key_missing' } });
  });
});

describe('payments sandbox: charges', () => {
  it('charges tok_visa: succeeded', async () => {
    const orderId = newOrderId();
    const result = await gateway.charge(chargeReq(orderId, 'tok_visa'));
    expect(result).toEqual({ status: 'succeeded', chargeId: expect.stringMatching(/^ch_/) });
    const charge = await gateway.getCharge(result.chargeId);
    expect(charge).toMatchObject({
      id: result.chargeId,
      status: 'succeeded',
      amount: 45_900,
      currency: 'USD',
      orderId,
    });
    expect(charge?.metadata).toEqual({ attempt: '1' });
  });

  it('declines tok_chargeDeclined as a failed result (not an error), and records it', async () => {
    const orderId = newOrderId();
    const result = await gateway.charge(chargeReq(orderId, 'tok_chargeDeclined'));
    expect(result).toEqual({ status: 'failed', chargeId: expect.stringMatching(/^ch_/), declineCode: 'card_declined' });
    expect(await gateway.getCharge(result.chargeId)).toMatchObject({ status: 'failed', declineCode: 'card_declined' });
    // The stored 402 is replayed for the same key.
    expect(await gateway.charge(chargeReq(orderId, 'tok_chargeDeclined'))).toEqual(result);
    expect(await gateway.listCharges(orderId)).toHaveLength(1);
  });

  it('rejects an unknown token (400 invalid_token) without recording a charge', async () => {
    const orderId = newOrderId();
    await expect(gateway.charge(chargeReq(orderId, 'tok_nonsense'))).rejects.toMatchObject({
      name: 'GatewayRequestError',
      status: 400,
      code: 'invalid_token',
    });
    expect(await gateway.listCharges(orderId)).toHaveLength(0);
  });

  it('answers null for an unknown charge id', async () => {
    expect(await gateway.getCharge('ch_does_not_exist')).toBeNull();
  });
});

describe('payments sandbox: idempotency', () => {
  it('replays the same answer for the same key and body: one charge, same id', async () => {
    const orderId = newOrderId();
    const first = await gateway.charge(chargeReq(orderId, 'tok_visa'));
    const second = await gateway.charge(chargeReq(orderId, 'tok_visa'));
    expect(second).toEqual(first);
    const charges = await gateway.listCharges(orderId);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.id).toBe(first.chargeId);

    const replay = await fetch(`${sandbox.url}/v1/charges`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${API_KEY}`,
        'content-type': 'application/json',
        'idempotency-key': chargeIdempotencyKey(orderId, 1),
      },
      // Same body, keys in another order: still the same request.
      body: JSON.stringify({
        metadata: { attempt: '1' },
        description: `Altis order ${orderId}`,
        order_id: orderId,
        payment_token: 'tok_visa',
        currency: 'USD',
        amount: 45_900,
      }),
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toMatchObject({ id: first.chargeId });
  });

  it('refuses the same key with a different body (422 idempotency_key_reused)', async () => {
    const orderId = newOrderId();
    await gateway.charge(chargeReq(orderId, 'tok_visa'));
    const changed = { ...chargeReq(orderId, 'tok_visa'), amount: 1 };
    const error = await gateway.charge(changed).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayRequestError);
    expect(error).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(await gateway.listCharges(orderId)).toHaveLength(1);
  });

  it('makes exactly one charge from 20 concurrent requests with one key', async () => {
    const orderId = newOrderId();
    const results = await Promise.all(Array.from({ length: 20 }, () => gateway.charge(chargeReq(orderId, 'tok_visa'))));
    expect(new Set(results.map((r) => r.chargeId)).size).toBe(1);
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(await gateway.listCharges(orderId)).toHaveLength(1);
  });

  it('gives a new attempt (new key) its own charge', async () => {
    const orderId = newOrderId();
    const declined = await gateway.charge(chargeReq(orderId, 'tok_chargeDeclined', 1));
    const paid = await gateway.charge(chargeReq(orderId, 'tok_visa', 2));
    expect(paid.chargeId).not.toBe(declined.chargeId);
    expect((await gateway.listCharges(orderId)).map((c) => c.status)).toEqual(['failed', 'succeeded']);
  });
});

describe('payments sandbox: late outcomes by webhook', () => {
  it('answers tok_async pending, then sends a signed charge.succeeded webhook', async () => {
    const orderId = newOrderId();
    const result = await gateway.charge(chargeReq(orderId, 'tok_async'));
    expect(result).toEqual({ status: 'pending', chargeId: expect.stringMatching(/^ch_/) });
    expect(await gateway.getCharge(result.chargeId)).toMatchObject({ status: 'pending' });

    const [delivery] = await waitFor('the webhook', () => {
      const found = receiver.forCharge(result.chargeId);
      return found.length > 0 ? found : undefined;
    });
    expectValidSignature(delivery!);
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.body).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'charge.succeeded',
      data: { charge: { id: result.chargeId, status: 'succeeded', order_id: orderId, amount: 45_900 } },
    });
    expect(await gateway.getCharge(result.chargeId)).toMatchObject({ status: 'succeeded' });
  });

  it('answers tok_asyncDecline pending, then charge.failed, retrying until the receiver answers 2xx', async () => {
    const orderId = newOrderId();
    receiver.answers.push(503, 500); // the receiver is down for the first two deliveries
    const result = await gateway.charge(chargeReq(orderId, 'tok_asyncDecline'));
    expect(result.status).toBe('pending');

    const deliveries = await waitFor('three deliveries', () => {
      const found = receiver.forCharge(result.chargeId);
      return found.length >= 3 ? found : undefined;
    });
    expect(deliveries.map((d) => d.answered)).toEqual([503, 500, 200]);
    expect(new Set(deliveries.map((d) => d.body.id)).size).toBe(1); // one event, delivered three times
    for (const d of deliveries) {
      expectValidSignature(d);
      expect(d.body).toMatchObject({ type: 'charge.failed', data: { charge: { status: 'failed' } } });
    }
    expect(await gateway.getCharge(result.chargeId)).toMatchObject({ status: 'failed', declineCode: 'card_declined' });

    const events = await fetch(`${sandbox.url}/v1/events?charge_id=${result.chargeId}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(await events.json()).toMatchObject({ data: [{ delivered: true, attempts: 3, last_status: 200 }] });
  });
});

describe('payments sandbox: no answer and void', () => {
  it('never answers tok_timeout: the client times out, and the recorded charge can be voided', async () => {
    const orderId = newOrderId();
    const impatient = createHttpPaymentGateway({ baseUrl: sandbox.url, apiKey: API_KEY, timeoutMs: 1_000 });
    const started = Date.now();
    const error = await impatient.charge(chargeReq(orderId, 'tok_timeout')).catch((err: unknown) => err);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3_000);

    // Unknown outcome: the order's charges show what happened.
    const [pending] = await gateway.listCharges(orderId);
    expect(pending).toMatchObject({ status: 'pending', orderId });

    // Retrying with the same key also gets no answer, and makes no second charge.
    await expect(impatient.charge(chargeReq(orderId, 'tok_timeout'))).rejects.toBeInstanceOf(GatewayTimeoutError);
    expect(await gateway.listCharges(orderId)).toHaveLength(1);

    expect(await gateway.voidCharge(pending!.id)).toMatchObject({ id: pending!.id, status: 'voided' });
    expect(await gateway.voidCharge(pending!.id)).toMatchObject({ status: 'voided' }); // voiding twice is harmless
    expect(await gateway.getCharge(pending!.id)).toMatchObject({ status: 'voided' });
  });

  it('refuses to void a succeeded charge (409)', async () => {
    const { chargeId } = await gateway.charge(chargeReq(newOrderId(), 'tok_visa'));
    await expect(gateway.voidCharge(chargeId)).rejects.toMatchObject({
      name: 'GatewayRequestError',
      status: 409,
      code: 'charge_not_pending',
    });
  });

  it('voids a tok_async charge before it settles: no webhook follows', async () => {
    const { chargeId } = await gateway.charge(chargeReq(newOrderId(), 'tok_async'));
    expect(await gateway.voidCharge(chargeId)).toMatchObject({ status: 'voided' });
    // Proving that nothing follows takes waiting past the moment it would have (the async delay).
    await sleep(800);
    expect(await gateway.getCharge(chargeId)).toMatchObject({ status: 'voided' });
    expect(receiver.forCharge(chargeId)).toHaveLength(0);
  });
});

describe('payments sandbox: refunds', () => {
  it('refunds in full by default, idempotently, and refuses more', async () => {
    const { chargeId } = await gateway.charge(chargeReq(newOrderId(), 'tok_visa'));
    const refund = await gateway.refund({ chargeId, idempotencyKey: `refund-${chargeId}` });
    expect(refund).toMatchObject({ id: expect.stringMatching(/^re_/), chargeId, amount: 45_900, status: 'succeeded' });
    expect(await gateway.refund({ chargeId, idempotencyKey: `refund-${chargeId}` })).toEqual(refund);
    expect(await gateway.getCharge(chargeId)).toMatchObject({ status: 'succeeded', amountRefunded: 45_900 });

    await expect(gateway.refund({ chargeId, idempotencyKey: `refund-${chargeId}-again` })).rejects.toMatchObject({
      status: 400,
      code: 'charge_already_refunded',
    });
    const list = await fetch(`${sandbox.url}/v1/refunds?charge_id=${chargeId}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('takes partial refunds up to the captured amount and rejects an over-refund (400)', async () => {
    const { chargeId } = await gateway.charge(chargeReq(newOrderId(), 'tok_visa', 1, 10_000));
    await expect(gateway.refund({ chargeId, amount: 10_001, idempotencyKey: `r1-${chargeId}` })).rejects.toMatchObject({
      status: 400,
      code: 'amount_too_large',
    });
    expect(await gateway.refund({ chargeId, amount: 4_000, idempotencyKey: `r2-${chargeId}` })).toMatchObject({
      amount: 4_000,
    });
    await expect(gateway.refund({ chargeId, amount: 6_001, idempotencyKey: `r3-${chargeId}` })).rejects.toMatchObject({
      status: 400,
      code: 'amount_too_large',
    });
    expect(await gateway.refund({ chargeId, idempotencyKey: `r4-${chargeId}` })).toMatchObject({ amount: 6_000 });
    expect(await gateway.getCharge(chargeId)).toMatchObject({ amountRefunded: 10_000 });
  });

  it('refuses to refund a charge that did not succeed (409)', async () => {
    const { chargeId } = await gateway.charge(chargeReq(newOrderId(), 'tok_chargeDeclined'));
    await expect(gateway.refund({ chargeId, idempotencyKey: `refund-${chargeId}` })).rejects.toMatchObject({
      status: 409,
      code: 'charge_not_refundable',
    });
  });
});

describe('payments sandbox: restart with a state file', () => {
  it('keeps charges, idempotency records and pending async charges across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'altis-sandbox-'));
    try {
      const env = {
        SANDBOX_STATE_FILE: join(dir, 'state.json'),
        SANDBOX_WEBHOOK_URL: receiver.url,
        SANDBOX_ASYNC_DELAY_MS: '1500',
      };
      const before = await startSandbox(env);
      const gw1 = createHttpPaymentGateway({ baseUrl: before.url, apiKey: API_KEY, timeoutMs: 5_000 });
      const orderId = newOrderId();
      const paid = await gw1.charge(chargeReq(orderId, 'tok_visa', 1));
      const late = await gw1.charge(chargeReq(orderId, 'tok_async', 2));
      expect(late.status).toBe('pending');
      await before.stop(); // before the async charge settles

      const after = await startSandbox(env);
      const gw2 = createHttpPaymentGateway({ baseUrl: after.url, apiKey: API_KEY, timeoutMs: 5_000 });
      expect(await gw2.getCharge(paid.chargeId)).toMatchObject({ status: 'succeeded', orderId });
      expect(await gw2.charge(chargeReq(orderId, 'tok_visa', 1))).toEqual(paid); // replayed, not charged again
      expect(await gw2.listCharges(orderId)).toHaveLength(2);

      // The pending charge settles after the restart and its webhook still goes out.
      const [delivery] = await waitFor('the webhook after restart', () => {
        const found = receiver.forCharge(late.chargeId);
        return found.length > 0 ? found : undefined;
      });
      expectValidSignature(delivery!);
      expect(delivery!.body.type).toBe('charge.succeeded');
      expect(await gw2.getCharge(late.chargeId)).toMatchObject({ status: 'succeeded' });
      await after.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
