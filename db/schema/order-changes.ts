/**
 * Voluntary changes of a paid order (services/order-changes.ts): a change request answers change offers, priced at
 * the time of the request and valid until `expires_at`; confirming one (the order's workflow, `changeOrder`)
 * records an order change, the order's change history.
 */
import { char, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { OrderSegment } from '../../domain/order';
import { orderRef } from './orders';
import { uuidKey } from './columns';

/** One leg asked for: `{ origin, destination, departure_date, cabin }`. */
export interface ChangeLegRequest {
  origin: string;
  destination: string;
  departure_date: string;
  cabin: string;
}

/** The new Flight item of one traveler on one added segment, as priced for the change offer. */
export interface ChangeFlightItem {
  travelerId: string;
  flightId: string;
  /** The removed flight this one replaces (ancillaries and seats move with it). */
  replaces: string;
  cabin: string;
  amount: number;
}

export const orderChangeRequests = pgTable(
  'order_change_requests',
  {
    id: uuidKey(),
    orderId: orderRef(),
    remove: jsonb().$type<string[]>().notNull(),
    add: jsonb().$type<ChangeLegRequest[]>().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('order_change_requests_order').on(t.orderId)],
);

export const orderChangeOffers = pgTable(
  'order_change_offers',
  {
    id: uuidKey(),
    changeRequestId: uuid()
      .notNull()
      .references(() => orderChangeRequests.id, { onDelete: 'cascade' }),
    orderId: orderRef(),
    /** The order's segments this offer removes, and the segments it adds (in the order of `remove`). */
    remove: jsonb().$type<OrderSegment[]>().notNull(),
    add: jsonb().$type<OrderSegment[]>().notNull(),
    items: jsonb().$type<ChangeFlightItem[]>().notNull(),
    currency: char({ length: 3 }).notNull(),
    /** New fares minus the removed fares (negative: the new flights cost less). */
    fareDifference: integer().notNull(),
    penaltyAmount: integer().notNull(),
    /** fare_difference + penalty: charged when positive, refunded when negative. */
    changeTotalAmount: integer().notNull(),
    newTotalAmount: integer().notNull(),
    status: text({ enum: ['OFFERED', 'CONFIRMED'] })
      .notNull()
      .default('OFFERED'),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('order_change_offers_order').on(t.orderId)],
);

/** A confirmed change: the order's change history. One per change offer. */
export const orderChanges = pgTable('order_changes', {
  id: uuidKey(),
  orderId: orderRef(),
  changeOfferId: uuid()
    .notNull()
    .unique()
    .references(() => orderChangeOffers.id),
  removed: jsonb().$type<OrderSegment[]>().notNull(),
  added: jsonb().$type<OrderSegment[]>().notNull(),
  currency: char({ length: 3 }).notNull(),
  changeTotalAmount: integer().notNull(),
  chargeId: text(),
  refundId: text(),
  /** Ticket numbers exchanged (old) and issued (new). */
  exchanged: jsonb().$type<{ from: string; to: string }[]>().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
