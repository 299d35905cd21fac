import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/errors';
import {
  canConvert,
  convert,
  add,
  applyBasisPoints,
  applyPercent,
  formatMoney,
  fromMajor,
  isZero,
  minorUnitDigits,
  money,
  multiply,
  negate,
  subtract,
  sum,
  zero,
} from '../../domain/money';
import { expectDomainError } from '../support/domain-errors';

const expectValidationError = (fn: () => unknown) => expectDomainError(fn, 'VALIDATION_FAILED', 400);

describe('minorUnitDigits', () => {
  it.each(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF'])('%s has no minor unit', (code) => {
    expect(minorUnitDigits(code)).toBe(0);
  });

  it.each(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'])('%s has three decimals', (code) => {
    expect(minorUnitDigits(code)).toBe(3);
  });

  it.each(['USD', 'EUR', 'GBP', 'SGD', 'MYR', 'AUD', 'CAD', 'CHF', 'CNY', 'INR', 'AED'])(
    '%s has two decimals',
    (code) => {
      expect(minorUnitDigits(code)).toBe(2);
    },
  );

  it.each(['XYZ', 'usd', 'US', 'USDD', '', 'XAU'])('rejects "%s"', (code) => {
    expectValidationError(() => minorUnitDigits(code));
  });
});

describe('money', () => {
  it('builds an integer amount in a known currency', () => {
    expect(money(20000, 'USD')).toEqual({ amount: 20000, currency: 'USD' });
    expect(money(-5, 'JPY')).toEqual({ amount: -5, currency: 'JPY' });
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53])(
    'rejects amount %s',
    (amount) => {
      expectValidationError(() => money(amount, 'USD'));
    },
  );

  it('rejects an unknown currency', () => {
    expectValidationError(() => money(100, 'ABC'));
  });

  it('has a single zero', () => {
    expect(Object.is(money(-0, 'USD').amount, 0)).toBe(true);
    expect(Object.is(negate(zero('USD')).amount, 0)).toBe(true);
  });
});

describe('arithmetic', () => {
  const usd = (n: number) => money(n, 'USD');

  it('adds, subtracts and negates', () => {
    expect(add(usd(150), usd(275))).toEqual(usd(425));
    expect(subtract(usd(150), usd(275))).toEqual(usd(-125));
    expect(negate(usd(150))).toEqual(usd(-150));
  });

  it('sums a list, and an empty list is zero', () => {
    expect(sum([usd(1), usd(2), usd(3)], 'USD')).toEqual(usd(6));
    expect(sum([], 'EUR')).toEqual(money(0, 'EUR'));
  });

  it('refuses to mix currencies', () => {
    expectValidationError(() => add(usd(1), money(1, 'EUR')));
    expectValidationError(() => subtract(usd(1), money(1, 'JPY')));
    expectValidationError(() => sum([usd(1), money(1, 'GBP')], 'USD'));
    expectValidationError(() => sum([usd(1)], 'EUR'));
  });

  it('knows zero', () => {
    expect(isZero(usd(0))).toBe(true);
    expect(isZero(usd(1))).toBe(false);
    expect(isZero(usd(-1))).toBe(false);
  });

  it('refuses results beyond safe integers', () => {
    expectValidationError(() => add(usd(Number.MAX_SAFE_INTEGER), usd(1)));
  });
});

describe('applyPercent, applyBasisPoints and multiply round half away from zero', () => {
  it('takes a percentage of an amount', () => {
    expect(applyPercent(money(20000, 'USD'), 10)).toEqual(money(2000, 'USD'));
    expect(applyPercent(money(18600, 'USD'), 7.5)).toEqual(money(1395, 'USD'));
    expect(applyPercent(money(20000, 'USD'), 0)).toEqual(money(0, 'USD'));
    expect(applyPercent(money(20000, 'USD'), 296)).toEqual(money(59200, 'USD'));
  });

  it('rounds exact halves away from zero', () => {
    expect(applyPercent(money(5, 'USD'), 50)).toEqual(money(3, 'USD'));
    expect(applyPercent(money(-5, 'USD'), 50)).toEqual(money(-3, 'USD'));
    expect(applyPercent(money(7, 'JPY'), 50)).toEqual(money(4, 'JPY'));
    expect(applyPercent(money(14, 'USD'), 10)).toEqual(money(1, 'USD'));
    expect(applyPercent(money(15, 'USD'), 10)).toEqual(money(2, 'USD'));
    expect(applyPercent(money(-15, 'USD'), 10)).toEqual(money(-2, 'USD'));
  });

  it('takes basis points', () => {
    expect(applyBasisPoints(money(14325, 'USD'), 750)).toEqual(money(1074, 'USD')); // 1074.375
    expect(applyBasisPoints(money(39300, 'JPY'), 750)).toEqual(money(2948, 'JPY')); // 2947.5
    expect(applyBasisPoints(money(10000, 'USD'), 10_000)).toEqual(money(10000, 'USD'));
  });

  it('multiplies exactly where float arithmetic would round the wrong way', () => {
    // 15 × 4.1 is 61.5, but 15 * 4.1 in floating point is 61.49999999999999.
    expect(15 * 4.1).toBeLessThan(61.5);
    expect(multiply(money(15, 'USD'), 4.1)).toEqual(money(62, 'USD'));
    expect(multiply(money(25, 'USD'), 0.58)).toEqual(money(15, 'USD'));
    expect(multiply(money(-25, 'USD'), 0.58)).toEqual(money(-15, 'USD'));
    expect(multiply(money(1000, 'USD'), 1.005)).toEqual(money(1005, 'USD'));
    expect(multiply(money(3, 'USD'), 0.5)).toEqual(money(2, 'USD'));
    expect(multiply(money(12345, 'USD'), 1e-7)).toEqual(money(0, 'USD'));
  });

  it('refuses results beyond safe integers', () => {
    expectValidationError(() => multiply(money(3, 'USD'), 1e21));
  });

  it('rejects non-finite factors', () => {
    expectValidationError(() => multiply(money(1, 'USD'), Number.NaN));
    expectValidationError(() => applyPercent(money(1, 'USD'), Number.POSITIVE_INFINITY));
  });
});

describe('formatMoney', () => {
  it.each([
    [20000, 'USD', '200.00 USD'],
    [5, 'USD', '0.05 USD'],
    [0, 'USD', '0.00 USD'],
    [-505, 'EUR', '-5.05 EUR'],
    [1500, 'JPY', '1500 JPY'],
    [-1500, 'JPY', '-1500 JPY'],
    [1250, 'KWD', '1.250 KWD'],
    [5, 'KWD', '0.005 KWD'],
  ])('%i %s -> %s', (amount, currency, text) => {
    expect(formatMoney(money(amount, currency))).toBe(text);
  });
});

describe('fromMajor', () => {
  it.each([
    ['200.00', 'USD', 20000],
    ['200', 'USD', 20000],
    ['19.99', 'USD', 1999],
    ['1.1', 'USD', 110],
    ['-3.50', 'USD', -350],
    ['0.01', 'USD', 1],
    ['1500', 'JPY', 1500],
    ['1.250', 'KWD', 1250],
    ['1.25', 'KWD', 1250],
    ['0.001', 'KWD', 1],
  ])('"%s" %s -> %i minor units', (text, currency, amount) => {
    expect(fromMajor(text, currency)).toEqual(money(amount, currency));
  });

  it('parses decimals exactly, not through a float', () => {
    expect(0.29 * 100).not.toBe(29);
    expect(fromMajor('0.29', 'USD').amount).toBe(29);
    expect(fromMajor('1.005', 'KWD').amount).toBe(1005);
    expect(fromMajor('90071992547409.91', 'USD').amount).toBe(Number.MAX_SAFE_INTEGER);
    for (let cents = 0; cents < 1000; cents++) {
      const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
      expect(fromMajor(text, 'USD').amount).toBe(cents);
    }
  });

  it('round-trips with formatMoney', () => {
    for (const [text, currency] of [
      ['200.00', 'USD'],
      ['1500', 'JPY'],
      ['1.250', 'KWD'],
      ['-0.07', 'GBP'],
    ] as const) {
      expect(formatMoney(fromMajor(text, currency))).toBe(`${text} ${currency}`);
    }
  });

  it.each([
    ['1.234', 'USD'],
    ['1.5', 'JPY'],
    ['1.2345', 'KWD'],
    ['abc', 'USD'],
    ['', 'USD'],
    ['1.', 'USD'],
    ['.5', 'USD'],
    ['1e3', 'USD'],
    [' 1', 'USD'],
    ['+1', 'USD'],
    ['1,000.00', 'USD'],
    ['90071992547409.92', 'USD'],
    ['1.00', 'XYZ'],
  ])('rejects "%s" %s', (text, currency) => {
    expectValidationError(() => fromMajor(text, currency));
  });
});

describe('convert (a stated rate table)', () => {
  const fx = { base: 'USD', rates: { JPY: 150, KWD: 0.307, EUR: 0.92 } };

  it('rounds to the target currency’s exponent, half away from zero', () => {
    expect(convert(money(450, 'USD'), 'JPY', fx)).toEqual(money(675, 'JPY'));
    expect(convert(money(1, 'USD'), 'JPY', fx)).toEqual(money(2, 'JPY')); // 1.5 → 2
    expect(convert(money(450, 'USD'), 'KWD', fx)).toEqual(money(1382, 'KWD')); // 1.3815 → 1.382
    expect(convert(money(-450, 'USD'), 'KWD', fx)).toEqual(money(-1382, 'KWD'));
    expect(convert(money(1500, 'USD'), 'KWD', fx)).toEqual(money(4605, 'KWD'));
  });

  it('goes between two listed currencies through the base, and back to the base', () => {
    expect(convert(money(150, 'JPY'), 'USD', fx)).toEqual(money(100, 'USD'));
    // 307 KWD fils = 0.307 KWD = 1 USD = 150 JPY
    expect(convert(money(307, 'KWD'), 'JPY', fx)).toEqual(money(150, 'JPY'));
    expect(convert(money(100, 'USD'), 'USD', fx)).toEqual(money(100, 'USD'));
  });

  it('refuses a currency the table does not list', () => {
    expect(canConvert('USD', 'GBP', fx)).toBe(false);
    expect(canConvert('USD', 'USD', undefined)).toBe(true);
    expect(() => convert(money(100, 'USD'), 'GBP', fx)).toThrow(/no exchange rate from USD to GBP/);
    expect(() => convert(money(100, 'USD'), 'JPY', undefined)).toThrow(DomainError);
  });
});
