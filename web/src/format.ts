/**
 * Money and dates as the traveler reads them: amounts are integer minor units with a currency (the API's Money),
 * shown with the currency's own exponent (JPY 0, EUR 2, KWD 3: Intl knows them); dates and times in the browser's
 * locale.
 */
export interface Money {
  amount: number;
  currency: string;
}

const locale = (): string => navigator.language || 'en';

/** The number of minor-unit digits of `currency` (ISO 4217), as Intl has it. */
export function currencyExponent(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "€123.45", "¥26,975", "KWD 56.193" for { amount: 12345, currency: 'EUR' } and so on. */
export function formatMoney(money: Money): string {
  const exponent = currencyExponent(money.currency);
  return new Intl.NumberFormat(locale(), {
    style: 'currency',
    currency: money.currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(money.amount / 10 ** exponent);
}

/** A date and time in the traveler's locale, e.g. "3 Dec 2026, 14:05". */
export function formatDateTime(iso: string | Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
    typeof iso === 'string' ? new Date(iso) : iso,
  );
}

/** A date in the traveler's locale, e.g. "3 Dec 2026". */
export function formatDate(iso: string | Date): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(
    typeof iso === 'string' ? new Date(iso) : iso,
  );
}

/** "12:05" in the traveler's locale. */
export function formatTime(iso: string | Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'short', timeZone }).format(
    typeof iso === 'string' ? new Date(iso) : iso,
  );
}
