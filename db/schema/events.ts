import { bigint, char, date, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The analytics consumer's projection of the order events: counts and money per day (UTC, the event's
 * occurred_at), route (the order's airports in flying order, e.g. "JFK-LHR" or "JFK-LHR-JFK") and currency.
 * Each event is applied once (processed_events), in the same transaction as its increment.
 */
export const analyticsDaily = pgTable(
  'analytics_daily',
  {
    day: date({ mode: 'string' }).notNull(),
    route: text().notNull(),
    currency: char({ length: 3 }).notNull(),
    // Offers: shown by a search (each offer of it), accepted (OfferAccepted), rejected by the shopper, and expired
    // (their life ended neither accepted nor rejected). Once a day's searches are swept, shown = the other three.
    offersShown: integer().notNull().default(0),
    offersAccepted: integer().notNull().default(0),
    offersRejected: integer().notNull().default(0),
    offersExpired: integer().notNull().default(0),
    ordersProposed: integer().notNull().default(0),
    ordersPaid: integer().notNull().default(0),
    ordersExpired: integer().notNull().default(0),
    ordersCancelled: integer().notNull().default(0),
    revenueAmount: bigint({ mode: 'number' }).notNull().default(0), // minor units, paid orders' totals
    refundedAmount: bigint({ mode: 'number' }).notNull().default(0), // minor units
    // After the sale: modification events (OrderChanged, OrderServicesAdded, SeatChanged, OrderCancelled of a sold
    // order), and the orders modified for the first time that day (each order once: order_modifications).
    modifications: integer().notNull().default(0),
    ordersModified: integer().notNull().default(0),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.day, t.route, t.currency] })],
);

/** Each sold order's first modification after the sale (the analytics consumer counts an order once). */
export const orderModifications = pgTable('order_modifications', {
  orderId: uuid().primaryKey(),
  route: text().notNull(),
  day: date({ mode: 'string' }).notNull(),
  firstEventType: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
