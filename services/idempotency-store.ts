/**
 * Idempotency keys in Postgres (table idempotency_keys, unique per customer and key): the claims and stored
 * answers behind the API's `Idempotency-Key` middleware (api/middleware/idempotency.ts), and their purge, which
 * the worker's housekeeping runs.
 */
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { idempotencyKeys } from '../db/schema';

/** How long an answer is kept for replay. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyRequest {
  customerId: string;
  key: string;
  method: string;
  /** The path as sent (percent-encoded). */
  path: string;
  requestHash: string;
}

/** What a repeat finds: the first request's hash, and its answer once it has one (status null: still running). */
export interface StoredIdempotencyKey {
  requestHash: string;
  status: number | null;
  body: unknown;
}

/** A claim: `fence` is its created_at, which fences the claimant's later writes against a takeover. */
export interface IdempotencyClaim {
  customerId: string;
  key: string;
  fence: string;
}

export interface IdempotencyStore {
  /**
   * Claims the key: a new key, a record past the retention, or a claim with no answer older than `lockTimeoutMs`
   * (a crashed process). Null when someone else holds it.
   */
  claim(request: IdempotencyRequest, lockTimeoutMs: number): Promise<IdempotencyClaim | null>;
  find(customerId: string, key: string): Promise<StoredIdempotencyKey | undefined>;
  /** Stores the answer of a claim (if the claim is still ours). */
  complete(claim: IdempotencyClaim, status: number, body: unknown): Promise<void>;
  /** Gives the key up (the request failed), so that the client can retry with it. */
  release(claim: IdempotencyClaim): Promise<void>;
}

export function createIdempotencyStore(db: Database): IdempotencyStore {
  const ours = (customerId: string, key: string) =>
    and(eq(idempotencyKeys.customerId, customerId), eq(idempotencyKeys.key, key));
  const claimed = (c: IdempotencyClaim) =>
    and(ours(c.customerId, c.key), sql`created_at = ${c.fence}::timestamptz`, sql`status is null`);

  return {
    async claim(request, lockTimeoutMs) {
      // created_at as text, to keep its microseconds for the fence.
      const [claim] = await db
        .insert(idempotencyKeys)
        .values(request)
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
      return claim ? { customerId: request.customerId, key: request.key, fence: claim.fence } : null;
    },

    async find(customerId, key) {
      const [stored] = await db
        .select({
          requestHash: idempotencyKeys.requestHash,
          status: idempotencyKeys.status,
          body: idempotencyKeys.body,
        })
        .from(idempotencyKeys)
        .where(ours(customerId, key));
      return stored;
    },

    async complete(claim, status, body) {
      await db
        .update(idempotencyKeys)
        .set({ status, body: storable(body) })
        .where(claimed(claim));
    },

    async release(claim) {
      await db.delete(idempotencyKeys).where(claimed(claim));
    },
  };
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
