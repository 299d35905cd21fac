import {
  char,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { ORDER_SOURCES, ORDER_STATUSES, PAYMENT_STATUSES } from '../../domain/order';
import { PASSENGER_TYPES } from '../../domain/pricing';
import { GENDERS } from '../../domain/travelers';
import { COUPON_STATUSES } from '../../domain/tickets';
import type { FareConditions } from '../../domain/commercial';
import type { OrderSegment, TripFare } from '../../domain/order';
import { sql } from 'drizzle-orm';
import { flights } from './catalog';
import { uuidKey } from './columns';

// recordLocator(id) in SQL: the first six bytes of sha256(id as text), each mapped to ALPHABET[byte % 32].
const LOCATOR_SQL = [0, 1, 2, 3, 4, 5]
  .map((i) => `substr('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', get_byte(sha256(id::text::bytea), ${i}) % 32 + 1, 1)`)
  .join(' || ');

/** `orders.offer`: the order's segments and, for a trip, the fares per passenger type priced when it was held. */
export interface OrderOfferRecord {
  segments: OrderSegment[];
  fares?: TripFare[] | null; // null or absent for an offer's order
  /** The fare conditions sold with the order (never rewritten); absent on orders sold before conditions existed. */
  conditions?: FareConditions | null;
}

export const orderStatus = pgEnum('order_status', ORDER_STATUSES);

export const customerRole = pgEnum('customer_role', ['customer', 'agent', 'admin']);

export const customers = pgTable(
  'customers',
  {
    id: uuidKey(),
    kind: text({ enum: ['GUEST', 'USER'] }).notNull(),
    email: text().unique(), // lower-cased; only for USER
    passwordHash: text(),
    role: customerRole().notNull().default('customer'),
    claimedById: uuid(), // a guest claimed by a user account
    // Carried in each token (claim `ver`): a token is accepted only while it equals this. A role change (trigger in
    // migration 0012) and a sign-out bump it, which revokes every token issued before.
    tokenVersion: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // Ownership looks up the guests a user claimed; guests are the bulk of this table.
  (t) => [index('customers_claimed_by').on(t.claimedById)],
);

export const orders = pgTable(
  'orders',
  {
    id: uuid().primaryKey(),
    offerId: text().unique(), // one order per offer; null for trips
    customerId: uuid().notNull(),
    source: text({ enum: ORDER_SOURCES }).notNull(),
    status: orderStatus().notNull(),
    currency: char({ length: 3 }).notNull(),
    totalAmount: integer().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    contact: text(), // encrypted JSON (email, phone)
    contactEmailIndex: text(), // blind index of the contact's email (lib/pii.ts emailIndex): agents find orders by it
    // The record locator (domain/record-locator.ts) computed by Postgres from the id, so agents find an order by it.
    bookingReference: char({ length: 6 }).generatedAlwaysAs(sql`${sql.raw(LOCATOR_SQL)}`),
    offer: jsonb().$type<OrderOfferRecord>(), // the accepted offer as priced, honoured for the order's life
    // The workflow type that runs the order: orders started before the v2 workflow keep running the v1 code.
    workflowType: text().notNull().default('orderWorkflow'),
    version: integer().notNull().default(1),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('orders_customer_created').on(t.customerId, t.createdAt, t.id),
    index('orders_status').on(t.status),
    index('orders_contact_email_index').on(t.contactEmailIndex),
    index('orders_booking_reference').on(t.bookingReference),
  ],
);

/** An order's row in another table: its id, the row deleted with the order. */
export const orderRef = () =>
  uuid()
    .notNull()
    .references(() => orders.id, { onDelete: 'cascade' });

export const travelers = pgTable(
  'travelers',
  {
    id: uuidKey(),
    orderId: orderRef(),
    position: integer().notNull(),
    ptc: text({ enum: PASSENGER_TYPES }).notNull(),
    firstName: text().notNull(), // encrypted
    lastName: text().notNull(), // encrypted
    dateOfBirth: text(), // encrypted
    gender: text({ enum: GENDERS }),
    infantOfId: uuid(), // an infant travels on an adult's lap
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('travelers_order_position').on(t.orderId, t.position)],
);

export const orderItems = pgTable(
  'order_items',
  {
    id: uuidKey(),
    orderId: orderRef(),
    productType: text().notNull(), // Flight, Seat, Bag, ...
    productCode: text(),
    flightId: uuid().references(() => flights.id),
    travelerId: uuid(),
    cabin: text(),
    seatNumber: text(),
    amount: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    details: jsonb(),
  },
  (t) => [index('order_items_order').on(t.orderId)],
);

export const payments = pgTable(
  'payments',
  {
    id: uuidKey(),
    orderId: orderRef(),
    attempt: integer().notNull(),
    chargeId: text(),
    status: text({ enum: PAYMENT_STATUSES }).notNull(),
    amount: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    declineCode: text(),
    refundId: text(),
    refundedAmount: integer(), // what the cancellation refunded (fare conditions); null when nothing was
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('payments_order_attempt').on(t.orderId, t.attempt)],
);

/**
 * Card tokens held for the payment of an order, encrypted (lib/pii.ts), so that workflow history carries only a
 * reference (`pvr_…`). Purged by the worker's housekeeping a day after they were written.
 */
export const paymentTokens = pgTable(
  'payment_tokens',
  {
    ref: text().primaryKey(),
    orderId: uuid().notNull(),
    token: text().notNull(), // encrypted
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('payment_tokens_created').on(t.createdAt)],
);

export const ticketSerial = pgSequence('ticket_serial', { startWith: 1000000000, increment: 1 });

export const tickets = pgTable(
  'tickets',
  {
    number: char({ length: 13 }).primaryKey(),
    kind: text({ enum: ['TKT', 'EMD'] }).notNull(),
    orderId: orderRef(),
    travelerId: uuid().notNull(),
    flightIds: uuid().array().notNull(),
    orderItemId: uuid(),
    /** The ticket a change reissued this one as. */
    exchangedFor: char({ length: 13 }),
    // EMDs: the reason codes (domain/servicing.ts EMD_CODES), EMD-A (associated with a ticket's coupon) or EMD-S.
    emdType: text({ enum: ['EMD-A', 'EMD-S'] }),
    rfic: char({ length: 1 }),
    rfisc: text(),
    associatedTicket: char({ length: 13 }),
    /** A service removed before use: its EMD is voided (and refunded per its rule). */
    voidedAt: timestamp({ withTimezone: true }),
    issuedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /**
     * The status of the document's unflown coupons (domain/tickets.ts COUPON_STATUSES): OPEN until used; REFUNDED
     * or VOIDED by a cancellation; EXCHANGED when a voluntary change reissued it (see `exchangedFor`).
     */
    status: text({ enum: COUPON_STATUSES }).notNull().default('OPEN'),
  },
  (t) => [index('tickets_order').on(t.orderId)],
);

export const boardingPasses = pgTable(
  'boarding_passes',
  {
    orderId: orderRef(),
    travelerId: uuid().notNull(),
    flightId: uuid().notNull(),
    bcbp: text().notNull(),
    issuedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('boarding_passes_unique').on(t.orderId, t.travelerId, t.flightId)],
);

/** Idempotency-Key records for creating POSTs: the first response is replayed for the same key and body. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    customerId: uuid().notNull(),
    key: text().notNull(),
    method: text().notNull(),
    path: text().notNull(),
    requestHash: text().notNull(),
    status: integer(),
    body: jsonb(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('idempotency_keys_unique').on(t.customerId, t.key)],
);

export const webhookEvents = pgTable('webhook_events', {
  id: text().primaryKey(), // the provider's event id: a duplicate delivery is a no-op
  type: text().notNull(),
  orderId: uuid(),
  receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  payload: jsonb().notNull(),
});
