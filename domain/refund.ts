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
 */
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

export function refundQuote(input: RefundInput): RefundQuote {
  const anyDeparted = input.departedFlightIds.size > 0;
  const flownItem = (i: RefundItem) => i.flightId !== null && input.departedFlightIds.has(i.flightId);
  // Per-order items ride with the whole journey: once it has begun they are used.
  const unflownItem = (i: RefundItem) =>
    i.flightId === null ? !anyDeparted : !input.departedFlightIds.has(i.flightId);
  const flown = input.items
    .filter((i) => flownItem(i) || (i.flightId === null && anyDeparted))
    .reduce((s, i) => s + i.amount, 0);

  const rule: RefundQuote['rule'] =
    input.conditions === null ? 'as_sold' : anyDeparted ? 'no_show' : 'refund_before_departure';
  const condition: FareCondition | null = input.conditions === null ? null : input.conditions[rule as 'no_show'];

  const byTraveler = new Map<string | null, number>();
  for (const i of input.items.filter(unflownItem)) {
    byTraveler.set(i.travelerId, (byTraveler.get(i.travelerId) ?? 0) + i.amount);
  }
  let amount = 0;
  let unflown = 0;
  for (const [travelerId, sum] of byTraveler) {
    unflown += sum;
    if (condition === null) amount += sum;
    else if (condition.allowed) {
      // Order-level items (no traveler) carry no passenger penalty.
      const penalty = travelerId === null ? 0 : (condition.penalty_amount ?? 0);
      amount += Math.max(0, sum - penalty);
    }
  }
  amount = Math.max(0, Math.min(amount, input.charged));
  return { amount, rule, flown, kept: unflown - amount };
}
