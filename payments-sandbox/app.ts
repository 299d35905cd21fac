/**
 * The payments sandbox: a card provider's test mode in its own HTTP process. Test tokens choose the outcome
 * (success, decline, late outcome by signed webhook, no answer at all), and every write takes an
 * Idempotency-Key, so Altis can prove that a retried charge never charges twice.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { z } from 'zod';
import { canonicalJson } from '../domain/canonical-json';
import type { ChargeRecord, EventRecord, IdempotencyRecord, RefundRecord, Simulation } from './store';
import { SandboxStore } from './store';
import type { SandboxLogger } from './webhooks';
import { deliverEvent } from './webhooks';

export interface SandboxOptions {
  apiKey: string;
  webhookUrl: string;
  webhookSecret: string;
  /** How long tok_async / tok_asyncDecline stay pending before the webhook goes out. */
  asyncDelayMs: number;
  /** Persist state here (JSON, atomic writes) and load it at start; in memory only when absent. */
  stateFile?: string | null;
  webhookMaxAttempts?: number;
  webhookRetryBaseMs?: number;
  webhookTimeoutMs?: number;
  /** Milliseconds since the epoch; tests may pass a fixed clock. */
  now?: () => number;
  log?: SandboxLogger;
}

export interface SandboxApp {
  app: Hono;
  store: SandboxStore;
  /** Stops timers, webhook deliveries and hanging requests, and waits for the last state write. */
  close(): Promise<void>;
}

type TokenBehaviour =
  | { kind: 'succeed'; slow?: boolean }
  | { kind: 'decline'; declineCode: string }
  | { kind: 'async'; outcome: 'succeeded' | 'failed' }
  | { kind: 'no_answer' };

/** The test tokens, as a card provider's test mode documents them. */
export const TEST_TOKENS: Readonly<Record<string, TokenBehaviour>> = {
  tok_visa: { kind: 'succeed' },
  tok_mastercard: { kind: 'succeed' },
  // Succeeds, but answers only after the async delay: a charge in flight long enough to crash a worker under it.
  tok_visaSlow: { kind: 'succeed', slow: true },
  tok_chargeDeclined: { kind: 'decline', declineCode: 'card_declined' },
  tok_chargeDeclinedInsufficientFunds: { kind: 'decline', declineCode: 'insufficient_funds' },
  tok_chargeDeclinedExpiredCard: { kind: 'decline', declineCode: 'expired_card' },
  tok_async: { kind: 'async', outcome: 'succeeded' },
  tok_asyncDecline: { kind: 'async', outcome: 'failed' },
  tok_timeout: { kind: 'no_answer' },
};

const chargeBody = z.object({
  amount: z.number().int().positive().max(99_999_999),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
  payment_token: z.string().min(1).max(200),
  order_id: z.string().min(1).max(200),
  description: z.string().max(1000).optional(),
  metadata: z.record(z.string(), z.string().max(500)).optional(),
});

const refundBody = z.object({
  charge_id: z.string().min(1),
  amount: z.number().int().positive().optional(),
});

interface ApiError {
  error: { code: string; message: string; details?: unknown };
}

type Outcome = { kind: 'answer'; status: number; body: unknown; replayed: boolean } | { kind: 'no_answer' };

const apiError = (code: string, message: string, details?: unknown): ApiError => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

function sameSecret(given: string, expected: string): boolean {
  // Hash first so both sides have one length and the comparison time says nothing about the key.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Runs tasks one at a time per key; different keys run freely. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** A list answer: the records (all, or those whose `key` is the query's value), as the API shows them. */
function listOf<T, K extends keyof T, V>(
  records: Map<string, T>,
  key: K,
  value: string | undefined,
  view: (r: T) => V,
) {
  const data = [...records.values()].filter((r) => value === undefined || r[key] === value).map(view);
  return { object: 'list' as const, data };
}

export function publicCharge(c: ChargeRecord) {
  return {
    id: c.id,
    object: 'charge' as const,
    status: c.status,
    amount: c.amount,
    currency: c.currency,
    order_id: c.orderId,
    description: c.description,
    metadata: c.metadata,
    payment_token: c.paymentToken,
    decline_code: c.declineCode,
    amount_refunded: c.amountRefunded,
    refunded: c.amountRefunded > 0 && c.amountRefunded === c.amount,
    created: c.created,
  };
}

export function publicRefund(r: RefundRecord) {
  return {
    id: r.id,
    object: 'refund' as const,
    charge_id: r.chargeId,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    created: r.created,
  };
}

function publicEvent(e: EventRecord) {
  return {
    id: e.id,
    type: e.type,
    created: e.created,
    charge_id: e.chargeId,
    delivered: e.delivery.delivered,
    attempts: e.delivery.attempts,
    last_status: e.delivery.lastStatus,
    last_error: e.delivery.lastError,
  };
}

const noopLog: SandboxLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function createSandboxApp(opts: SandboxOptions): SandboxApp {
  const now = opts.now ?? Date.now;
  const log = opts.log ?? noopLog;
  const store = new SandboxStore(opts.stateFile ?? null);
  const locks = new KeyedMutex();
  const shutdown = new AbortController();
  const settleTimers = new Map<string, NodeJS.Timeout>();
  const deliveries = new Set<Promise<void>>();
  const webhookMaxAttempts = opts.webhookMaxAttempts ?? 6;
  const nowSeconds = () => Math.floor(now() / 1000);

  // ---- background work: async settlement and webhook delivery -------------------------------------------

  function startDelivery(event: EventRecord): void {
    const run = deliverEvent(
      {
        url: opts.webhookUrl,
        secret: opts.webhookSecret,
        maxAttempts: webhookMaxAttempts,
        baseDelayMs: opts.webhookRetryBaseMs ?? 500,
        timeoutMs: opts.webhookTimeoutMs ?? 5_000,
        now,
        signal: shutdown.signal,
        log,
        onAttempt: () => store.persist(),
      },
      event,
    );
    deliveries.add(run);
    void run.finally(() => deliveries.delete(run));
  }

  async function settle(chargeId: string): Promise<void> {
    settleTimers.delete(chargeId);
    const charge = store.charges.get(chargeId);
    if (!charge || charge.status !== 'pending' || charge.simulation.kind !== 'async') return; // e.g. voided
    const outcome = charge.simulation.outcome;
    charge.status = outcome;
    if (outcome === 'failed') charge.declineCode = 'card_declined';
    charge.simulation = { kind: 'none' };
    const event: EventRecord = {
      id: newId('evt'),
      type: outcome === 'succeeded' ? 'charge.succeeded' : 'charge.failed',
      created: nowSeconds(),
      chargeId,
      payload: null,
      delivery: { delivered: false, attempts: 0, lastStatus: null, lastError: null },
    };
    event.payload = { id: event.id, type: event.type, created: event.created, data: { charge: publicCharge(charge) } };
    store.events.set(event.id, event);
    log.info({ chargeId, status: outcome, eventId: event.id }, 'async charge settled');
    await store.persist();
    startDelivery(event);
  }

  function scheduleSettlement(charge: ChargeRecord): void {
    if (charge.simulation.kind !== 'async' || shutdown.signal.aborted) return;
    const delay = Math.max(0, charge.simulation.settlesAtMs - now());
    const timer = setTimeout(() => {
      settle(charge.id).catch((err: unknown) => log.error({ chargeId: charge.id, err }, 'settlement failed'));
    }, delay);
    settleTimers.set(charge.id, timer);
  }

  // Work left over from before a restart: pending async charges settle, unfinished deliveries resume.
  for (const charge of store.charges.values()) {
    if (charge.status === 'pending') scheduleSettlement(charge);
  }
  for (const event of store.events.values()) {
    if (!event.delivery.delivered && event.delivery.attempts < webhookMaxAttempts) startDelivery(event);
  }

  // ---- request helpers -------------------------------------------------------------------------------------

  async function readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
    try {
      return { ok: true, value: await c.req.json() };
    } catch {
      return { ok: false, response: c.json(apiError('invalid_json', 'request body must be JSON'), 400) };
    }
  }

  function invalidBody(c: Context, error: z.ZodError): Response {
    const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return c.json(apiError('invalid_request', 'request body is invalid', details), 400);
  }

  /**
   * Idempotent write: the first request with a key runs `create`; later ones with the same body get the stored
   * answer replayed, with a different body a 422. Requests with one key are serialized, so concurrent
   * duplicates cannot both create. Error answers from `create` are not stored (a fixed request may retry).
   */
  async function idempotent(
    key: string,
    endpoint: string,
    rawBody: unknown,
    create: () => Promise<Outcome & { store?: boolean }>,
  ): Promise<Outcome> {
    const fingerprint = createHash('sha256')
      .update(`${endpoint}\n${canonicalJson(rawBody)}`)
      .digest('hex');
    return locks.run(key, async () => {
      const existing = store.idempotency.get(key);
      if (existing) {
        if (existing.fingerprint !== fingerprint) {
          return {
            kind: 'answer',
            status: 422,
            body: apiError(
              'idempotency_key_reused',
              'this Idempotency-Key was already used with a different request; use a new key for a new request',
            ),
            replayed: false,
          };
        }
        if (existing.status === null) return { kind: 'no_answer' };
        return { kind: 'answer', status: existing.status, body: existing.body, replayed: true };
      }
      const outcome = await create();
      if (outcome.store !== false) {
        const record: IdempotencyRecord = {
          key,
          fingerprint,
          status: outcome.kind === 'answer' ? outcome.status : null,
          body: outcome.kind === 'answer' ? outcome.body : null,
          created: nowSeconds(),
        };
        store.idempotency.set(key, record);
        await store.persist();
      }
      return outcome.kind === 'answer'
        ? { kind: 'answer', status: outcome.status, body: outcome.body, replayed: false }
        : outcome;
    });
  }

  /** tok_timeout: keep the socket open and never answer; it is the client's job to give up. */
  function neverAnswer(c: Context): Promise<Response> {
    return new Promise((resolve) => {
      const signals = [c.req.raw.signal, shutdown.signal];
      const done = () => {
        for (const s of signals) s.removeEventListener('abort', done);
        resolve(new Response(null, { status: 504 })); // the client is gone by now; nobody reads this
      };
      if (signals.some((s) => s.aborted)) return done();
      for (const s of signals) s.addEventListener('abort', done, { once: true });
    });
  }

  function send(c: Context, outcome: Outcome): Response | Promise<Response> {
    if (outcome.kind === 'no_answer') return neverAnswer(c);
    if (outcome.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(outcome.body as object, outcome.status as 200);
  }

  function requireIdempotencyKey(c: Context): string | Response {
    const key = c.req.header('idempotency-key');
    if (key === undefined || key.trim() === '') {
      return c.json(apiError('idempotency_key_missing', 'the Idempotency-Key header is required'), 400);
    }
    if (key.length > 255) {
      return c.json(apiError('invalid_request', 'the Idempotency-Key header is longer than 255 characters'), 400);
    }
    return key;
  }

  /** A creating POST's Idempotency-Key and body, or the provider's 400 when the key is missing or the body bad. */
  async function keyedRequest<S extends z.ZodType>(
    c: Context,
    schema: S,
  ): Promise<{ key: string; raw: unknown; req: z.infer<S> } | Response> {
    const key = requireIdempotencyKey(c);
    if (typeof key !== 'string') return key;
    const raw = await readJson(c);
    if (!raw.ok) return raw.response;
    const parsed = schema.safeParse(raw.value);
    if (!parsed.success) return invalidBody(c, parsed.error);
    return { key, raw: raw.value, req: parsed.data };
  }

  // ---- routes --------------------------------------------------------------------------------------------------

  const app = new Hono();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.use('/v1/*', async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    if (!match?.[1] || !sameSecret(match[1], opts.apiKey)) {
      return c.json(apiError('unauthenticated', 'a valid API key is required: Authorization: Bearer <key>'), 401);
    }
    await next();
  });

  app.post('/v1/charges', async (c) => {
    const request = await keyedRequest(c, chargeBody);
    if (request instanceof Response) return request;
    const { key, raw, req } = request;

    const outcome = await idempotent(key, 'POST /v1/charges', raw, async () => {
      const behaviour = TEST_TOKENS[req.payment_token];
      if (!behaviour) {
        const message = `unknown payment token; use one of ${Object.keys(TEST_TOKENS).join(', ')}`;
        return { kind: 'answer', status: 400, body: apiError('invalid_token', message), replayed: false, store: false };
      }
      const simulation: Simulation =
        behaviour.kind === 'async'
          ? { kind: 'async', outcome: behaviour.outcome, settlesAtMs: now() + opts.asyncDelayMs }
          : behaviour.kind === 'no_answer'
            ? { kind: 'no_answer' }
            : { kind: 'none' };
      const charge: ChargeRecord = {
        id: newId('ch'),
        status: behaviour.kind === 'succeed' ? 'succeeded' : behaviour.kind === 'decline' ? 'failed' : 'pending',
        amount: req.amount,
        currency: req.currency,
        orderId: req.order_id,
        description: req.description ?? null,
        metadata: req.metadata ?? {},
        paymentToken: req.payment_token,
        declineCode: behaviour.kind === 'decline' ? behaviour.declineCode : null,
        amountRefunded: 0,
        created: nowSeconds(),
        simulation,
      };
      store.charges.set(charge.id, charge);
      log.info(
        { chargeId: charge.id, orderId: charge.orderId, status: charge.status, token: req.payment_token },
        'charge',
      );
      if (behaviour.kind === 'no_answer') return { kind: 'no_answer' };
      if (behaviour.kind === 'async') scheduleSettlement(charge);
      if (behaviour.kind === 'succeed' && behaviour.slow) await new Promise((r) => setTimeout(r, opts.asyncDelayMs));
      const status = behaviour.kind === 'succeed' ? 201 : behaviour.kind === 'decline' ? 402 : 202;
      return { kind: 'answer', status, body: publicCharge(charge), replayed: false };
    });
    return send(c, outcome);
  });

  app.get('/v1/charges', (c) => c.json(listOf(store.charges, 'orderId', c.req.query('order_id'), publicCharge)));

  app.get('/v1/charges/:id', (c) => {
    const charge = store.charges.get(c.req.param('id'));
    if (!charge) return c.json(apiError('resource_missing', `no such charge: ${c.req.param('id')}`), 404);
    return c.json(publicCharge(charge));
  });

  app.post('/v1/charges/:id/void', async (c) => {
    const charge = store.charges.get(c.req.param('id'));
    if (!charge) return c.json(apiError('resource_missing', `no such charge: ${c.req.param('id')}`), 404);
    if (charge.status === 'voided') return c.json(publicCharge(charge)); // voiding twice is harmless
    if (charge.status !== 'pending') {
      const message = `only a pending charge can be voided; this one has ${charge.status}`;
      return c.json(apiError('charge_not_pending', message, { charge: publicCharge(charge) }), 409);
    }
    charge.status = 'voided';
    charge.simulation = { kind: 'none' };
    const timer = settleTimers.get(charge.id);
    if (timer) clearTimeout(timer);
    settleTimers.delete(charge.id);
    log.info({ chargeId: charge.id, orderId: charge.orderId }, 'charge voided');
    await store.persist();
    return c.json(publicCharge(charge));
  });

  /**
   * Test mode: the capture that raced a void (or outlived the client's timeout) wins after all. A pending or
   * voided charge becomes succeeded and its `charge.succeeded` webhook goes out, as a provider whose void lost the
   * race to an in-flight capture would report it. The way to drive Altis's late payment policy in tests.
   */
  app.post('/v1/test/charges/:id/capture_late', async (c) => {
    const charge = store.charges.get(c.req.param('id'));
    if (!charge) return c.json(apiError('resource_missing', `no such charge: ${c.req.param('id')}`), 404);
    if (charge.status !== 'pending' && charge.status !== 'voided') {
      const message = `only a pending or voided charge can be captured late; this one has ${charge.status}`;
      return c.json(apiError('charge_not_capturable', message, { charge: publicCharge(charge) }), 409);
    }
    const timer = settleTimers.get(charge.id);
    if (timer) clearTimeout(timer);
    settleTimers.delete(charge.id);
    charge.status = 'succeeded';
    charge.declineCode = null;
    charge.simulation = { kind: 'none' };
    const event: EventRecord = {
      id: newId('evt'),
      type: 'charge.succeeded',
      created: nowSeconds(),
      chargeId: charge.id,
      payload: null,
      delivery: { delivered: false, attempts: 0, lastStatus: null, lastError: null },
    };
    event.payload = { id: event.id, type: event.type, created: event.created, data: { charge: publicCharge(charge) } };
    store.events.set(event.id, event);
    log.info({ chargeId: charge.id, eventId: event.id }, 'late capture');
    await store.persist();
    startDelivery(event);
    return c.json(publicCharge(charge));
  });

  app.post('/v1/refunds', async (c) => {
    const request = await keyedRequest(c, refundBody);
    if (request instanceof Response) return request;
    const { key, raw, req } = request;

    const outcome = await idempotent(key, 'POST /v1/refunds', raw, () => {
      const fail = (status: number, code: string, message: string) =>
        Promise.resolve({
          kind: 'answer' as const,
          status,
          body: apiError(code, message),
          replayed: false,
          store: false,
        });
      const charge = store.charges.get(req.charge_id);
      if (!charge) return fail(404, 'resource_missing', `no such charge: ${req.charge_id}`);
      if (charge.status !== 'succeeded') {
        return fail(
          409,
          'charge_not_refundable',
          `only a succeeded charge can be refunded; this one is ${charge.status}`,
        );
      }
      const refundable = charge.amount - charge.amountRefunded;
      if (refundable === 0) return fail(400, 'charge_already_refunded', 'this charge has been refunded in full');
      const amount = req.amount ?? refundable;
      if (amount > refundable) {
        return fail(400, 'amount_too_large', `refund of ${amount} exceeds the ${refundable} left to refund`);
      }
      const refund: RefundRecord = {
        id: newId('re'),
        chargeId: charge.id,
        amount,
        currency: charge.currency,
        status: 'succeeded',
        created: nowSeconds(),
      };
      store.refunds.set(refund.id, refund);
      charge.amountRefunded += amount;
      log.info({ refundId: refund.id, chargeId: charge.id, amount }, 'refund');
      return Promise.resolve({ kind: 'answer' as const, status: 201, body: publicRefund(refund), replayed: false });
    });
    return send(c, outcome);
  });

  app.get('/v1/refunds', (c) => c.json(listOf(store.refunds, 'chargeId', c.req.query('charge_id'), publicRefund)));

  /** Delivery log, so a test (or a person) can see what the sandbox sent and how the receiver answered. */
  app.get('/v1/events', (c) => c.json(listOf(store.events, 'chargeId', c.req.query('charge_id'), publicEvent)));

  app.notFound((c) => c.json(apiError('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));

  app.onError((err, c) => {
    log.error({ err, path: c.req.path }, 'request failed');
    return c.json(apiError('internal_error', 'the sandbox failed to handle this request'), 500);
  });

  return {
    app,
    store,
    async close() {
      shutdown.abort();
      for (const timer of settleTimers.values()) clearTimeout(timer);
      settleTimers.clear();
      await Promise.allSettled([...deliveries]);
      await store.flushed();
    },
  };
}
