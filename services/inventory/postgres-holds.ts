/**
 * The Postgres side of holds, the authority: flight_inventory counts, inventory_holds rows per owner, flight and
 * cabin, and the owner's seat assignments. Every function runs inside the caller's transaction.
 */
import { and, asc, eq, inArray, sql as dsql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { flightInventory, inventoryHolds, seatAssignments } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import { appendEvents, type DomainEvent } from '../outbox';
import { normalizeItems, soldOut, type HoldItem, type Seat } from './items';

export type ReleasedItem = HoldItem & { was: 'HELD' | 'SOLD' };

/** SeatHeld / SeatReleased: written in the transaction that changes the seat assignment (owner = order id). */
export const seatEvent = (
  type: 'SeatHeld' | 'SeatReleased',
  ownerId: string,
  seat: Seat,
  reason?: 'UNLOCKED' | 'ORDER_RELEASED',
): DomainEvent => ({
  type,
  aggregateId: ownerId,
  occurredAt: new Date(),
  payload: { order_id: ownerId, flight_id: seat.flightId, seat_number: seat.seatNumber, ...(reason ? { reason } : {}) },
});

const holdRow = (ownerId: string, h: { flightId: string; cabin: HoldItem['cabin'] }) =>
  and(eq(inventoryHolds.orderId, ownerId), eq(inventoryHolds.flightId, h.flightId), eq(inventoryHolds.cabin, h.cabin));

const inventoryRow = (h: { flightId: string; cabin: HoldItem['cabin'] }) =>
  and(eq(flightInventory.flightId, h.flightId), eq(flightInventory.cabin, h.cabin));

/**
 * Records the owner's hold of every item: an inventory_holds row per flight and cabin (idempotent by its key)
 * and, for each new row, `held += n` only where `capacity - held - sold >= n`. Throws SOLD_OUT when a cabin
 * lacks seats (the transaction must then roll back), HOLD_EXPIRED when the owner's hold was already released.
 */
export async function holdInTx(tx: DbOrTx, ownerId: string, items: readonly HoldItem[]): Promise<void> {
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
        .where(holdRow(ownerId, item));
      if (existing?.status === 'RELEASED') {
        throw new DomainError('HOLD_EXPIRED', `the hold of ${ownerId} was released`, { owner_id: ownerId });
      }
      continue; // a retried hold: already counted once
    }
    await takeSeats(tx, item);
  }
}

/**
 * `held += n` only where the cabin still has n seats (`capacity - held - sold >= n`). Throws SOLD_OUT when it has
 * not (the caller's transaction must then roll back), VALIDATION_FAILED when the flight has no such cabin.
 */
async function takeSeats(tx: DbOrTx, item: HoldItem): Promise<void> {
  const updated = await tx
    .update(flightInventory)
    .set({ held: dsql`${flightInventory.held} + ${item.quantity}` })
    .where(
      and(
        inventoryRow(item),
        dsql`${flightInventory.capacity} - ${flightInventory.held} - ${flightInventory.sold} >= ${item.quantity}`,
      ),
    )
    .returning({ held: flightInventory.held });
  if (updated.length > 0) return;
  const [row] = await tx
    .select({
      available: dsql<number>`${flightInventory.capacity} - ${flightInventory.held} - ${flightInventory.sold}`,
    })
    .from(flightInventory)
    .where(inventoryRow(item));
  if (!row) {
    throw new DomainError('VALIDATION_FAILED', `flight ${item.flightId} has no ${item.cabin} cabin`, {
      flight_id: item.flightId,
      cabin: item.cabin,
    });
  }
  throw soldOut(item.flightId, item.cabin, item.quantity, Number(row.available));
}

/**
 * Takes back every seat of an owner whose holds were all released (a late payment reinstating an expired order,
 * services/late-payments.ts): each RELEASED row HELD again, with `held += n` where the cabin still has n seats, all
 * or nothing (SOLD_OUT: the caller's transaction must roll back). INVALID_STATE when the owner still holds or owns
 * something, or never held anything. Returns what it took.
 */
export async function reholdInTx(tx: DbOrTx, ownerId: string): Promise<HoldItem[]> {
  const holds = await lockedHolds(tx, ownerId);
  if (holds.length === 0 || holds.some((h) => h.status !== 'RELEASED')) {
    throw new DomainError('INVALID_STATE', `${ownerId} has no released hold to take back`, { owner_id: ownerId });
  }
  const items = holds.map((h) => ({ flightId: h.flightId, cabin: h.cabin, quantity: h.quantity }));
  for (const item of items) {
    await takeSeats(tx, item);
    await tx.update(inventoryHolds).set({ status: 'HELD', updatedAt: new Date() }).where(holdRow(ownerId, item));
  }
  return items;
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
export const releaseInTx = (tx: DbOrTx, ownerId: string) => releaseHolds(tx, ownerId, null);

/** The owner's seat assignments: all of them, or those on these flights only. */
const ownerSeats = (ownerId: string, flightIds: readonly string[] | null) =>
  flightIds
    ? and(eq(seatAssignments.orderId, ownerId), inArray(seatAssignments.flightId, [...flightIds]))
    : eq(seatAssignments.orderId, ownerId);

/** releaseInTx, or releaseFlightsInTx when `flightIds` scopes it to some flights. */
async function releaseHolds(
  tx: DbOrTx,
  ownerId: string,
  flightIds: readonly string[] | null,
  opts: { forget?: boolean } = {},
): Promise<{ released: ReleasedItem[]; seats: Seat[] }> {
  const released: ReleasedItem[] = [];
  const holds = flightIds ? await lockedHoldsOn(tx, ownerId, flightIds) : await lockedHolds(tx, ownerId);
  for (const h of holds) {
    if (h.status === 'RELEASED') continue;
    await tx
      .update(flightInventory)
      .set(
        h.status === 'HELD'
          ? { held: dsql`${flightInventory.held} - ${h.quantity}` }
          : { sold: dsql`${flightInventory.sold} - ${h.quantity}` },
      )
      .where(inventoryRow(h));
    // Forgotten: a change that was not paid for leaves no trace, so the same flights may be held again.
    if (opts.forget && h.status === 'HELD') await tx.delete(inventoryHolds).where(holdRow(ownerId, h));
    else await tx.update(inventoryHolds).set({ status: 'RELEASED', updatedAt: new Date() }).where(holdRow(ownerId, h));
    released.push({ flightId: h.flightId, cabin: h.cabin, quantity: h.quantity, was: h.status });
  }
  const seats = await tx
    .delete(seatAssignments)
    .where(ownerSeats(ownerId, flightIds))
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
 * Returns every item the owner has bought and the seats sold by this call.
 */
export const sellInTx = (tx: DbOrTx, ownerId: string) => sellHolds(tx, ownerId, null);

/** sellInTx, or sellFlightsInTx when `flightIds` scopes it to some flights. */
async function sellHolds(
  tx: DbOrTx,
  ownerId: string,
  flightIds: readonly string[] | null,
): Promise<{ sold: HoldItem[]; seats: Seat[] }> {
  const holds = flightIds ? await lockedHoldsOn(tx, ownerId, flightIds) : await lockedHolds(tx, ownerId);
  if (holds.length === 0) {
    const where = flightIds ? ' on these flights' : '';
    throw new DomainError('INVALID_STATE', `${ownerId} holds no seats${where}`, { owner_id: ownerId });
  }
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
      .where(inventoryRow(h));
    await tx.update(inventoryHolds).set({ status: 'SOLD', updatedAt: new Date() }).where(holdRow(ownerId, h));
  }
  const seats = await tx
    .update(seatAssignments)
    .set({ status: 'SOLD' })
    .where(and(ownerSeats(ownerId, flightIds), eq(seatAssignments.status, 'HELD')))
    .returning({ flightId: seatAssignments.flightId, seatNumber: seatAssignments.seatNumber });
  return { sold: holds.map((h) => ({ flightId: h.flightId, cabin: h.cabin, quantity: h.quantity })), seats };
}

/** The owner's holds in Postgres with this status (read after the transaction, to bring the index along). */
export async function ownerHolds(db: DbOrTx, ownerId: string, status: 'SOLD' | 'RELEASED'): Promise<HoldItem[]> {
  return db
    .select({ flightId: inventoryHolds.flightId, cabin: inventoryHolds.cabin, quantity: inventoryHolds.quantity })
    .from(inventoryHolds)
    .where(and(eq(inventoryHolds.orderId, ownerId), eq(inventoryHolds.status, status)));
}

/**
 * A part of the owner's holds: those on these flights. `releaseInTx` and `sellInTx` for a voluntary change, which
 * sells the new flights and gives back the old ones of an order that keeps the rest.
 */
async function lockedHoldsOn(tx: DbOrTx, ownerId: string, flightIds: readonly string[]) {
  const wanted = new Set(flightIds.map((f) => f.toLowerCase()));
  return (await lockedHolds(tx, ownerId)).filter((h) => wanted.has(h.flightId.toLowerCase()));
}

/**
 * Gives back the owner's holds (HELD or SOLD) on these flights only, and its seat assignments there. Idempotent.
 * `forget`: HELD rows are deleted rather than marked RELEASED.
 */
export const releaseFlightsInTx = (
  tx: DbOrTx,
  ownerId: string,
  flightIds: readonly string[],
  opts: { forget?: boolean } = {},
) => releaseHolds(tx, ownerId, flightIds, opts);

/**
 * Sells the owner's HELD holds on these flights (and its HELD seat assignments there). Idempotent. Throws
 * HOLD_EXPIRED when one was released, INVALID_STATE when the owner holds nothing there.
 */
export const sellFlightsInTx = (tx: DbOrTx, ownerId: string, flightIds: readonly string[]) =>
  sellHolds(tx, ownerId, flightIds);

/** The owner's hold rows on these flights, whatever their status (a change may not re-hold a flight it gave back). */
export async function holdsOn(db: DbOrTx, ownerId: string, flightIds: readonly string[]) {
  if (flightIds.length === 0) return [];
  return db
    .select({ flightId: inventoryHolds.flightId, status: inventoryHolds.status })
    .from(inventoryHolds)
    .where(and(eq(inventoryHolds.orderId, ownerId), inArray(inventoryHolds.flightId, [...flightIds])));
}
