import { describe, expect, it } from 'vitest';
import {
  cancellationLines,
  captureLines,
  changeLines,
  documentValues,
  flownLines,
  isBalanced,
  issueLines,
  refundLines,
  runningBalances,
  serviceRemovedLines,
} from '../../domain/ledger';

const R = 'AAA-BBB';
const of = (lines: { account: string; amount: number }[], account: string) =>
  lines.filter((l) => l.account === account).reduce((n, l) => n + l.amount, 0);

describe('ledger posting rules', () => {
  it('a capture puts the money in CASH, owed to the customer until documents are issued', () => {
    const lines = captureLines({ chargeId: 'ch_1', amount: 30000, route: R });
    expect(isBalanced(lines)).toBe(true);
    expect(of(lines, 'CASH')).toBe(30000);
    expect(of(lines, 'CUSTOMER')).toBe(-30000);
  });

  it('splits a sale over its documents: a ticket is its traveler’s Flight items on its flight, an EMD its item', () => {
    const values = documentValues({
      items: [
        { id: 'i1', productType: 'Flight', travelerId: 't1', flightId: 'f1', amount: 10000 },
        { id: 'i2', productType: 'Flight', travelerId: 't1', flightId: 'f2', amount: 12000 },
        { id: 'i3', productType: 'Bag', travelerId: 't1', flightId: 'f1', amount: 3000 },
        { id: 'i4', productType: 'Insurance', travelerId: null, flightId: null, amount: 500 },
      ],
      documents: [
        { number: 'T1', kind: 'TKT', travelerId: 't1', flightIds: ['f1'], orderItemId: null },
        { number: 'T2', kind: 'TKT', travelerId: 't1', flightIds: ['f2'], orderItemId: null },
        { number: 'E1', kind: 'EMD', travelerId: 't1', flightIds: ['f1'], orderItemId: 'i3' },
      ],
      routeOf: (f) => (f === 'f1' ? 'AAA-BBB' : f === 'f2' ? 'BBB-AAA' : 'AAA-BBB-AAA'),
    });
    expect(values).toEqual([
      { document: 'T1', flightId: 'f1', route: 'AAA-BBB', amount: 10000 },
      { document: 'T2', flightId: 'f2', route: 'BBB-AAA', amount: 12000 },
      { document: 'E1', flightId: 'f1', route: 'AAA-BBB', amount: 3000 },
      { document: null, flightId: null, route: 'AAA-BBB-AAA', amount: 500 },
    ]);
    const lines = issueLines({ documents: values, route: 'AAA-BBB-AAA' });
    expect(isBalanced(lines)).toBe(true);
    expect(of(lines, 'CUSTOMER')).toBe(25500);
    expect(of(lines, 'UNEARNED')).toBe(-25500);
  });

  it('a flown coupon moves its unearned value to EARNED', () => {
    const lines = flownLines([{ document: 'T1', flightId: 'f1', route: R, balance: -10000 }]);
    expect(isBalanced(lines)).toBe(true);
    expect(of(lines, 'UNEARNED')).toBe(10000);
    expect(of(lines, 'EARNED')).toBe(-10000);
  });

  it('a no-show’s coupon is retained (PENALTIES) instead of earned', () => {
    const lines = flownLines([{ document: 'T1', flightId: 'f1', route: R, balance: -10000 }], 'PENALTIES');
    expect(isBalanced(lines)).toBe(true);
    expect(of(lines, 'PENALTIES')).toBe(-10000);
    expect(of(lines, 'EARNED')).toBe(0);
  });

  it('a cancellation refunds out of CASH and retains the rest as a penalty', () => {
    const lines = cancellationLines({
      released: [{ document: 'T1', flightId: 'f1', route: R, balance: -20000 }],
      customerBalance: 0,
      refunds: [{ refundId: 're_1', amount: 15000 }],
      route: R,
    });
    expect(isBalanced(lines)).toBe(true);
    expect(of(lines, 'CASH')).toBe(-15000);
    expect(of(lines, 'PENALTIES')).toBe(-5000);
    expect(of(lines, 'UNEARNED')).toBe(20000);
  });

  it('an involuntary refund of money never ticketed closes the customer’s account, no penalty', () => {
    const lines = cancellationLines({
      released: [],
      customerBalance: -20000,
      refunds: [{ refundId: 're_1', amount: 20000 }],
      route: R,
    });
    expect(isBalanced(lines)).toBe(true);
    expect(of(lines, 'PENALTIES')).toBe(0);
    expect(of(lines, 'CUSTOMER')).toBe(20000);
  });

  it('a change releases the old ticket, issues the new one, retains the penalty, the customer pays the difference', () => {
    const up = changeLines({
      released: [{ document: 'T1', flightId: 'f1', route: R, balance: -10000 }],
      issued: [{ document: 'T9', flightId: 'f9', route: R, amount: 13000 }],
      penalty: 1500,
      route: R,
    });
    expect(isBalanced(up)).toBe(true);
    expect(of(up, 'CUSTOMER')).toBe(4500); // consumes the change's capture of 3000 + 1500
    expect(of(up, 'PENALTIES')).toBe(-1500);
    const down = changeLines({
      released: [{ document: 'T1', flightId: 'f1', route: R, balance: -10000 }],
      issued: [{ document: 'T9', flightId: 'f9', route: R, amount: 6000 }],
      penalty: 1500,
      route: R,
    });
    expect(of(down, 'CUSTOMER')).toBe(-2500); // owed back: the refund that follows
    const refund = refundLines({ refundId: 're_2', amount: 2500, route: R });
    expect(isBalanced(refund)).toBe(true);
    expect(of([...down, ...refund], 'CUSTOMER')).toBe(0);
  });

  it('a removed service releases its EMD, refunds by its rule and retains the rest', () => {
    const lines = serviceRemovedLines({
      released: [{ document: 'E1', flightId: 'f1', route: R, balance: -3000 }],
      refund: { refundId: 'x', amount: 2000 },
      route: R,
    });
    expect(isBalanced(lines)).toBe(true);
    expect(of(lines, 'PENALTIES')).toBe(-1000);
  });

  it('running balances per account, and a posting that does not sum to zero is flagged', () => {
    const rows = [
      { postingKey: 'a', kind: 'payment_captured', account: 'CASH' as const, amount: 100, currency: 'USD' },
      { postingKey: 'a', kind: 'payment_captured', account: 'CUSTOMER' as const, amount: -100, currency: 'USD' },
      { postingKey: 'b', kind: 'refund', account: 'CASH' as const, amount: -40, currency: 'USD' },
    ];
    const ok = runningBalances(rows.slice(0, 2));
    expect(ok.balanced).toBe(true);
    expect(ok.balances).toEqual({ 'CASH:USD': 100, 'CUSTOMER:USD': -100 });
    const bad = runningBalances(rows);
    expect(bad.balanced).toBe(false);
    expect(bad.entries[2]!.balance_after).toBe(60);
  });
});
