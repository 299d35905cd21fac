import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import type { PricingRuleConfig, TaxConfig } from '../../domain/commercial';
import { add, formatMoney, money, sum, type Money } from '../../domain/money';
import {
  PASSENGER_TYPES,
  demandMultiplier,
  demandMultiplierHundredths,
  priceLeg,
  sumPrices,
  type LegPrice,
  type PassengerType,
  type PriceLegInput,
} from '../../domain/pricing';
import { expectDomainError } from '../support/domain-errors';

const usd = (amount: number): Money => money(amount, 'USD');

const expectValidationError = (fn: () => unknown) => expectDomainError(fn);

/** A leg with no rules and no taxes, 100/100 seats, unless overridden. */
function input(overrides: Partial<PriceLegInput> = {}): PriceLegInput {
  return {
    baseFare: usd(20000),
    available: 100,
    capacity: 100,
    passengerType: 'ADT',
    route: 'JFK-LHR',
    cabin: 'ECONOMY',
    now: new Date('2026-06-01T12:00:00Z'),
    rules: [],
    taxes: [],
    childFarePercent: 75,
    infantFarePercent: 10,
    ...overrides,
  };
}

function expectBreakdownAddsUp(price: LegPrice): void {
  const currency = price.total.currency;
  const adjustments = sum(
    price.adjustments.map((a) => a.amount),
    currency,
  );
  expect(add(price.base_fare, price.demand_adjustment)).toEqual(price.fare_after_demand);
  expect(add(add(price.base_fare, price.demand_adjustment), adjustments)).toEqual(price.fare);
  expect(
    add(
      price.fare,
      sum(
        price.taxes.map((t) => t.amount),
        currency,
      ),
    ),
  ).toEqual(price.total);
  expect(price.fare.amount).toBeGreaterThanOrEqual(0);
  for (const m of [price.base_fare, price.fare_after_demand, price.fare, price.total]) {
    expect(Number.isInteger(m.amount)).toBe(true);
    expect(m.currency).toBe(currency);
  }
}

const sale = (over: Partial<Extract<PricingRuleConfig, { kind: 'sale' }>> = {}): PricingRuleConfig => ({
  id: 'sale',
  kind: 'sale',
  name: 'Sale',
  percent: 10,
  starts_at: '2026-01-01T00:00:00Z',
  ends_at: '2026-02-28T23:59:59Z',
  ...over,
});
const discount = (over: Partial<Extract<PricingRuleConfig, { kind: 'discount' }>> = {}): PricingRuleConfig => ({
  id: 'discount',
  kind: 'discount',
  name: 'Discount',
  percent: 10,
  ...over,
});
const surcharge = (over: Partial<Extract<PricingRuleConfig, { kind: 'surcharge' }>> = {}): PricingRuleConfig => ({
  id: 'surcharge',
  kind: 'surcharge',
  name: 'Surcharge',
  amount: 1000,
  ...over,
});

describe('demand multiplier', () => {
  it.each([
    [100, 100, 100, 1.0, 20000],
    [50, 100, 150, 1.5, 30000],
    [10, 100, 262, 2.62, 52400],
    [1, 100, 296, 2.96, 59200],
    [0, 100, 300, 3.0, 60000],
  ])('%i/%i seats -> %i hundredths (%f×), 200.00 USD -> %i', (available, capacity, hundredths, multiplier, fare) => {
    expect(demandMultiplierHundredths(available, capacity)).toBe(hundredths);
    expect(demandMultiplier(available, capacity)).toBe(multiplier);
    const price = priceLeg(input({ available, capacity }));
    expect(price.demand_multiplier).toBe(multiplier);
    expect(price.fare_after_demand).toEqual(usd(fare));
    expect(price.fare).toEqual(usd(fare));
    expect(price.total).toEqual(usd(fare));
    expect(price.demand_adjustment).toEqual(usd(fare - 20000));
  });

  it('quotes the multiplier to 0.01: 1/100 seats is 592.00, not 200.00 × 2.9602 = 592.04', () => {
    expect(formatMoney(priceLeg(input({ available: 1 })).fare)).toBe('592.00 USD');
  });

  it('rounds the multiplier half up to 0.01', () => {
    // 3/8 sold: 1 + 2·(0.375)² = 1.28125 -> 1.28; 5/8 sold: 1.78125 -> 1.78; 1/40 sold: 1.00125 -> 1.00.
    expect(demandMultiplierHundredths(5, 8)).toBe(128);
    expect(demandMultiplierHundredths(3, 8)).toBe(178);
    expect(demandMultiplierHundredths(39, 40)).toBe(100);
    // 1/20 sold: 1.005 exactly -> 1.01 (half up).
    expect(demandMultiplierHundredths(19, 20)).toBe(101);
  });

  it('rises with every seat sold and stays within [1.0, 3.0]', () => {
    let previous = 0;
    for (let available = 180; available >= 0; available--) {
      const h = demandMultiplierHundredths(available, 180);
      expect(h).toBeGreaterThanOrEqual(previous);
      expect(h).toBeGreaterThanOrEqual(100);
      expect(h).toBeLessThanOrEqual(300);
      previous = h;
    }
    expect(previous).toBe(300);
  });

  it.each([
    [1, 0],
    [0, 0],
    [0, -10],
    [-1, 100],
    [101, 100],
    [1.5, 100],
    [50, 100.5],
    [Number.NaN, 100],
    [50, Number.POSITIVE_INFINITY],
  ])('rejects %d available of %d', (available, capacity) => {
    expectValidationError(() => demandMultiplierHundredths(available, capacity));
    expectValidationError(() => demandMultiplier(available, capacity));
    expectValidationError(() => priceLeg(input({ available, capacity })));
  });
});

describe('passenger types', () => {
  it('child and infant pay their percent of the adult fare, before demand', () => {
    const chd = priceLeg(input({ passengerType: 'CHD', available: 1 }));
    expect(chd.base_fare).toEqual(usd(15000));
    expect(chd.fare_after_demand).toEqual(usd(44400));
    expect(chd.demand_adjustment).toEqual(usd(29400));
    const inf = priceLeg(input({ passengerType: 'INF', available: 1 }));
    expect(inf.base_fare).toEqual(usd(2000));
    expect(inf.fare_after_demand).toEqual(usd(5920));
    expect(inf.passenger_type).toBe('INF');
  });

  it('rejects fare percents outside 0..100 and unknown passenger types', () => {
    expectValidationError(() => priceLeg(input({ passengerType: 'CHD', childFarePercent: 101 })));
    expectValidationError(() => priceLeg(input({ passengerType: 'INF', infantFarePercent: -1 })));
    expectValidationError(() => priceLeg(input({ passengerType: 'YTH' as PassengerType })));
  });
});

describe('pricing rules', () => {
  describe('sale', () => {
    it('applies inside its window, both ends included', () => {
      for (const now of ['2026-01-01T00:00:00Z', '2026-01-20T08:00:00Z', '2026-02-28T23:59:59Z']) {
        const price = priceLeg(input({ rules: [sale()], now: new Date(now) }));
        expect(price.adjustments).toEqual([{ rule_id: 'sale', name: 'Sale', kind: 'sale', amount: usd(-2000) }]);
        expect(price.fare).toEqual(usd(18000));
      }
    });

    it('does not apply outside its window', () => {
      for (const now of ['2025-12-31T23:59:59Z', '2026-02-28T23:59:59.001Z', '2026-06-01T00:00:00Z']) {
        const price = priceLeg(input({ rules: [sale()], now: new Date(now) }));
        expect(price.adjustments).toEqual([]);
        expect(price.fare).toEqual(usd(20000));
      }
    });

    it('rejects an unparseable window or clock', () => {
      expectValidationError(() => priceLeg(input({ rules: [sale({ starts_at: 'soon' })] })));
      expectValidationError(() => priceLeg(input({ now: new Date('nope') })));
    });
  });

  describe('discount', () => {
    it('applies by route', () => {
      const rule = discount({ percent: 5, routes: ['JFK-LHR', 'LHR-JFK'] });
      expect(priceLeg(input({ rules: [rule], route: 'LHR-JFK' })).adjustments.map((a) => a.amount)).toEqual([
        usd(-1000),
      ]);
      expect(priceLeg(input({ rules: [rule], route: 'JFK-CDG' })).adjustments).toEqual([]);
    });

    it('applies by cabin', () => {
      const rule = discount({ percent: 25, cabins: ['ECONOMY'] });
      expect(priceLeg(input({ rules: [rule], cabin: 'ECONOMY' })).fare).toEqual(usd(15000));
      expect(priceLeg(input({ rules: [rule], cabin: 'economy' })).fare).toEqual(usd(15000));
      expect(priceLeg(input({ rules: [rule], cabin: 'BUSINESS' })).fare).toEqual(usd(20000));
    });

    it('needs both route and cabin when both are listed, and applies everywhere when neither is', () => {
      const both = discount({ routes: ['JFK-LHR'], cabins: ['BUSINESS'] });
      expect(priceLeg(input({ rules: [both], cabin: 'BUSINESS' })).adjustments).toHaveLength(1);
      expect(priceLeg(input({ rules: [both], cabin: 'ECONOMY' })).adjustments).toHaveLength(0);
      expect(priceLeg(input({ rules: [both], cabin: 'BUSINESS', route: 'SIN-KUL' })).adjustments).toHaveLength(0);
      const anywhere = discount();
      expect(priceLeg(input({ rules: [anywhere], route: 'SIN-KUL', cabin: 'FIRST' })).fare).toEqual(usd(18000));
    });

    it('takes its percent of the fare after demand, rounded half away from zero', () => {
      // 1/100 seats: 592.00; 12.5% off is 74.00.
      const price = priceLeg(input({ rules: [discount({ percent: 12.5 })], available: 1 }));
      expect(price.adjustments[0]!.amount).toEqual(usd(-7400));
      // 0.05 USD base, 50% off = 0.025 -> 0.03 off.
      expect(priceLeg(input({ baseFare: usd(5), rules: [discount({ percent: 50 })] })).fare).toEqual(usd(2));
    });
  });

  describe('surcharge', () => {
    it('adds a fixed amount per passenger per leg, filtered by cabin or route', () => {
      const rule = surcharge({ amount: 1500, cabins: ['BUSINESS'] });
      const business = priceLeg(input({ rules: [rule], cabin: 'BUSINESS' }));
      expect(business.adjustments).toEqual([
        { rule_id: 'surcharge', name: 'Surcharge', kind: 'surcharge', amount: usd(1500) },
      ]);
      expect(business.fare).toEqual(usd(21500));
      const infant = priceLeg(input({ rules: [rule], cabin: 'BUSINESS', passengerType: 'INF' }));
      expect(infant.fare).toEqual(usd(2000 + 1500));
      expect(priceLeg(input({ rules: [rule], cabin: 'ECONOMY' })).adjustments).toEqual([]);
      const byRoute = surcharge({ routes: ['SIN-KUL'] });
      expect(priceLeg(input({ rules: [byRoute], route: 'SIN-KUL' })).fare).toEqual(usd(21000));
      expect(priceLeg(input({ rules: [byRoute] })).fare).toEqual(usd(20000));
    });

    it('is in the fare currency', () => {
      const price = priceLeg(input({ baseFare: money(15000, 'JPY'), rules: [surcharge({ amount: 500 })] }));
      expect(price.adjustments[0]!.amount).toEqual(money(500, 'JPY'));
      expect(price.fare).toEqual(money(15500, 'JPY'));
    });
  });

  it('applies rules in order, each to the fare the previous left', () => {
    const s = surcharge({ amount: 1000 });
    const d = discount({ percent: 10 });
    const surchargeFirst = priceLeg(input({ rules: [s, d] }));
    expect(surchargeFirst.adjustments.map((a) => [a.rule_id, a.amount.amount])).toEqual([
      ['surcharge', 1000],
      ['discount', -2100],
    ]);
    expect(surchargeFirst.fare).toEqual(usd(18900));
    const discountFirst = priceLeg(input({ rules: [d, s] }));
    expect(discountFirst.adjustments.map((a) => [a.rule_id, a.amount.amount])).toEqual([
      ['discount', -2000],
      ['surcharge', 1000],
    ]);
    expect(discountFirst.fare).toEqual(usd(19000));
    // Two percentage rules compound: 10% then 5% of what is left.
    const compounded = priceLeg(
      input({ rules: [sale(), discount({ id: 'd5', percent: 5 })], now: new Date('2026-01-15') }),
    );
    expect(compounded.adjustments.map((a) => a.amount.amount)).toEqual([-2000, -900]);
    expect(compounded.fare).toEqual(usd(17100));
  });

  it('never takes a fare below zero', () => {
    const free = priceLeg(input({ rules: [discount({ percent: 100 }), surcharge({ amount: 700 })] }));
    expect(free.adjustments.map((a) => a.amount.amount)).toEqual([-20000, 700]);
    expect(free.fare).toEqual(usd(700));
    // Rules built outside config validation (a credit, an over-100% discount) are capped at the fare.
    const credit = priceLeg(input({ rules: [surcharge({ amount: -50000 }), discount({ percent: 150 })] }));
    expect(credit.adjustments.map((a) => a.amount.amount)).toEqual([-20000, 0]);
    expect(credit.fare).toEqual(usd(0));
    expectBreakdownAddsUp(credit);
  });

  it('does not change the rules it is given', () => {
    const rules = [discount(), surcharge()];
    const copy = structuredClone(rules);
    priceLeg(input({ rules }));
    expect(rules).toEqual(copy);
  });
});

describe('taxes', () => {
  const taxes: TaxConfig[] = [
    { code: 'US', name: 'US Transportation Tax', kind: 'percent', basis_points: 750, applies_to: ['ADT', 'CHD'] },
    { code: 'YQ', name: 'Carrier-imposed fee', kind: 'fixed', amount: 2500, applies_to: ['ADT'] },
    { code: 'XF', name: 'Passenger facility charge', kind: 'fixed', amount: 450, applies_to: ['ADT', 'CHD', 'INF'] },
  ];

  it('takes percent taxes in basis points of the fare after rules, and adds fixed ones', () => {
    const price = priceLeg(input({ taxes, rules: [surcharge({ amount: 1000 })] }));
    expect(price.fare).toEqual(usd(21000));
    expect(price.taxes).toEqual([
      { code: 'US', name: 'US Transportation Tax', amount: usd(1575) },
      { code: 'YQ', name: 'Carrier-imposed fee', amount: usd(2500) },
      { code: 'XF', name: 'Passenger facility charge', amount: usd(450) },
    ]);
    expect(price.total).toEqual(usd(21000 + 1575 + 2500 + 450));
  });

  it('charges each tax only to the passenger types it applies to', () => {
    const codes = (passengerType: PassengerType) => priceLeg(input({ taxes, passengerType })).taxes.map((t) => t.code);
    expect(codes('ADT')).toEqual(['US', 'YQ', 'XF']);
    expect(codes('CHD')).toEqual(['US', 'XF']);
    expect(codes('INF')).toEqual(['XF']);
  });

  it('rounds percent taxes half away from zero in currencies with 0 and 3 decimals', () => {
    // 15000 JPY at 10/100 seats = 39300 JPY; 7.5% = 2947.5 -> 2948.
    const jpy = priceLeg(input({ baseFare: money(15000, 'JPY'), available: 10, taxes: [taxes[0]!] }));
    expect(jpy.fare).toEqual(money(39300, 'JPY'));
    expect(jpy.taxes[0]!.amount).toEqual(money(2948, 'JPY'));
    expect(formatMoney(jpy.total)).toBe('42248 JPY');
    // 65.000 KWD at 1/100 seats = 192.400 KWD; 7.5% = 14.430 KWD.
    const kwd = priceLeg(input({ baseFare: money(65000, 'KWD'), available: 1, taxes: [taxes[0]!] }));
    expect(formatMoney(kwd.fare)).toBe('192.400 KWD');
    expect(formatMoney(kwd.taxes[0]!.amount)).toBe('14.430 KWD');
    expect(formatMoney(kwd.total)).toBe('206.830 KWD');
  });
});

describe('with the default configuration', () => {
  const { pricing } = loadConfig({});
  const priceDefault = (passengerType: PassengerType, over: Partial<PriceLegInput> = {}) =>
    priceLeg(
      input({
        passengerType,
        cabin: 'BUSINESS',
        now: new Date('2026-01-15T10:00:00Z'),
        rules: pricing.rules,
        taxes: pricing.taxes,
        childFarePercent: pricing.child_fare_percent,
        infantFarePercent: pricing.infant_fare_percent,
        originCountry: 'US',
        destinationCountry: 'GB',
        fx: { base: pricing.currency, rates: pricing.exchange_rates },
        ...over,
      }),
    );

  it('prices an adult in business on JFK-LHR during the winter sale', () => {
    const price = priceDefault('ADT');
    expect(price.adjustments.map((a) => [a.rule_id, a.amount.amount])).toEqual([
      ['winter-sale', -2000],
      ['transatlantic-promo', -900],
      ['premium-cabin-surcharge', 1500],
    ]);
    expect(price.fare).toEqual(usd(18600));
    expect(price.taxes.map((t) => [t.code, t.amount.amount])).toEqual([
      ['US', 1395],
      ['YQ', 2500],
      ['XF', 450],
    ]);
    expect(price.total).toEqual(usd(22945));
  });

  it('prices a child', () => {
    const price = priceDefault('CHD');
    expect(price.base_fare).toEqual(usd(15000));
    expect(price.fare).toEqual(usd(14325));
    expect(price.taxes.map((t) => [t.code, t.amount.amount])).toEqual([
      ['US', 1074],
      ['YQ', 2500],
      ['XF', 450],
    ]);
    expect(price.total).toEqual(usd(18349));
  });

  it('charges an infant only the XF facility charge', () => {
    const price = priceDefault('INF');
    expect(price.base_fare).toEqual(usd(2000));
    expect(price.fare).toEqual(usd(3210));
    expect(price.taxes).toEqual([{ code: 'XF', name: 'Passenger facility charge', amount: usd(450) }]);
    expect(price.total).toEqual(usd(3660));
  });

  it('adds up for every passenger type, load, route, cabin and date', () => {
    let checked = 0;
    for (const passengerType of PASSENGER_TYPES) {
      for (const available of [0, 1, 7, 10, 33, 50, 99, 100]) {
        for (const baseFare of [usd(0), usd(1), usd(9999), usd(20000), usd(123457)]) {
          for (const [route, cabin] of [
            ['JFK-LHR', 'BUSINESS'],
            ['LHR-JFK', 'ECONOMY'],
            ['SIN-KUL', 'BUSINESS'],
            ['SIN-KUL', 'ECONOMY'],
          ] as const) {
            for (const now of [new Date('2026-01-15T00:00:00Z'), new Date('2026-06-01T00:00:00Z')]) {
              const price = priceDefault(passengerType, { available, baseFare, route, cabin, now });
              expect(price.passenger_type).toBe(passengerType);
              expectBreakdownAddsUp(price);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(3 * 8 * 5 * 4 * 2);
  });
});

describe('taxes per jurisdiction and currency (the default configuration)', () => {
  const { pricing } = loadConfig({});
  const fx = { base: pricing.currency, rates: pricing.exchange_rates };
  const leg = (over: Partial<PriceLegInput>) =>
    priceLeg(
      input({
        taxes: pricing.taxes,
        childFarePercent: pricing.child_fare_percent,
        infantFarePercent: pricing.infant_fare_percent,
        fx,
        ...over,
      }),
    );
  const lines = (p: LegPrice) => p.taxes.map((t) => [t.code, t.amount.amount, t.amount.currency]);

  it('levies the US Transportation Tax on legs departing the US only', () => {
    const out = leg({ originCountry: 'US', destinationCountry: 'GB' });
    const back = leg({ route: 'LHR-JFK', originCountry: 'GB', destinationCountry: 'US' });
    const asia = leg({ route: 'SIN-KUL', originCountry: 'SG', destinationCountry: 'MY' });
    expect(lines(out)).toEqual([
      ['US', 1500, 'USD'],
      ['YQ', 2500, 'USD'],
      ['XF', 450, 'USD'],
    ]);
    expect(lines(back).map((l) => l[0])).toEqual(['YQ', 'XF']);
    expect(lines(asia).map((l) => l[0])).toEqual(['YQ', 'XF']);
    // A leg whose airports' countries are unknown is taxed only by the taxes of every jurisdiction.
    expect(lines(leg({})).map((l) => l[0])).toEqual(['YQ', 'XF']);
  });

  it('takes a fixed fee in the currency it is given in, else converts it by the stated rate table', () => {
    // NRT-KIX in yen: YQ has its own JPY figure (3800), XF 4.50 USD × 150 = 675 JPY, the Japanese facility
    // charge its JPY figure (2130); no US tax.
    const jpy = leg({ baseFare: money(12000, 'JPY'), route: 'NRT-KIX', originCountry: 'JP', destinationCountry: 'JP' });
    expect(lines(jpy)).toEqual([
      ['YQ', 3800, 'JPY'],
      ['XF', 675, 'JPY'],
      ['SW', 2130, 'JPY'],
    ]);
    expect(jpy.total).toEqual(money(12000 + 3800 + 675 + 2130, 'JPY'));
    // KWI-DXB in KWD (3 decimals): YQ 0.770, XF 4.50 × 0.307 = 1.3815 → 1.382 (half away from zero), KW 3.000.
    const kwd = leg({ baseFare: money(38500, 'KWD'), route: 'KWI-DXB', originCountry: 'KW', destinationCountry: 'AE' });
    expect(lines(kwd)).toEqual([
      ['YQ', 770, 'KWD'],
      ['XF', 1382, 'KWD'],
      ['KW', 3000, 'KWD'],
    ]);
    expect(formatMoney(kwd.total)).toBe('43.652 KWD');
    // The return DXB-KWI departs the UAE: no Kuwaiti departure fee.
    const ret = leg({ baseFare: money(38500, 'KWD'), route: 'DXB-KWI', originCountry: 'AE', destinationCountry: 'KW' });
    expect(lines(ret).map((l) => l[0])).toEqual(['YQ', 'XF']);
  });

  it('converts a fixed surcharge rule to the fare currency', () => {
    const rules: PricingRuleConfig[] = [{ id: 's', kind: 'surcharge', name: 'S', amount: 1500 }];
    const jpy = leg({ baseFare: money(12000, 'JPY'), taxes: [], rules });
    expect(jpy.adjustments.map((a) => a.amount)).toEqual([money(2250, 'JPY')]);
    const kwd = leg({ baseFare: money(38500, 'KWD'), taxes: [], rules });
    expect(kwd.adjustments.map((a) => a.amount)).toEqual([money(4605, 'KWD')]);
  });

  it('refuses a fixed amount in a currency neither given nor in the rate table', () => {
    expectValidationError(() => leg({ baseFare: money(10000, 'EUR') }));
    const taxes: TaxConfig[] = [{ code: 'ZZ', name: 'Z', kind: 'fixed', amounts: { JPY: 100 }, applies_to: ['ADT'] }];
    expectValidationError(() => leg({ taxes }));
    expect(lines(leg({ baseFare: money(1000, 'JPY'), taxes }))).toEqual([['ZZ', 100, 'JPY']]);
  });
});

describe('sumPrices', () => {
  it('adds the totals of several leg prices', () => {
    const legs = (['ADT', 'CHD', 'INF'] as const).map((passengerType) => priceLeg(input({ passengerType })));
    expect(legs.map((p) => p.total.amount)).toEqual([20000, 15000, 2000]);
    expect(sumPrices(legs, 'USD')).toEqual(usd(37000));
    expect(sumPrices([], 'USD')).toEqual(usd(0));
  });

  it('refuses to add prices in another currency', () => {
    const jpy = priceLeg(input({ baseFare: money(15000, 'JPY') }));
    expectValidationError(() => sumPrices([jpy], 'USD'));
  });
});

describe('input validation', () => {
  it('rejects a negative or malformed base fare', () => {
    expectValidationError(() => priceLeg(input({ baseFare: usd(-1) })));
    expectValidationError(() => priceLeg(input({ baseFare: { amount: 10.5, currency: 'USD' } })));
    expectValidationError(() => priceLeg(input({ baseFare: { amount: 100, currency: 'XYZ' } })));
  });
});
