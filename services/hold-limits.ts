/**
 * Bounds on open holds (README, "Abuse limits"): how many unpaid holds, and how many seats in them, one client may
 * keep at once. A client is counted under two keys: its owner (the customer id its orders are created under: an
 * account with the guests it claimed) and its IP address. Guests are free, so the customer key alone is defeated
 * by minting a guest per hold; the address is the cheapest thing an attacker cannot mint by the thousand. A
 * device fingerprint is not used: the client makes it up.
 *
 * Each key is a sorted set of order ids scored by their hold's expiry (ms), beside a hash of each one's seats and
 * their sum (field "="), both under one hash tag (one Redis Cluster slot). One Lua call drops the expired entries
 * (only those: a range of the sorted set), checks both bounds and records the new hold, atomically, so a burst of
 * concurrent holds gets exactly the limit through; it costs the same with ten open holds or ten thousand. A hold
 * that ended early (paid, cancelled, released) stops counting: when a request is over a bound, the entries whose
 * orders Postgres records as no longer PROPOSED or PAYMENT_PENDING are dropped and the request is checked again
 * (only then: under the bounds, there is nothing to gain from asking). A repeated request for an order already
 * counted (the same offer accepted again) passes.
 */
import { inArray } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database } from '../db/client';
import { orders } from '../db/schema';
import { DomainError } from '../domain/errors';

/**
 * KEYS[1] the open holds (sorted set: order id → expiry ms), KEYS[2] their seats (hash: order id → seats, "=" → the
 * sum). ARGV order id, seats, expiry ms, now ms, max holds, max seats. {ok, holds, seats, soonest expiry}.
 */
const RESERVE_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1, 0, 0, 0} end
local now = tonumber(ARGV[4])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  local freed = 0
  for _, id in ipairs(gone) do
    freed = freed + tonumber(redis.call('HGET', KEYS[2], id) or '0')
    redis.call('HDEL', KEYS[2], id)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HINCRBY', KEYS[2], '=', -freed)
end
local holds = redis.call('ZCARD', KEYS[1])
local seats = tonumber(redis.call('HGET', KEYS[2], '=') or '0')
local n = tonumber(ARGV[2])
if holds + 1 > tonumber(ARGV[5]) or seats + n > tonumber(ARGV[6]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, holds, seats, tonumber(first[2] or '0')}
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], n)
redis.call('HINCRBY', KEYS[2], '=', n)
local ttl = tonumber(ARGV[3]) - now
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return {1, holds + 1, seats + n, 0}`;

/** KEYS as above; ARGV the order ids no longer counted. */
const UNCOUNT_LUA = `
for _, id in ipairs(ARGV) do
  local n = redis.call('HGET', KEYS[2], id)
  if n then
    redis.call('HDEL', KEYS[2], id)
    redis.call('HINCRBY', KEYS[2], '=', -tonumber(n))
  end
  redis.call('ZREM', KEYS[1], id)
end
return 0`;

type LimitedRedis = Redis & {
  altisHoldReserve?(
    open: string,
    seats: string,
    ...args: (string | number)[]
  ): Promise<[number, number, number, number]>;
  altisHoldUncount?(open: string, seats: string, ...orderIds: string[]): Promise<number>;
};

function withScripts(redis: Redis): Required<LimitedRedis> {
  const r = redis as LimitedRedis;
  if (typeof r.altisHoldReserve !== 'function') {
    redis.defineCommand('altisHoldReserve', { numberOfKeys: 2, lua: RESERVE_LUA });
    redis.defineCommand('altisHoldUncount', { numberOfKeys: 2, lua: UNCOUNT_LUA });
  }
  return r as Required<LimitedRedis>;
}

const OPEN = new Set(['PROPOSED', 'PAYMENT_PENDING']);

export interface HoldRequest {
  orderId: string;
  /** The seats the hold takes on each of its flights (infants on a lap take none). */
  seats: number;
  expiresAtMs: number;
  ownerId: string;
  /** The client's address; undefined when unknown (no socket: app.request() in tests), which is not counted. */
  ip: string | undefined;
}

export function createHoldLimits(deps: { db: Database; redis: Redis; config: Pick<AppConfig, 'holds'> }) {
  const { db, redis } = deps;
  const limits = deps.config.holds;
  /** One client's keys: its open holds and their seats, in one Cluster slot (the hash tag). */
  const keysOf = (kind: 'customer' | 'ip', id: string) =>
    [`holds:{${kind}:${id}}:open`, `holds:{${kind}:${id}}:seats`] as const;
  type Keys = ReturnType<typeof keysOf>;
  const uncount = (keys: Keys, ...orderIds: string[]) => withScripts(redis).altisHoldUncount(...keys, ...orderIds);

  /** Drops the entries of orders that Postgres records as no longer open (paid, cancelled, expired). */
  async function prune(keys: Keys): Promise<void> {
    const ids = (await redis.zrange(keys[0], 0, -1)).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    if (ids.length === 0) return;
    const rows = await db.select({ id: orders.id, status: orders.status }).from(orders).where(inArray(orders.id, ids));
    const closed = rows.filter((r) => !OPEN.has(r.status)).map((r) => r.id);
    if (closed.length > 0) await uncount(keys, ...closed);
  }

  async function reserveOne(keys: Keys, who: string, r: HoldRequest, maxHolds: number, maxSeats: number) {
    const attempt = () => {
      const now = Date.now();
      return withScripts(redis).altisHoldReserve(
        ...keys,
        r.orderId,
        r.seats,
        Math.max(r.expiresAtMs, now + 1),
        now,
        maxHolds,
        maxSeats,
      );
    };
    let answer = await attempt();
    if (answer[0] !== 1) {
      await prune(keys); // over a bound: holds that ended early may be making room
      answer = await attempt();
    }
    const [ok, holds, seats, soonest] = answer;
    if (ok === 1) return;
    throw new DomainError(
      'TOO_MANY_HOLDS',
      `too many open holds for this ${who}: at most ${maxHolds} unpaid holds and ${maxSeats} held seats at once; ` +
        'pay for, cancel or let expire one first',
      {
        limit_key: who,
        max_open_holds: maxHolds,
        max_held_seats: maxSeats,
        open_holds: holds,
        held_seats: seats,
        seats_requested: r.seats,
        retry_after_seconds: Math.max(1, Math.ceil((soonest - Date.now()) / 1000)),
      },
    );
  }

  return {
    /**
     * Counts a new hold against its owner and its address, or throws 409 TOO_MANY_HOLDS (nothing counted). The
     * returned `release` uncounts it: call it when the hold was not made after all.
     */
    async reserve(r: HoldRequest): Promise<{ release: () => Promise<void> }> {
      const customerKeys = keysOf('customer', r.ownerId);
      await reserveOne(customerKeys, 'customer', r, limits.max_open_per_customer, limits.max_seats_per_customer);
      const counted = [customerKeys];
      if (r.ip !== undefined) {
        const ipKeys = keysOf('ip', r.ip);
        try {
          await reserveOne(ipKeys, 'address', r, limits.max_open_per_ip, limits.max_seats_per_ip);
        } catch (err) {
          await uncount(customerKeys, r.orderId);
          throw err;
        }
        counted.push(ipKeys);
      }
      return {
        release: async () => {
          for (const keys of counted) await uncount(keys, r.orderId);
        },
      };
    },
  };
}

export type HoldLimits = ReturnType<typeof createHoldLimits>;
