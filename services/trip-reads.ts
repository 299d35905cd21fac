/**
 * What the trip routes read from Postgres: cabin fares for pricing a trip, seat prices, a trip's travelers and the
 * seats it holds.
 */
import { and, count, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/client';
import { flightInventory, flightSeats, seatAssignments, travelers } from '../db/schema';
import type { Cabin } from './inventory';

export function createTripReads(db: Database) {
  return {
    /** Each flight's inventory row of one cabin (capacity, base fare, currency). */
    cabinFares: (flightIds: string[], cabin: Cabin) =>
      db
        .select()
        .from(flightInventory)
        .where(and(inArray(flightInventory.flightId, flightIds), eq(flightInventory.cabin, cabin))),

    /** The seat-map price of every seat of these flights. */
    seatPrices: (flightIds: string[]) =>
      flightIds.length === 0
        ? Promise.resolve([])
        : db
            .select({ flightId: flightSeats.flightId, seat: flightSeats.seatNumber, price: flightSeats.price })
            .from(flightSeats)
            .where(inArray(flightSeats.flightId, flightIds)),

    /** The travelers added to an order, in the order they were added. */
    async travelersOf(orderId: string) {
      const rows = await db.select().from(travelers).where(eq(travelers.orderId, orderId));
      return rows.sort((a, b) => a.position - b.position);
    },

    /** The seats an order holds, with the traveler sitting in each (null: not assigned yet). */
    seatsOf: (orderId: string) =>
      db
        .select({
          flightId: seatAssignments.flightId,
          seatNumber: seatAssignments.seatNumber,
          travelerId: seatAssignments.travelerId,
        })
        .from(seatAssignments)
        .where(eq(seatAssignments.orderId, orderId))
        .orderBy(seatAssignments.createdAt, seatAssignments.seatNumber),

    async travelerCount(orderId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(travelers).where(eq(travelers.orderId, orderId));
      return row?.n ?? 0;
    },
  };
}

export type TripReads = ReturnType<typeof createTripReads>;
