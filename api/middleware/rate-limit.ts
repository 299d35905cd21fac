import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Redis } from 'ioredis';
import { LRUCache } from '../../lib/cache';
import { DomainError } from '../../domain/errors';
import type { AppEnv, Customer } from '../deps';
import { requestLogger } from '../request-logger';

/**
 * Request limits in Redis, per client IP (installed globally), per customer (after auth) and the abuse limits. Each
 * limit is a window that opens at a client's first request and lasts its length (a minute unless said); Redis holds
 * the window's count and is the only authority.
 *
 * The request path does not ask Redis on every request: a process takes a *lease* of tokens from the window (one Lua
 * call: as many as it asks, never past the limit, with the window's remaining time) and spends them locally; a
 * process whose lease ran out asks again, one call at a time per key however many requests wait, and a window that
 * Redis says is spent is refused locally until it ends. A lease starts at one token and doubles while the window
 * keeps being used, up to max(1, limit / LEASE_SHARE). So:
 *  - never more than `limit` requests go through in a window, from any number of processes;
 *  - one process lets through exactly `limit` of any burst (the same answers as counting each request in Redis,
 *    RateLimit-Remaining included);
 *  - with several processes, tokens one has leased and not used are not the others': a client can be refused
 *    at most (processes − 1) × max(1, limit / LEASE_SHARE) requests early in a window (README, "Abuse limits").
 * Every answer carries the tighter limit's RateLimit-* headers.
 */

const WINDOW_MS = 60_000;
const EXEMPT_PATHS = ['/health', '/metrics'];
/** A lease is at most this share of a limit (and at least one token). */
export const LEASE_SHARE = 32;
/** Keys with a lease in one process, at most (the least recently used one is dropped, its tokens with it). */
const MAX_LEASES = 100_000;

/**
 * KEYS[1] the window's counter; ARGV[1] the window (ms), ARGV[2] the tokens asked for, ARGV[3] the limit.
 * Returns {granted, count after, window's remaining ms}. The window opens with the first grant.
 */
const LEASE_LUA = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local granted = math.min(tonumber(ARGV[2]), tonumber(ARGV[3]) - count)
if granted > 0 then count = redis.call('INCRBY', KEYS[1], granted) else granted = 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
elseif ttl == -2 then
  ttl = tonumber(ARGV[1])
end
return {granted, count, ttl}`;

type LeasingRedis = Redis & {
  altisRateLease?(key: string, windowMs: number, want: number, limit: number): Promise<[number, number, number]>;
};

/** A process's lease on one window: Redis's count when it was taken, the tokens not yet spent, when it ends. */
interface Lease {
  count: number;
  left: number;
  endsAt: number;
  size: number;
  pending?: Promise<void>;
}

const leaseTables = new WeakMap<Redis, LRUCache<string, Lease>>();

/** The client with the script registered (EVALSHA, EVAL when the server has not seen it) and its leases. */
function leasing(redis: Redis) {
  let table = leaseTables.get(redis);
  if (!table) {
    redis.defineCommand('altisRateLease', { numberOfKeys: 1, lua: LEASE_LUA });
    table = new LRUCache<string, Lease>({ max: MAX_LEASES });
    leaseTables.set(redis, table);
  }
  return { script: redis as LeasingRedis as Required<Pick<LeasingRedis, 'altisRateLease'>>, table };
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
  exceeded: boolean;
}

const stateOf = (lease: Lease, limit: number, exceeded: boolean): RateLimitState => ({
  limit,
  remaining: Math.max(0, limit - (lease.count - lease.left)),
  resetSeconds: Math.max(1, Math.ceil((lease.endsAt - Date.now()) / 1000)),
  exceeded,
});

/** Counts one request against `key` and reports where the caller stands. */
export async function hit(redis: Redis, key: string, limit: number, windowMs = WINDOW_MS): Promise<RateLimitState> {
  const { script, table } = leasing(redis);
  for (;;) {
    let lease = table.get(key);
    if (lease && !lease.pending && lease.endsAt <= Date.now()) {
      table.delete(key); // the window is over: what it left unspent goes with it
      lease = undefined;
    }
    if (lease) {
      if (lease.left > 0) {
        lease.left--;
        return stateOf(lease, limit, false);
      }
      if (lease.pending) {
        await lease.pending;
        continue;
      }
      if (lease.count >= limit) return stateOf(lease, limit, true);
    }
    const entry: Lease = lease ?? { count: 0, left: 0, endsAt: 0, size: 0 };
    const want = Math.max(1, Math.min(entry.size * 2, Math.floor(limit / LEASE_SHARE)));
    let settle!: () => void;
    entry.pending = new Promise<void>((resolve) => (settle = resolve));
    if (!lease) table.set(key, entry);
    try {
      const [granted, count, ttl] = await script.altisRateLease(key, windowMs, want, limit);
      Object.assign(entry, { count, left: entry.left + granted, size: want, endsAt: Date.now() + ttl });
    } catch (err) {
      if (entry.left === 0) table.delete(key);
      throw err;
    } finally {
      entry.pending = undefined;
      settle();
    }
  }
}

/** The RateLimit-Remaining set on this request so far (the limits run outer to inner). */
const shown = new WeakMap<Context<AppEnv>, number>();

/**
 * Sets the RateLimit-* headers unless an outer limit already set tighter or equal ones. Set before the handler
 * runs, so that they go out with the answer it builds: a header set on a finished answer makes Hono copy it.
 */
function setHeaders(c: Context<AppEnv>, state: RateLimitState) {
  const current = shown.get(c);
  if (current !== undefined && current <= state.remaining) return;
  shown.set(c, state.remaining);
  c.header('RateLimit-Limit', String(state.limit));
  c.header('RateLimit-Remaining', String(state.remaining));
  c.header('RateLimit-Reset', String(state.resetSeconds));
}

interface Window {
  ms: number;
  per: string;
  label?: string;
}
const MINUTE: Window = { ms: WINDOW_MS, per: 'a minute' };

/**
 * Counts one request against the limit `name` for `id` and sets the RateLimit-* headers: 429 RATE_LIMITED with
 * Retry-After over it. Returns the state, or undefined when Redis could not be asked (the request goes through, logged).
 * For a limit whose key is in the request body, a handler calls this once it has validated the body.
 */
export async function enforceLimit(
  c: Context<AppEnv>,
  name: string,
  id: string,
  limit: number,
  window: Window = MINUTE,
): Promise<RateLimitState | undefined> {
  let state: RateLimitState | undefined;
  try {
    state = await hit(c.get('deps').redis, `rl:${name}:${id}`, limit, window.ms);
  } catch (err) {
    // Redis being away must not take the API down with it: let the request through and say so.
    requestLogger(c)?.warn({ err: (err as Error).message, limit: name }, 'rate limit not checked');
  }
  if (state?.exceeded) {
    c.header('Retry-After', String(state.resetSeconds));
    setHeaders(c, state);
    throw new DomainError(
      'RATE_LIMITED',
      `too many requests: at most ${state.limit} ${window.per} per ${window.label ?? name}`,
      { retry_after_seconds: state.resetSeconds },
    );
  }
  if (state) setHeaders(c, state);
  return state;
}

function limitBy(
  name: string,
  key: (c: Context<AppEnv>) => string | undefined,
  limit: (c: Context<AppEnv>) => number,
  window: Window = MINUTE,
) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const id = key(c);
    if (id === undefined) return next();
    await enforceLimit(c, name, id, limit(c), window);
    await next();
  });
}

/** The client's address: the socket's peer, or the last X-Forwarded-For hop when config trusts a proxy. */
export function clientIp(c: Context<AppEnv>): string {
  if (c.get('deps').config.rate_limit.trust_forwarded_for) {
    const hops = (c.req.header('X-Forwarded-For') ?? '').split(',').map((s) => s.trim());
    const last = hops.filter((h) => h !== '').pop();
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // no socket, e.g. app.request() in tests
  }
}

/**
 * Per-IP limit, installed globally by createApp. /health and /metrics are exempt. A request whose address is
 * unknown (no socket: app.request() in tests) is not counted, so that test files do not share one bucket.
 */
const limitByIp = limitBy(
  'ip',
  (c) => {
    const ip = clientIp(c);
    return ip === 'unknown' ? undefined : ip;
  },
  (c) => c.get('deps').config.rate_limit.per_ip_per_minute,
);

export const rateLimitByIp = createMiddleware<AppEnv>(async (c, next) => {
  if (EXEMPT_PATHS.some((p) => c.req.path === p || c.req.path.startsWith(`${p}/`))) return next();
  return limitByIp(c, next);
});

/** The client's address for per-address limits; undefined when it is unknown (no socket: app.request()). */
export function knownClientIp(c: Context<AppEnv>): string | undefined {
  const ip = clientIp(c);
  return ip === 'unknown' ? undefined : ip;
}

/**
 * New guests per client IP per hour (POST /v1/auth/guest): a guest is free and starts a fresh per-customer bucket,
 * so without this one address could mint identities without end (README, "Abuse limits").
 */
export const rateLimitGuestsByIp = limitBy(
  'guest-ip',
  knownClientIp,
  (c) => c.get('deps').config.rate_limit.guests_per_ip_per_hour,
  { ms: 3_600_000, per: 'an hour', label: 'address for new guests' },
);

/**
 * Counts a new hold against the caller's open-hold bounds (services/hold-limits.ts), then makes it with `hold`;
 * the count is undone when no hold was made (`made` says from its result, or it threw). Over a bound: 409
 * TOO_MANY_HOLDS with Retry-After (when the caller's soonest hold runs out).
 */
export async function withinHoldLimits<T>(
  c: Context<AppEnv>,
  r: { orderId: string; seats: number; holdSeconds: number; ownerId: string },
  hold: () => Promise<T>,
  made: (result: T) => boolean,
): Promise<T> {
  let reservation;
  try {
    reservation = await c.get('deps').services.holdLimits.reserve({
      orderId: r.orderId,
      seats: r.seats,
      expiresAtMs: Date.now() + r.holdSeconds * 1000,
      ownerId: r.ownerId,
      ip: knownClientIp(c),
    });
  } catch (err) {
    if (err instanceof DomainError && err.code === 'TOO_MANY_HOLDS') {
      const retry = (err.details as { retry_after_seconds?: number } | undefined)?.retry_after_seconds;
      if (retry !== undefined) c.header('Retry-After', String(retry));
    }
    throw err;
  }
  let result: T;
  try {
    result = await hold();
  } catch (err) {
    await reservation.release();
    throw err;
  }
  if (!made(result)) await reservation.release();
  return result;
}

/** Booking look-ups (POST /v1/orders/lookup) per client IP per hour: with the per-reference limit, bounds guessing. */
export const rateLimitLookupsByIp = limitBy(
  'lookup-ip',
  knownClientIp,
  (c) => c.get('deps').config.rate_limit.order_lookups_per_ip_per_hour,
  { ms: 3_600_000, per: 'an hour', label: 'address for booking look-ups' },
);

/** Per-customer limit: `use` it after `requireAuth`. */
export const rateLimitByCustomer = limitBy(
  'customer',
  (c) => (c.get('customer') as Customer | undefined)?.id,
  (c) => c.get('deps').config.rate_limit.per_customer_per_minute,
);
