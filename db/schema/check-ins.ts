import { char, index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { CHECK_IN_STATUSES } from '../../domain/check-in';
import { orderRef } from './orders';
import { uuidKey } from './columns';

/**
 * Day of travel (issue #15): one row per traveler and flight once the traveler checked in (or the flight departed
 * without them: NO_SHOW). The coupon's status is domain/check-in.ts `couponStatus`: the ticket's own status
 * (REFUNDED, VOIDED, EXCHANGED) wins over this row's.
 */
export const checkIns = pgTable(
  'check_ins',
  {
    id: uuidKey(),
    orderId: orderRef(),
    travelerId: uuid().notNull(),
    flightId: uuid().notNull(),
    ticketNumber: char({ length: 13 }).notNull(),
    /** The record locator on the pass (domain/record-locator.ts): what a gate scan finds the coupon by. */
    recordLocator: text().notNull(),
    /** Unique per flight (check_in_sequences); null on a NO_SHOW row written for a traveler who never checked in. */
    sequence: integer(),
    /** The seat at check-in (kept in step with a later seat change); null for a lap infant. */
    seatNumber: text(),
    /** Encrypted JSON (lib/pii.ts): { type, number, nationality, expiry }; null when none was given. */
    travelDocument: text(),
    status: text({ enum: CHECK_IN_STATUSES }).notNull(),
    checkedInAt: timestamp({ withTimezone: true }),
    boardedAt: timestamp({ withTimezone: true }),
    /** When the flight's departure settled the coupon (FLOWN or NO_SHOW). */
    settledAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    unique('check_ins_coupon').on(t.orderId, t.travelerId, t.flightId),
    unique('check_ins_flight_sequence').on(t.flightId, t.sequence),
    index('check_ins_locator').on(t.recordLocator, t.flightId),
  ],
);

/** The last check-in sequence number given out per flight: taken under the row's lock in the check-in's transaction. */
export const checkInSequences = pgTable('check_in_sequences', {
  flightId: uuid().primaryKey(),
  last: integer().notNull(),
});
