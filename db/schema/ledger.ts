/**
 * The revenue ledger (services/ledger.ts, domain/ledger.ts): one row per line of a double-entry posting, written in
 * the transaction of the state change it belongs to. `(posting_key, line)` is unique: a retried activity posts
 * the same key and is kept once (insert ... on conflict do nothing).
 */
import { bigint, char, index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { LEDGER_ACCOUNTS, POSTING_KINDS } from '../../domain/ledger';

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    postingKey: text().notNull(),
    line: integer().notNull(),
    kind: text({ enum: POSTING_KINDS }).notNull(),
    orderId: uuid().notNull(),
    account: text({ enum: LEDGER_ACCOUNTS }).notNull(),
    /** Minor units; positive a debit, negative a credit. */
    amount: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    route: text().notNull(),
    documentNumber: char({ length: 13 }),
    flightId: uuid(),
    /** The provider's charge or refund id (CASH lines). */
    reference: text(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('ledger_entries_posting_line').on(t.postingKey, t.line),
    index('ledger_entries_order').on(t.orderId, t.id),
    index('ledger_entries_day_route').on(t.occurredAt, t.route),
  ],
);
