/** Reads of an order's cancellation quotes (table cancellation_quotes) for the API. */
import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client';
import { cancellationQuotes } from '../db/schema';

export type CancellationQuoteRow = typeof cancellationQuotes.$inferSelect;

export function createCancellationQuoteReads(db: Database) {
  return {
    /** The quote if it is one of this order's; null otherwise (another order's quote is not found). */
    async find(orderId: string, quoteId: string): Promise<CancellationQuoteRow | null> {
      const [row] = await db
        .select()
        .from(cancellationQuotes)
        .where(and(eq(cancellationQuotes.id, quoteId), eq(cancellationQuotes.orderId, orderId)));
      return row ?? null;
    },
  };
}
