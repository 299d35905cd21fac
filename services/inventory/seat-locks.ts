/**
 * Seat locks: a Redis lock per seat (SET NX PX, owner = order id) as the fast gate, and the seat assignment in
 * Postgres, which decides (its primary key allows one owner per seat). Live seat changes are published on the
 * flight's seat channel after the Postgres change has committed.
 */
import { and, eq, sql as dsql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../../db/client';
import { flightSeats, inventoryHolds, seatAssignments } from '../../db/schema';
import { matching } from '../../db/where';
import { DomainError } from '../../domain/errors';
import { appendEvents } from '../outbox';
import { publishSeatEvents } from '../seat-events';
import { checkUuid, SEAT, type Cabin, type Seat, type SeatLockResult } from './items';
import { ownerLocksKey, seatLockKey } from './keys';
import { seatEvent } from './postgres-holds';
import type { ScriptedRedis } from './scripts';

export interface SeatLockRequest {
  ownerId: string;
  flightId: string;
  seatNumber: string;
  ttlMs: number;
  /** At most this many seats per owner on the flight, enforced in Postgres (so also under concurrent calls). */
  maxPerFlight?: number;
  /**
   * The cabin the owner was priced for on the flight: a seat of another cabin is refused (CABIN_MISMATCH), and so
   * is any seat while the owner holds no seats in this cabin there (NOT_HELD).
   */
  cabin?: Cabin;
}

type Refusal = Exclude<SeatLockResult, { ok: true }>;
/** Who takes a seat: the owner (an order), the flight, and the cabin it was priced for when there is one. */
type SeatOwner = { ownerId: string; flightId: string; cabin?: Cabin | undefined };
/** The hold status a seat is taken under: HELD before payment, SOLD for a paid order's seat change. */
type HoldStatus = 'HELD' | 'SOLD';

/**
 * Why `owner` may not take this seat, or null: it must exist and not be blocked and, when a cabin is named, be in
 * that cabin (seats and cabin counts agree: an owner holding economy never sits in business) while the owner's hold
 * of that cabin is `status` (HELD before payment, SOLD for a paid order's seat change). A release or cancellation
 * locks the hold row first, so a seat taken concurrently is either released with it or refused here.
 */
async function seatRefusal(
  tx: DbOrTx,
  owner: SeatOwner,
  seatNumber: string,
  status: HoldStatus,
): Promise<Refusal | null> {
  const [seat] = await tx
    .select({ blocked: flightSeats.blocked, cabin: flightSeats.cabin })
    .from(flightSeats)
    .where(and(eq(flightSeats.flightId, owner.flightId), eq(flightSeats.seatNumber, seatNumber)));
  if (!seat) return { ok: false, reason: 'UNKNOWN_SEAT' };
  if (seat.blocked) return { ok: false, reason: 'BLOCKED' };
  if (owner.cabin === undefined) return null;
  if (seat.cabin !== owner.cabin) return { ok: false, reason: 'CABIN_MISMATCH', seatCabin: seat.cabin };
  const [hold] = await tx
    .select({ status: inventoryHolds.status })
    .from(inventoryHolds)
    .where(matching(inventoryHolds, { orderId: owner.ownerId, flightId: owner.flightId, cabin: owner.cabin }))
    .for('share');
  return hold?.status === status ? null : { ok: false, reason: 'NOT_HELD' };
}

/**
 * The owner takes `seatNumber` with `status` (its hold's status too, see seatRefusal): the refusal, else whether
 * the seat was free (false: someone has it, maybe the owner itself).
 */
async function claimSeat(
  tx: DbOrTx,
  owner: SeatOwner,
  seatNumber: string,
  status: HoldStatus,
): Promise<Refusal | boolean> {
  const refused = await seatRefusal(tx, owner, seatNumber, status);
  if (refused) return refused;
  const inserted = await tx
    .insert(seatAssignments)
    .values({ flightId: owner.flightId, seatNumber, orderId: owner.ownerId, status })
    .onConflictDoNothing()
    .returning({ orderId: seatAssignments.orderId });
  return inserted.length > 0;
}

export function createSeatLocks(deps: { db: Database; redis: ScriptedRedis }) {
  const { db, redis } = deps;

  /** The Postgres step of a lock, in one transaction: the seat's owner when it was free or already ours. */
  async function assign(p: SeatLockRequest): Promise<'NEW' | 'MINE' | Refusal> {
    return db.transaction(async (tx) => {
      if (p.maxPerFlight !== undefined) {
        // One owner's locks on one flight queue here, so the count below cannot go stale before the insert.
        await tx.execute(dsql`SELECT pg_advisory_xact_lock(hashtextextended(${`${p.ownerId}|${p.flightId}`}, 0))`);
        const mine = await tx
          .select({ seatNumber: seatAssignments.seatNumber })
          .from(seatAssignments)
          .where(and(eq(seatAssignments.orderId, p.ownerId), eq(seatAssignments.flightId, p.flightId)));
        if (!mine.some((m) => m.seatNumber === p.seatNumber) && mine.length >= p.maxPerFlight) {
          return { ok: false, reason: 'LIMIT' };
        }
      }
      const claimed = await claimSeat(tx, p, p.seatNumber, 'HELD');
      if (typeof claimed !== 'boolean') return claimed;
      if (claimed) {
        await appendEvents(tx, [seatEvent('SeatHeld', p.ownerId, p)]);
        return 'NEW';
      }
      const [owner] = await tx
        .select({ orderId: seatAssignments.orderId })
        .from(seatAssignments)
        .where(and(eq(seatAssignments.flightId, p.flightId), eq(seatAssignments.seatNumber, p.seatNumber)));
      // No row now: its owner let go between our insert and this read; the caller may simply try again.
      return owner?.orderId === p.ownerId ? 'MINE' : { ok: false, reason: 'TAKEN' };
    });
  }

  return {
    /**
     * Locks a seat for the owner: the Redis lock first (the same owner refreshes its TTL), then the seat
     * assignment in Postgres. Re-locking a seat the owner has is a TTL refresh and never counts twice against
     * `maxPerFlight`. Publishes seat.held for a newly locked seat.
     */
    async lockSeat(p: SeatLockRequest): Promise<SeatLockResult> {
      checkUuid(p.ownerId, 'owner_id');
      checkUuid(p.flightId, 'flight_id');
      if (!Number.isSafeInteger(p.ttlMs) || p.ttlMs < 1) {
        throw new DomainError('VALIDATION_FAILED', 'ttlMs must be a positive whole number of milliseconds');
      }
      if (p.maxPerFlight !== undefined && (!Number.isSafeInteger(p.maxPerFlight) || p.maxPerFlight < 0)) {
        throw new DomainError('VALIDATION_FAILED', 'maxPerFlight must be a whole number of seats');
      }
      if (typeof p.seatNumber !== 'string' || !SEAT.test(p.seatNumber)) return { ok: false, reason: 'UNKNOWN_SEAT' };
      const key = seatLockKey(p.flightId, p.seatNumber);
      if ((await redis.altisSeatLock(key, p.ownerId, p.ttlMs)) === 0) return { ok: false, reason: 'TAKEN' };
      let outcome: Awaited<ReturnType<typeof assign>>;
      try {
        outcome = await assign(p);
      } catch (err) {
        await redis.altisSeatUnlock(key, p.ownerId).catch(() => 0);
        throw err;
      }
      if (outcome !== 'NEW' && outcome !== 'MINE') {
        await redis.altisSeatUnlock(key, p.ownerId);
        return outcome;
      }
      const mine = ownerLocksKey(p.ownerId);
      await redis
        .multi()
        .sadd(mine, `${p.flightId}|${p.seatNumber}`)
        .pexpire(mine, Math.max(p.ttlMs, 86_400_000))
        .exec();
      if (outcome === 'NEW') await publishSeatEvents(redis, 'seat.held', [p]);
      return { ok: true };
    },

    /** Releases the owner's seat lock and HELD seat assignment; anyone else's is left alone. Returns whether it did. */
    async unlockSeat(p: Seat & { ownerId: string }, inTx?: (tx: DbOrTx) => Promise<void>): Promise<boolean> {
      checkUuid(p.ownerId, 'owner_id');
      checkUuid(p.flightId, 'flight_id');
      const unlocked = await redis.altisSeatUnlock(seatLockKey(p.flightId, p.seatNumber), p.ownerId);
      await redis.srem(ownerLocksKey(p.ownerId), `${p.flightId}|${p.seatNumber}`);
      const deleted = await db.transaction(async (tx) => {
        const rows = await tx
          .delete(seatAssignments)
          .where(
            matching(seatAssignments, {
              flightId: p.flightId,
              seatNumber: p.seatNumber,
              orderId: p.ownerId,
              status: 'HELD',
            }),
          )
          .returning({ seatNumber: seatAssignments.seatNumber });
        if (rows.length > 0) await appendEvents(tx, [seatEvent('SeatReleased', p.ownerId, p, 'UNLOCKED')]);
        if (inTx) await inTx(tx);
        return rows;
      });
      if (deleted.length > 0) await publishSeatEvents(redis, 'seat.released', [p]);
      return unlocked === 1 || deleted.length > 0;
    },

    /**
     * A paid owner's seat change on one flight: `to` becomes its SOLD seat and `from` (its sold seat there, if any)
     * is freed in the same Postgres transaction, with `inTx` — never both seats, never neither. The seat must be in
     * `cabin`, which the owner must have bought on the flight (SOLD hold). The Redis lock on `to` is the fast gate
     * against a concurrent taker; the seat assignment's primary key decides. Publishes seat.released / seat.sold.
     */
    async moveSoldSeat(
      p: { ownerId: string; flightId: string; from: string | null; to: string; cabin: Cabin },
      inTx?: (tx: DbOrTx) => Promise<void>,
    ): Promise<SeatLockResult> {
      checkUuid(p.ownerId, 'owner_id');
      checkUuid(p.flightId, 'flight_id');
      if (typeof p.to !== 'string' || !SEAT.test(p.to)) return { ok: false, reason: 'UNKNOWN_SEAT' };
      const key = seatLockKey(p.flightId, p.to);
      if ((await redis.altisSeatLock(key, p.ownerId, 60_000)) === 0) return { ok: false, reason: 'TAKEN' };
      let outcome: SeatLockResult;
      try {
        outcome = await db.transaction(async (tx): Promise<SeatLockResult> => {
          const claimed = await claimSeat(tx, p, p.to, 'SOLD');
          if (typeof claimed !== 'boolean') return claimed;
          if (!claimed) return { ok: false, reason: 'TAKEN' };
          if (p.from !== null && p.from !== p.to) {
            await tx
              .delete(seatAssignments)
              .where(matching(seatAssignments, { flightId: p.flightId, seatNumber: p.from, orderId: p.ownerId }));
          }
          if (inTx) await inTx(tx);
          return { ok: true };
        });
      } finally {
        // A sold seat keeps no Redis lock (its assignment says OCCUPIED): the gate's lock goes either way.
        await redis.altisSeatUnlock(key, p.ownerId).catch(() => 0);
      }
      if (outcome.ok) {
        if (p.from !== null)
          await publishSeatEvents(redis, 'seat.released', [{ flightId: p.flightId, seatNumber: p.from }]);
        await publishSeatEvents(redis, 'seat.sold', [{ flightId: p.flightId, seatNumber: p.to }]);
      }
      return outcome;
    },

    /** Deletes the owner's Redis seat locks (compare-and-delete, so another owner's lock is never touched). */
    async dropOwnerLocks(ownerId: string): Promise<void> {
      const members = await redis.smembers(ownerLocksKey(ownerId));
      await Promise.all(
        members.map((m) => {
          const [flightId, seat] = m.split('|') as [string, string];
          return redis.altisSeatUnlock(seatLockKey(flightId, seat), ownerId);
        }),
      );
      await redis.del(ownerLocksKey(ownerId));
    },

    /** The seats among these with a live Redis lock (a lock may come before its seat assignment is written). */
    async lockedSeats(flightId: string, seatNumbers: readonly string[]): Promise<Set<string>> {
      if (seatNumbers.length === 0) return new Set();
      const owners = await redis.mget(seatNumbers.map((s) => seatLockKey(flightId, s)));
      return new Set(seatNumbers.filter((_, n) => owners[n]));
    },
  };
}
