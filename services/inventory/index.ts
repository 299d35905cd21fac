/**
 * Seat inventory: holds, sales and releases per order (the owner), the Redis availability index that search
 * reads, and seat locks.
 *
 * Redis is the fast gate, Postgres the authority. A hold first takes seats in Redis with one Lua script per
 * flight (keys hash-tagged per flight, so they live in one slot), then records them in Postgres with a conditional
 * update that can never oversell; whatever Redis says, Postgres decides. Redis may be wiped at any moment: the
 * index of a flight is rebuilt from Postgres when its key is missing or when the two disagree.
 *
 * Redis keys, per flight F:
 *   avail:{F}  hash  <CABIN> → available, <CABIN>:held, <CABIN>:sold, <CABIN>:cap
 *   holds:{F}  hash  <ownerId>:<CABIN> → "<qty>:<reserved at, ms>"   (0 when copied from Postgres)
 *   settles:{F}  counter of releases and sales, so a rebuild notices one that raced its Postgres snapshot
 *   seatlock:{F}:<seat>  string  ownerId, with a TTL
 * and per owner O: seatlocks:{O}  set  "<F>|<seat>" (so that a release finds the owner's seat locks).
 */
import { and, asc, eq, sql as dsql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database, DbOrTx, Sql } from '../../db/client';
import { cabinClass, flightInventory, flightSeats, inventoryHolds, seatAssignments } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import { appendEvents, type DomainEvent } from '../outbox';

export type Cabin = (typeof cabinClass.enumValues)[number];
export const CABINS: readonly Cabin[] = cabinClass.enumValues;

export interface HoldItem {
  flightId: string;
  cabin: Cabin;
  quantity: number;
}

export interface CabinAvailability {
  cabin: Cabin;
  capacity: number;
  held: number;
  sold: number;
  available: number;
}

export type SeatLockResult = { ok: true } | { ok: false; reason: 'TAKEN' | 'BLOCKED' | 'UNKNOWN_SEAT' | 'LIMIT' };

export interface InventoryDeps {
  db: Database;
  sql: Sql;
  redis: Redis;
  /** A Redis reservation that Postgres does not know yet survives a rebuild for this long (ms). */
  pendingGraceMs?: number;
  /** Test seam: runs between a rebuild's Postgres snapshot and its Redis write, to stage a race there. */
  afterSnapshot?: () => Promise<void>;
}

export const availKey = (flightId: string) => `avail:{${flightId}}`;
export const holdsKey = (flightId: string) => `holds:{${flightId}}`;
export const settlesKey = (flightId: string) => `settles:{${flightId}}`;
export const seatLockKey = (flightId: string, seatNumber: string) => `seatlock:{${flightId}}:${seatNumber}`;
const ownerLocksKey = (ownerId: string) => `seatlocks:{${ownerId}}`;

// ---------------------------------------------------------------------------------------------------------------
// Lua scripts. Each touches the keys of one flight only.

const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Takes seats for one owner on one flight, all cabins or none. An owner that already holds a cabin keeps it. */
const HOLD_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING'} end
${NOW_MS}
local owner = ARGV[1]
local todo = {}
for i = 2, #ARGV, 2 do
  local cabin, qty = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('HEXISTS', KEYS[2], owner .. ':' .. cabin) == 0 then
    local avail = redis.call('HGET', KEYS[1], cabin)
    if not avail then return {'NO_CABIN', cabin} end
    if tonumber(avail) < qty then return {'SOLD_OUT', cabin, avail} end
    todo[#todo + 1] = {cabin, qty}
  end
end
local taken = {'OK'}
for _, c in ipairs(todo) do
  redis.call('HINCRBY', KEYS[1], c[1], -c[2])
  redis.call('HINCRBY', KEYS[1], c[1] .. ':held', c[2])
  redis.call('HSET', KEYS[2], owner .. ':' .. c[1], c[2] .. ':' .. now)
  taken[#taken + 1] = c[1]
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return taken`;

/** Gives an owner's held seats back (release) or turns them into sold seats (sell); returns the cabins it found. */
const settleLua = (mode: 'release' | 'sell') => `
local exists = redis.call('EXISTS', KEYS[1]) == 1
local done = {}
for i = 2, #ARGV do
  local cabin = ARGV[i]
  local field = ARGV[1] .. ':' .. cabin
  local v = redis.call('HGET', KEYS[2], field)
  if v then
    redis.call('HDEL', KEYS[2], field)
    local q = tonumber(string.match(v, '^(%d+)'))
    if exists and redis.call('HEXISTS', KEYS[1], cabin) == 1 then
      redis.call('HINCRBY', KEYS[1], cabin .. ':held', -q)
      ${
        mode === 'release'
          ? `redis.call('HINCRBY', KEYS[1], cabin, q)`
          : `redis.call('HINCRBY', KEYS[1], cabin .. ':sold', q)`
      }
    end
    done[#done + 1] = cabin
  end
end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], 604800000)
return done`;

/**
 * Replaces a flight's index with Postgres' counts and HELD holds, keeping the reservations Redis has that
 * Postgres does not know yet (a hold between its Redis step and its commit) when younger than the grace period;
 * older unknown ones are leaks (a crashed caller) and are dropped, as are owners Postgres knows as SOLD/RELEASED.
 * A release or sale since the caller read the settle counter (before its snapshot) may be missing from the
 * snapshot: then nothing is written and 'RETRY' returned.
 * ARGV: mode ('force' | 'ifmissing'), settle counter read before the snapshot, grace ms, expire-at ms,
 *       n cabins, n × (cabin, capacity, held, sold), m holds, m × (owner:cabin, status, qty).
 */
const REBUILD_LUA = `
if ARGV[1] == 'ifmissing' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if (redis.call('GET', KEYS[3]) or '') ~= ARGV[2] then return 'RETRY' end
${NOW_MS}
local grace, expireAt = tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
local n = tonumber(ARGV[i]) i = i + 1
if n == 0 then return 0 end
local cap, held, sold, order = {}, {}, {}, {}
for _ = 1, n do
  local c = ARGV[i]
  cap[c], held[c], sold[c] = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  order[#order + 1] = c
  i = i + 4
end
local m = tonumber(ARGV[i]) i = i + 1
local known, entries = {}, {}
for _ = 1, m do
  local f, st, q = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  known[f] = st
  if st == 'HELD' then entries[f] = q .. ':0' end
  i = i + 3
end
local cur = redis.call('HGETALL', KEYS[2])
for k = 1, #cur, 2 do
  local f, v = cur[k], cur[k + 1]
  if known[f] == nil then
    local q, ts = string.match(v, '^(%d+):(%d+)$')
    local cabin = string.match(f, ':([A-Z_]+)$')
    if q and cabin and cap[cabin] and now - tonumber(ts) <= grace then
      entries[f] = v
      held[cabin] = held[cabin] + tonumber(q)
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
local a = {}
for _, c in ipairs(order) do
  a[#a + 1] = c a[#a + 1] = cap[c] - held[c] - sold[c]
  a[#a + 1] = c .. ':held' a[#a + 1] = held[c]
  a[#a + 1] = c .. ':sold' a[#a + 1] = sold[c]
  a[#a + 1] = c .. ':cap' a[#a + 1] = cap[c]
end
redis.call('HSET', KEYS[1], unpack(a))
local h = {}
for f, v in pairs(entries) do h[#h + 1] = f h[#h + 1] = v end
if #h > 0 then redis.call('HSET', KEYS[2], unpack(h)) end
-- Keys expire two days after the flight lands; a flight looked at later still gets an hour rather than none.
if expireAt < now + 3600000 then expireAt = now + 3600000 end
redis.call('PEXPIREAT', KEYS[1], expireAt)
if #h > 0 then redis.call('PEXPIREAT', KEYS[2], expireAt) end
return 1`;

/** SET NX PX, or a TTL refresh when the caller already owns the lock. */
const LOCK_LUA = `
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/** Compare-and-delete: only the owner removes its lock. */
const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Arg = string | number;
interface ScriptCommands {
  altisInvHold(avail: string, holds: string, ...args: Arg[]): Promise<string[]>;
  altisInvRelease(avail: string, holds: string, settles: string, ...args: Arg[]): Promise<string[]>;
  altisInvSell(avail: string, holds: string, settles: string, ...args: Arg[]): Promise<string[]>;
  altisSeatLock(key: string, owner: string, ttlMs: number): Promise<number>;
  altisSeatUnlock(key: string, owner: string): Promise<number>;
}
interface ScriptPipeline {
  altisInvRebuild(avail: string, holds: string, settles: string, ...args: Arg[]): ScriptPipeline;
  hgetall(key: string): ScriptPipeline;
  get(key: string): ScriptPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

function withScripts(redis: Redis): Redis & ScriptCommands {
  const r = redis as Redis & Partial<ScriptCommands>;
  if (typeof r.altisInvHold !== 'function') {
    redis.defineCommand('altisInvHold', { numberOfKeys: 2, lua: HOLD_LUA });
    redis.defineCommand('altisInvRelease', { numberOfKeys: 3, lua: settleLua('release') });
    redis.defineCommand('altisInvSell', { numberOfKeys: 3, lua: settleLua('sell') });
    redis.defineCommand('altisInvRebuild', { numberOfKeys: 3, lua: REBUILD_LUA });
    redis.defineCommand('altisSeatLock', { numberOfKeys: 1, lua: LOCK_LUA });
    redis.defineCommand('altisSeatUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
  }
  return redis as Redis & ScriptCommands;
}

// ---------------------------------------------------------------------------------------------------------------
// Input checks and helpers.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEAT = /^\d{1,3}[A-Z]$/;

function checkUuid(value: string, what: string): void {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new DomainError('VALIDATION_FAILED', `${what} must be a UUID`, { [what]: value });
  }
}

/** Validates, merges duplicates (same flight and cabin) and sorts by flight then cabin: the order rows are locked in. */
export function normalizeItems(items: readonly HoldItem[]): HoldItem[] {
  const untrusted: unknown = items; // callers outside TypeScript (activity inputs) may send anything
  if (!Array.isArray(untrusted) || items.length === 0) {
    throw new DomainError('VALIDATION_FAILED', 'a hold needs at least one item');
  }
  const merged = new Map<string, HoldItem>();
  for (const item of items) {
    checkUuid(item.flightId, 'flight_id');
    if (!CABINS.includes(item.cabin)) {
      throw new DomainError('VALIDATION_FAILED', `unknown cabin ${String(item.cabin)}`, { cabin: item.cabin });
    }
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 1) {
      throw new DomainError('VALIDATION_FAILED', 'quantity must be a positive whole number', {
        quantity: item.quantity,
      });
    }
    const key = `${item.flightId.toLowerCase()}|${item.cabin}`;
    const prev = merged.get(key);
    merged.set(key, {
      flightId: item.flightId.toLowerCase(),
      cabin: item.cabin,
      quantity: (prev?.quantity ?? 0) + item.quantity,
    });
  }
  return [...merged.values()].sort((a, b) =>
    a.flightId === b.flightId ? a.cabin.localeCompare(b.cabin) : a.flightId.localeCompare(b.flightId),
  );
}

function byFlight(items: readonly HoldItem[]): Map<string, HoldItem[]> {
  const out = new Map<string, HoldItem[]>();
  for (const item of items) out.set(item.flightId, [...(out.get(item.flightId) ?? []), item]);
  return out;
}

const soldOut = (flightId: string, cabin: string, requested: number, available: number) =>
  new DomainError('SOLD_OUT', `only ${Math.max(0, available)} seat(s) left in ${cabin} on flight ${flightId}`, {
    flight_id: flightId,
    cabin,
    requested,
    available: Math.max(0, available),
  });

/** SeatHeld / SeatReleased: written in the transaction that changes the seat assignment (owner = order id). */
const seatEvent = (
  type: 'SeatHeld' | 'SeatReleased',
  ownerId: string,
  seat: { flightId: string; seatNumber: string },
  reason?: 'UNLOCKED' | 'ORDER_RELEASED',
): DomainEvent => ({
  type,
  aggregateId: ownerId,
  occurredAt: new Date(),
  payload: { order_id: ownerId, flight_id: seat.flightId, seat_number: seat.seatNumber, ...(reason ? { reason } : {}) },
});

const CABIN_RANK: Record<Cabin, number> = { ECONOMY: 0, PREMIUM_ECONOMY: 1, BUSINESS: 2, FIRST: 3 };

/** Reads an avail:{F} hash into per-cabin figures; an empty hash (no key) is null. */
export function parseAvailability(hash: Record<string, string>): CabinAvailability[] | null {
  const out: CabinAvailability[] = [];
  for (const cabin of CABINS) {
    const available = hash[cabin];
    if (available === undefined) continue;
    out.push({
      cabin,
      capacity: Number(hash[`${cabin}:cap`] ?? 0),
      held: Number(hash[`${cabin}:held`] ?? 0),
      sold: Number(hash[`${cabin}:sold`] ?? 0),
      available: Number(available),
    });
  }
  return out.length > 0 ? out.sort((a, b) => CABIN_RANK[a.cabin] - CABIN_RANK[b.cabin]) : null;
}

interface FlightSnapshot {
  id: string;
  arrival_ms: number;
  inv: [Cabin, number, number, number][] | null;
  holds: [string, Cabin, number, string][] | null;
}

// ---------------------------------------------------------------------------------------------------------------

export function createInventory(deps: InventoryDeps) {
  const { db, sql } = deps;
  const redis = withScripts(deps.redis);
  const graceMs = deps.pendingGraceMs ?? 60_000;
  /** Lazy rebuilds in progress, so a burst of searches after a wipe reads Postgres once per flight. */
  const ensuring = new Map<string, Promise<void>>();

  /** Rebuilds the index of these flights from one consistent Postgres snapshot. Returns how many exist. */
  async function rebuildFlights(flightIds: string[], mode: 'force' | 'ifmissing'): Promise<number> {
    let indexed = 0;
    for (let start = 0; start < flightIds.length; start += 500) {
      let chunk = flightIds.slice(start, start + 500);
      // A release or sale racing the snapshot makes the script refuse; a few rounds settle it. The last round
      // writes regardless (the settle counter passed is then the live one), leaving a window no wider than before.
      for (let round = 0; chunk.length > 0; round++) {
        const last = round >= 4;
        const result = await rebuildChunk(chunk, mode, last);
        indexed += result.indexed;
        chunk = result.retry;
      }
    }
    return indexed;
  }

  async function rebuildChunk(chunk: string[], mode: 'force' | 'ifmissing', lastRound: boolean) {
    // The owners Redis holds for (Postgres tells which of them are SOLD or RELEASED, and which it never saw),
    // and the settle counters, read before the snapshot.
    const read = redis.pipeline() as unknown as ScriptPipeline;
    for (const id of chunk) read.hgetall(holdsKey(id)).get(settlesKey(id));
    const current = (await read.exec()) ?? [];
    const owners = new Set<string>();
    const settles = new Map<string, string>();
    chunk.forEach((id, n) => {
      const [errHash, hash] = current[2 * n] ?? [null, {}];
      const [errSettles, count] = current[2 * n + 1] ?? [null, null];
      const err = errHash ?? errSettles;
      if (err) throw err;
      settles.set(id, typeof count === 'string' ? count : '');
      for (const field of Object.keys(hash ?? {})) {
        const owner = field.split(':')[0]!;
        if (UUID.test(owner)) owners.add(owner);
      }
    });
    const rows = await sql<FlightSnapshot[]>`
      SELECT f.id, (extract(epoch FROM f.arrival_at) * 1000)::float8 AS arrival_ms,
        (SELECT json_agg(json_build_array(i.cabin, i.capacity, i.held, i.sold))
           FROM flight_inventory i WHERE i.flight_id = f.id) AS inv,
        (SELECT json_agg(json_build_array(h.order_id, h.cabin, h.quantity, h.status))
           FROM inventory_holds h
          WHERE h.flight_id = f.id AND (h.status = 'HELD' OR h.order_id = ANY(${[...owners]}::uuid[]))) AS holds
      FROM flights f WHERE f.id = ANY(${chunk}::uuid[])`;
    if (deps.afterSnapshot) await deps.afterSnapshot();
    const write = redis.pipeline() as unknown as ScriptPipeline;
    const written: string[] = [];
    for (const row of rows) {
      if (!row.inv || row.inv.length === 0) continue;
      const expected = lastRound ? ((await redis.get(settlesKey(row.id))) ?? '') : settles.get(row.id)!;
      const args: Arg[] = [mode, expected, graceMs, Math.round(row.arrival_ms) + 2 * 86_400_000, row.inv.length];
      for (const [cabin, capacity, held, sold] of row.inv) args.push(cabin, capacity, held, sold);
      const holds = row.holds ?? [];
      args.push(holds.length);
      for (const [owner, cabin, qty, status] of holds) args.push(`${owner}:${cabin}`, status, qty);
      write.altisInvRebuild(availKey(row.id), holdsKey(row.id), settlesKey(row.id), ...args);
      written.push(row.id);
    }
    const retry: string[] = [];
    if (written.length > 0) {
      const results = (await write.exec()) ?? [];
      results.forEach(([err, answer], n) => {
        if (err) throw err;
        if (answer === 'RETRY') retry.push(written[n]!);
      });
    }
    return { indexed: written.length - retry.length, retry };
  }

  /** Builds the index of flights whose key is missing, once per flight however many callers ask at once. */
  async function ensureIndex(flightIds: string[]): Promise<void> {
    const todo = flightIds.filter((id) => !ensuring.has(id));
    if (todo.length > 0) {
      const p = rebuildFlights(todo, 'ifmissing')
        .then(() => undefined)
        .finally(() => todo.forEach((id) => ensuring.delete(id)));
      todo.forEach((id) => ensuring.set(id, p));
    }
    await Promise.all(flightIds.map((id) => ensuring.get(id) ?? Promise.resolve()));
  }

  async function pgAvailable(flightId: string, cabin: Cabin): Promise<number | null> {
    const [row] = await sql<{ available: number }[]>`
      SELECT capacity - held - sold AS available FROM flight_inventory WHERE flight_id = ${flightId} AND cabin = ${cabin}`;
    return row ? row.available : null;
  }

  /** Reserves one flight's cabins in Redis; returns the cabins newly taken (an owner's earlier hold stays). */
  async function reserveFlight(ownerId: string, flightId: string, items: HoldItem[]): Promise<HoldItem[]> {
    const args = items.flatMap((i) => [i.cabin, i.quantity]);
    const run = () => redis.altisInvHold(availKey(flightId), holdsKey(flightId), ownerId, ...args);
    let result = await run();
    if (result[0] === 'MISSING') {
      await ensureIndex([flightId]);
      result = await run();
    } else if (result[0] === 'SOLD_OUT') {
      // Redis may be stale (a leaked reservation, a lost release): ask Postgres, and retry once on a rebuilt index.
      const cabin = result[1] as Cabin;
      const requested = items.find((i) => i.cabin === cabin)!.quantity;
      const pg = await pgAvailable(flightId, cabin);
      if (pg === null || pg < requested) throw soldOut(flightId, cabin, requested, pg ?? 0);
      await rebuildFlights([flightId], 'force');
      result = await run();
    }
    switch (result[0]) {
      case 'OK': {
        const taken = new Set(result.slice(1));
        return items.filter((i) => taken.has(i.cabin));
      }
      case 'MISSING':
        throw new DomainError('NOT_FOUND', `flight ${flightId} was not found`);
      case 'SOLD_OUT': {
        const cabin = result[1]!;
        throw soldOut(flightId, cabin, items.find((i) => i.cabin === cabin)!.quantity, Number(result[2]));
      }
      case 'NO_CABIN':
        throw new DomainError('VALIDATION_FAILED', `flight ${flightId} has no ${result[1]} cabin`, {
          flight_id: flightId,
          cabin: result[1],
        });
      default:
        throw new Error(`unexpected answer from the hold script: ${result.join(' ')}`);
    }
  }

  async function settleIndex(mode: 'release' | 'sell', ownerId: string, items: HoldItem[]): Promise<string[]> {
    const missing: string[] = [];
    await Promise.all(
      [...byFlight(items)].map(async ([flightId, legs]) => {
        const cabins = legs.map((l) => l.cabin);
        const keys = [availKey(flightId), holdsKey(flightId), settlesKey(flightId)] as const;
        const done =
          mode === 'release'
            ? await redis.altisInvRelease(...keys, ownerId, ...cabins)
            : await redis.altisInvSell(...keys, ownerId, ...cabins);
        if (done.length < cabins.length) missing.push(flightId);
      }),
    );
    return missing;
  }

  async function ownerHolds(ownerId: string, status: 'SOLD' | 'RELEASED'): Promise<HoldItem[]> {
    const rows = await db
      .select({ flightId: inventoryHolds.flightId, cabin: inventoryHolds.cabin, quantity: inventoryHolds.quantity })
      .from(inventoryHolds)
      .where(and(eq(inventoryHolds.orderId, ownerId), eq(inventoryHolds.status, status)));
    return rows;
  }

  /** Deletes the owner's Redis seat locks (compare-and-delete, so another owner's lock is never touched). */
  async function dropSeatLocks(ownerId: string): Promise<void> {
    const members = await redis.smembers(ownerLocksKey(ownerId));
    await Promise.all(
      members.map((m) => {
        const [flightId, seat] = m.split('|') as [string, string];
        return redis.altisSeatUnlock(seatLockKey(flightId, seat), ownerId);
      }),
    );
    await redis.del(ownerLocksKey(ownerId));
  }

  // ------------------------------------------------------------------------------------------------------------
  // The Postgres parts, run inside a caller's transaction.

  /**
   * Records the owner's hold of every item in Postgres: an inventory_holds row per flight and cabin (idempotent by
   * its key) and, for each new row, `held += n` only where `capacity - held - sold >= n`. Throws SOLD_OUT when a
   * cabin lacks seats (the caller's transaction must then roll back), HOLD_EXPIRED when the owner's hold was
   * already released.
   */
  async function holdInTx(tx: DbOrTx, ownerId: string, items: readonly HoldItem[]): Promise<void> {
    checkUuid(ownerId, 'owner_id');
    for (const item of normalizeItems(items)) {
      let inserted: { quantity: number }[];
      try {
        inserted = await tx
          .insert(inventoryHolds)
          .values({
            orderId: ownerId,
            flightId: item.flightId,
            cabin: item.cabin,
            quantity: item.quantity,
            status: 'HELD',
          })
          .onConflictDoNothing()
          .returning({ quantity: inventoryHolds.quantity });
      } catch (err) {
        if ((err as { code?: string }).code === '23503') {
          throw new DomainError('NOT_FOUND', `flight ${item.flightId} was not found`);
        }
        throw err;
      }
      if (inserted.length === 0) {
        const [existing] = await tx
          .select({ status: inventoryHolds.status })
          .from(inventoryHolds)
          .where(
            and(
              eq(inventoryHolds.orderId, ownerId),
              eq(inventoryHolds.flightId, item.flightId),
              eq(inventoryHolds.cabin, item.cabin),
            ),
          );
        if (existing?.status === 'RELEASED') {
          throw new DomainError('HOLD_EXPIRED', `the hold of ${ownerId} was released`, { owner_id: ownerId });
        }
        continue; // a retried hold: already counted once
      }
      const updated = await tx
        .update(flightInventory)
        .set({ held: dsql`${flightInventory.held} + ${item.quantity}` })
        .where(
          and(
            eq(flightInventory.flightId, item.flightId),
            eq(flightInventory.cabin, item.cabin),
            dsql`${flightInventory.capacity} - ${flightInventory.held} - ${flightInventory.sold} >= ${item.quantity}`,
          ),
        )
        .returning({ held: flightInventory.held });
      if (updated.length === 0) {
        const [row] = await tx
          .select({
            available: dsql<number>`${flightInventory.capacity} - ${flightInventory.held} - ${flightInventory.sold}`,
          })
          .from(flightInventory)
          .where(and(eq(flightInventory.flightId, item.flightId), eq(flightInventory.cabin, item.cabin)));
        if (!row) {
          throw new DomainError('VALIDATION_FAILED', `flight ${item.flightId} has no ${item.cabin} cabin`, {
            flight_id: item.flightId,
            cabin: item.cabin,
          });
        }
        throw soldOut(item.flightId, item.cabin, item.quantity, Number(row.available));
      }
    }
  }

  /** The owner's holds, locked, in the order every writer locks inventory rows in. */
  async function lockedHolds(tx: DbOrTx, ownerId: string) {
    return tx
      .select({
        flightId: inventoryHolds.flightId,
        cabin: inventoryHolds.cabin,
        quantity: inventoryHolds.quantity,
        status: inventoryHolds.status,
      })
      .from(inventoryHolds)
      .where(eq(inventoryHolds.orderId, ownerId))
      .orderBy(asc(inventoryHolds.flightId), asc(inventoryHolds.cabin))
      .for('update');
  }

  /**
   * Gives back everything the owner has: HELD holds (held -= n) and SOLD ones (sold -= n, a cancellation after
   * payment) become RELEASED, and the owner's seat assignments are deleted. Idempotent: a second call finds nothing.
   * Returns what it released now and the seats it freed.
   */
  async function releaseInTx(
    tx: DbOrTx,
    ownerId: string,
  ): Promise<{ released: (HoldItem & { was: 'HELD' | 'SOLD' })[]; seats: { flightId: string; seatNumber: string }[] }> {
    checkUuid(ownerId, 'owner_id');
    const released: (HoldItem & { was: 'HELD' | 'SOLD' })[] = [];
    for (const h of await lockedHolds(tx, ownerId)) {
      if (h.status === 'RELEASED') continue;
      const column = h.status === 'HELD' ? flightInventory.held : flightInventory.sold;
      await tx
        .update(flightInventory)
        .set(
          h.status === 'HELD' ? { held: dsql`${column} - ${h.quantity}` } : { sold: dsql`${column} - ${h.quantity}` },
        )
        .where(and(eq(flightInventory.flightId, h.flightId), eq(flightInventory.cabin, h.cabin)));
      await tx
        .update(inventoryHolds)
        .set({ status: 'RELEASED', updatedAt: new Date() })
        .where(
          and(
            eq(inventoryHolds.orderId, ownerId),
            eq(inventoryHolds.flightId, h.flightId),
            eq(inventoryHolds.cabin, h.cabin),
          ),
        );
      released.push({ flightId: h.flightId, cabin: h.cabin, quantity: h.quantity, was: h.status });
    }
    const seats = await tx
      .delete(seatAssignments)
      .where(eq(seatAssignments.orderId, ownerId))
      .returning({ flightId: seatAssignments.flightId, seatNumber: seatAssignments.seatNumber });
    await appendEvents(
      tx,
      seats.map((s) => seatEvent('SeatReleased', ownerId, s, 'ORDER_RELEASED')),
    );
    return { released, seats };
  }

  /**
   * Turns the owner's HELD holds into SOLD (held -= n, sold += n) and its HELD seat assignments into SOLD.
   * Idempotent. Throws HOLD_EXPIRED when the hold was released, INVALID_STATE when the owner holds nothing.
   * Returns every item the owner has bought.
   */
  async function sellInTx(tx: DbOrTx, ownerId: string): Promise<HoldItem[]> {
    checkUuid(ownerId, 'owner_id');
    const holds = await lockedHolds(tx, ownerId);
    if (holds.length === 0) throw new DomainError('INVALID_STATE', `${ownerId} holds no seats`, { owner_id: ownerId });
    if (holds.some((h) => h.status === 'RELEASED')) {
      throw new DomainError('HOLD_EXPIRED', `the hold of ${ownerId} was released`, { owner_id: ownerId });
    }
    for (const h of holds) {
      if (h.status !== 'HELD') continue;
      await tx
        .update(flightInventory)
        .set({
          held: dsql`${flightInventory.held} - ${h.quantity}`,
          sold: dsql`${flightInventory.sold} + ${h.quantity}`,
        })
        .where(and(eq(flightInventory.flightId, h.flightId), eq(flightInventory.cabin, h.cabin)));
      await tx
        .update(inventoryHolds)
        .set({ status: 'SOLD', updatedAt: new Date() })
        .where(
          and(
            eq(inventoryHolds.orderId, ownerId),
            eq(inventoryHolds.flightId, h.flightId),
            eq(inventoryHolds.cabin, h.cabin),
          ),
        );
    }
    await tx
      .update(seatAssignments)
      .set({ status: 'SOLD' })
      .where(and(eq(seatAssignments.orderId, ownerId), eq(seatAssignments.status, 'HELD')));
    return holds.map((h) => ({ flightId: h.flightId, cabin: h.cabin, quantity: h.quantity }));
  }

  // ------------------------------------------------------------------------------------------------------------
  // The Redis parts.

  /**
   * Takes the items' seats in the index, per flight, all or nothing: when one flight lacks seats the flights
   * already taken are given back, and SOLD_OUT is thrown. Idempotent per owner. Returns the items newly taken.
   */
  async function reserveIndex(ownerId: string, items: readonly HoldItem[]): Promise<HoldItem[]> {
    checkUuid(ownerId, 'owner_id');
    const results = await Promise.allSettled(
      [...byFlight(normalizeItems(items))].map(([flightId, legs]) => reserveFlight(ownerId, flightId, legs)),
    );
    const taken = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) {
      if (taken.length > 0) await settleIndex('release', ownerId, taken);
      throw failures.find((e) => e instanceof DomainError && e.code === 'SOLD_OUT') ?? failures[0];
    }
    return taken;
  }

  /**
   * Gives the owner's held seats back to the index. With items: exactly those (the compensation of a failed
   * hold), and those flights are refreshed from Postgres, since a failed hold is when the two may disagree.
   * Without: whatever Postgres shows as RELEASED for the owner (after releaseInTx), flights whose seats were sold
   * are refreshed from Postgres; and the owner's seat locks are dropped. Idempotent.
   */
  async function releaseIndex(ownerId: string, items?: readonly HoldItem[]): Promise<void> {
    checkUuid(ownerId, 'owner_id');
    if (items) {
      if (items.length === 0) return;
      const list = normalizeItems(items);
      await settleIndex('release', ownerId, list);
      await rebuildFlights([...byFlight(list).keys()], 'force').catch(() => 0); // best effort: PG may be why it failed
      return;
    }
    const released = await ownerHolds(ownerId, 'RELEASED');
    const stale = await settleIndex('release', ownerId, released);
    if (stale.length > 0) await rebuildFlights(stale, 'force');
    await dropSeatLocks(ownerId);
  }

  /** Moves the owner's held seats to sold in the index (items, or what Postgres shows SOLD). Idempotent. */
  async function sellIndex(ownerId: string, items?: readonly HoldItem[]): Promise<void> {
    checkUuid(ownerId, 'owner_id');
    const list = items ? normalizeItems(items) : await ownerHolds(ownerId, 'SOLD');
    if (list.length > 0) await settleIndex('sell', ownerId, list);
    await dropSeatLocks(ownerId);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Composed: Redis gate, Postgres transaction, compensation.

  /**
   * Holds seats for the owner on every item, all or nothing, idempotently. `inTx` runs in the same Postgres
   * transaction (e.g. the order row and its outbox event).
   */
  async function hold(ownerId: string, items: readonly HoldItem[], inTx?: (tx: DbOrTx) => Promise<void>) {
    const list = normalizeItems(items);
    const taken = await reserveIndex(ownerId, list);
    try {
      await db.transaction(async (tx) => {
        await holdInTx(tx, ownerId, list);
        if (inTx) await inTx(tx);
      });
    } catch (err) {
      // Redis said yes, Postgres said no (or failed): give back what this call took and refresh those flights'
      // index from Postgres, the moment the two may disagree.
      await settleIndex('release', ownerId, taken);
      await rebuildFlights([...byFlight(list).keys()], 'force').catch(() => 0);
      throw err;
    }
  }

  async function release(ownerId: string, inTx?: (tx: DbOrTx) => Promise<void>) {
    const result = await db.transaction(async (tx) => {
      const r = await releaseInTx(tx, ownerId);
      if (inTx) await inTx(tx);
      return r;
    });
    await releaseIndex(ownerId);
    return result;
  }

  async function sell(ownerId: string, inTx?: (tx: DbOrTx) => Promise<void>) {
    const sold = await db.transaction(async (tx) => {
      const r = await sellInTx(tx, ownerId);
      if (inTx) await inTx(tx);
      return r;
    });
    await sellIndex(ownerId);
    return sold;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Reads and rebuilds.

  /** Per-cabin figures of many flights from the index, building missing keys from Postgres. Unknown flights: []. */
  async function availabilityMany(flightIds: readonly string[]): Promise<Map<string, CabinAvailability[]>> {
    const read = async (ids: readonly string[]) => {
      const pipe = redis.pipeline() as unknown as ScriptPipeline;
      for (const id of ids) pipe.hgetall(availKey(id));
      const res = (await pipe.exec()) ?? [];
      return ids.map((id, n) => {
        const [err, hash] = res[n] ?? [null, {}];
        if (err) throw err;
        return [id, parseAvailability(hash as Record<string, string>)] as const;
      });
    };
    const out = new Map<string, CabinAvailability[]>();
    const missing: string[] = [];
    for (const [id, a] of await read(flightIds)) {
      if (a) out.set(id, a);
      else missing.push(id);
    }
    if (missing.length > 0) {
      await ensureIndex(missing);
      for (const [id, a] of await read(missing)) out.set(id, a ?? []);
    }
    return out;
  }

  async function availability(flightId: string): Promise<CabinAvailability[]> {
    checkUuid(flightId, 'flight_id');
    const a = (await availabilityMany([flightId])).get(flightId) ?? [];
    if (a.length === 0) throw new DomainError('NOT_FOUND', `flight ${flightId} was not found`);
    return a;
  }

  /** Rebuilds the index from Postgres: these flights, or every flight that has not landed yet. Returns the count. */
  async function rebuildIndex(flightIds?: readonly string[]): Promise<number> {
    const ids =
      flightIds ?? (await sql<{ id: string }[]>`SELECT id FROM flights WHERE arrival_at > now()`).map((r) => r.id);
    return rebuildFlights([...ids], 'force');
  }

  // ------------------------------------------------------------------------------------------------------------
  // Seat locks.

  /**
   * Locks a seat for the owner: a Redis lock (SET NX PX; the same owner refreshes its TTL) as the fast gate, then
   * the seat assignment in Postgres (its primary key allows one owner per seat), which decides.
   */
  async function lockSeat(p: {
    ownerId: string;
    flightId: string;
    seatNumber: string;
    ttlMs: number;
    /** At most this many seats per flight for the owner (enforced by the inventory facade rework). */
    maxPerFlight?: number;
  }): Promise<SeatLockResult> {
    checkUuid(p.ownerId, 'owner_id');
    checkUuid(p.flightId, 'flight_id');
    if (!Number.isSafeInteger(p.ttlMs) || p.ttlMs < 1) {
      throw new DomainError('VALIDATION_FAILED', 'ttlMs must be a positive whole number of milliseconds');
    }
    if (typeof p.seatNumber !== 'string' || !SEAT.test(p.seatNumber)) return { ok: false, reason: 'UNKNOWN_SEAT' };
    const key = seatLockKey(p.flightId, p.seatNumber);
    if ((await redis.altisSeatLock(key, p.ownerId, p.ttlMs)) === 0) return { ok: false, reason: 'TAKEN' };

    const refuse = async (reason: 'TAKEN' | 'BLOCKED' | 'UNKNOWN_SEAT'): Promise<SeatLockResult> => {
      await redis.altisSeatUnlock(key, p.ownerId);
      return { ok: false, reason };
    };
    try {
      const [seat] = await db
        .select({ blocked: flightSeats.blocked })
        .from(flightSeats)
        .where(and(eq(flightSeats.flightId, p.flightId), eq(flightSeats.seatNumber, p.seatNumber)));
      if (!seat) return await refuse('UNKNOWN_SEAT');
      if (seat.blocked) return await refuse('BLOCKED');
      const inserted = await db.transaction(async (tx) => {
        const rows = await tx
          .insert(seatAssignments)
          .values({ flightId: p.flightId, seatNumber: p.seatNumber, orderId: p.ownerId, status: 'HELD' })
          .onConflictDoNothing()
          .returning({ orderId: seatAssignments.orderId });
        if (rows.length > 0) await appendEvents(tx, [seatEvent('SeatHeld', p.ownerId, p)]);
        return rows;
      });
      if (inserted.length === 0) {
        const [owner] = await db
          .select({ orderId: seatAssignments.orderId })
          .from(seatAssignments)
          .where(and(eq(seatAssignments.flightId, p.flightId), eq(seatAssignments.seatNumber, p.seatNumber)));
        // No row now: its owner let go between our insert and this read; the caller may simply try again.
        if (owner?.orderId !== p.ownerId) return await refuse('TAKEN');
      }
      const member = `${p.flightId}|${p.seatNumber}`;
      await redis
        .multi()
        .sadd(ownerLocksKey(p.ownerId), member)
        .pexpire(ownerLocksKey(p.ownerId), Math.max(p.ttlMs, 86_400_000))
        .exec();
      return { ok: true };
    } catch (err) {
      await redis.altisSeatUnlock(key, p.ownerId).catch(() => 0);
      throw err;
    }
  }

  /** Releases the owner's seat lock and HELD seat assignment; anyone else's is left alone. Returns whether it did. */
  async function unlockSeat(p: { ownerId: string; flightId: string; seatNumber: string }): Promise<boolean> {
    checkUuid(p.ownerId, 'owner_id');
    checkUuid(p.flightId, 'flight_id');
    const unlocked = await redis.altisSeatUnlock(seatLockKey(p.flightId, p.seatNumber), p.ownerId);
    await redis.srem(ownerLocksKey(p.ownerId), `${p.flightId}|${p.seatNumber}`);
    const deleted = await db.transaction(async (tx) => {
      const rows = await tx
        .delete(seatAssignments)
        .where(
          and(
            eq(seatAssignments.flightId, p.flightId),
            eq(seatAssignments.seatNumber, p.seatNumber),
            eq(seatAssignments.orderId, p.ownerId),
            eq(seatAssignments.status, 'HELD'),
          ),
        )
        .returning({ seatNumber: seatAssignments.seatNumber });
      if (rows.length > 0) await appendEvents(tx, [seatEvent('SeatReleased', p.ownerId, p, 'UNLOCKED')]);
      return rows;
    });
    return unlocked === 1 || deleted.length > 0;
  }

  /** The owner's current holds in Postgres (any status), for callers that need to know what an owner has. */
  async function holdsOf(ownerId: string) {
    checkUuid(ownerId, 'owner_id');
    return db
      .select({
        flightId: inventoryHolds.flightId,
        cabin: inventoryHolds.cabin,
        quantity: inventoryHolds.quantity,
        status: inventoryHolds.status,
      })
      .from(inventoryHolds)
      .where(eq(inventoryHolds.orderId, ownerId))
      .orderBy(asc(inventoryHolds.flightId), asc(inventoryHolds.cabin));
  }

  return {
    hold,
    release,
    sell,
    holdInTx,
    releaseInTx,
    sellInTx,
    reserveIndex,
    releaseIndex,
    sellIndex,
    availability,
    availabilityMany,
    rebuildIndex,
    lockSeat,
    unlockSeat,
    holdsOf,
    /** Deletes the index keys of flights that no longer exist (one DEL per flight: one hash slot each). */
    async dropIndex(flightIds: string[]): Promise<void> {
      for (const id of flightIds) await redis.del(availKey(id), holdsKey(id), settlesKey(id));
    },
  };
}

export type Inventory = ReturnType<typeof createInventory>;
