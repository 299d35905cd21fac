/**
 * The payment provider's webhook events, recorded once by event id (table webhook_events) before the API signals
 * the order: a duplicate delivery is recognised and acknowledged as such.
 */
import type { Database } from '../db/client';
import { webhookEvents } from '../db/schema';

export function createPaymentEvents(db: Database) {
  return {
    /** Records the event; false when its id was recorded before (a duplicate delivery). */
    async record(event: { id: string; type: string; orderId: string; payload: unknown }): Promise<boolean> {
      const inserted = await db
        .insert(webhookEvents)
        .values(event)
        .onConflictDoNothing()
        .returning({ id: webhookEvents.id });
      return inserted.length > 0;
    },
  };
}

export type PaymentEvents = ReturnType<typeof createPaymentEvents>;
