/**
 * The revenue ledger's posting rules (double entry, integer minor units): which lines each money movement or
 * revenue event makes. Pure: services/ledger.ts reads the balances these need and writes the lines, in the
 * transaction of the state change they belong to. Every posting sums to zero per currency.
 *
 * Sign: a line's amount is a debit when positive, a credit when negative. Accounts:
 *   CASH      money held at the payment provider (debit balance)
 *   CUSTOMER  money received and not yet on a document, or owed back to the customer (credit balance)
 *   UNEARNED  the liability of issued tickets and EMDs not yet flown (credit balance, per document)
 *   EARNED    revenue of flown coupons (credit balance)
 *   PENALTIES fees retained: cancellation and change penalties, what a cancelled non-refundable fare keeps
 */
import { DomainError } from './errors';

export const LEDGER_ACCOUNTS = ['CASH', 'CUSTOMER', 'UNEARNED', 'EARNED', 'PENALTIES'] as const;
export type LedgerAccount = (typeof LEDGER_ACCOUNTS)[number];

export const POSTING_KINDS = [
  'payment_captured',
  'tickets_issued',
  'emds_issued',
  'coupon_flown',
  'coupon_no_show',
  'refund',
  'cancellation',
  'change',
  'reissue',
  'service_removed',
] as const;
export type PostingKind = (typeof POSTING_KINDS)[number];

export interface LedgerLine {
  account: LedgerAccount;
  amount: number;
  /** Where the money or revenue belongs: the coupon's flight (AAA-BBB) or, for order-level lines, the order's. */
  route: string;
  document?: string | null;
  flightId?: string | null;
  /** The provider's charge or refund id, on CASH lines. */
  reference?: string | null;
}

export interface Posting {
  /** Unique per posting: `<kind>:<order>:<ref>`; a retried activity posts the same key, which is kept once. */
  key: string;
  kind: PostingKind;
  orderId: string;
  currency: string;
  at: Date;
  lines: LedgerLine[];
}

/** A document's (or the order-level, document null) unearned balance, as the ledger holds it: signed. */
export interface DocumentBalance {
  document: string | null;
  flightId: string | null;
  route: string;
  balance: number;
}

/** A document issued now and the value it carries. */
export interface IssuedDocument {
  document: string | null;
  flightId: string | null;
  route: string;
  amount: number;
}

const nonZero = (lines: LedgerLine[]) => lines.filter((l) => l.amount !== 0);
const sum = (lines: readonly { amount: number }[]) => lines.reduce((n, l) => n + l.amount, 0);

/** True when the lines sum to zero (one currency per posting) and every amount is an integer. */
export function isBalanced(lines: readonly { amount: number }[]): boolean {
  return lines.every((l) => Number.isSafeInteger(l.amount)) && sum(lines) === 0;
}

export function assertBalanced(p: Posting): Posting {
  if (!isBalanced(p.lines)) {
    throw new DomainError('INTERNAL', `ledger posting ${p.key} does not balance`, { lines: p.lines });
  }
  return p;
}

/** Money the provider captured: held at the provider, owed to the customer until documents are issued for it. */
export function captureLines(p: { chargeId: string; amount: number; route: string }): LedgerLine[] {
  return nonZero([
    { account: 'CASH', amount: p.amount, route: p.route, reference: p.chargeId },
    { account: 'CUSTOMER', amount: -p.amount, route: p.route, reference: p.chargeId },
  ]);
}

/** Tickets or EMDs issued: what the customer paid becomes each document's unearned liability. */
export function issueLines(p: { documents: IssuedDocument[]; route: string }): LedgerLine[] {
  const docs = p.documents.filter((d) => d.amount !== 0);
  return nonZero([
    { account: 'CUSTOMER', amount: sum(docs), route: p.route },
    ...docs.map((d): LedgerLine => ({
      account: 'UNEARNED',
      amount: -d.amount,
      route: d.route,
      document: d.document,
      flightId: d.flightId,
    })),
  ]);
}

/** The lines that bring these unearned balances to zero (a release). */
const release = (balances: readonly DocumentBalance[]): LedgerLine[] =>
  balances.map((b) => ({
    account: 'UNEARNED',
    amount: -b.balance,
    route: b.route,
    document: b.document,
    flightId: b.flightId,
  }));

/**
 * A coupon flown: its document's unearned value (and its EMDs' for that flight) is earned. A no-show's coupon
 * (`to` PENALTIES) is kept under the no-show rule instead.
 */
export function flownLines(balances: readonly DocumentBalance[], to: 'EARNED' | 'PENALTIES' = 'EARNED'): LedgerLine[] {
  return nonZero([
    ...release(balances),
    ...balances.map((b): LedgerLine => ({
      account: to,
      amount: b.balance,
      route: b.route,
      document: b.document,
      flightId: b.flightId,
    })),
  ]);
}

/** Money given back at the provider out of what the customer is owed (a change's negative total, a compensation). */
export function refundLines(p: { refundId: string; amount: number; route: string }): LedgerLine[] {
  return nonZero([
    { account: 'CUSTOMER', amount: p.amount, route: p.route, reference: p.refundId },
    { account: 'CASH', amount: -p.amount, route: p.route, reference: p.refundId },
  ]);
}

/**
 * Closes liabilities against refunds: the released documents' unearned value and the customer's balance are either
 * refunded (CASH) or retained (PENALTIES). Should the refunds exceed them, the excess is revenue given back (EARNED).
 */
function settle(lines: LedgerLine[], route: string): LedgerLine[] {
  const rest = -sum(lines);
  if (rest !== 0) lines.push({ account: rest < 0 ? 'PENALTIES' : 'EARNED', amount: rest, route });
  return nonZero(lines);
}

/**
 * A cancellation: the unflown documents' unearned value is released and the customer's balance closed; the
 * refunds leave CASH; whatever is not refunded is the penalty retained.
 */
export function cancellationLines(p: {
  released: readonly DocumentBalance[];
  customerBalance: number;
  refunds: readonly { refundId: string; amount: number }[];
  route: string;
}): LedgerLine[] {
  return settle(
    [
      ...release(p.released),
      { account: 'CUSTOMER', amount: -p.customerBalance, route: p.route },
      ...p.refunds.map((r): LedgerLine => ({
        account: 'CASH',
        amount: -r.amount,
        route: p.route,
        reference: r.refundId,
      })),
    ],
    p.route,
  );
}

/** A removed service: its EMD's unearned value released, refunded by its rule, the rest retained. */
export function serviceRemovedLines(p: {
  released: readonly DocumentBalance[];
  refund: { refundId: string; amount: number } | null;
  route: string;
}): LedgerLine[] {
  return settle(
    [
      ...release(p.released),
      ...(p.refund
        ? [{ account: 'CASH', amount: -p.refund.amount, route: p.route, reference: p.refund.refundId } as LedgerLine]
        : []),
    ],
    p.route,
  );
}

/**
 * A voluntary change (an exchange): the removed tickets' unearned value released, the new tickets' issued, the
 * penalty retained; the customer's account takes the difference (the change's capture paid it, or a refund of it
 * follows).
 */
export function changeLines(p: {
  released: readonly DocumentBalance[];
  issued: readonly IssuedDocument[];
  penalty: number;
  route: string;
}): LedgerLine[] {
  const lines: LedgerLine[] = [
    ...release(p.released),
    ...p.issued.map((d): LedgerLine => ({
      account: 'UNEARNED',
      amount: -d.amount,
      route: d.route,
      document: d.document,
      flightId: d.flightId,
    })),
    { account: 'PENALTIES', amount: -p.penalty, route: p.route },
  ];
  lines.push({ account: 'CUSTOMER', amount: -sum(lines), route: p.route });
  return nonZero(lines);
}

/** Tickets reissued with no money moving (an involuntary re-accommodation): each old value carried to its new ticket. */
export function reissueLines(pairs: readonly { from: DocumentBalance; to: IssuedDocument }[]): LedgerLine[] {
  return nonZero(
    pairs.flatMap(({ from, to }): LedgerLine[] => [
      ...release([from]),
      { account: 'UNEARNED', amount: from.balance, route: to.route, document: to.document, flightId: to.flightId },
    ]),
  );
}

/**
 * The split rule: a ticket carries one coupon (one traveler, one flight), worth that traveler's Flight items on that
 * flight; an EMD is worth its item. What no document carries (an item with no traveler) is an order-level line.
 */
export function documentValues(p: {
  items: readonly {
    id: string;
    productType: string;
    travelerId: string | null;
    flightId: string | null;
    amount: number;
  }[];
  documents: readonly {
    number: string;
    kind: 'TKT' | 'EMD';
    travelerId: string;
    flightIds: readonly string[];
    orderItemId: string | null;
  }[];
  routeOf: (flightId: string | null) => string;
}): IssuedDocument[] {
  const taken = new Set<string>();
  const out: IssuedDocument[] = [];
  for (const d of p.documents) {
    const flightId = d.flightIds[0] ?? null;
    const mine = p.items.filter((i) =>
      d.kind === 'EMD'
        ? i.id === d.orderItemId
        : i.productType === 'Flight' && i.travelerId === d.travelerId && i.flightId !== null && i.flightId === flightId,
    );
    mine.forEach((i) => taken.add(i.id));
    out.push({ document: d.number, flightId, route: p.routeOf(flightId), amount: sum(mine) });
  }
  const rest = sum(p.items.filter((i) => !taken.has(i.id)));
  if (rest !== 0) out.push({ document: null, flightId: null, route: p.routeOf(null), amount: rest });
  return out;
}

export interface LedgerEntryRow {
  postingKey: string;
  kind: string;
  account: LedgerAccount;
  amount: number;
  currency: string;
}

/** Running balances per account over entries in order, and whether every posting balances. */
export function runningBalances<T extends LedgerEntryRow>(
  entries: readonly T[],
): { entries: (T & { balance_after: number })[]; balances: Record<string, number>; balanced: boolean } {
  const balances: Record<string, number> = {};
  const perPosting = new Map<string, number>();
  const withRunning = entries.map((e) => {
    const k = `${e.account}:${e.currency}`;
    balances[k] = (balances[k] ?? 0) + e.amount;
    const pk = `${e.postingKey}:${e.currency}`;
    perPosting.set(pk, (perPosting.get(pk) ?? 0) + e.amount);
    return { ...e, balance_after: balances[k] };
  });
  const balanced = [...perPosting.values()].every((n) => n === 0);
  return { entries: withRunning, balances, balanced };
}
