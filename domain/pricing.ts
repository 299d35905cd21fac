/**
 * Continuous pricing for one passenger on one leg: base fare by passenger type, demand multiplier, pricing
 * rules in configured order, then taxes. Pure: the clock comes in as `now`, the rules and taxes as arguments (domain/commercial.ts).
 */
import { fixedAmountIn, taxApplies, type PricingRuleConfig, type TaxConfig } from './commercial';
import { DomainError } from './errors';
import { add, applyBasisPoints, applyPercent, convert, money, negate, subtract, sum, zero } from './money';
import type { ExchangeRates, Money } from './money';

export const PASSENGER_TYPES = ['ADT', 'CHD', 'INF'] as const;
export type PassengerType = (typeof PASSENGER_TYPES)[number];

export interface Adjustment {
  rule_id: string;
  name: string;
  kind: PricingRuleConfig['kind'];
  /** Negative for sales and discounts, positive for surcharges. */
  amount: Money;
}

export interface TaxLine {
  code: string;
  name: string;
  amount: Money;
}

/**
 * One passenger's price on one leg. Always:
 *   base_fare + demand_adjustment + sum(adjustments) = fare, and fare + sum(taxes) = total.
 */
export interface LegPrice {
  passenger_type: PassengerType;
  /** The adult base fare scaled to this passenger type (child / infant percent). */
  base_fare: Money;
  demand_multiplier: number;
  demand_adjustment: Money;
  fare_after_demand: Money;
  adjustments: Adjustment[];
  fare: Money;
  taxes: TaxLine[];
  total: Money;
}

export interface PriceLegInput {
  /** Adult base fare for the leg and cabin. */
  baseFare: Money;
  available: number;
  capacity: number;
  passengerType: PassengerType;
  /** "JFK-LHR": origin and destination airport codes. */
  route: string;
  cabin: string;
  now: Date;
  rules: readonly PricingRuleConfig[];
  taxes: readonly TaxConfig[];
  childFarePercent: number;
  infantFarePercent: number;
  /** ISO country codes of the leg's airports: the jurisdictions its taxes are levied in. */
  originCountry?: string | undefined;
  destinationCountry?: string | undefined;
  /** The stated rate table that takes amounts configured in the pricing currency to the fare's. */
  fx?: ExchangeRates | undefined;
}

const invalid = (message: string, details?: unknown) => new DomainError('VALIDATION_FAILED', message, details);

/**
 * The demand multiplier in hundredths: 100 + 200·u² with u = 1 − available/capacity, computed exactly in
 * integers, rounded half up to 0.01 and clamped to [0.50, 3.00]. 1/100 seats -> 296.
 */
export function demandMultiplierHundredths(available: number, capacity: number): number {
  if (!Number.isSafeInteger(capacity) || capacity <= 0) {
    throw invalid(`capacity must be a positive whole number of seats, got ${capacity}`, { available, capacity });
  }
  if (!Number.isSafeInteger(available) || available < 0 || available > capacity) {
    throw invalid(`available must be a whole number between 0 and ${capacity}, got ${available}`, {
      available,
      capacity,
    });
  }
  const sold = BigInt(capacity - available);
  const cap = BigInt(capacity);
  // 200·(sold/cap)², rounded half up: floor((2·200·sold² + cap²) / (2·cap²)).
  const curve = Number((400n * sold * sold + cap * cap) / (2n * cap * cap));
  return Math.min(300, Math.max(50, 100 + curve));
}

/**
 * The availability the demand multiplier is computed on (README, "Abuse limits"): sold seats count in full,
 * held-but-unpaid seats at `heldWeight` (0..1, the held part rounded down). A hold costs nothing, so at weight 0
 * (the default, `pricing.held_seat_weight`) holding a cabin cannot raise the price other shoppers pay; the seats
 * a hold keeps still cannot be sold to anyone else.
 */
export function demandAvailable(figures: { capacity: number; held: number; sold: number }, heldWeight: number): number {
  const taken = figures.sold + Math.floor(figures.held * heldWeight);
  return Math.max(0, figures.capacity - Math.min(figures.capacity, Math.max(0, taken)));
}

/**
 * multiplier = clamp(1 + 2·u², 0.5, 3.0), u = 1 − available/capacity: 100/100 -> 1, 50/100 -> 1.5,
 * 10/100 -> 2.62, 1/100 -> 2.96, 0/100 -> 3.
 */
export function demandMultiplier(available: number, capacity: number): number {
  // Quoted to 0.01 so a shopper's price is explainable: 1/100 seats is 2.96 × 200.00 = 592.00, not 592.04.
  return demandMultiplierHundredths(available, capacity) / 100;
}

function passengerFarePercent(input: PriceLegInput): number {
  const percents: Record<PassengerType, number> = {
    ADT: 100,
    CHD: input.childFarePercent,
    INF: input.infantFarePercent,
  };
  if (!Object.hasOwn(percents, input.passengerType)) {
    throw invalid(`unknown passenger type ${String(input.passengerType)}`, { passengerType: input.passengerType });
  }
  const percent = percents[input.passengerType];
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw invalid(`${input.passengerType} fare percent must be between 0 and 100, got ${percent}`);
  }
  return percent;
}

function parseInstant(iso: string, ruleId: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw invalid(`pricing rule ${ruleId}: ${field} "${iso}" is not an ISO 8601 date`);
  return ms;
}

// Cabin names compare case-insensitively so "business" in data still meets "BUSINESS" in config.
function matchesFilter(rule: { routes?: string[]; cabins?: string[] }, route: string, cabin: string): boolean {
  const routeOk = rule.routes === undefined || rule.routes.includes(route.toUpperCase());
  const cabinOk = rule.cabins === undefined || rule.cabins.some((c) => c.toUpperCase() === cabin.toUpperCase());
  return routeOk && cabinOk;
}

/** The signed amount a rule changes `fare` by, or null when the rule does not apply to this leg. */
function ruleAmount(rule: PricingRuleConfig, fare: Money, input: PriceLegInput): Money | null {
  switch (rule.kind) {
    case 'sale': {
      const now = input.now.getTime();
      const inWindow =
        parseInstant(rule.starts_at, rule.id, 'starts_at') <= now &&
        now <= parseInstant(rule.ends_at, rule.id, 'ends_at');
      return inWindow ? negate(applyPercent(fare, rule.percent)) : null;
    }
    case 'discount':
      return matchesFilter(rule, input.route, input.cabin) ? negate(applyPercent(fare, rule.percent)) : null;
    case 'surcharge':
      return matchesFilter(rule, input.route, input.cabin)
        ? convert(money(rule.amount, input.fx?.base ?? fare.currency), fare.currency, input.fx)
        : null;
  }
}

/** Applies the rules in order, each to the fare the previous ones left; the fare never goes below zero. */
function applyRules(start: Money, input: PriceLegInput): { fare: Money; adjustments: Adjustment[] } {
  let fare = start;
  const adjustments: Adjustment[] = [];
  for (const rule of input.rules) {
    const raw = ruleAmount(rule, fare, input);
    if (raw === null) continue;
    const amount = raw.amount < -fare.amount ? negate(fare) : raw;
    adjustments.push({ rule_id: rule.id, name: rule.name, kind: rule.kind, amount });
    fare = add(fare, amount);
  }
  return { fare, adjustments };
}

/**
 * The taxes and fees of the leg's jurisdictions for this passenger type: a percentage of the fare, or a fixed
 * amount in the fare's currency (its own figure, else the pricing-currency amount at the rate table).
 */
function taxLines(fare: Money, input: PriceLegInput): TaxLine[] {
  return input.taxes
    .filter((tax) => tax.applies_to.includes(input.passengerType))
    .filter((tax) => taxApplies(tax, input.originCountry, input.destinationCountry))
    .map((tax) => ({
      code: tax.code,
      name: tax.name,
      amount:
        tax.kind === 'percent'
          ? applyBasisPoints(fare, tax.basis_points)
          : fixedAmountIn(tax, fare.currency, input.fx, `tax ${tax.code}`),
    }));
}

/** Prices one passenger on one leg, with a breakdown a shopper can add up by hand. */
export function priceLeg(input: PriceLegInput): LegPrice {
  const adultFare = money(input.baseFare.amount, input.baseFare.currency);
  if (adultFare.amount < 0) throw invalid('base fare may not be negative', { baseFare: input.baseFare });
  if (!(input.now instanceof Date) || Number.isNaN(input.now.getTime())) throw invalid('now must be a valid Date');

  const baseFare = applyPercent(adultFare, passengerFarePercent(input));
  const hundredths = demandMultiplierHundredths(input.available, input.capacity);
  const fareAfterDemand = applyPercent(baseFare, hundredths);
  const { fare, adjustments } = applyRules(fareAfterDemand, input);
  const taxes = taxLines(fare, input);

  return {
    passenger_type: input.passengerType,
    base_fare: baseFare,
    demand_multiplier: hundredths / 100,
    demand_adjustment: subtract(fareAfterDemand, baseFare),
    fare_after_demand: fareAfterDemand,
    adjustments,
    fare,
    taxes,
    total: add(
      fare,
      sum(
        taxes.map((t) => t.amount),
        fare.currency,
      ),
    ),
  };
}

/** Sum of the totals of several leg prices, all in `currency`. */
export function sumPrices(prices: readonly LegPrice[], currency: string): Money {
  return prices.reduce((acc, p) => add(acc, p.total), zero(currency));
}
