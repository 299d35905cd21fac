import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { outbox } from '../db/schema';

/** A domain event as it is stored in the outbox and published to Kafka. */
export interface DomainEvent {
  type: string;
  aggregateId: string; // the order id: Kafka message key, so one order's events stay in order
  payload: Record<string, unknown>;
  occurredAt: Date;
  schemaVersion?: number;
}

export const OUTBOX_CHANNEL = 'altis_outbox';

/** Appends events inside the caller's transaction: the state change and its events commit together or not at all. */
export async function appendEvents(tx: DbOrTx, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(outbox).values(
    events.map((e) => ({
      id: randomUUID(),
      aggregateId: e.aggregateId,
      type: e.type,
      schemaVersion: e.schemaVersion ?? 1,
      occurredAt: e.occurredAt,
      payload: e.payload,
    })),
  );
  // Delivered on commit: wakes the outbox relay at once instead of at its next poll.
  await tx.execute(sql.raw(`NOTIFY ${OUTBOX_CHANNEL}`));
}
