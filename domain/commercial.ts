/**
 * The airline's commercial settings as pricing and offer building read them: taxes and fees (per jurisdiction
 * and per currency), pricing rules (time-limited sales, percentage discounts, fixed surcharges), bundles and their
 * fare conditions. Fixed amounts are integer minor units: given per currency in `amounts`, or as `amount` in the
 * pricing currency and converted by the stated rate table (domain/money.ts `convert`). config/ validates the same
 * shapes from default.toml (its zod schemas; test/unit/config.test.ts checks that the two agree) and
 * services/commercial-settings.ts stores them.
 */
import { DomainError } from './errors';
import { convert, money, type ExchangeRates, type Money } from './money';
import type { PassengerType } from './pricing';

/** A fixed amount: per currency where given, else `amount` (pricing currency) at the rate table. */
export interface FixedAmountConfig {
  /** Minor units of the pricing currency. */
  amount?: number | undefined;
  /** Minor units per ISO currency: { JPY = 3800, KWD = 770 }; wins over `amount` for that currency. */
  amounts?: Record<string, number> | undefined;
}

/** Where a tax is levied: a leg departing one of `departure_countries` and/or arriving in one of `arrival_countries`. */
export interface JurisdictionConfig {
  /** ISO 3166 alpha-2 country codes of the departure airport; absent = any. */
  departure_countries?: string[] | undefined;
  /** ISO 3166 alpha-2 country codes of the arrival airport; absent = any. */
  arrival_countries?: string[] | undefined;
}

export type TaxConfig =
  | {
      code: string;
      name: string;
      kind: 'percent';
      /** 1/100 of a percent of the fare. */
      basis_points: number;
      applies_to: PassengerType[];
      departure_countries?: string[] | undefined;
      arrival_countries?: string[] | undefined;
    }
  | {
      code: string;
      name: string;
      kind: 'fixed';
      applies_to: PassengerType[];
      amount?: number | undefined;
      amounts?: Record<string, number> | undefined;
      departure_countries?: string[] | undefined;
      arrival_countries?: string[] | undefined;
    };

/** What every pricing rule has. */
interface RuleNaming {
  id: string;
  name: string;
}

/** Where a discount or a surcharge applies. */
interface RuleScope {
  /** "JFK-LHR" route codes; absent = every route. */
  routes?: string[] | undefined;
  /** Cabin codes; absent = every cabin. */
  cabins?: string[] | undefined;
}

/** One object type of an intersection (as the config's zod-inferred type is written). */
type Flat<T> = { [K in keyof T]: T[K] };

export type PricingRuleConfig =
  | Flat<
      RuleNaming & {
        kind: 'sale';
        percent: number;
        /** ISO 8601 date-times: the sale applies while starts_at <= now <= ends_at. */
        starts_at: string;
        ends_at: string;
      }
    >
  | Flat<RuleNaming & RuleScope & { kind: 'discount'; percent: number }>
  | Flat<
      RuleNaming &
        RuleScope & {
          kind: 'surcharge';
          /** Minor units of the pricing currency, converted by the rate table on a flight in another currency. */
          amount: number;
        }
    >;

/** One fare condition as configured: allowed or not, and a penalty per passenger when allowed. */
export interface ConditionConfig {
  allowed: boolean;
  amount?: number | undefined;
  amounts?: Record<string, number> | undefined;
}

/**
 * A fare family's conditions (per bundle): refund before departure, change before departure, and the no-show
 * rule (once a flight of the order has departed, flown or not shown: may the unflown rest still be refunded).
 */
export interface FareConditionsConfig {
  refund_before_departure: ConditionConfig;
  change_before_departure: ConditionConfig;
  no_show: ConditionConfig;
}

export interface BundleConfig {
  code: string;
  name: string;
  /** Product codes of the catalog. */
  products: string[];
  discount_percent: number;
  /** Absent: the fare is sold non-refundable and unchangeable (DEFAULT_CONDITIONS). */
  conditions?: FareConditionsConfig | undefined;
}

/** One condition as sold (Duffel's shape): the penalty per passenger, in the order's currency. */
export interface FareCondition {
  allowed: boolean;
  /** Minor units per passenger; null when not allowed. */
  penalty_amount: number | null;
  penalty_currency: string | null;
}

/** The conditions an offer shows and an order keeps for its life (never rewritten by a later rule change). */
export interface FareConditions {
  refund_before_departure: FareCondition;
  change_before_departure: FareCondition;
  no_show: FareCondition;
}

/** What a bundle without conditions is sold under: nothing refundable, nothing changeable. */
export const DEFAULT_CONDITIONS: FareConditionsConfig = {
  refund_before_departure: { allowed: false },
  change_before_departure: { allowed: false },
  no_show: { allowed: false },
};

/**
 * A fixed amount in `currency`: its own figure from `amounts`, else `amount` converted from `fx.base`. A currency
 * it cannot reach is a configuration mistake, reported as VALIDATION_FAILED naming `what`.
 */
export function fixedAmountIn(
  cfg: FixedAmountConfig,
  currency: string,
  fx: ExchangeRates | undefined,
  what: string,
): Money {
  const own = cfg.amounts?.[currency];
  if (own !== undefined) return money(own, currency);
  if (cfg.amount === undefined) {
    throw new DomainError('VALIDATION_FAILED', `${what} has no amount in ${currency}`, { currency });
  }
  return convert(money(cfg.amount, fx?.base ?? currency), currency, fx);
}

/** Whether a tax's jurisdiction covers a leg from `origin` to `destination` (countries; unknown = no match). */
export function taxApplies(
  tax: JurisdictionConfig,
  originCountry: string | undefined,
  destinationCountry: string | undefined,
): boolean {
  const dep = tax.departure_countries;
  const arr = tax.arrival_countries;
  const depOk = dep === undefined || (originCountry !== undefined && dep.includes(originCountry));
  const arrOk = arr === undefined || (destinationCountry !== undefined && arr.includes(destinationCountry));
  return depOk && arrOk;
}

/** A bundle's conditions as sold in `currency` (penalties resolved per passenger). */
export function conditionsIn(
  cfg: FareConditionsConfig | undefined,
  currency: string,
  fx: ExchangeRates | undefined,
): FareConditions {
  const c = cfg ?? DEFAULT_CONDITIONS;
  const one = (x: ConditionConfig, name: string): FareCondition => {
    if (!x.allowed) return { allowed: false, penalty_amount: null, penalty_currency: null };
    const hasAmount = x.amount !== undefined || x.amounts !== undefined;
    const penalty = hasAmount ? fixedAmountIn(x, currency, fx, `the ${name} penalty`) : money(0, currency);
    return { allowed: true, penalty_amount: penalty.amount, penalty_currency: currency };
  };
  return {
    refund_before_departure: one(c.refund_before_departure, 'refund'),
    change_before_departure: one(c.change_before_departure, 'change'),
    no_show: one(c.no_show, 'no-show'),
  };
}
