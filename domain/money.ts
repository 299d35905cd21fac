/**
 * Money as an integer number of minor units plus an ISO 4217 currency code. Never a float amount: every
 * operation that scales an amount (percentages, factors) is done in exact integer arithmetic and rounds
 * half away from zero, once, at the end.
 */
import { DomainError } from './errors';

export interface Money {
  /** Integer number of minor units (cents for USD, yen for JPY, fils for KWD). */
  amount: number;
  /** ISO 4217 alphabetic code, upper case. */
  currency: string;
}

// ISO 4217 minor-unit exponents. Codes not listed under 0, 3 or 4 digits use 2. Precious metals, testing
// codes and withdrawn currencies are left out on purpose: a fare in them is a configuration mistake.
const ZERO_DIGITS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const THREE_DIGITS = 'BHD IQD JOD KWD LYD OMR TND';
const FOUR_DIGITS = 'CLF UYW';
const TWO_DIGITS =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF ' +
  'CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD ' +
  'HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT ' +
  'MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR ' +
  'SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU ' +
  'UZS VED VES WST XCD XCG YER ZAR ZMW ZWG';

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DIGITS.split(' ').map((c) => [c, 0] as const),
  ...TWO_DIGITS.split(' ').map((c) => [c, 2] as const),
  ...THREE_DIGITS.split(' ').map((c) => [c, 3] as const),
  ...FOUR_DIGITS.split(' ').map((c) => [c, 4] as const),
]);

/** Number of digits after the decimal point for an ISO 4217 currency. Throws VALIDATION_FAILED if unknown. */
export function minorUnitDigits(currency: string): number {
  // Every known code is three capitals: a hit needs no pattern test (this runs for every amount priced).
  const known = typeof currency === 'string' ? EXPONENTS.get(currency) : undefined;
  if (known !== undefined) return known;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    throw new DomainError('VALIDATION_FAILED', `"${String(currency)}" is not an ISO 4217 currency code`, {
      currency,
    });
  }
  const digits = EXPONENTS.get(currency);
  if (digits === undefined) {
    throw new DomainError('VALIDATION_FAILED', `unknown currency ${currency}`, { currency });
  }
  return digits;
}

/** Builds a Money, checking the amount is a safe integer of minor units and the currency is known. */
export function money(amount: number, currency: string): Money {
  minorUnitDigits(currency);
  if (!Number.isSafeInteger(amount)) {
    throw new DomainError('VALIDATION_FAILED', `amount must be an integer number of minor units, got ${amount}`, {
      amount,
      currency,
    });
  }
  // -0 would survive JSON as 0 but fail strict equality checks; there is only one zero in money.
  return { amount: amount === 0 ? 0 : amount, currency };
}

export const zero = (currency: string): Money => money(0, currency);

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new DomainError('VALIDATION_FAILED', `cannot combine ${a.currency} and ${b.currency}`, {
      currencies: [a.currency, b.currency],
    });
  }
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount - b.amount, a.currency);
}

/** Sums a list that must all be in `currency`; an empty list is zero in that currency. */
export function sum(list: readonly Money[], currency: string): Money {
  return list.reduce((acc, m) => add(acc, m), zero(currency));
}

export function negate(m: Money): Money {
  return money(-m.amount, m.currency);
}

export function isZero(m: Money): boolean {
  return m.amount === 0;
}

/** Divides two integers and rounds half away from zero (2.5 -> 3, -2.5 -> -3). `den` must be positive. */
export function divRoundHalfAwayFromZero(num: bigint, den: bigint): bigint {
  const magnitude = (2n * (num < 0n ? -num : num) + den) / (2n * den);
  return num < 0n ? -magnitude : magnitude;
}

/**
 * The exact decimal a number was written as (its shortest round-trip form), as numerator / 10^k, so that
 * 7.5 % or a factor of 1.15 scale exactly as a person reading the config would compute them.
 */
function toRational(x: number, what: string): { num: bigint; den: bigint } {
  if (!Number.isFinite(x)) throw new DomainError('VALIDATION_FAILED', `${what} must be a finite number, got ${x}`);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(String(x));
  if (!match) throw new DomainError('VALIDATION_FAILED', `${what} is not a decimal number: ${x}`);
  const [, sign = '', whole = '0', fraction = '', exp = '0'] = match;
  let num = BigInt(sign + whole + fraction);
  let scale = fraction.length - Number(exp);
  if (scale < 0) {
    num *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { num, den: 10n ** BigInt(scale) };
}

function scale(m: Money, num: bigint, den: bigint): Money {
  const result = divRoundHalfAwayFromZero(BigInt(m.amount) * num, den);
  return money(Number(result), m.currency);
}

/** `percent` % of `m` (not `m` minus it), in whole minor units rounded half away from zero. */
export function applyPercent(m: Money, percent: number): Money {
  const { num, den } = toRational(percent, 'percent');
  return scale(m, num, den * 100n);
}

/** `basisPoints` / 10 000 of `m`, rounded half away from zero (taxes are configured in basis points). */
export function applyBasisPoints(m: Money, basisPoints: number): Money {
  const { num, den } = toRational(basisPoints, 'basis points');
  return scale(m, num, den * 10_000n);
}

/** `m` × `factor`, in whole minor units rounded half away from zero. */
export function multiply(m: Money, factor: number): Money {
  const { num, den } = toRational(factor, 'factor');
  return scale(m, num, den);
}

/** "200.00 USD", "1500 JPY", "1.250 KWD", "-5.00 EUR". */
export function formatMoney(m: Money): string {
  const digits = minorUnitDigits(m.currency);
  const sign = m.amount < 0 ? '-' : '';
  const abs = String(Math.abs(m.amount));
  if (digits === 0) return `${sign}${abs} ${m.currency}`;
  const padded = abs.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)} ${m.currency}`;
}

/**
 * Parses a decimal string in major units ("200.00", "0.29", "-3", "1500") exactly into minor units, without
 * going through a float. More decimals than the currency has ("1.234" USD) is rejected, not rounded.
 */
export function fromMajor(value: string, currency: string): Money {
  const digits = minorUnitDigits(currency);
  const match = typeof value === 'string' ? /^(-?)(\d+)(?:\.(\d+))?$/.exec(value) : null;
  if (!match) {
    throw new DomainError('VALIDATION_FAILED', `"${String(value)}" is not a decimal amount`, { value, currency });
  }
  const [, sign = '', whole = '0', fraction = ''] = match;
  if (fraction.length > digits) {
    throw new DomainError('VALIDATION_FAILED', `${currency} amounts have at most ${digits} decimals, got "${value}"`, {
      value,
      currency,
    });
  }
  const minor = BigInt(sign + whole + fraction.padEnd(digits, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DomainError('VALIDATION_FAILED', `amount "${value}" is too large`, { value, currency });
  }
  return money(Number(minor), currency);
}

/**
 * A stated rate table: how many units of each currency one unit of `base` buys (JPY = 150 means 1 USD = 150 JPY).
 * Amounts configured in the base currency reach other currencies through it (config `pricing.exchange_rates`).
 */
export interface ExchangeRates {
  base: string;
  rates: Readonly<Record<string, number>>;
}

function rateOf(fx: ExchangeRates, currency: string): { num: bigint; den: bigint } | null {
  if (currency === fx.base) return { num: 1n, den: 1n };
  const rate = fx.rates[currency];
  if (rate === undefined) return null;
  if (!(rate > 0)) throw new DomainError('VALIDATION_FAILED', `exchange rate of ${currency} must be positive`);
  return toRational(rate, `exchange rate of ${currency}`);
}

/** Whether `convert` can take an amount from `from` to `to` with this table. */
export function canConvert(from: string, to: string, fx: ExchangeRates | undefined): boolean {
  if (from === to) return true;
  return fx !== undefined && rateOf(fx, from) !== null && rateOf(fx, to) !== null;
}

/**
 * `m` in `to` at the table's rates (through the base currency), rounded half away from zero, once, to `to`'s
 * minor unit: 4.50 USD at 150 JPY → 675 JPY; at 0.307 KWD → 1.3815 → 1.382 KWD. VALIDATION_FAILED when the
 * table has no rate for either currency.
 */
export function convert(m: Money, to: string, fx: ExchangeRates | undefined): Money {
  if (m.currency === to) return m;
  const from = fx ? rateOf(fx, m.currency) : null;
  const dest = fx ? rateOf(fx, to) : null;
  if (!from || !dest) {
    throw new DomainError('VALIDATION_FAILED', `no exchange rate from ${m.currency} to ${to}`, {
      from: m.currency,
      to,
    });
  }
  const shift = minorUnitDigits(to) - minorUnitDigits(m.currency);
  // amount × (dest / from) × 10^shift, as one fraction.
  let num = BigInt(m.amount) * dest.num * from.den;
  let den = dest.den * from.num;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  return money(Number(divRoundHalfAwayFromZero(num, den)), to);
}
