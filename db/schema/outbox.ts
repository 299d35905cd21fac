import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * Transactional outbox: every state change inserts its event here in the same transaction as the change.
 * The relay in worker/ publishes unpublished rows to Kafka in id order per aggregate and marks them published.
 */
export const outbox = pgTable(
  'outbox',
  {
    seq: integer().generatedAlwaysAsIdentity().primaryKey(),
    id: uuid().notNull().unique(),
    aggregateId: text().notNull(), // order id: the Kafka message key
    type: text().notNull(),
    schemaVersion: integer().notNull().default(1),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    payload: jsonb().notNull(),
    publishedAt: timestamp({ withTimezone: true }),
    attempts: integer().notNull().default(0),
    lastError: text(),
  },
  (t) => [
    index('outbox_unpublished')
      .on(t.seq)
      .where(sql`${t.publishedAt} IS NULL`),
  ],
);

/** What each consumer group has applied: makes consumers idempotent by event id. */
export const processedEvents = pgTable(
  'processed_events',
  {
    consumer: text().notNull(),
    eventId: uuid().notNull(),
    processedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);
