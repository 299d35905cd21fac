/**
 * Helpers of the abuse tests (security, fuzz): raw HTTP requests from an address of the test's own, the
 * error-shape check, and a footprint of what a set of customers has in Postgres, to show that a rejected
 * request changed nothing.
 */
import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Sql } from '../../db/client';

/**
 * Rate-limit settings for a stack that takes many requests: the per-IP limit keys on X-Forwarded-For, so the
 * test's requests count against an address of its own (`testIp()`) and never against 127.0.0.1, which the
 * other test files running at the same time share.
 */
export const ABUSE_STACK_ENV = {
  APP_RATE_LIMIT__TRUST_FORWARDED_FOR: 'true',
  APP_RATE_LIMIT__PER_IP_PER_MINUTE: '1000000',
  APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '1000000',
};

export const testIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

export interface ProbeResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

export interface ProbeRequest {
  token?: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Content-Type; defaults to application/json when there is a body. `null` sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
}

/**
 * A raw HTTP client of the API: any body, any content type, the caller's own X-Forwarded-For. Each request has
 * a connection of its own (no keep-alive pool), so that a connection the server closes after refusing a body it
 * did not read (413) cannot fail the next request that would have reused it.
 */
export function probeClient(baseUrl: string, ip: string) {
  return function send(method: string, path: string, req: ProbeRequest = {}): Promise<ProbeResponse> {
    const headers: Record<string, string> = { 'X-Forwarded-For': ip, ...req.headers };
    const body =
      req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    if (body !== undefined && req.contentType !== null) headers['Content-Type'] = req.contentType ?? 'application/json';
    if (req.token) headers.Authorization = `Bearer ${req.token}`;
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const request = httpRequest(new URL(path, baseUrl), { method, headers, agent: false }, (res) => {
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) responseHeaders.set(k, Array.isArray(v) ? v.join(', ') : v);
        }
        const status = res.statusCode ?? 0;
        if (responseHeaders.get('content-type')?.startsWith('text/event-stream')) {
          res.destroy(); // a live stream never ends: its status and headers are the answer
          resolve({ status, headers: responseHeaders, text: '', json: undefined });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status, headers: responseHeaders, text, json });
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  };
}

export type Send = ReturnType<typeof probeClient>;

/** What is wrong with an error answer's shape, or null when it is `{ error: { code, message, details? } }` JSON. */
export function errorShapeProblem(res: ProbeResponse): string | null {
  if (!res.headers.get('content-type')?.startsWith('application/json')) {
    return `content-type ${res.headers.get('content-type')}`;
  }
  const error = (res.json as { error?: Record<string, unknown> } | undefined)?.error;
  if (!error || typeof error !== 'object') return 'no error object';
  if (typeof error.code !== 'string' || !/^[A-Z_]+$/.test(error.code)) return `code ${String(error.code)}`;
  if (typeof error.message !== 'string' || error.message === '') return 'no message';
  if (typeof error.request_id !== 'string' || error.request_id === '') return 'no request_id';
  // A replayed answer (Idempotency-Key) is the first one, naming the first request (Original-Request-Id).
  const replayed = res.headers.get('idempotent-replayed') === 'true';
  const id = replayed ? res.headers.get('original-request-id') : res.headers.get('x-request-id');
  if (id !== error.request_id)
    return `request_id is not the ${replayed ? 'Original-Request-Id' : 'X-Request-Id'} header`;
  const extra = Object.keys(error).filter((k) => !['code', 'message', 'details', 'request_id'].includes(k));
  return extra.length > 0 ? `unexpected keys ${extra.join(',')}` : null;
}

/** Whose rows a footprint covers: customers (and their orders), and emails that must not become accounts. */
export interface FootprintScope {
  customerIds: string[];
  emails?: string[];
  /** Payment webhook event ids that must not be recorded. */
  webhookEventIds?: string[];
}

/**
 * Everything a set of customers has: their customer rows (and accounts by email), orders with status and
 * version, travelers, items, payments, holds, seat assignments, outbox events, idempotency keys. Scoped rather
 * than whole-table counts because other test files write to the same database at the same time. Idempotency
 * records of rejections (4xx but 402) are left out: the middleware keeps a rejected answer under its key so that
 * a retry with the key replays it (test/integration/idempotency.test.ts), which records the answer, not a change.
 */
export async function footprint(sql: Sql, scope: FootprintScope): Promise<Record<string, unknown>> {
  const ids = scope.customerIds;
  // A NUL cannot be a query parameter (nor stored): such values cannot have been recorded anyway.
  const storable = (xs: string[] = []) => xs.filter((x) => !x.includes('\u0000'));
  const emails = storable(scope.emails).map((e) => e.toLowerCase());
  const events = storable(scope.webhookEventIds);
  const [row] = await sql<Record<string, unknown>[]>`
    WITH o AS (SELECT id, status, version, total_amount FROM orders WHERE customer_id = ANY(${ids}::uuid[]))
    SELECT
      (SELECT count(*)::int FROM customers
        WHERE id = ANY(${ids}::uuid[]) OR claimed_by_id = ANY(${ids}::uuid[]) OR email = ANY(${emails}::text[])) AS customers,
      (SELECT count(*)::int FROM customers WHERE id = ANY(${ids}::uuid[]) AND claimed_by_id IS NOT NULL) AS claimed,
      (SELECT coalesce(string_agg(id || ':' || status || ':' || version || ':' || total_amount, ',' ORDER BY id), '')
         FROM o) AS orders,
      (SELECT count(*)::int FROM travelers WHERE order_id IN (SELECT id FROM o)) AS travelers,
      (SELECT count(*)::int FROM order_items WHERE order_id IN (SELECT id FROM o)) AS items,
      (SELECT coalesce(string_agg(status, ',' ORDER BY order_id, attempt), '') FROM payments
         WHERE order_id IN (SELECT id FROM o)) AS payments,
      (SELECT coalesce(string_agg(status || quantity, ',' ORDER BY order_id, flight_id), '') FROM inventory_holds
         WHERE order_id IN (SELECT id FROM o)) AS holds,
      (SELECT coalesce(string_agg(seat_number || status, ',' ORDER BY order_id, seat_number), '') FROM seat_assignments
         WHERE order_id IN (SELECT id FROM o)) AS seats,
      (SELECT count(*)::int FROM outbox WHERE aggregate_id IN (SELECT id::text FROM o)) AS outbox,
      (SELECT count(*)::int FROM idempotency_keys WHERE customer_id = ANY(${ids}::uuid[])
         AND (status IS NULL OR status < 400 OR status = 402)) AS idempotency_keys,
      (SELECT count(*)::int FROM webhook_events WHERE id = ANY(${events}::text[])) AS webhook_events`;
  return row!;
}

/** The tables an injection would go after: each must still exist and answer a count. */
export const CORE_TABLES = [
  'customers',
  'orders',
  'travelers',
  'order_items',
  'payments',
  'outbox',
  'idempotency_keys',
  'webhook_events',
  'flights',
  'flight_inventory',
  'flight_seats',
  'seat_assignments',
  'inventory_holds',
];

export async function missingTables(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string; exists: boolean }[]>`
    SELECT t AS name, to_regclass('public.' || t) IS NOT NULL AS exists FROM unnest(${CORE_TABLES}::text[]) AS t`;
  for (const r of rows.filter((r) => r.exists)) await sql`SELECT count(*) FROM ${sql(r.name)}`;
  return rows.filter((r) => !r.exists).map((r) => r.name);
}
