import { char, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { orderRef } from './orders';

/** One line of a cancellation quote: what a ticket or EMD gives back and what it keeps (minor units). */
export interface CancellationQuoteLine {
  document_number: string | null;
  document_type: 'TKT' | 'EMD' | null;
  traveler_id: string | null;
  amount: number;
  refundable: number;
  penalty: number;
  flown: boolean;
}

/**
 * Cancellation quotes (POST /v1/orders/:id/cancellation-quotes): the refund a cancellation would give under the
 * order's fare conditions, valid until `expires_at`; the order's workflow confirms only its latest one. A paid
 * order cancelled in one step (POST /cancel) records its quote here too, CONFIRMED at once.
 */
export const cancellationQuotes = pgTable(
  'cancellation_quotes',
  {
    id: uuid().primaryKey(),
    orderId: orderRef(),
    status: text({ enum: ['QUOTED', 'CONFIRMED'] }).notNull(),
    refundAmount: integer().notNull(),
    penaltyAmount: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    /** Which fare condition decided (domain/refund.ts): refund_before_departure, no_show, as_sold; unpaid. */
    rule: text().notNull(),
    chargeId: text(),
    breakdown: jsonb().$type<CancellationQuoteLine[]>().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    confirmedAt: timestamp({ withTimezone: true }),
    refundId: text(),
    /**
     * How the refund is split over the order's charges (the sale's, a change's, services bought after booking),
     * written before the first refund is asked, so that a retried confirm asks the same refunds again (their
     * idempotency keys), never new ones.
     */
    refundPlan: jsonb().$type<{ chargeId: string; amount: number; key: string }[]>(),
  },
  (t) => [index('cancellation_quotes_order').on(t.orderId, t.createdAt)],
);
