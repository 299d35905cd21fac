import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { conditionsIn, DEFAULT_CONDITIONS, type FareConditions } from '../../domain/commercial';
import { refundQuote, type RefundItem } from '../../domain/refund';

const { pricing, bundles } = loadConfig({});
const fx = { base: pricing.currency, rates: pricing.exchange_rates };
const conditionsOf = (code: string, currency = 'USD') =>
  conditionsIn(bundles.find((b) => b.code === code)!.conditions, currency, fx);

describe('fare conditions as sold', () => {
  it('shows each bundle’s conditions in the offer’s currency, penalties per passenger', () => {
    expect(conditionsOf('FLIGHT_ONLY')).toEqual({
      refund_before_departure: { allowed: false, penalty_amount: null, penalty_currency: null },
      change_before_departure: { allowed: true, penalty_amount: 7500, penalty_currency: 'USD' },
      no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
    });
    expect(conditionsOf('COMFORT').refund_before_departure).toEqual({
      allowed: true,
      penalty_amount: 10000,
      penalty_currency: 'USD',
    });
    // 100.00 USD at 150 JPY = 15000 JPY; at 0.307 KWD = 30.700 KWD.
    expect(conditionsOf('COMFORT', 'JPY').refund_before_departure.penalty_amount).toBe(15000);
    expect(conditionsOf('COMFORT', 'KWD').refund_before_departure).toEqual({
      allowed: true,
      penalty_amount: 30700,
      penalty_currency: 'KWD',
    });
    expect(conditionsOf('PREMIUM').no_show).toEqual({ allowed: true, penalty_amount: 5000, penalty_currency: 'USD' });
  });

  it('sells a bundle without conditions non-refundable and unchangeable', () => {
    const none = conditionsIn(undefined, 'USD', fx);
    expect(none).toEqual(conditionsIn(DEFAULT_CONDITIONS, 'USD', fx));
    expect(Object.values(none).every((c) => !c.allowed)).toBe(true);
  });
});

describe('refundQuote (cancelling a paid order)', () => {
  const refundable: FareConditions = conditionsOf('COMFORT'); // 100.00 penalty per passenger, no-show: none
  const premium: FareConditions = conditionsOf('PREMIUM'); // free refund, no-show 50.00
  const nonRefundable: FareConditions = conditionsOf('FLIGHT_ONLY');
  // Two travelers on a round trip (out, back) plus an order-level insurance.
  const items: RefundItem[] = [
    { travelerId: 't1', flightId: 'out', amount: 30000 },
    { travelerId: 't1', flightId: 'back', amount: 28000 },
    { travelerId: 't1', flightId: 'out', amount: 1350 }, // a seat
    { travelerId: 't2', flightId: 'out', amount: 30000 },
    { travelerId: 't2', flightId: 'back', amount: 28000 },
    { travelerId: null, flightId: null, amount: 2500 }, // insurance
  ];
  const charged = items.reduce((s, i) => s + i.amount, 0); // 119850
  const quote = (conditions: FareConditions | null, departed: string[] = []) =>
    refundQuote({ conditions, items, departedFlightIds: new Set(departed), charged });

  it('refundable before departure: everything less the penalty per passenger', () => {
    expect(quote(refundable)).toEqual({
      amount: charged - 2 * 10000,
      rule: 'refund_before_departure',
      flown: 0,
      kept: 20000,
    });
    expect(quote(premium).amount).toBe(charged);
  });

  it('non-refundable: nothing back', () => {
    expect(quote(nonRefundable)).toMatchObject({ amount: 0, rule: 'refund_before_departure', kept: charged });
  });

  it('never refunds a flown coupon; the unflown rest follows the no-show rule', () => {
    // Outbound departed: COMFORT's no-show rule refunds nothing of the return.
    expect(quote(refundable, ['out'])).toEqual({ amount: 0, rule: 'no_show', flown: 61350 + 2500, kept: 56000 });
    // PREMIUM refunds the return less 50.00 per passenger; the outbound and the insurance are used.
    expect(quote(premium, ['out'])).toMatchObject({ amount: 2 * (28000 - 5000), rule: 'no_show', flown: 63850 });
    // Every flight departed: nothing is left to refund.
    expect(quote(premium, ['out', 'back']).amount).toBe(0);
  });

  it('a penalty larger than a traveler’s unflown items takes it to zero, not below', () => {
    const small: RefundItem[] = [
      { travelerId: 't1', flightId: 'out', amount: 4000 },
      { travelerId: 't2', flightId: 'out', amount: 40000 },
    ];
    const q = refundQuote({ conditions: refundable, items: small, departedFlightIds: new Set(), charged: 44000 });
    expect(q.amount).toBe(30000);
  });

  it('an order sold before conditions existed refunds its unflown items in full, never above the charge', () => {
    expect(quote(null)).toMatchObject({ amount: charged, rule: 'as_sold' });
    expect(quote(null, ['out']).amount).toBe(56000);
    const q = refundQuote({ conditions: null, items, departedFlightIds: new Set(), charged: 1000 });
    expect(q.amount).toBe(1000);
  });
});
