/**
 * Builds offers: one itinerary (its segments priced at the live availability) × one bundle (its ancillaries at
 * the bundle's discount) → an Offer with its items and a price breakdown that adds up exactly. Pure: ids, the
 * clock and the product prices come in as arguments.
 *
 * Items: one Flight item per passenger per segment (infants too, at the infant fare, though they hold no seat);
 * each bundle product once per seated passenger per segment (per-SEGMENT products) or once per order (per-ORDER
 * products, carried by the first adult with no flight). The offer's total is the sum of its items, and the
 * breakdown's lines sum to it (checked before an offer leaves this module).
 */
import {
  conditionsIn,
  type BundleConfig,
  type FareConditions,
  type PricingRuleConfig,
  type TaxConfig,
} from './commercial';
import { DomainError } from './errors';
import {
  add,
  applyPercent,
  canConvert,
  convert,
  money,
  negate,
  subtract,
  sum,
  zero,
  type ExchangeRates,
  type Money,
} from './money';
import type { Offer, OfferItem, OfferPassengers, OfferRanking, OfferSegment } from './offer';
import { priceLeg, type LegPrice, type PassengerType } from './pricing';

export type ProductType = OfferItem['product_type'];

/** A catalog product as a bundle prices it: its list price and whether it is sold per segment or per order. */
export interface CatalogProduct {
  code: string;
  type: ProductType;
  name: string;
  price: Money;
  per: 'SEGMENT' | 'ORDER';
}

/** A configured bundle with its products looked up in the catalog, in configured order. */
export interface ResolvedBundle {
  code: string;
  name: string;
  discount_percent: number;
  /** In the offer's currency. */
  products: CatalogProduct[];
  /** The fare family's conditions, penalties in the offer's currency. */
  conditions: FareConditions;
}

/** A segment of an itinerary with what its price depends on. */
export interface PricedSegmentInput {
  segment: OfferSegment;
  /** Adult base fare of the cabin. */
  baseFare: Money;
  available: number;
  capacity: number;
}

/** One segment priced for each passenger type of the party. */
export interface SegmentPrice {
  segment: OfferSegment;
  available: number;
  capacity: number;
  byType: Partial<Record<PassengerType, LegPrice>>;
}

export interface PricingInput {
  rules: readonly PricingRuleConfig[];
  taxes: readonly TaxConfig[];
  childFarePercent: number;
  infantFarePercent: number;
  /** The stated rate table for amounts configured in the pricing currency (fixed taxes, surcharges, products). */
  fx?: ExchangeRates | undefined;
  /** Airport code → ISO country: the jurisdictions of each leg's taxes. */
  countries?: ReadonlyMap<string, string> | undefined;
}

/** Fare lines: base + demand + rules = fare, fare + taxes = total. */
export interface FareSummary {
  base_fare: Money;
  demand_adjustment: Money;
  rule_adjustments: Money;
  taxes: Money;
  total: Money;
}

export interface PassengerTypeBreakdown {
  ptc: PassengerType;
  count: number;
  /** One passenger's price on each segment, line by line. */
  segments: { flight_id: string; leg: LegPrice }[];
  /** What one passenger of this type pays: fares and ancillaries. */
  per_passenger_total: Money;
  /** The fares of all `count` passengers of this type. */
  fare: FareSummary;
  ancillaries: Money;
  /** per_passenger_total × count. */
  total: Money;
}

export interface AncillaryLine {
  product_code: string;
  product_type: ProductType;
  name: string;
  per: 'SEGMENT' | 'ORDER';
  list_price: Money;
  /** The bundle discount on one unit (negative or zero). */
  discount: Money;
  unit_price: Money;
  quantity: number;
  amount: Money;
}

/**
 * The price of an offer, line by line. Always:
 *   totals.base_fare + totals.demand_adjustment + totals.rule_adjustments + totals.taxes = totals.fares
 *   totals.ancillaries_list + totals.bundle_discount = totals.ancillaries
 *   totals.fares + totals.ancillaries = totals.total = the sum of the offer's item prices
 *   Σ passenger_types[].total + Σ per-ORDER ancillary lines = totals.total
 */
export interface OfferPriceBreakdown {
  currency: string;
  bundle: { code: string; discount_percent: number };
  demand: { flight_id: string; cabin: string; available: number; capacity: number; multiplier: number }[];
  passenger_types: PassengerTypeBreakdown[];
  ancillaries: AncillaryLine[];
  totals: {
    base_fare: Money;
    demand_adjustment: Money;
    rule_adjustments: Money;
    taxes: Money;
    fares: Money;
    ancillaries_list: Money;
    bundle_discount: Money;
    ancillaries: Money;
    total: Money;
  };
}

export interface PassengerRef {
  ref: string;
  ptc: PassengerType;
}

/** ADT1…, CHD1…, INF1…: the order in which acceptance matches travelers (domain/travelers.ts `assignRefs`). */
export function passengerRefs(p: OfferPassengers): PassengerRef[] {
  const refs = (ptc: PassengerType, n: number) => Array.from({ length: n }, (_, i) => ({ ref: `${ptc}${i + 1}`, ptc }));
  return [...refs('ADT', p.adults), ...refs('CHD', p.children), ...refs('INF', p.infants)];
}

const typesOf = (p: OfferPassengers): [PassengerType, number][] =>
  (
    [
      ['ADT', p.adults],
      ['CHD', p.children],
      ['INF', p.infants],
    ] as [PassengerType, number][]
  ).filter(([, n]) => n > 0);

/** Prices every segment once per passenger type of the party (all passengers of a type pay the same). */
export function priceSegments(
  segments: readonly PricedSegmentInput[],
  passengers: OfferPassengers,
  pricing: PricingInput,
  now: Date,
): SegmentPrice[] {
  return segments.map((s) => {
    const byType: Partial<Record<PassengerType, LegPrice>> = {};
    for (const [ptc] of typesOf(passengers)) {
      byType[ptc] = priceLeg({
        baseFare: s.baseFare,
        available: s.available,
        capacity: s.capacity,
        passengerType: ptc,
        route: `${s.segment.origin}-${s.segment.destination}`,
        cabin: s.segment.cabin,
        now,
        rules: pricing.rules,
        taxes: pricing.taxes,
        childFarePercent: pricing.childFarePercent,
        infantFarePercent: pricing.infantFarePercent,
        originCountry: pricing.countries?.get(s.segment.origin),
        destinationCountry: pricing.countries?.get(s.segment.destination),
        fx: pricing.fx,
      });
    }
    return { segment: s.segment, available: s.available, capacity: s.capacity, byType };
  });
}

/**
 * A bundle's products looked up in the catalog and priced in the flight's `currency` (a list price in another
 * currency goes through the rate table, rounded to `currency`'s minor unit), with its fare conditions in that
 * currency. Null when a product is missing or the table cannot reach `currency`.
 */
export function resolveBundle(
  bundle: BundleConfig,
  catalog: ReadonlyMap<string, CatalogProduct>,
  currency: string,
  fx?: ExchangeRates,
): ResolvedBundle | null {
  const products: CatalogProduct[] = [];
  for (const code of bundle.products) {
    const product = catalog.get(code);
    if (!product || !canConvert(product.price.currency, currency, fx)) return null;
    products.push({ ...product, price: convert(product.price, currency, fx) });
  }
  let conditions: FareConditions;
  try {
    conditions = conditionsIn(bundle.conditions, currency, fx);
  } catch {
    return null; // a penalty the rate table cannot reach
  }
  return { code: bundle.code, name: bundle.name, discount_percent: bundle.discount_percent, products, conditions };
}

/** One unit of a product at the bundle's discount (rounded half away from zero, once per unit). */
export function discountedUnitPrice(product: CatalogProduct, discountPercent: number): Money {
  return subtract(product.price, applyPercent(product.price, discountPercent));
}

/**
 * What the ranker counts as a bundle's margin: the discounted price of one unit of each of its products. The
 * fare's margin is the same whichever bundle wraps it, so only the ancillaries tell bundles apart.
 */
export function bundleMargin(bundle: ResolvedBundle): number {
  return bundle.products.reduce((acc, p) => acc + discountedUnitPrice(p, bundle.discount_percent).amount, 0);
}

function fareSummary(leg: LegPrice): FareSummary {
  const currency = leg.total.currency;
  return {
    base_fare: leg.base_fare,
    demand_adjustment: leg.demand_adjustment,
    rule_adjustments: sum(
      leg.adjustments.map((a) => a.amount),
      currency,
    ),
    taxes: sum(
      leg.taxes.map((t) => t.amount),
      currency,
    ),
    total: leg.total,
  };
}

function addFares(a: FareSummary, b: FareSummary): FareSummary {
  return {
    base_fare: add(a.base_fare, b.base_fare),
    demand_adjustment: add(a.demand_adjustment, b.demand_adjustment),
    rule_adjustments: add(a.rule_adjustments, b.rule_adjustments),
    taxes: add(a.taxes, b.taxes),
    total: add(a.total, b.total),
  };
}

const times = (m: Money, n: number) => money(m.amount * n, m.currency);

function scaleFares(f: FareSummary, n: number): FareSummary {
  return {
    base_fare: times(f.base_fare, n),
    demand_adjustment: times(f.demand_adjustment, n),
    rule_adjustments: times(f.rule_adjustments, n),
    taxes: times(f.taxes, n),
    total: times(f.total, n),
  };
}

const zeroFares = (currency: string): FareSummary => ({
  base_fare: zero(currency),
  demand_adjustment: zero(currency),
  rule_adjustments: zero(currency),
  taxes: zero(currency),
  total: zero(currency),
});

export interface BuildOfferInput {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  bundle: ResolvedBundle;
  prices: readonly SegmentPrice[];
  passengers: OfferPassengers;
  search: Offer['search'];
  rank: number;
  /** An id for each item, unique within the offer. */
  itemId: () => string;
  searchId?: string;
  customerId?: string | null;
  ranking?: OfferRanking;
}

/** One offer: the itinerary's fares for the party plus the bundle's ancillaries, with its breakdown. */
export function buildOffer(input: BuildOfferInput): Offer & { price: { breakdown: OfferPriceBreakdown } } {
  const { bundle, prices, passengers } = input;
  const first = prices[0];
  if (!first) throw new DomainError('VALIDATION_FAILED', 'an offer needs at least one segment');
  const currency = Object.values(first.byType)[0]!.total.currency;
  const refs = passengerRefs(passengers);
  const seated = refs.filter((r) => r.ptc !== 'INF');
  const items: OfferItem[] = [];

  for (const p of prices) {
    for (const r of refs) {
      items.push({
        id: input.itemId(),
        product_type: 'Flight',
        product_code: 'FLIGHT',
        flight_id: p.segment.flight_id,
        passenger_ref: r.ref,
        ptc: r.ptc,
        price: p.byType[r.ptc]!.total,
      });
    }
  }

  const ancillaries: AncillaryLine[] = [];
  const perPassengerAncillary = new Map<PassengerType, Money>();
  for (const product of bundle.products) {
    const unit = discountedUnitPrice(product, bundle.discount_percent);
    const holders: { flight_id: string | null; ref: PassengerRef }[] =
      product.per === 'ORDER'
        ? [{ flight_id: null, ref: seated[0] ?? refs[0]! }]
        : prices.flatMap((p) => seated.map((ref) => ({ flight_id: p.segment.flight_id, ref })));
    for (const h of holders) {
      items.push({
        id: input.itemId(),
        product_type: product.type,
        product_code: product.code,
        flight_id: h.flight_id,
        passenger_ref: h.ref.ref,
        ptc: h.ref.ptc,
        price: unit,
      });
    }
    if (product.per === 'SEGMENT') {
      // Every seated passenger pays the same unit on every segment.
      for (const ptc of new Set(seated.map((s) => s.ptc))) {
        const prev = perPassengerAncillary.get(ptc) ?? zero(currency);
        perPassengerAncillary.set(ptc, add(prev, times(unit, prices.length)));
      }
    }
    ancillaries.push({
      product_code: product.code,
      product_type: product.type,
      name: product.name,
      per: product.per,
      list_price: product.price,
      discount: subtract(unit, product.price),
      unit_price: unit,
      quantity: holders.length,
      amount: times(unit, holders.length),
    });
  }

  const passengerTypes: PassengerTypeBreakdown[] = typesOf(passengers).map(([ptc, count]) => {
    const fare = prices.reduce((acc, p) => addFares(acc, fareSummary(p.byType[ptc]!)), zeroFares(currency));
    const anc = perPassengerAncillary.get(ptc) ?? zero(currency);
    const perPassengerTotal = add(fare.total, anc);
    return {
      ptc,
      count,
      segments: prices.map((p) => ({ flight_id: p.segment.flight_id, leg: p.byType[ptc]! })),
      per_passenger_total: perPassengerTotal,
      fare: scaleFares(fare, count),
      ancillaries: times(anc, count),
      total: times(perPassengerTotal, count),
    };
  });

  const fares = passengerTypes.reduce((acc, t) => addFares(acc, t.fare), zeroFares(currency));
  const ancillariesTotal = sum(
    ancillaries.map((a) => a.amount),
    currency,
  );
  const ancillariesList = sum(
    ancillaries.map((a) => times(a.list_price, a.quantity)),
    currency,
  );
  const total = sum(
    items.map((i) => i.price),
    currency,
  );
  const breakdown: OfferPriceBreakdown = {
    currency,
    bundle: { code: bundle.code, discount_percent: bundle.discount_percent },
    demand: prices.map((p) => ({
      flight_id: p.segment.flight_id,
      cabin: p.segment.cabin,
      available: p.available,
      capacity: p.capacity,
      multiplier: Object.values(p.byType)[0]!.demand_multiplier,
    })),
    passenger_types: passengerTypes,
    ancillaries,
    totals: {
      base_fare: fares.base_fare,
      demand_adjustment: fares.demand_adjustment,
      rule_adjustments: fares.rule_adjustments,
      taxes: fares.taxes,
      fares: fares.total,
      ancillaries_list: ancillariesList,
      bundle_discount: negate(subtract(ancillariesList, ancillariesTotal)),
      ancillaries: ancillariesTotal,
      total,
    },
  };
  checkBreakdown(breakdown);

  return {
    id: input.id,
    status: 'ACTIVE',
    created_at: input.createdAt.toISOString(),
    expires_at: input.expiresAt.toISOString(),
    bundle: { code: bundle.code, name: bundle.name },
    rank: input.rank,
    search: input.search,
    segments: prices.map((p) => p.segment),
    items,
    price: { currency, total, breakdown },
    conditions: bundle.conditions,
    ...(input.searchId === undefined ? {} : { search_id: input.searchId }),
    ...(input.customerId === undefined ? {} : { customer_id: input.customerId }),
    ...(input.ranking === undefined ? {} : { ranking: input.ranking }),
  };
}

/** The breakdown's identities (see OfferPriceBreakdown); a failure is a bug in this module, never input. */
export function checkBreakdown(b: OfferPriceBreakdown): void {
  const t = b.totals;
  const c = b.currency;
  const checks: [string, Money, Money][] = [
    ['fares', sum([t.base_fare, t.demand_adjustment, t.rule_adjustments, t.taxes], c), t.fares],
    ['ancillaries', add(t.ancillaries_list, t.bundle_discount), t.ancillaries],
    ['total', add(t.fares, t.ancillaries), t.total],
    [
      'passenger types',
      sum(
        [
          ...b.passenger_types.map((p) => p.total),
          ...b.ancillaries.filter((a) => a.per === 'ORDER').map((a) => a.amount),
        ],
        c,
      ),
      t.total,
    ],
  ];
  for (const [name, got, want] of checks) {
    if (got.amount !== want.amount) {
      throw new DomainError('INTERNAL', `offer breakdown does not add up (${name}: ${got.amount} ≠ ${want.amount})`);
    }
  }
}
