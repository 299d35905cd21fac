/**
 * The order reads behind the order routes, in a constant number of queries per call: an order, the travelers,
 * items and payments of a batch of orders, a cursor page of a customer's orders, an order's documents.
 */
import { and, asc, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
// The order's own tables, then what servicing added to it.
import { orderItems, orders, payments, seatAssignments, tickets, travelers } from '../db/schema';
import { boardingPasses, checkIns, orderChanges } from '../db/schema';
import { DomainError } from '../domain/errors';
import { isUuid } from '../domain/ids';
import { recordLocator } from '../domain/record-locator';
import { latestDisruptions } from './disruptions';
import { orderNotFound } from './order-row';

export type OrderRow = typeof orders.$inferSelect;

export interface OrderSearch {
  customerIds?: string[];
  bookingReference?: string;
  contactEmailIndex?: string;
}

/** Opaque cursor over (created_at, id), newest first. */
export const encodeCursor = (row: { createdAt: Date; id: string }) =>
  Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const createdAt = new Date(typeof at === 'string' ? at : Number.NaN);
    // Both go into the query: a non-UUID id or a year Postgres cannot hold would fail there, as a 500.
    const year = createdAt.getUTCFullYear();
    if (Number.isNaN(year) || year < 1 || year > 9999 || typeof id !== 'string' || !isUuid(id)) {
      throw new Error('bad cursor');
    }
    return { createdAt, id };
  } catch {
    throw new DomainError('VALIDATION_FAILED', 'the cursor is not valid', {
      issues: [{ path: 'cursor', message: 'not a cursor' }],
    });
  }
}

export function createOrderReads(db: Database) {
  return {
    /**
     * The order if the caller may see it; another customer's order is not found (no existence leak). The owners
     * may still be on their way (a promise): the row is read meanwhile.
     */
    async owned(id: string, customer: { role: string }, owners: string[] | Promise<string[]>): Promise<OrderRow> {
      const [[row], ownerList] = await Promise.all([db.select().from(orders).where(eq(orders.id, id)), owners]);
      owners = ownerList;
      const visible = row && (customer.role !== 'customer' || owners.includes(row.customerId));
      if (!visible) throw orderNotFound(id);
      return row;
    },

    /** Whether an order with this id is recorded (whoever owns it). */
    async exists(id: string): Promise<boolean> {
      const [row] = await db.select({ id: orders.id }).from(orders).where(eq(orders.id, id));
      return row !== undefined;
    },

    /** The travelers, items and payments of these orders: three queries whatever their number. */
    async parties(ids: string[]) {
      const [pax, items, pays] = await Promise.all([
        db
          .select()
          .from(travelers)
          .where(inArray(travelers.orderId, ids))
          .orderBy(asc(travelers.orderId), asc(travelers.position)),
        db.select().from(orderItems).where(inArray(orderItems.orderId, ids)), // in the order they were written
        db
          .select()
          .from(payments)
          .where(inArray(payments.orderId, ids))
          .orderBy(asc(payments.orderId), asc(payments.attempt)),
      ]);
      return { travelers: pax, items, payments: pays };
    },

    /** The voluntary changes of these orders (their change history), oldest first. */
    changes(ids: string[]) {
      return db
        .select()
        .from(orderChanges)
        .where(inArray(orderChanges.orderId, ids))
        .orderBy(asc(orderChanges.orderId), asc(orderChanges.createdAt));
    },

    /**
     * Each order's latest airline-initiated change (services/disruptions.ts), by order id, and the rows of the
     * orders that have one, read after it (a disruption writes the order's new times in its own transaction).
     */
    async disruptions(ids: string[]) {
      const views = await latestDisruptions(db, ids);
      if (views.size === 0) return { views, rows: new Map<string, typeof orders.$inferSelect>() };
      const current = await db
        .select()
        .from(orders)
        .where(inArray(orders.id, [...views.keys()]));
      return { views, rows: new Map(current.map((r) => [r.id, r])) };
    },

    /** A page of the customers' orders, newest first, and the cursor of the next page. */
    page(owners: string[], limit: number, cursor?: string) {
      return this.search({ customerIds: owners }, limit, cursor);
    },

    /**
     * The agents' search: a page of every customer's orders matching all the filters given (booking reference, the
     * contact email's blind index, owning customers), newest first, with the cursor of the next page.
     */
    async search(filter: OrderSearch, limit: number, cursor?: string) {
      const conditions: (SQL | undefined)[] = [
        filter.customerIds ? inArray(orders.customerId, filter.customerIds) : undefined,
        filter.bookingReference ? eq(orders.bookingReference, filter.bookingReference) : undefined,
        filter.contactEmailIndex ? eq(orders.contactEmailIndex, filter.contactEmailIndex) : undefined,
      ];
      if (cursor) {
        const c = decodeCursor(cursor);
        conditions.push(
          or(lt(orders.createdAt, c.createdAt), and(eq(orders.createdAt, c.createdAt), lt(orders.id, c.id))),
        );
      }
      const rows = await db
        .select()
        .from(orders)
        .where(and(...conditions))
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return { page, next: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
    },

    /**
     * The customers' orders whose booking reference (domain/record-locator.ts, derived from the order id and not
     * stored) is `reference`, newest first: one query for the ids of their orders, one for the matches.
     */
    async byBookingReference(owners: string[], reference: string): Promise<OrderRow[]> {
      const ids = await db.select({ id: orders.id }).from(orders).where(inArray(orders.customerId, owners));
      const matches = ids.map((r) => r.id).filter((id) => recordLocator(id) === reference);
      if (matches.length === 0) return [];
      return db
        .select()
        .from(orders)
        .where(inArray(orders.id, matches))
        .orderBy(desc(orders.createdAt), desc(orders.id));
    },

    /** An order's tickets and EMDs (by number) and boarding passes. */
    async documents(orderId: string) {
      const [docs, passes, seats, coupons] = await Promise.all([
        db.select().from(tickets).where(eq(tickets.orderId, orderId)).orderBy(asc(tickets.number)),
        db.select().from(boardingPasses).where(eq(boardingPasses.orderId, orderId)),
        db
          .select({
            flightId: seatAssignments.flightId,
            seatNumber: seatAssignments.seatNumber,
            travelerId: seatAssignments.travelerId,
          })
          .from(seatAssignments)
          .where(eq(seatAssignments.orderId, orderId)),
        db
          .select({
            ticketNumber: checkIns.ticketNumber,
            flightId: checkIns.flightId,
            status: checkIns.status,
            sequence: checkIns.sequence,
          })
          .from(checkIns)
          .where(eq(checkIns.orderId, orderId)),
      ]);
      return { docs, passes, seats, coupons };
    },
  };
}

export type OrderReads = ReturnType<typeof createOrderReads>;
