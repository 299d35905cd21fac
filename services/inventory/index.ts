/**
 * Seat inventory, the one way in: holds, sales and releases per owner (an order id), seat locks, and the
 * availability that search reads. Activities, the API and the tests all call this facade; its steps are private.
 *
 * Redis is the fast gate, Postgres the authority (DESIGN.md, "Inventory and holds"). A hold first takes seats in
 * Redis with one Lua script per flight (redis-index.ts; keys hash-tagged per flight, keys.ts), then records them in
 * Postgres with a conditional update that can never oversell (postgres-holds.ts); whatever Redis says, Postgres
 * decides. Releases and sales go the other way: Postgres first, then the index follows what Postgres committed.
 * Seat locks (seat-locks.ts) work the same way: a Redis lock, then the seat assignment's primary key.
 *
 * Every write takes an optional `inTx`: the caller's own writes (the order row, a state transition and its outbox
 * events), run in the same Postgres transaction, so that inventory and order never disagree.
 */
import type { Redis } from 'ioredis';
import type { Database, DbOrTx, Sql } from '../../db/client';
import { DomainError } from '../../domain/errors';
import { publishSeatEvents } from '../seat-events';
import { byFlight, checkUuid, normalizeItems, type CabinAvailability, type HoldItem, type Seat } from './items';
import { createAdmission } from './admission';
import {
  holdInTx,
  holdsOn,
  ownerHolds,
  reholdInTx,
  releaseFlightsInTx,
  releaseInTx,
  sellFlightsInTx,
  sellInTx,
  type ReleasedItem,
} from './postgres-holds';
import { createRedisIndex } from './redis-index';
import { withScripts } from './scripts';
import { createSeatLocks, type SeatLockRequest } from './seat-locks';
import type { Cabin } from './items';

export { CABINS, type Cabin, type CabinAvailability, type HoldItem, type SeatLockResult } from './items';

export interface InventoryDeps {
  db: Database;
  sql: Sql;
  redis: Redis;
  /** A Redis reservation that Postgres does not know yet survives a rebuild for this long (ms). */
  pendingGraceMs?: number;
  /** Test seam: runs between a rebuild's Postgres snapshot and its Redis write, to stage a race there. */
  afterSnapshot?: () => Promise<void>;
}

type InTx = (tx: DbOrTx) => Promise<void>;

export function createInventory(deps: InventoryDeps) {
  const { db, sql } = deps;
  const redis = withScripts(deps.redis);
  const index = createRedisIndex({
    sql,
    redis,
    graceMs: deps.pendingGraceMs ?? 60_000,
    ...(deps.afterSnapshot ? { afterSnapshot: deps.afterSnapshot } : {}),
  });
  const seatLocks = createSeatLocks({ db, redis });
  const admission = createAdmission({ redis, ensureIndexed: (ids) => index.availabilityMany(ids) });

  /** Brings the index along with the owner's RELEASED holds in Postgres; refreshes flights it could not settle. */
  async function indexReleased(ownerId: string): Promise<void> {
    const stale = await index.settle('release', ownerId, await ownerHolds(db, ownerId, 'RELEASED'));
    if (stale.length > 0) await index.rebuild(stale, 'force');
  }

  /** Brings the index along with the owner's SOLD holds in Postgres. */
  async function indexSold(ownerId: string): Promise<void> {
    const sold = await ownerHolds(db, ownerId, 'SOLD');
    if (sold.length > 0) await index.settle('sell', ownerId, sold);
  }

  /**
   * Release and sell alike: `inTx` then the Postgres move in one transaction, then the index, the owner's seat
   * locks and the seat events. The index follows Postgres even when the transaction throws: a retry whose inTx
   * refuses (the order already moved on) still brings it along.
   */
  async function settleOwner<R extends { seats: Seat[] }>(
    ownerId: string,
    inTx: InTx | undefined,
    move: (tx: DbOrTx, ownerId: string) => Promise<R>,
    follow: (ownerId: string) => Promise<void>,
    event: 'seat.released' | 'seat.sold',
  ): Promise<R> {
    checkUuid(ownerId, 'owner_id');
    let result: R;
    try {
      result = await db.transaction(async (tx) => {
        if (inTx) await inTx(tx);
        return move(tx, ownerId);
      });
    } catch (err) {
      await follow(ownerId).catch(() => undefined);
      throw err;
    }
    await follow(ownerId);
    await seatLocks.dropOwnerLocks(ownerId);
    await publishSeatEvents(redis, event, result.seats);
    return result;
  }

  return {
    /**
     * Holds seats for the owner on every item, all or nothing, idempotently: the Redis gate, then one Postgres
     * transaction (the conditional `held += n`, the hold rows, then `inTx`). On any failure gives back exactly
     * what this call took in Redis and refreshes those flights' index. Throws SOLD_OUT, NOT_FOUND,
     * VALIDATION_FAILED or HOLD_EXPIRED (the owner's hold was released).
     */
    async hold(ownerId: string, items: HoldItem[], inTx?: InTx): Promise<void> {
      checkUuid(ownerId, 'owner_id');
      const list = normalizeItems(items);
      const taken = await index.reserve(ownerId, list);
      try {
        await db.transaction(async (tx) => {
          await holdInTx(tx, ownerId, list);
          if (inTx) await inTx(tx);
        });
      } catch (err) {
        // Redis said yes, Postgres said no (or failed): the moment the two may disagree. Best effort: Postgres
        // may be why it failed, and a reservation left behind is dropped by a later rebuild as a leak.
        await index.settle('release', ownerId, taken).catch(() => []);
        await index.rebuild([...byFlight(list).keys()], 'force').catch(() => 0);
        throw err;
      }
    },

    /**
     * Takes back the seats of an owner whose holds were all released (an expired order reinstated by a late
     * payment), all or nothing, in one Postgres transaction with `inTx` first (the order's own writes, which may
     * refuse by throwing): the authority decides alone (no Redis gate: a rare path), then the index of those
     * flights is rebuilt from what Postgres committed. Seats are not re-assigned (they are chosen again). Throws
     * SOLD_OUT when a cabin no longer has the seats, INVALID_STATE when the owner has no released hold.
     */
    async rehold(ownerId: string, inTx?: InTx): Promise<HoldItem[]> {
      checkUuid(ownerId, 'owner_id');
      const items = await db.transaction(async (tx) => {
        if (inTx) await inTx(tx);
        return reholdInTx(tx, ownerId);
      });
      await index.rebuild([...byFlight(items).keys()], 'force');
      return items;
    },

    /**
     * Gives back everything the owner has (held and sold seats, seat assignments) in one Postgres transaction,
     * `inTx` first (so it can refuse by throwing before anything is released), then the index and the owner's
     * seat locks; publishes seat.released for the freed seats. Idempotent: a second call releases nothing.
     */
    async release(ownerId: string, inTx?: InTx): Promise<{ released: ReleasedItem[]; seats: Seat[] }> {
      return settleOwner(ownerId, inTx, releaseInTx, indexReleased, 'seat.released');
    },

    /**
     * Turns the owner's held seats into sold ones in one Postgres transaction (`inTx` first, as in release), then
     * in the index; the owner's seat assignments become SOLD and seat.sold is published for those. Idempotent.
     * Returns every item the owner has bought. Throws HOLD_EXPIRED (released) or INVALID_STATE (holds nothing).
     */
    async sell(ownerId: string, inTx?: InTx): Promise<HoldItem[]> {
      return (await settleOwner(ownerId, inTx, sellInTx, indexSold, 'seat.sold')).sold;
    },

    /**
     * A voluntary change's two moves in one Postgres transaction: the owner's HELD seats on `sell` (the new
     * flights, held before) become sold and everything it has on `release` (the old flights) is given back, with
     * `inTx` first (the order's own writes). Never both kept, never both lost: either all of it commits or none.
     * Then the index follows (a sold seat given back has no entry to settle: those flights are rebuilt).
     */
    async exchange(
      ownerId: string,
      flights: { sell: readonly string[]; release: readonly string[] },
      inTx?: InTx,
    ): Promise<{ sold: HoldItem[]; released: ReleasedItem[] }> {
      checkUuid(ownerId, 'owner_id');
      const result = await db.transaction(async (tx) => {
        if (inTx) await inTx(tx);
        const sold = await sellFlightsInTx(tx, ownerId, flights.sell);
        const released = await releaseFlightsInTx(tx, ownerId, flights.release);
        return { sold, released };
      });
      const stale = await index.settle('sell', ownerId, result.sold.sold);
      const refresh = new Set([...stale, ...result.released.released.map((r) => r.flightId)]);
      if (refresh.size > 0) await index.rebuild([...refresh], 'force');
      await publishSeatEvents(redis, 'seat.sold', result.sold.seats);
      await publishSeatEvents(redis, 'seat.released', result.released.seats);
      return { sold: result.sold.sold, released: result.released.released };
    },

    /**
     * Gives back the owner's holds on these flights only (a change whose payment failed gives back the new
     * flights it held; `forget`: as if never held, so the same flights may be held again), then the index.
     */
    async releaseFlights(
      ownerId: string,
      flightIds: readonly string[],
      opts: { forget?: boolean } = {},
    ): Promise<ReleasedItem[]> {
      checkUuid(ownerId, 'owner_id');
      const result = await db.transaction((tx) => releaseFlightsInTx(tx, ownerId, flightIds, opts));
      const held = result.released.filter((r) => r.was === 'HELD');
      const stale = await index.settle('release', ownerId, held);
      const refresh = new Set([...stale, ...result.released.filter((r) => r.was === 'SOLD').map((r) => r.flightId)]);
      if (refresh.size > 0) await index.rebuild([...refresh], 'force');
      for (const seat of result.seats) {
        await seatLocks
          .unlockSeat({ ownerId, flightId: seat.flightId, seatNumber: seat.seatNumber })
          .catch(() => false);
      }
      await publishSeatEvents(redis, 'seat.released', result.seats);
      return result.released;
    },

    /** The owner's hold rows on these flights, whatever their status. */
    holdsOn: (ownerId: string, flightIds: readonly string[]) => holdsOn(db, ownerId, flightIds),

    /**
     * Locks a seat for the owner (Redis SET NX PX as the fast gate, the seat assignment's primary key decides);
     * with `maxPerFlight`, the owner never holds more seats than that on the flight, even under concurrent calls
     * ({ ok: false, reason: 'LIMIT' }). With `cabin` (the cabin the owner was priced for), a seat of another cabin
     * is refused (CABIN_MISMATCH) and so is any seat once the owner no longer holds that cabin (NOT_HELD): seat
     * assignments and cabin counts agree. Re-locking an owned seat refreshes its TTL. Publishes seat.held.
     */
    lockSeat: (p: SeatLockRequest) => seatLocks.lockSeat(p),

    /**
     * Releases the owner's seat lock and HELD assignment (seat.released when it freed one), with `inTx` in the same
     * Postgres transaction (a seat change: the new seat's records). Returns whether it released one.
     */
    unlockSeat: (p: { ownerId: string; flightId: string; seatNumber: string }, inTx?: InTx) =>
      seatLocks.unlockSeat(p, inTx),

    /**
     * A paid order's seat change on one flight: the new seat sold to the owner and the old one freed in one
     * Postgres transaction with `inTx` (one owner per seat, never both seats kept or both lost); the same refusals
     * as lockSeat (TAKEN, CABIN_MISMATCH, NOT_HELD when the owner has not bought that cabin there, ...).
     */
    moveSoldSeat: (
      p: { ownerId: string; flightId: string; from: string | null; to: string; cabin: Cabin },
      inTx?: InTx,
    ) => seatLocks.moveSoldSeat(p, inTx),

    /** The seats among these with a live seat lock in Redis (a lock may come before its assignment is written). */
    lockedSeats: (flightId: string, seatNumbers: readonly string[]) => seatLocks.lockedSeats(flightId, seatNumbers),

    /**
     * Load shedding before an order's workflow is started (admission.ts): admits the owner's accept, or throws
     * SOLD_OUT when the seats the index shows are gone or covered by other accepts in flight. Never the authority
     * (the hold decides); give the admission back once the workflow has answered.
     */
    admit: (ownerId: string, items: readonly HoldItem[]) => admission.admit(ownerId, items),

    /** Per-cabin figures of many flights from the index, building missing keys from Postgres. Unknown flights: []. */
    availabilityMany: (flightIds: readonly string[]): Promise<Map<string, CabinAvailability[]>> =>
      index.availabilityMany(flightIds),

    /** Per-cabin figures of one flight. Throws NOT_FOUND for an unknown flight. */
    async availability(flightId: string): Promise<CabinAvailability[]> {
      checkUuid(flightId, 'flight_id');
      const a = (await index.availabilityMany([flightId])).get(flightId) ?? [];
      if (a.length === 0) throw new DomainError('NOT_FOUND', `flight ${flightId} was not found`);
      return a;
    },

    /** Rebuilds the index from Postgres: these flights, or every flight that has not landed yet. Returns the count. */
    async rebuildIndex(flightIds?: readonly string[]): Promise<number> {
      const ids =
        flightIds ?? (await sql<{ id: string }[]>`SELECT id FROM flights WHERE arrival_at > now()`).map((r) => r.id);
      return index.rebuild([...ids], 'force');
    },

    /** Deletes these flights' index keys (a deleted flight, a test fixture); the next read rebuilds them. */
    dropIndex: (flightIds: string[]): Promise<void> => index.drop(flightIds),
  };
}

export type Inventory = ReturnType<typeof createInventory>;
