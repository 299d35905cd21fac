/**
 * The airline's commercial settings as pricing and offer building read them: taxes, pricing rules (time-limited
 * sales, percentage discounts, fixed surcharges) and bundles. Amounts are integer minor units of the pricing
 * currency. config/ validates the same shapes from default.toml (its zod schemas; test/unit/config.test.ts checks
 * that the two agree) and services/commercial-settings.ts stores them.
 */
import type { PassengerType } from './pricing';

export type TaxConfig =
  | {
      code: string;
      name: string;
      kind: 'percent';
      /** 1/100 of a percent of the fare. */
      basis_points: number;
      applies_to: PassengerType[];
    }
  | {
      code: string;
      name: string;
      kind: 'fixed';
      amount: number;
      applies_to: PassengerType[];
    };

export type PricingRuleConfig =
  | {
      id: string;
      kind: 'sale';
      name: string;
      percent: number;
      /** ISO 8601 date-times: the sale applies while starts_at <= now <= ends_at. */
      starts_at: string;
      ends_at: string;
    }
  | {
      id: string;
      kind: 'discount';
      name: string;
      percent: number;
      /** "JFK-LHR" route codes; absent = every route. */
      routes?: string[] | undefined;
      /** Cabin codes; absent = every cabin. */
      cabins?: string[] | undefined;
    }
  | {
      id: string;
      kind: 'surcharge';
      name: string;
      amount: number;
      routes?: string[] | undefined;
      cabins?: string[] | undefined;
    };

export interface BundleConfig {
  code: string;
  name: string;
  /** Product codes of the catalog. */
  products: string[];
  discount_percent: number;
}
