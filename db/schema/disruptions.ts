/**
 * Airline-initiated changes (issue #15, services/disruptions.ts): a flight retimed, delayed or cancelled by an
 * admin is one flight disruption (written with the flight's change and its Flight* event, in one transaction, by
 * the fan-out workflow's first activity: workflows/flight-disruption.ts); each affected order records its own
 * order disruption (what changed, the re-accommodation options it holds, the actions open to the customer, the
 * deadline) when its workflow is signalled. No foreign keys to flights: test clean-ups delete flights freely.
 */
import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { DisruptionKind, FlightState } from '../../domain/disruptions';
import type { OrderSegment } from '../../domain/order';

type FlightTimes = FlightState;

export const flightDisruptions = pgTable(
  'flight_disruptions',
  {
    /** Also the id of its outbox event, and what an order's disruption is keyed by. */
    id: uuid().primaryKey(),
    /** `<workflow id>/<run id>` of the fan-out that applied it: its retried first activity finds it here. */
    appliedBy: text().notNull().unique(),
    flightId: uuid().notNull(),
    kind: text().$type<DisruptionKind>().notNull(),
    before: jsonb().$type<FlightTimes>().notNull(),
    after: jsonb().$type<FlightTimes>().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('flight_disruptions_flight').on(t.flightId)],
);

/** A re-accommodation option: change offers (order_change_offers, total 0) held for the order until it answers. */
export interface DisruptionOption {
  id: string;
  segments: OrderSegment[];
}

export const orderDisruptions = pgTable(
  'order_disruptions',
  {
    orderId: uuid().notNull(),
    disruptionId: uuid().notNull(),
    flightId: uuid().notNull(),
    kind: text().$type<DisruptionKind>().notNull(),
    status: text({ enum: ['OPEN', 'ACCEPTED', 'REFUNDED', 'AUTO_ACCEPTED'] }).notNull(),
    removed: jsonb().$type<OrderSegment[]>().notNull(),
    added: jsonb().$type<OrderSegment[]>().notNull(),
    options: jsonb().$type<DisruptionOption[]>().notNull(),
    availableActions: jsonb().$type<('accept' | 'refund')[]>().notNull(),
    defaultAction: text({ enum: ['protect', 'refund'] }).notNull(),
    respondBy: timestamp({ withTimezone: true }),
    actionTaken: text({ enum: ['accepted', 'refunded', 'auto_accepted'] }),
    actionBy: text({ enum: ['customer', 'default', 'tolerance'] }),
    optionId: uuid(),
    actionTakenAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.disruptionId] }), index('order_disruptions_order').on(t.orderId)],
);
