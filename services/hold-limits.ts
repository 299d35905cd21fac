/**
 * Bounds on open holds (README, "Abuse limits"): how many unpaid holds, and how many seats in them, one client may
 * keep at once. A client is counted under two keys: its owner (the customer id its orders are created under: an
 * account with the guests it claimed) and its IP address. Guests are free, so the customer key alone is defeated
 * by minting a guest per hold; the address is the cheapest thing an attacker cannot mint by the thousand. A
 * device fingerprint is not used: the client makes it up.
 *
 * Each key is a Redis hash, field = order id, value = "<seats>:<hold expiry ms>". One Lua call drops the expired
 * entries, checks both bounds and records the new hold, atomically, so a burst of concurrent holds gets exactly
 * the limit through. A hold that ended early (paid, cancelled, released) stops counting: before the check, the
 * entries whose orders Postgres records as no longer PROPOSED or PAYMENT_PENDING are dropped. A repeated request
 * for an order already counted (the same offer accepted again) passes.
 */
import { inArray } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database } from '../db/client';
import { orders } from '../db/schema';
import { DomainError } from '../domain/errors';

/** KEYS[1] the hash; ARGV order id, seats, expiry ms, now ms, max holds, max seats. {ok, holds, seats, next expiry}. */
const RESERVE_LUA = `
local all = redis.call('HGETALL', KEYS[1])
local holds, seats, soonest = 0, 0, 0
local now = tonumber(ARGV[4])
for i = 1, #all, 2 do
  local id, value = all[i], all[i + 1]
  local n, exp = string.match(value, '^(%d+):(%d+)$')
  if id == ARGV[1] then return {1, 0, 0, 0} end
  if n == nil or tonumber(exp) <= now then
    redis.call('HDEL', KEYS[1], id)
  else
    holds = holds + 1
    seats = seats + tonumber(n)
    if soonest == 0 or tonumber(exp) < soonest then soonest = tonumber(exp) end
  end
end
if holds + 1 > tonumber(ARGV[5]) or seats + tonumber(ARGV[2]) > tonumber(ARGV[6]) then
  return {0, holds, seats, soonest}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
local ttl = tonumber(ARGV[3]) - now
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return {1, holds + 1, seats + tonumber(ARGV[2]), 0}`;

type LimitedRedis = Redis & {
  altisHoldReserve?(key: string, ...args: (string | number)[]): Promise<[number, number, number, number]>;
};

function withScript(redis: Redis): Required<Pick<LimitedRedis, 'altisHoldReserve'>> {
  const r = redis as LimitedRedis;
  if (typeof r.altisHoldReserve !== 'function') {
    redis.defineCommand('altisHoldReserve', { numberOfKeys: 1, lua: RESERVE_LUA });
  }
  return r as Required<Pick<LimitedRedis, 'altisHoldReserve'>>;
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
  const keyOf = (kind: 'customer' | 'ip', id: string) => `holds:${kind}:${id}`;

  /** Drops the entries of orders that Postgres records as no longer open (paid, cancelled, expired). */
  async function prune(key: string): Promise<void> {
    const ids = (await redis.hkeys(key)).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    if (ids.length === 0) return;
    const rows = await db.select({ id: orders.id, status: orders.status }).from(orders).where(inArray(orders.id, ids));
    const closed = rows.filter((r) => !OPEN.has(r.status)).map((r) => r.id);
    if (closed.length > 0) await redis.hdel(key, ...closed);
  }

  async function reserveOne(key: string, who: string, r: HoldRequest, maxHolds: number, maxSeats: number) {
    await prune(key);
    const now = Date.now();
    const [ok, holds, seats, soonest] = await withScript(redis).altisHoldReserve(
      key,
      r.orderId,
      r.seats,
      Math.max(r.expiresAtMs, now + 1),
      now,
      maxHolds,
      maxSeats,
    );
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
        retry_after_seconds: Math.max(1, Math.ceil((soonest - now) / 1000)),
      },
    );
  }

  return {
    /**
     * Counts a new hold against its owner and its address, or throws 409 TOO_MANY_HOLDS (nothing counted). The
     * returned `release` uncounts it: call it when the hold was not made after all.
     */
    async reserve(r: HoldRequest): Promise<{ release: () => Promise<void> }> {
      const customerKey = keyOf('customer', r.ownerId);
      await reserveOne(customerKey, 'customer', r, limits.max_open_per_customer, limits.max_seats_per_customer);
      const keys = [customerKey];
      if (r.ip !== undefined) {
        const ipKey = keyOf('ip', r.ip);
        try {
          await reserveOne(ipKey, 'address', r, limits.max_open_per_ip, limits.max_seats_per_ip);
        } catch (err) {
          await redis.hdel(customerKey, r.orderId);
          throw err;
        }
        keys.push(ipKey);
      }
      return {
        release: async () => {
          for (const key of keys) await redis.hdel(key, r.orderId);
        },
      };
    },
  };
}

export type HoldLimits = ReturnType<typeof createHoldLimits>;
