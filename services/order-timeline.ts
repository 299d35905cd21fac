/**
 * An order's timeline: its domain events (the outbox rows whose aggregate is the order, in commit order) told as
 * entries an agent or the traveler reads — what happened, when, the amount it moved — and, after each event the
 * notifications consumer mails about, when it handled it. The events carry no names, contacts or payment tokens
 * (README, "Domain events"), so neither does the timeline. An order's events (and the notifications consumer's marks
 * of them) are kept while the order lives and `published_outbox_days` after it ended (`timelineKept`, applied by
 * worker/housekeeping.ts); the order's record itself (GET /v1/orders/:id) keeps its state for good.
 */
import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { orders, outbox, processedEvents } from '../db/schema';
import { DomainError } from '../domain/errors';
import { formatMoney, type Money } from '../domain/money';
import { NOTIFICATIONS_CONSUMER, NOTIFIED_EVENTS } from '../lib/order-events';

/** The statuses after which an order's timeline is kept only `published_outbox_days` more (from its last change). */
const ENDED_STATUSES = ['ARCHIVED', 'CANCELLED', 'EXPIRED'] as const;

/**
 * True for a published outbox row that an order's timeline still needs after `cutoff` (its retention): its order is
 * still live (not archived, cancelled or expired) or ended after `cutoff`. Rows of other aggregates: false.
 */
export const timelineKept = (cutoff: Date): SQL => sql`exists (
  select 1 from ${orders}
  where ${orders.id}::text = ${outbox.aggregateId}
    and (${orders.status} not in (${sql.join(
      ENDED_STATUSES.map((st) => sql`${st}`),
      sql`, `,
    )}) or ${orders.updatedAt} >= ${cutoff.toISOString()}::timestamptz)
)`;

export const TIMELINE_KINDS = [
  'STATE',
  'PAYMENT',
  'REFUND',
  'CHANGE',
  'SERVICE',
  'SEAT',
  'DOCUMENT',
  'TRAVEL',
  'DISRUPTION',
  'NOTIFICATION',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  /** The event's id; a notification's is `<event id>:notification`. */
  id: string;
  seq: number;
  at: Date;
  kind: TimelineKind;
  type: string;
  /** The order's status after it, for the events that move it. */
  status: string | null;
  summary: string;
  amount: Money | null;
  /** The event's payload, without the order id every payload repeats. */
  details: Record<string, unknown>;
}

type Payload = Record<string, unknown>;
const str = (p: Payload, key: string) => (typeof p[key] === 'string' ? p[key] : '');
const moneyAt = (p: Payload, key: string): Money | null => {
  const m = p[key] as Partial<Money> | undefined;
  return m && typeof m.amount === 'number' && typeof m.currency === 'string'
    ? { amount: m.amount, currency: m.currency }
    : null;
};
const money = (m: Money | null) => (m ? formatMoney(m) : 'nothing');

interface Told {
  kind: TimelineKind;
  status?: string;
  amount?: string; // the payload key of the amount it moved
  summary: (p: Payload) => string;
}

/** How each event type reads; a type missing here reads by its name (a newer writer's event is still shown). */
const TOLD: Record<string, Told> = {
  OfferAccepted: { kind: 'STATE', summary: (p) => `Offer ${str(p, 'offer_id')} accepted` },
  OrderProposed: {
    kind: 'STATE',
    status: 'PROPOSED',
    amount: 'total',
    summary: (p) => `Order created, seats held until ${str(p, 'expires_at')}, total ${money(moneyAt(p, 'total'))}`,
  },
  SeatHeld: { kind: 'SEAT', summary: (p) => `Seat ${str(p, 'seat_number')} held` },
  SeatReleased: { kind: 'SEAT', summary: (p) => `Seat ${str(p, 'seat_number')} released` },
  PaymentStarted: {
    kind: 'PAYMENT',
    status: 'PAYMENT_PENDING',
    amount: 'amount',
    summary: (p) => `Payment attempt ${String(p.attempt)} started for ${money(moneyAt(p, 'amount'))}`,
  },
  PaymentFailed: {
    kind: 'PAYMENT',
    status: 'PROPOSED',
    summary: (p) => `Payment attempt ${String(p.attempt)} declined (${str(p, 'decline_code') || 'no reason given'})`,
  },
  OrderPaid: { kind: 'PAYMENT', status: 'PAID', summary: (p) => `Paid (charge ${str(p, 'charge_id')})` },
  OrderFulfilled: {
    kind: 'DOCUMENT',
    status: 'FULFILLED',
    summary: (p) =>
      `Ticketed: ${(p.tickets as unknown[] | undefined)?.length ?? 0} e-ticket(s), ${(p.emds as unknown[] | undefined)?.length ?? 0} EMD(s)`,
  },
  OrderExpired: { kind: 'STATE', status: 'EXPIRED', summary: () => 'The hold expired unpaid; seats released' },
  OrderCancellationQuoted: {
    kind: 'REFUND',
    amount: 'refund_amount',
    summary: (p) =>
      `Cancellation quoted: refund ${money(moneyAt(p, 'refund_amount'))}, penalty ${money(moneyAt(p, 'penalty_amount'))}`,
  },
  OrderCancelled: {
    kind: 'STATE',
    status: 'CANCELLED',
    amount: 'refund_amount',
    summary: (p) =>
      `Cancelled (${str(p, 'reason') || 'by the customer'}): refund ${money(moneyAt(p, 'refund_amount'))}, penalty ${money(moneyAt(p, 'penalty_amount'))}`,
  },
  RefundIssued: {
    kind: 'REFUND',
    amount: 'amount',
    summary: (p) => `Refunded ${money(moneyAt(p, 'amount'))} of ${money(moneyAt(p, 'charged'))} (${str(p, 'rule')})`,
  },
  OrderChanged: {
    kind: 'CHANGE',
    amount: 'change_total_amount',
    summary: (p) =>
      `Flights changed: paid ${money(moneyAt(p, 'change_total_amount'))}, new total ${money(moneyAt(p, 'new_total_amount'))}`,
  },
  LatePaymentRefunded: {
    kind: 'REFUND',
    amount: 'amount',
    summary: (p) => `A late payment was refunded in full: ${money(moneyAt(p, 'amount'))}`,
  },
  OrderReinstated: {
    kind: 'STATE',
    status: 'PAYMENT_PENDING',
    amount: 'amount',
    summary: (p) => `Reinstated by a late payment of ${money(moneyAt(p, 'amount'))}`,
  },
  OrderArchived: { kind: 'STATE', status: 'ARCHIVED', summary: () => 'Archived after the last flight' },
  OrderServicesAdded: {
    kind: 'SERVICE',
    amount: 'amount',
    summary: (p) =>
      `Services added: ${((p.services as { product_code?: string }[] | undefined) ?? []).map((s) => s.product_code).join(', ')} for ${money(moneyAt(p, 'amount'))}`,
  },
  OrderServiceRemoved: {
    kind: 'SERVICE',
    amount: 'refund',
    summary: (p) => `Service ${str(p, 'product_code')} removed, refund ${money(moneyAt(p, 'refund'))}`,
  },
  SeatChanged: {
    kind: 'SEAT',
    amount: 'amount',
    summary: (p) =>
      `Seat changed from ${str(p, 'from_seat')} to ${str(p, 'to_seat')} for ${money(moneyAt(p, 'amount'))}`,
  },
  TravelerCheckedIn: {
    kind: 'TRAVEL',
    summary: (p) => `Checked in, seat ${str(p, 'seat_number')}, sequence ${String(p.check_in_sequence)}`,
  },
  PassengerBoarded: { kind: 'TRAVEL', summary: (p) => `Boarded, seat ${str(p, 'seat_number')}` },
  CouponFlown: { kind: 'TRAVEL', summary: (p) => `Flown (ticket ${str(p, 'ticket_number')})` },
  CouponNoShow: { kind: 'TRAVEL', summary: (p) => `No-show (ticket ${str(p, 'ticket_number')})` },
  OrderDisrupted: { kind: 'DISRUPTION', summary: (p) => `Disrupted by the airline (${str(p, 'kind') || 'a change'})` },
  OrderDisruptionResolved: {
    kind: 'DISRUPTION',
    summary: (p) => `Disruption answered: ${str(p, 'action_taken')} by ${str(p, 'action_taken_by')}`,
  },
};

const NOTIFIED = new Set<string>(NOTIFIED_EVENTS);
export const TIMELINE_MAX_LIMIT = 500;

/** Opaque cursor: the outbox sequence number of the page's last event. */
const encode = (seq: number) => Buffer.from(`t${seq}`).toString('base64url');
function decode(cursor: string): number {
  const m = /^t(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m)
    throw new DomainError('VALIDATION_FAILED', 'the cursor is not valid', {
      issues: [{ path: 'cursor', message: 'not a cursor this API gave', code: 'custom' }],
    });
  return Number(m[1]);
}

/** A page of an order's timeline, oldest first: up to `limit` events, each followed by its notification if any. */
export async function orderTimeline(
  db: DbOrTx,
  orderId: string,
  opts: { limit: number; cursor?: string | undefined },
): Promise<{ data: TimelineEntry[]; nextCursor: string | null }> {
  const after = opts.cursor ? decode(opts.cursor) : 0;
  const rows = await db
    .select({ seq: outbox.seq, id: outbox.id, type: outbox.type, at: outbox.occurredAt, payload: outbox.payload })
    .from(outbox)
    .where(and(eq(outbox.aggregateId, orderId), gt(outbox.seq, after)))
    .orderBy(asc(outbox.seq))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const mailed = page.filter((r) => NOTIFIED.has(r.type)).map((r) => r.id);
  const handled =
    mailed.length === 0
      ? []
      : await db
          .select({ eventId: processedEvents.eventId, at: processedEvents.processedAt })
          .from(processedEvents)
          .where(and(eq(processedEvents.consumer, NOTIFICATIONS_CONSUMER), inArray(processedEvents.eventId, mailed)));
  const notifiedAt = new Map(handled.map((h) => [h.eventId, h.at]));
  const data: TimelineEntry[] = [];
  for (const row of page) {
    const { order_id: _order, ...details } = row.payload as Payload;
    const told = TOLD[row.type];
    data.push({
      id: row.id,
      seq: row.seq,
      at: row.at,
      kind: told?.kind ?? 'STATE',
      type: row.type,
      status: told?.status ?? null,
      summary: told ? told.summary(details) : row.type,
      amount: told?.amount ? moneyAt(details, told.amount) : null,
      details,
    });
    const at = notifiedAt.get(row.id);
    if (at) {
      data.push({
        id: `${row.id}:notification`,
        seq: row.seq,
        at,
        kind: 'NOTIFICATION',
        type: 'NotificationHandled',
        status: null,
        summary: `The contact was notified of ${row.type}`,
        amount: null,
        details: { event_id: row.id, event_type: row.type },
      });
    }
  }
  return { data, nextCursor: rows.length > opts.limit ? encode(page[page.length - 1]!.seq) : null };
}
