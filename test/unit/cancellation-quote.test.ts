import { describe, expect, it } from 'vitest';
import type { FareConditions } from '../../domain/commercial';
import { cancellationQuote, refundQuote, type RefundDocumentItem } from '../../domain/refund';

const cond = (refund: { allowed: boolean; penalty?: number }, noShow = { allowed: false }): FareConditions => ({
  refund_before_departure: {
    allowed: refund.allowed,
    penalty_amount: refund.allowed ? (refund.penalty ?? 0) : null,
    penalty_currency: refund.allowed ? 'USD' : null,
  },
  change_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
  no_show: { allowed: noShow.allowed, penalty_amount: noShow.allowed ? 0 : null, penalty_currency: null },
});

// Two travelers on two flights: a ticket each (both flights), a bag EMD each on the first flight.
const items: RefundDocumentItem[] = [
  { travelerId: 'a', flightId: 'f1', amount: 6000, documentNumber: 'T-A', documentType: 'TKT' },
  { travelerId: 'a', flightId: 'f2', amount: 6000, documentNumber: 'T-A', documentType: 'TKT' },
  { travelerId: 'a', flightId: 'f1', amount: 3500, documentNumber: 'E-A', documentType: 'EMD' },
  { travelerId: 'b', flightId: 'f1', amount: 6000, documentNumber: 'T-B', documentType: 'TKT' },
  { travelerId: 'b', flightId: 'f2', amount: 6000, documentNumber: 'T-B', documentType: 'TKT' },
  { travelerId: 'b', flightId: 'f1', amount: 3500, documentNumber: 'E-B', documentType: 'EMD' },
];
const charged = items.reduce((s, i) => s + i.amount, 0);
const line = (q: ReturnType<typeof cancellationQuote>, doc: string) => q.lines.find((l) => l.documentNumber === doc)!;

describe('cancellationQuote: the refund rule per ticket and EMD', () => {
  it('takes each traveler’s penalty from their ticket first; the lines sum to refundQuote’s amount', () => {
    const input = {
      conditions: cond({ allowed: true, penalty: 5000 }),
      items,
      departedFlightIds: new Set<string>(),
      charged,
    };
    const q = cancellationQuote(input);
    expect(q.amount).toBe(refundQuote(input).amount);
    expect(q.amount).toBe(charged - 2 * 5000);
    expect(q.penalty).toBe(2 * 5000);
    expect(line(q, 'T-A')).toMatchObject({ amount: 12000, refundable: 7000, penalty: 5000, flown: false });
    expect(line(q, 'E-A')).toMatchObject({ amount: 3500, refundable: 3500, penalty: 0 });
    expect(q.lines.map((l) => l.documentType)).toEqual(['TKT', 'TKT', 'EMD', 'EMD']);
  });

  it('spreads a penalty larger than the fare onto the traveler’s EMDs, never below zero', () => {
    const q = cancellationQuote({
      conditions: cond({ allowed: true, penalty: 14000 }),
      items,
      departedFlightIds: new Set(),
      charged,
    });
    expect(line(q, 'T-A')).toMatchObject({ refundable: 0, penalty: 12000 });
    expect(line(q, 'E-A')).toMatchObject({ refundable: 1500, penalty: 2000 });
    expect(q.amount).toBe(2 * 1500);
  });

  it('keeps everything of a non-refundable fare, and nothing of what was flown counts as refundable', () => {
    const none = cancellationQuote({
      conditions: cond({ allowed: false }),
      items,
      departedFlightIds: new Set(),
      charged,
    });
    expect(none.amount).toBe(0);
    expect(none.penalty).toBe(charged);
    // f1 flown, no_show allowed without penalty: only the f2 coupons come back; the f1 bag EMDs are flown.
    const after = cancellationQuote({
      conditions: cond({ allowed: false }, { allowed: true }),
      items,
      departedFlightIds: new Set(['f1']),
      charged,
    });
    expect(after.rule).toBe('no_show');
    expect(after.amount).toBe(2 * 6000);
    expect(line(after, 'E-A')).toMatchObject({ refundable: 0, penalty: 0, flown: true });
    expect(line(after, 'T-A')).toMatchObject({ refundable: 6000, penalty: 0, flown: false });
  });

  it('never refunds more than was charged', () => {
    const q = cancellationQuote({ conditions: null, items, departedFlightIds: new Set(), charged: 10000 });
    expect(q.amount).toBe(10000);
    expect(q.lines.reduce((s, l) => s + l.refundable, 0)).toBe(10000);
  });
});
