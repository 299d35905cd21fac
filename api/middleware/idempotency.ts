import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { Database } from '../../db/client';
import { idempotencyKeys } from '../../db/schema';
import { DomainError, invalid } from '../../domain/errors';
import type { AppEnv, Customer } from '../deps';

/**
 * `Idempotency-Key` for creating POSTs. The first request with a key claims it (an INSERT that wins the
 * unique (customer_id, key)), runs the handler and stores the answer; a repeat with the same body gets the
 * stored answer back with `Idempotent-Replayed: true`, one with another body 422. A repeat that arrives while
 * the first is still running waits for its answer, then gives up with 409. 5xx answers are not stored: the key
 * is released so that the client can retry. Stored answers are JSON (or empty) bodies.
 */

export interface IdempotencyOptions {
  /** Answer 400 when the header is missing (default: run the request without idempotency). */
  required?: boolean;
  /** How long a repeat waits for the first request's answer before answering 409. */
  waitMs?: number;
  /** A claim older than this with no answer is taken to be from a crashed process and may be taken over. */
  lockTimeoutMs?: number;
}

export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted at every level, so that key order does not change a request's hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

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

    const { db } = c.get('deps');
    const hash = await requestHash(c);
    // The path as sent (percent-encoded): the decoded one may hold a NUL, which a text column cannot.
    const path = new URL(c.req.url).pathname;
    const record = { customerId: customer.id, key, method: c.req.method, path, requestHash: hash };
    const ours = and(eq(idempotencyKeys.customerId, customer.id), eq(idempotencyKeys.key, key));
    const deadline = Date.now() + waitMs;

    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      // Claim the key: a new key, an expired record or an abandoned claim. created_at (as text, to keep its
      // microseconds) fences our later writes against a takeover.
      const [claim] = await db
        .insert(idempotencyKeys)
        .values(record)
        .onConflictDoUpdate({
          target: [idempotencyKeys.customerId, idempotencyKeys.key],
          set: {
            method: sql`excluded.method`,
            path: sql`excluded.path`,
            requestHash: sql`excluded.request_hash`,
            status: null,
            body: null,
            createdAt: sql`clock_timestamp()`,
          },
          setWhere: sql`idempotency_keys.created_at < now() - make_interval(secs => ${IDEMPOTENCY_RETENTION_MS / 1000}::float8)
            or (idempotency_keys.status is null
                and idempotency_keys.created_at < now() - make_interval(secs => ${lockTimeoutMs / 1000}::float8))`,
        })
        .returning({ fence: sql<string>`created_at::text` });
      if (claim) return run(c, next, db, ours, claim.fence);

      const [stored] = await db.select().from(idempotencyKeys).where(ours);
      if (!stored) continue; // released after a 5xx in the meantime: claim it
      if (stored.requestHash !== hash) {
        throw new DomainError(
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used for a different request; use a new key for a new request',
        );
      }
      if (stored.status !== null) {
        c.header('Idempotent-Replayed', 'true');
        if (stored.body === null) return c.body(null, stored.status as StatusCode);
        return c.json(stored.body, stored.status as ContentfulStatusCode);
      }
      if (Date.now() >= deadline) throw new DomainError('CONFLICT', 'a request with this key is in progress');
      await sleep(pause);
    }
  });
}

async function run(
  c: Context<AppEnv>,
  next: () => Promise<void>,
  db: Database,
  ours: ReturnType<typeof and>,
  fence: string,
) {
  const claimed = and(ours, sql`created_at = ${fence}::timestamptz`, sql`status is null`);
  try {
    await next();
  } catch (err) {
    await db.delete(idempotencyKeys).where(claimed);
    throw err;
  }
  if (c.res.status >= 500) {
    await db.delete(idempotencyKeys).where(claimed);
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
  await db
    .update(idempotencyKeys)
    .set({ status: c.res.status, body: storable(body) })
    .where(claimed);
}

/**
 * The answer as jsonb can hold it: jsonb refuses the NUL character, which an error message may quote from the
 * request (a path parameter); it is kept as U+FFFD.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  if (Array.isArray(value)) return value.map(storable);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k) as string, storable(v)]));
  }
  return value;
}

/** Deletes records older than the retention (24 h); returns how many. For a periodic job. */
export async function purgeIdempotencyKeys(db: Database, olderThanMs = IDEMPOTENCY_RETENTION_MS): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(Date.now() - olderThanMs)))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
