/**
 * The revenue ledger: every money movement and revenue state of an order as a double-entry posting
 * (domain/ledger.ts decides the lines), written in the caller's transaction, beside the state change it belongs to.
 * Each posting has a key of its own (`<kind>:<order>:<ref>`): a retried activity posts the same key and the lines
 * are kept once. Captures are keyed by the provider's charge id, so a refund of a charge no sale recorded (a late
 * payment, a compensation) first posts that capture: the ledger's CASH always follows the provider's record.
 */
import { and, asc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client';
import { ledgerEntries, orderChangeOffers, orderItems, orders, payments, tickets } from '../db/schema';
import { DomainError } from '../domain/errors';
import {
  assertBalanced,
  cancellationLines,
  captureLines,
  changeLines,
  documentValues,
  flownLines,
  issueLines,
  refundLines,
  reissueLines,
  runningBalances,
  serviceRemovedLines,
  type DocumentBalance,
  type LedgerLine,
  type Posting,
  type PostingKind,
} from '../domain/ledger';
import { orderRoute, type OrderSegment } from '../domain/order';

/** Writes a posting's lines (checked to balance) in `tx`; false when the key was posted already (a retry). */
export async function post(tx: DbOrTx, posting: Posting): Promise<boolean> {
  if (posting.lines.length === 0) return false;
  assertBalanced(posting);
  const rows = await tx
    .insert(ledgerEntries)
    .values(
      posting.lines.map((l, line) => ({
        postingKey: posting.key,
        line,
        kind: posting.kind,
        orderId: posting.orderId,
        account: l.account,
        amount: l.amount,
        currency: posting.currency,
        route: l.route,
        documentNumber: l.document ?? null,
        flightId: l.flightId ?? null,
        reference: l.reference ?? null,
        occurredAt: posting.at,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: ledgerEntries.id });
  return rows.length > 0;
}

interface OrderLedgerContext {
  currency: string;
  route: string;
  routeOf: (flightId: string | null) => string;
}

async function contextOf(tx: DbOrTx, orderId: string): Promise<OrderLedgerContext> {
  const [row] = await tx
    .select({ currency: orders.currency, offer: orders.offer })
    .from(orders)
    .where(eq(orders.id, orderId));
  if (!row) throw new DomainError('NOT_FOUND', `order ${orderId} was not found`);
  const segments: OrderSegment[] = row.offer?.segments ?? [];
  const route = orderRoute(segments);
  const routeOf = (flightId: string | null) => {
    const s = flightId ? segments.find((x) => x.flightId.toLowerCase() === flightId.toLowerCase()) : undefined;
    return s ? `${s.origin}-${s.destination}` : route;
  };
  return { currency: row.currency, route, routeOf };
}

const write = (
  tx: DbOrTx,
  kind: PostingKind,
  key: string,
  orderId: string,
  ctx: OrderLedgerContext,
  at: Date,
  lines: LedgerLine[],
) => post(tx, { key, kind, orderId, currency: ctx.currency, at, lines });

/** The order's unearned balance per document (document null: order-level), optionally only these documents. */
async function unearnedOf(tx: DbOrTx, orderId: string, documents?: readonly (string | null)[]) {
  const rows = await tx
    .select({
      document: ledgerEntries.documentNumber,
      flightId: sql<string | null>`min(${ledgerEntries.flightId}::text)`,
      route: sql<string>`min(${ledgerEntries.route})`,
      balance: sql<number>`sum(${ledgerEntries.amount})::int`,
    })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.orderId, orderId), eq(ledgerEntries.account, 'UNEARNED')))
    .groupBy(ledgerEntries.documentNumber);
  return rows.filter(
    (r): r is DocumentBalance => r.balance !== 0 && (documents === undefined || documents.includes(r.document)),
  );
}

async function balanceOf(tx: DbOrTx, orderId: string, account: LedgerLine['account']): Promise<number> {
  const [row] = await tx
    .select({ balance: sql<number>`coalesce(sum(${ledgerEntries.amount}), 0)::int` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.orderId, orderId), eq(ledgerEntries.account, account)));
  return row?.balance ?? 0;
}

// ------------------------------------------------------------------------------------------------ postings

/** Payment captured: the charge's money is held at the provider (once per charge id). */
export async function postCapture(
  tx: DbOrTx,
  p: { orderId: string; chargeId: string; amount: number; at: Date },
): Promise<void> {
  const ctx = await contextOf(tx, p.orderId);
  await write(
    tx,
    'payment_captured',
    `capture:${p.orderId}:${p.chargeId}`,
    p.orderId,
    ctx,
    p.at,
    captureLines({ ...p, route: ctx.route }),
  );
}

/** The sale's payment captured (markPaid): the attempt's amount as its payment row records it. */
export async function postPaymentCaptured(
  tx: DbOrTx,
  p: { orderId: string; attempt: number; chargeId: string; at: Date },
): Promise<void> {
  const [row] = await tx
    .select({ amount: payments.amount })
    .from(payments)
    .where(and(eq(payments.orderId, p.orderId), eq(payments.attempt, p.attempt)));
  if (!row) throw new DomainError('NOT_FOUND', `order ${p.orderId} has no payment attempt ${p.attempt}`);
  await postCapture(tx, { orderId: p.orderId, chargeId: p.chargeId, amount: row.amount, at: p.at });
}

/**
 * Documents issued (tickets at fulfilment, EMDs of services and seats bought after booking): each document's value
 * (domain/ledger.ts documentValues) moves from the customer's account to its unearned liability. `documents`
 * omitted: every document of the order and every item (fulfilment).
 */
export async function postDocumentsIssued(
  tx: DbOrTx,
  p: {
    orderId: string;
    key: string;
    at: Date;
    documents?: readonly string[];
    capture?: { chargeId: string; amount: number };
  },
): Promise<void> {
  const ctx = await contextOf(tx, p.orderId);
  const docs = await tx
    .select()
    .from(tickets)
    .where(
      and(
        eq(tickets.orderId, p.orderId),
        p.documents ? inArray(tickets.number, [...p.documents, '-']) : sql`true`,
        isNull(tickets.voidedAt),
      ),
    )
    .orderBy(asc(tickets.number));
  const allItems = await tx.select().from(orderItems).where(eq(orderItems.orderId, p.orderId));
  const itemIds = new Set(docs.map((d) => d.orderItemId));
  const items = p.documents ? allItems.filter((i) => itemIds.has(i.id)) : allItems;
  const values = documentValues({ items, documents: docs, routeOf: ctx.routeOf });
  if (p.capture) await postCapture(tx, { orderId: p.orderId, ...p.capture, at: p.at });
  const kind = docs.every((d) => d.kind === 'EMD') && docs.length > 0 ? 'emds_issued' : 'tickets_issued';
  await write(tx, kind, p.key, p.orderId, ctx, p.at, issueLines({ documents: values, route: ctx.route }));
}

/**
 * Money given back at the provider out of the customer's account: a change's negative total, a compensation, a late
 * payment. `capture`: the charge refunded, posted as captured first when nothing recorded it (idempotent per charge).
 */
export async function postRefund(
  tx: DbOrTx,
  p: {
    orderId: string;
    ref: string;
    refundId: string | null;
    amount: number;
    at: Date;
    capture?: { chargeId: string; amount: number };
  },
): Promise<void> {
  const ctx = await contextOf(tx, p.orderId);
  if (p.capture) await postCapture(tx, { orderId: p.orderId, ...p.capture, at: p.at });
  const lines = refundLines({ refundId: p.refundId ?? p.ref, amount: p.amount, route: ctx.route });
  await write(tx, 'refund', `refund:${p.orderId}:${p.ref}`, p.orderId, ctx, p.at, lines);
}

/**
 * A cancellation (once per order): every succeeded charge captured (`charges`, from the provider), the refunds out
 * of CASH, the unflown documents' unearned value and the customer's balance closed; the rest is the penalty retained.
 */
export async function postCancellation(
  tx: DbOrTx,
  p: {
    orderId: string;
    at: Date;
    charges: readonly { chargeId: string; amount: number }[];
    refunds: readonly { refundId: string; amount: number }[];
    /** Documents whose coupon was flown: they keep their value (earned, or earned when the flight is posted). */
    flown: readonly string[];
  },
): Promise<void> {
  for (const c of p.charges) await postCapture(tx, { orderId: p.orderId, ...c, at: p.at });
  const ctx = await contextOf(tx, p.orderId);
  const released = (await unearnedOf(tx, p.orderId)).filter(
    (b) => b.document === null || !p.flown.includes(b.document),
  );
  const lines = cancellationLines({
    released,
    customerBalance: await balanceOf(tx, p.orderId, 'CUSTOMER'),
    refunds: p.refunds,
    route: ctx.route,
  });
  await write(tx, 'cancellation', `cancellation:${p.orderId}:order`, p.orderId, ctx, p.at, lines);
}

/**
 * A confirmed voluntary change (in its exchange transaction, after the new tickets and items are written): the
 * change's charge captured, the exchanged tickets' value released, the new tickets' issued, the penalty retained.
 */
export async function postChange(
  tx: DbOrTx,
  p: {
    orderId: string;
    changeOfferId: string;
    chargeId: string | null;
    exchanged: readonly { from: string; to: string }[];
    at: Date;
  },
): Promise<void> {
  const [offer] = await tx.select().from(orderChangeOffers).where(eq(orderChangeOffers.id, p.changeOfferId));
  if (!offer) throw new DomainError('NOT_FOUND', `change offer ${p.changeOfferId} was not found`);
  if (p.chargeId && offer.changeTotalAmount > 0) {
    await postCapture(tx, { orderId: p.orderId, chargeId: p.chargeId, amount: offer.changeTotalAmount, at: p.at });
  }
  const ctx = await contextOf(tx, p.orderId);
  const { released, newTickets } = await exchangeOf(tx, p.orderId, p.exchanged);
  const items = await tx
    .select()
    .from(orderItems)
    .where(and(eq(orderItems.orderId, p.orderId), eq(orderItems.productType, 'Flight')));
  const issued = documentValues({ items, documents: newTickets, routeOf: ctx.routeOf }).filter(
    (d) => d.document !== null,
  );
  const lines = changeLines({ released, issued, penalty: offer.penaltyAmount, route: ctx.route });
  await write(tx, 'change', `change:${p.orderId}:${p.changeOfferId}`, p.orderId, ctx, p.at, lines);
}

/** An exchange's two sides: the unearned balances of the tickets given up, and the tickets issued for them. */
async function exchangeOf(tx: DbOrTx, orderId: string, exchanged: readonly { from: string; to: string }[]) {
  const released = await unearnedOf(
    tx,
    orderId,
    exchanged.map((e) => e.from),
  );
  const to = exchanged.map((e) => e.to);
  const newTickets = to.length ? await tx.select().from(tickets).where(inArray(tickets.number, to)) : [];
  return { released, newTickets };
}

/**
 * Tickets reissued with no money moving (airline-initiated re-accommodation: the order moved to another flight, no
 * charge): each exchanged ticket's unearned value is carried to the new ticket, on the new ticket's flight. Call it in
 * the transaction that writes the new tickets; `key` names the reissue (e.g. the disruption's option id).
 */
export async function postTicketsReissued(
  tx: DbOrTx,
  p: { orderId: string; key: string; exchanged: readonly { from: string; to: string }[]; at: Date },
): Promise<void> {
  const ctx = await contextOf(tx, p.orderId);
  const { released: balances, newTickets } = await exchangeOf(tx, p.orderId, p.exchanged);
  const pairs = p.exchanged.flatMap((e) => {
    const from = balances.find((b) => b.document === e.from);
    if (!from) return [];
    const flightId = newTickets.find((t) => t.number === e.to)?.flightIds[0] ?? from.flightId;
    return [{ from, to: { document: e.to, flightId, route: ctx.routeOf(flightId), amount: -from.balance } }];
  });
  await write(tx, 'reissue', `reissue:${p.orderId}:${p.key}`, p.orderId, ctx, p.at, reissueLines(pairs));
}

/** A service removed before use: its EMD's value released, `refund` given back, the rest retained. */
export async function postServiceRemoved(
  tx: DbOrTx,
  p: { orderId: string; orderItemId: string; emd: string | null; refund: { amount: number } | null; at: Date },
): Promise<void> {
  const ctx = await contextOf(tx, p.orderId);
  const released = p.emd ? await unearnedOf(tx, p.orderId, [p.emd]) : [];
  const ref = `service-refund-${p.orderItemId}`;
  const lines = serviceRemovedLines({
    released,
    refund: p.refund && p.refund.amount > 0 ? { refundId: ref, amount: p.refund.amount } : null,
    route: ctx.route,
  });
  await write(tx, 'service_removed', `service_removed:${p.orderId}:${p.orderItemId}`, p.orderId, ctx, p.at, lines);
}

/**
 * A coupon flown (the gate's FLOWN transition calls this in its transaction): the ticket's unearned value — a
 * ticket is one coupon — and that of the traveler's unvoided EMDs for the same flight become EARNED. When no other
 * ticket of the order stays unearned, the order-level value (items no document carries) is earned with it.
 */
export async function postCouponFlown(
  tx: DbOrTx,
  p: { orderId: string; ticketNumber: string; at: Date },
): Promise<void> {
  await consume(tx, p, 'coupon_flown');
}

/**
 * A coupon left unflown at departure (NO_SHOW): its value, as postCouponFlown finds it, is retained (PENALTIES)
 * under the no-show rule. A refund the rule gives is a cancellation's or a refund's posting of its own.
 */
export async function postCouponNoShow(
  tx: DbOrTx,
  p: { orderId: string; ticketNumber: string; at: Date },
): Promise<void> {
  await consume(tx, p, 'coupon_no_show');
}

async function consume(
  tx: DbOrTx,
  p: { orderId: string; ticketNumber: string; at: Date },
  kind: 'coupon_flown' | 'coupon_no_show',
): Promise<void> {
  const [ticket] = await tx
    .select()
    .from(tickets)
    .where(and(eq(tickets.orderId, p.orderId), eq(tickets.number, p.ticketNumber)));
  if (!ticket) throw new DomainError('NOT_FOUND', `ticket ${p.ticketNumber} is not on order ${p.orderId}`);
  const flightId = ticket.flightIds[0] ?? null;
  const emds = flightId
    ? (
        await tx
          .select({ number: tickets.number, flightIds: tickets.flightIds })
          .from(tickets)
          .where(
            and(
              eq(tickets.orderId, p.orderId),
              eq(tickets.kind, 'EMD'),
              eq(tickets.travelerId, ticket.travelerId),
              isNull(tickets.voidedAt),
            ),
          )
      )
        .filter((e) => e.flightIds.includes(flightId))
        .map((e) => e.number)
    : [];
  const all = await unearnedOf(tx, p.orderId);
  const mine = all.filter((b) => b.document === ticket.number || (b.document !== null && emds.includes(b.document)));
  const ticketNumbers = new Set(
    (
      await tx
        .select({ number: tickets.number })
        .from(tickets)
        .where(and(eq(tickets.orderId, p.orderId), eq(tickets.kind, 'TKT')))
    ).map((t) => t.number),
  );
  const othersOpen = all.some(
    (b) => b.document !== ticket.number && b.document !== null && ticketNumbers.has(b.document),
  );
  if (!othersOpen) mine.push(...all.filter((b) => b.document === null));
  const ctx = await contextOf(tx, p.orderId);
  const lines = flownLines(mine, kind === 'coupon_flown' ? 'EARNED' : 'PENALTIES');
  // One key per coupon for both: a coupon is consumed once, flown or not.
  await write(tx, kind, `consumed:${p.orderId}:${p.ticketNumber}`, p.orderId, ctx, p.at, lines);
}

// ------------------------------------------------------------------------------------------------ reads

/** An order's ledger in posting order, with running balances per account and whether every posting balances. */
export async function orderLedger(db: Database, orderId: string) {
  const [order] = await db.select({ id: orders.id }).from(orders).where(eq(orders.id, orderId));
  if (!order) throw new DomainError('NOT_FOUND', `order ${orderId} was not found`);
  const rows = await db
    .select()
    .from(ledgerEntries)
    .where(eq(ledgerEntries.orderId, orderId))
    .orderBy(asc(ledgerEntries.id));
  return runningBalances(rows);
}

export interface SettlementRow {
  day: string;
  route: string;
  currency: string;
  captured: number;
  refunded: number;
  unearned: number;
  earned: number;
  penalties: number;
}

/**
 * Settlement per route and day (UTC): captured and refunded at the provider, unearned liability taken on (net of
 * what was released), revenue earned and penalties retained.
 */
export async function settlement(db: Database, p: { date: string; route?: string }): Promise<SettlementRow[]> {
  const from = new Date(`${p.date}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const amount = ledgerEntries.amount;
  const rows = await db
    .select({
      route: ledgerEntries.route,
      currency: ledgerEntries.currency,
      captured: sql<number>`coalesce(sum(${amount}) filter (where ${ledgerEntries.account} = 'CASH' and ${amount} > 0), 0)::int`,
      refunded: sql<number>`coalesce(-sum(${amount}) filter (where ${ledgerEntries.account} = 'CASH' and ${amount} < 0), 0)::int`,
      unearned: sql<number>`coalesce(-sum(${amount}) filter (where ${ledgerEntries.account} = 'UNEARNED'), 0)::int`,
      earned: sql<number>`coalesce(-sum(${amount}) filter (where ${ledgerEntries.account} = 'EARNED'), 0)::int`,
      penalties: sql<number>`coalesce(-sum(${amount}) filter (where ${ledgerEntries.account} = 'PENALTIES'), 0)::int`,
    })
    .from(ledgerEntries)
    .where(
      and(
        gte(ledgerEntries.occurredAt, from),
        lt(ledgerEntries.occurredAt, to),
        p.route ? eq(ledgerEntries.route, p.route) : sql`true`,
      ),
    )
    .groupBy(ledgerEntries.route, ledgerEntries.currency)
    .orderBy(asc(ledgerEntries.route), asc(ledgerEntries.currency));
  return rows.map((r) => ({ day: p.date, ...r }));
}
