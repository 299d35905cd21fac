import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '../db/client';
import { orderItems, orders, seatAssignments, travelers } from '../db/schema';
import type { SeatRequest, TravelerToAdd, TravelersUpdate } from '../workflows/messages';
import type { Inventory } from '../services/inventory';
import { insertParty } from '../services/order-party';

export interface TripActivityDeps {
  db: Database;
  redis: Redis;
  inventory: Inventory;
}

const fail = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/** Seat selection and the party of a trip (the README's trip-hold API), on top of the order workflow. */
export function createTripActivities(deps: TripActivityDeps) {
  const { db, inventory } = deps;

  return {
    /** Adds a traveler to a trip; idempotent per (order, position). */
    async addTraveler(p: {
      orderId: string;
      position: number;
      traveler: TravelerToAdd;
    }): Promise<{ travelerId: string }> {
      const inserted = await db
        .insert(travelers)
        .values({ orderId: p.orderId, position: p.position, ...p.traveler })
        .onConflictDoNothing()
        .returning({ id: travelers.id });
      if (inserted[0]) return { travelerId: inserted[0].id };
      const [existing] = await db
        .select({ id: travelers.id })
        .from(travelers)
        .where(and(eq(travelers.orderId, p.orderId), eq(travelers.position, p.position)));
      return { travelerId: existing!.id };
    },

    /**
     * Locks one seat for the order: Redis lock for speed, the seat_assignments primary key as the authority.
     * At most `maxSeats` seats per flight (the seats the trip holds), enforced by the inventory even under
     * concurrent calls. The inventory publishes seat.held for live streams.
     */
    async holdSeat(p: { orderId: string; seat: SeatRequest; ttlMs: number; maxSeats: number }) {
      const result = await inventory.lockSeat({
        ownerId: p.orderId,
        flightId: p.seat.flightId,
        seatNumber: p.seat.seatNumber,
        ttlMs: p.ttlMs,
        maxPerFlight: p.maxSeats,
      });
      if (!result.ok) {
        if (result.reason === 'TAKEN') throw fail('SEAT_UNAVAILABLE', `seat ${p.seat.seatNumber} is not available`);
        if (result.reason === 'BLOCKED') throw fail('VALIDATION_FAILED', `seat ${p.seat.seatNumber} cannot be sold`);
        if (result.reason === 'LIMIT') {
          throw fail('VALIDATION_FAILED', `this trip holds ${p.maxSeats} seat(s) on the flight; release one first`);
        }
        throw fail('NOT_FOUND', `flight ${p.seat.flightId} has no seat ${p.seat.seatNumber}`);
      }
    },

    /**
     * Sets a trip's final party at commit: travelers, their flight and seat items, the total, and which traveler
     * sits in which held seat. One transaction; repeating it with the same input leaves the same result.
     */
    async replaceTravelers(p: { orderId: string; update: TravelersUpdate }) {
      const { update } = p;
      const wanted = update.travelers.flatMap((t) => t.seats);
      const held = await db
        .select({ flightId: seatAssignments.flightId, seat: seatAssignments.seatNumber })
        .from(seatAssignments)
        .where(eq(seatAssignments.orderId, p.orderId));
      const missing = wanted.filter((w) => !held.some((h) => h.flightId === w.flightId && h.seat === w.seatNumber));
      if (missing.length > 0) {
        throw fail(
          'VALIDATION_FAILED',
          `seats not held by this trip: ${missing.map((m) => `${m.seatNumber} on ${m.flightId}`).join(', ')}`,
        );
      }
      await db.transaction(async (tx) => {
        await tx.update(seatAssignments).set({ travelerId: null }).where(eq(seatAssignments.orderId, p.orderId));
        await tx.delete(orderItems).where(eq(orderItems.orderId, p.orderId));
        await tx.delete(travelers).where(eq(travelers.orderId, p.orderId));
        const idOf = await insertParty(tx, p.orderId, update.travelers, update.items);
        for (const t of update.travelers) {
          for (const seat of t.seats) {
            await tx
              .update(seatAssignments)
              .set({ travelerId: idOf.get(t.ref)! })
              .where(
                and(
                  eq(seatAssignments.orderId, p.orderId),
                  eq(seatAssignments.flightId, seat.flightId),
                  inArray(seatAssignments.seatNumber, [seat.seatNumber]),
                ),
              );
          }
        }
        await tx
          .update(orders)
          .set({
            totalAmount: update.totalAmount,
            contact: update.contact,
            updatedAt: new Date(),
            version: sql`${orders.version} + 1`,
          })
          .where(eq(orders.id, p.orderId));
      });
    },
  };
}

export type TripActivities = ReturnType<typeof createTripActivities>;
