/**
 * What cancelling a paid order gives back, under the fare conditions it was sold with (domain/commercial.ts
 * `FareConditions`). The rule, per traveler:
 * - flown coupons are never refunded: an item of a flight that has departed by the cancellation is kept;
 * - before any flight of the order has departed, `refund_before_departure` decides: not allowed → nothing back;
 *   allowed → the traveler's items minus the penalty (per passenger, never below zero);
 * - once a flight has departed (flown or not shown), the unflown rest follows `no_show` the same way, and
 *   per-order items (insurance) are no longer refunded;
 * - an order sold before conditions existed (none stored) refunds its unflown items in full, as it was sold.
 * The refund never exceeds what was charged.
 *
 * With the coupons' day-of-travel statuses (`coupons`, domain/check-in.ts couponStatus), a departed flight's coupon
 * is judged by its status: FLOWN and NO_SHOW coupons are used (kept); the `no_show` condition applies to a
 * traveler with a NO_SHOW coupon (or a departed coupon not settled yet), while a traveler whose departed coupons
 * were all FLOWN cancels the unflown rest under `refund_before_departure` (they showed up).
 */
import type { CouponUseStatus } from './check-in';
import type { FareCondition, FareConditions } from './commercial';

export interface RefundItem {
  travelerId: string | null;
  flightId: string | null;
  amount: number;
}

export interface RefundInput {
  conditions: FareConditions | null;
  items: readonly RefundItem[];
  /** The order's flights that had departed when the cancellation was made. */
  departedFlightIds: ReadonlySet<string>;
  /** What was charged (minor units): the refund's ceiling. */
  charged: number;
  /** The coupons' statuses by `couponKey(travelerId, flightId)`; absent: judged by departures alone. */
  coupons?: ReadonlyMap<string, CouponUseStatus>;
}

export const couponKey = (travelerId: string, flightId: string) => `${travelerId}:${flightId}`;

type RuleName = 'refund_before_departure' | 'no_show';

/**
 * The condition each traveler's unflown rest follows: before any departure, refund_before_departure; after one,
 * no_show — unless the coupon statuses show that every departed coupon of the traveler was FLOWN.
 */
function travelerRule(input: RefundInput, travelerId: string | null, anyDeparted: boolean): RuleName {
  if (!anyDeparted) return 'refund_before_departure';
  if (travelerId === null || !input.coupons) return 'no_show';
  const departed = [...input.departedFlightIds].map((f) => input.coupons!.get(couponKey(travelerId, f)));
  const flownAll = departed.length > 0 && departed.every((s) => s === 'FLOWN');
  return flownAll ? 'refund_before_departure' : 'no_show';
}

export interface RefundQuote {
  amount: number;
  /** Which condition decided: before departure, after a departure (no-show), or none stored (full). */
  rule: 'refund_before_departure' | 'no_show' | 'as_sold';
  /** Sum of the items of departed flights (kept whatever the conditions). */
  flown: number;
  /** Penalties and non-refundable amounts kept. */
  kept: number;
}

/** A flight with a settled coupon (FLOWN or NO_SHOW) has departed, whatever the clock of the caller says. */
function withSettledCoupons<T extends RefundInput>(input: T): T {
  if (!input.coupons) return input;
  const departed = new Set(input.departedFlightIds);
  for (const [key, status] of input.coupons) {
    if (status === 'FLOWN' || status === 'NO_SHOW') departed.add(key.slice(key.indexOf(':') + 1));
  }
  return { ...input, departedFlightIds: departed };
}

export function refundQuote(raw: RefundInput): RefundQuote {
  const input = withSettledCoupons(raw);
  const anyDeparted = input.departedFlightIds.size > 0;
  const flownItem = (i: RefundItem) => i.flightId !== null && input.departedFlightIds.has(i.flightId);
  // Per-order items ride with the whole journey: once it has begun they are used.
  const unflownItem = (i: RefundItem) =>
    i.flightId === null ? !anyDeparted : !input.departedFlightIds.has(i.flightId);
  const flown = input.items
    .filter((i) => flownItem(i) || (i.flightId === null && anyDeparted))
    .reduce((s, i) => s + i.amount, 0);

  const ruleOf = (travelerId: string | null) => travelerRule(input, travelerId, anyDeparted);
  const conditionOf = (travelerId: string | null): FareCondition | null =>
    input.conditions === null ? null : input.conditions[ruleOf(travelerId)];

  const byTraveler = new Map<string | null, number>();
  for (const i of input.items.filter(unflownItem)) {
    byTraveler.set(i.travelerId, (byTraveler.get(i.travelerId) ?? 0) + i.amount);
  }
  let amount = 0;
  let unflown = 0;
  const rules = new Set<RuleName>();
  for (const [travelerId, sum] of byTraveler) {
    unflown += sum;
    const condition = conditionOf(travelerId);
    if (travelerId !== null || byTraveler.size === 1) rules.add(ruleOf(travelerId));
    if (condition === null) amount += sum;
    else if (condition.allowed) {
      // Order-level items (no traveler) carry no passenger penalty.
      const penalty = travelerId === null ? 0 : (condition.penalty_amount ?? 0);
      amount += Math.max(0, sum - penalty);
    }
  }
  amount = Math.max(0, Math.min(amount, input.charged));
  // The quote names the condition that decided: no_show when it applied to anyone.
  const rule: RefundQuote['rule'] =
    input.conditions === null
      ? 'as_sold'
      : rules.has('no_show') || (anyDeparted && rules.size === 0)
        ? 'no_show'
        : 'refund_before_departure';
  return { amount, rule, flown, kept: unflown - amount };
}

/** A document a cancellation gives back against: an e-ticket (a traveler's flights) or an EMD (one service). */
export interface RefundDocumentItem extends RefundItem {
  /** The ticket or EMD number the item was issued on; null for items without a document (per-order items). */
  documentNumber: string | null;
  documentType: 'TKT' | 'EMD' | null;
}

export interface RefundLine {
  documentNumber: string | null;
  documentType: 'TKT' | 'EMD' | null;
  travelerId: string | null;
  /** What the items of this document cost (minor units). */
  amount: number;
  refundable: number;
  penalty: number;
  /** Every item of the document is on a flight that has departed (a flown coupon is never refunded). */
  flown: boolean;
}

export interface CancellationQuote extends RefundQuote {
  /** Unflown amounts kept: the passenger penalties and non-refundable fares (= kept). */
  penalty: number;
  lines: RefundLine[];
}

/**
 * The cancellation quote: `refundQuote`'s amounts, itemised per document. A traveler's penalty (or a
 * non-refundable fare's whole value) is taken from their documents in order (the ticket first, then the EMDs), so
 * every line's refundable + penalty is its unflown amount and the lines sum to the quote.
 */
export function cancellationQuote(raw: Omit<RefundInput, 'items'> & { items: readonly RefundDocumentItem[] }) {
  const input = withSettledCoupons(raw);
  const quote = refundQuote(input);
  const anyDeparted = input.departedFlightIds.size > 0;
  const unflown = (i: RefundItem) => (i.flightId === null ? !anyDeparted : !input.departedFlightIds.has(i.flightId));

  const lines = new Map<string, RefundLine & { unflown: number }>();
  const order: string[] = [];
  for (const i of input.items) {
    const key = i.documentNumber ?? `item:${i.travelerId ?? '-'}:${i.flightId ?? '-'}`;
    let line = lines.get(key);
    if (!line) {
      line = {
        documentNumber: i.documentNumber,
        documentType: i.documentType,
        travelerId: i.travelerId,
        amount: 0,
        refundable: 0,
        penalty: 0,
        flown: true,
        unflown: 0,
      };
      lines.set(key, line);
      order.push(key);
    }
    line.amount += i.amount;
    if (unflown(i)) {
      line.unflown += i.amount;
      line.flown = false;
    }
  }
  // Tickets before EMDs before per-order items: the penalty is taken from the fare first.
  const rank = (l: RefundLine) => (l.documentType === 'TKT' ? 0 : l.documentType === 'EMD' ? 1 : 2);
  const sorted = order.map((k) => lines.get(k)!).sort((a, b) => rank(a) - rank(b));

  // What each traveler keeps of their unflown items, as refundQuote decided it (per traveler), spread over lines.
  const kept = new Map<string | null, number>();
  for (const l of sorted) kept.set(l.travelerId, (kept.get(l.travelerId) ?? 0) + l.unflown);
  for (const [travelerId, sum] of kept) {
    const condition = input.conditions === null ? null : input.conditions[travelerRule(input, travelerId, anyDeparted)];
    const keep =
      condition === null
        ? 0
        : !condition.allowed
          ? sum
          : Math.min(sum, travelerId === null ? 0 : (condition.penalty_amount ?? 0));
    kept.set(travelerId, keep);
  }
  for (const l of sorted) {
    const keep = Math.min(l.unflown, kept.get(l.travelerId) ?? 0);
    kept.set(l.travelerId, (kept.get(l.travelerId) ?? 0) - keep);
    l.penalty = keep;
    l.refundable = l.unflown - keep;
  }
  // The refund never exceeds the charge: anything above it is kept from the last lines.
  let excess = sorted.reduce((s, l) => s + l.refundable, 0) - quote.amount;
  for (const l of [...sorted].reverse()) {
    if (excess <= 0) break;
    const cut = Math.min(excess, l.refundable);
    l.refundable -= cut;
    l.penalty += cut;
    excess -= cut;
  }
  const result: CancellationQuote = {
    ...quote,
    penalty: quote.kept,
    lines: sorted.map(({ unflown: _unflown, ...l }) => l),
  };
  return result;
}

/** One charge an order holds money on: what is still refundable of it. */
export interface HeldCharge {
  chargeId: string;
  remaining: number;
}

export interface PlannedRefund {
  chargeId: string;
  amount: number;
  /** The gateway idempotency key: a retried refund is the same refund. */
  key: string;
}

/**
 * Splits a refund over the charges an order holds money on (the sale's, then a change's or services' bought after
 * booking, in the order given), each up to what is still refundable of it, so that money taken on a later charge
 * comes back too. The sale's charge keeps the key it always had (`refund-<order>`). Never more than is held.
 */
export function splitRefund(orderId: string, amount: number, held: readonly HeldCharge[], primary: string | null) {
  const plan: PlannedRefund[] = [];
  let left = amount;
  for (const c of held) {
    if (left <= 0) break;
    const take = Math.min(left, Math.max(0, c.remaining));
    if (take <= 0) continue;
    plan.push({
      chargeId: c.chargeId,
      amount: take,
      key: c.chargeId === primary ? `refund-${orderId}` : `refund-${orderId}-${c.chargeId}`,
    });
    left -= take;
  }
  return plan;
}
