import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import { canonicalJson } from '../../domain/canonical-json';
import { DomainError, invalid } from '../../domain/errors';
import type { IdempotencyClaim, IdempotencyStore } from '../../services/idempotency-store';
import type { AppEnv, Customer } from '../deps';

/**
 * `Idempotency-Key` for creating POSTs. The first request with a key claims it (an INSERT that wins the
 * unique (customer_id, key)), runs the handler and stores the answer; a repeat with the same body gets the
 * stored answer back with `Idempotent-Replayed: true`, one with another body 422. A repeat that arrives while
 * the first is still running waits for its answer, then gives up with 409. Neither 5xx answers nor refusals that
 * did nothing (bad input, auth, not found, too large, rate limited: REFUSED below) are stored: the key is
 * released, so that the client can retry, or send the corrected request with the same key (as Stripe does).
 * Stored answers are JSON (or empty) bodies. The keys live in
 * Postgres through services/idempotency-store.ts.
 */

export interface IdempotencyOptions {
  /** Answer 400 when the header is missing (default: run the request without idempotency). */
  required?: boolean;
  /** How long a repeat waits for the first request's answer before answering 409. */
  waitMs?: number;
  /** A claim older than this with no answer is taken to be from a crashed process and may be taken over. */
  lockTimeoutMs?: number;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

async function requestHash(c: Context<AppEnv>): Promise<string> {
  const text = await c.req.text(); // Hono caches the body: the handler can still read it
  let body = text;
  try {
    if (text.trim() !== '') body = canonicalJson(JSON.parse(text));
  } catch {
    // not JSON: the raw bytes are the body
  }
  return createHash('sha256').update(`${c.req.method}\n${c.req.path}\n${body}`).digest('hex');
}

/** Answers given before the request did anything: they never hold a key. */
const REFUSED = new Set([400, 401, 403, 404, 413, 415, 422, 429]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function idempotency(options: IdempotencyOptions = {}) {
  const { required = false, waitMs = 5_000, lockTimeoutMs = 60_000 } = options;

  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header('Idempotency-Key');
    if (key === undefined) {
      if (required) throw invalid('the Idempotency-Key header is required');
      return next();
    }
    if (!KEY_PATTERN.test(key)) throw invalid('Idempotency-Key must be 1 to 255 visible ASCII characters');
    const customer = c.get('customer') as Customer | undefined;
    if (!customer) throw new DomainError('UNAUTHENTICATED', 'an Idempotency-Key needs an authenticated customer');

    const store = c.get('deps').services.idempotencyKeys;
    const hash = await requestHash(c);
    // The path as sent (percent-encoded): the decoded one may hold a NUL, which a text column cannot.
    const path = new URL(c.req.url).pathname;
    const request = { customerId: customer.id, key, method: c.req.method, path, requestHash: hash };
    const deadline = Date.now() + waitMs;

    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      // Claim the key: a new key, an expired record or an abandoned claim.
      const claim = await store.claim(request, lockTimeoutMs);
      if (claim) return run(c, next, store, claim);

      const stored = await store.find(customer.id, key);
      if (!stored) continue; // released after a 5xx in the meantime: claim it
      if (stored.requestHash !== hash) {
        throw new DomainError(
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used for a different request; use a new key for a new request',
        );
      }
      if (stored.status !== null) {
        c.header('Idempotent-Replayed', 'true');
        // The first answer, byte for byte: an error in it names the first request's id; say so in a header.
        const original = (stored.body as { error?: { request_id?: unknown } } | null)?.error?.request_id;
        if (typeof original === 'string') c.header('Original-Request-Id', original);
        if (stored.body === null) return c.body(null, stored.status as StatusCode);
        return c.json(stored.body, stored.status as ContentfulStatusCode);
      }
      if (Date.now() >= deadline) throw new DomainError('CONFLICT', 'a request with this key is in progress');
      await sleep(pause);
    }
  });
}

async function run(c: Context<AppEnv>, next: () => Promise<void>, store: IdempotencyStore, claim: IdempotencyClaim) {
  try {
    await next();
  } catch (err) {
    await store.release(claim);
    throw err;
  }
  if (c.res.status >= 500 || REFUSED.has(c.res.status)) {
    await store.release(claim);
    return;
  }
  const text = await c.res.clone().text();
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = null; // not JSON: the replay gives the status alone
    }
  }
  await store.complete(claim, c.res.status, body);
}
