/**
 * The availability index in Redis, what search reads: per flight, the per-cabin figures and one entry per
 * owner's held cabin. The fast gate of a hold, never the authority: it is rebuilt from Postgres when its key is
 * missing (Redis keeps nothing on disk here), when a hold finds it stale, and after a failed hold.
 */
import type { Sql } from '../../db/client';
import { DomainError } from '../../domain/errors';
import { availKey, holdsKey, indexKeys, settlesKey } from './keys';
import { byFlight, parseAvailability, soldOut, UUID, type Cabin, type CabinAvailability, type HoldItem } from './items';
import { scriptPipeline, type Arg, type ScriptedRedis } from './scripts';

interface FlightSnapshot {
  id: string;
  arrival_ms: number;
  inv: [Cabin, number, number, number][] | null;
  holds: [string, Cabin, number, string][] | null;
}

export interface RedisIndexDeps {
  sql: Sql;
  redis: ScriptedRedis;
  /** A Redis reservation that Postgres does not know yet survives a rebuild for this long (ms). */
  graceMs: number;
  /** Test seam: runs between a rebuild's Postgres snapshot and its Redis write, to stage a race there. */
  afterSnapshot?: () => Promise<void>;
}

export function createRedisIndex(deps: RedisIndexDeps) {
  const { sql, redis, graceMs } = deps;
  /** Lazy rebuilds in progress, so a burst of searches after a wipe reads Postgres once per flight. */
  const ensuring = new Map<string, Promise<void>>();

  /** Rebuilds the index of these flights from one consistent Postgres snapshot. Returns how many exist. */
  async function rebuild(flightIds: readonly string[], mode: 'force' | 'ifmissing'): Promise<number> {
    let indexed = 0;
    for (let start = 0; start < flightIds.length; start += 500) {
      let chunk = flightIds.slice(start, start + 500);
      // A release or sale racing the snapshot makes the script refuse; a few rounds settle it. The last round
      // writes regardless (the settle counter passed is then the live one), leaving a window no wider than before.
      for (let round = 0; chunk.length > 0; round++) {
        const result = await rebuildChunk(chunk, mode, round >= 4);
        indexed += result.indexed;
        chunk = result.retry;
      }
    }
    return indexed;
  }

  async function rebuildChunk(chunk: string[], mode: 'force' | 'ifmissing', lastRound: boolean) {
    // The owners Redis holds for (Postgres tells which of them are SOLD or RELEASED, and which it never saw),
    // and the settle counters, read before the snapshot.
    const read = scriptPipeline(redis);
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
    const write = scriptPipeline(redis);
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
  async function ensure(flightIds: string[]): Promise<void> {
    const todo = flightIds.filter((id) => !ensuring.has(id));
    if (todo.length > 0) {
      const p = rebuild(todo, 'ifmissing')
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

  /** Reserves one flight's cabins; returns the cabins newly taken (an owner's earlier hold stays). */
  async function reserveFlight(ownerId: string, flightId: string, items: HoldItem[]): Promise<HoldItem[]> {
    const args = items.flatMap((i) => [i.cabin, i.quantity]);
    const run = () => redis.altisInvHold(availKey(flightId), holdsKey(flightId), ownerId, ...args);
    let result = await run();
    if (result[0] === 'MISSING') {
      await ensure([flightId]);
      result = await run();
    } else if (result[0] === 'SOLD_OUT') {
      // Redis may be stale (a leaked reservation, a lost release): ask Postgres, and retry once on a rebuilt index.
      const cabin = result[1] as Cabin;
      const requested = items.find((i) => i.cabin === cabin)!.quantity;
      const pg = await pgAvailable(flightId, cabin);
      if (pg === null || pg < requested) throw soldOut(flightId, cabin, requested, pg ?? 0);
      await rebuild([flightId], 'force');
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

  /**
   * Gives back or sells the owner's entries for these items, per flight. Idempotent (an entry is settled once).
   * Returns the flights where an entry was missing, whose figures may then be off and want a rebuild.
   */
  async function settle(mode: 'release' | 'sell', ownerId: string, items: readonly HoldItem[]): Promise<string[]> {
    const missing: string[] = [];
    await Promise.all(
      [...byFlight(items)].map(async ([flightId, legs]) => {
        const cabins = legs.map((l) => l.cabin);
        const keys = [availKey(flightId), holdsKey(flightId), settlesKey(flightId)] as const;
        const done = await redis.altisInvSettle(...keys, ownerId, mode, ...cabins);
        if (done.length < cabins.length) missing.push(flightId);
      }),
    );
    return missing;
  }

  return {
    rebuild,

    /**
     * Takes the items' seats (normalized items), per flight, all or nothing: when one flight lacks seats the
     * flights already taken are given back, and SOLD_OUT is thrown. Idempotent per owner. Returns what it took.
     */
    async reserve(ownerId: string, items: readonly HoldItem[]): Promise<HoldItem[]> {
      const results = await Promise.allSettled(
        [...byFlight(items)].map(([flightId, legs]) => reserveFlight(ownerId, flightId, legs)),
      );
      const taken = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (failures.length > 0) {
        if (taken.length > 0) await settle('release', ownerId, taken);
        throw failures.find((e) => e instanceof DomainError && e.code === 'SOLD_OUT') ?? failures[0];
      }
      return taken;
    },

    settle,

    /** Per-cabin figures of many flights, building missing keys from Postgres. Unknown flights: []. */
    async availabilityMany(flightIds: readonly string[]): Promise<Map<string, CabinAvailability[]>> {
      const read = async (ids: readonly string[]) => {
        const pipe = scriptPipeline(redis);
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
        await ensure(missing);
        for (const [id, a] of await read(missing)) out.set(id, a ?? []);
      }
      return out;
    },

    /** Deletes these flights' index keys; the next read or hold rebuilds them from Postgres. */
    async drop(flightIds: readonly string[]): Promise<void> {
      if (flightIds.length === 0) return;
      const pipe = scriptPipeline(redis);
      for (const id of flightIds) pipe.del(...indexKeys(id)); // one flight per command: one Cluster slot each
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    },
  };
}

export type RedisIndex = ReturnType<typeof createRedisIndex>;
