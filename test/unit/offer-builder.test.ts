import { conditionsIn } from '../../domain/commercial';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { money } from '../../domain/money';
import {
  buildOffer,
  bundleMargin,
  discountedUnitPrice,
  passengerRefs,
  priceSegments,
  resolveBundle,
  type CatalogProduct,
  type PricedSegmentInput,
  type ResolvedBundle,
} from '../../domain/offer-builder';
import type { OfferPassengers, OfferSegment } from '../../domain/offer';

const config = loadConfig({ APP_ENV: 'test' });
const usd = (n: number) => money(n, 'USD');
const now = new Date('2026-06-01T12:00:00Z');
const pricing = {
  rules: config.pricing.rules,
  taxes: config.pricing.taxes,
  childFarePercent: config.pricing.child_fare_percent,
  infantFarePercent: config.pricing.infant_fare_percent,
};

const segment = (
  id: string,
  direction: OfferSegment['direction'],
  origin = 'JFK',
  destination = 'LHR',
): OfferSegment => ({
  flight_id: id,
  carrier: 'AL',
  flight_number: '100',
  origin,
  destination,
  departure_at: '2026-07-01T10:00:00.000Z',
  arrival_at: '2026-07-01T17:00:00.000Z',
  cabin: 'ECONOMY',
  direction,
});

const itinerary: PricedSegmentInput[] = [
  { segment: segment('f-out', 'OUTBOUND'), baseFare: usd(43_333), available: 37, capacity: 150 },
  { segment: segment('f-in', 'INBOUND', 'LHR', 'JFK'), baseFare: usd(41_999), available: 149, capacity: 150 },
];

const products: CatalogProduct[] = [
  { code: 'SEAT_STANDARD', type: 'Seat', name: 'Seat', price: usd(1_499), per: 'SEGMENT' },
  { code: 'BAG_23KG', type: 'Bag', name: 'Bag', price: usd(3_333), per: 'SEGMENT' },
  { code: 'INSURANCE', type: 'Insurance', name: 'Insurance', price: usd(2_501), per: 'ORDER' },
];
const bundle: ResolvedBundle = {
  code: 'TEST',
  name: 'Test',
  discount_percent: 15,
  products,
  conditions: conditionsIn(undefined, 'USD', undefined),
};

let n = 0;
function build(passengers: OfferPassengers, b: ResolvedBundle = bundle) {
  const prices = priceSegments(itinerary, passengers, pricing, now);
  return buildOffer({
    id: 'off_test',
    createdAt: now,
    expiresAt: new Date(now.getTime() + 900_000),
    bundle: b,
    prices,
    passengers,
    search: {
      origin: 'JFK',
      destination: 'LHR',
      departure_date: '2026-07-01',
      return_date: '2026-07-08',
      cabin: 'ECONOMY',
      passengers,
    },
    rank: 1,
    itemId: () => `item-${++n}`,
  });
}

describe('buildOffer', () => {
  it('adds up exactly: items, breakdown lines, per passenger type, with awkward amounts and a discount', () => {
    const passengers = { adults: 2, children: 3, infants: 1 };
    const offer = build(passengers);
    const itemTotal = offer.items.reduce((s, i) => s + i.price.amount, 0);
    expect(offer.price.total).toEqual(usd(itemTotal));
    const t = offer.price.breakdown.totals;
    expect(t.total).toEqual(offer.price.total);
    expect(t.base_fare.amount + t.demand_adjustment.amount + t.rule_adjustments.amount + t.taxes.amount).toBe(
      t.fares.amount,
    );
    expect(t.fares.amount + t.ancillaries.amount).toBe(t.total.amount);
    expect(t.bundle_discount.amount).toBeLessThan(0);
    const types = offer.price.breakdown.passenger_types;
    expect(types.map((p) => [p.ptc, p.count])).toEqual([
      ['ADT', 2],
      ['CHD', 3],
      ['INF', 1],
    ]);
    const insurance = offer.price.breakdown.ancillaries.find((a) => a.product_code === 'INSURANCE')!;
    expect(types.reduce((s, p) => s + p.total.amount, 0) + insurance.amount.amount).toBe(t.total.amount);
    expect(offer.price.breakdown.demand.map((d) => d.multiplier)).toEqual([2.14, 1]); // 37/150 seats left: 1 + 2·(113/150)² = 2.135 → 2.14;
  });

  it('makes a Flight item per passenger per segment, ancillaries per seated passenger per segment, per-ORDER once', () => {
    const offer = build({ adults: 1, children: 1, infants: 1 });
    const flights = offer.items.filter((i) => i.product_type === 'Flight');
    expect(flights.map((i) => `${i.flight_id}/${i.passenger_ref}/${i.ptc}`)).toEqual([
      'f-out/ADT1/ADT',
      'f-out/CHD1/CHD',
      'f-out/INF1/INF',
      'f-in/ADT1/ADT',
      'f-in/CHD1/CHD',
      'f-in/INF1/INF',
    ]);
    const seats = offer.items.filter((i) => i.product_code === 'SEAT_STANDARD');
    expect(seats.map((i) => `${i.flight_id}/${i.passenger_ref}`)).toEqual([
      'f-out/ADT1',
      'f-out/CHD1',
      'f-in/ADT1',
      'f-in/CHD1',
    ]);
    expect(seats[0]!.price).toEqual(usd(1_499 - 225)); // 15 % of 14.99 is 2.2485 → 2.25
    const insurance = offer.items.filter((i) => i.product_code === 'INSURANCE');
    expect(insurance).toEqual([expect.objectContaining({ flight_id: null, passenger_ref: 'ADT1', ptc: 'ADT' })]);
    expect(offer.items.filter((i) => i.passenger_ref === 'INF1').every((i) => i.product_type === 'Flight')).toBe(true);
    expect(new Set(offer.items.map((i) => i.id)).size).toBe(offer.items.length);
  });

  it('prices children and infants from the adult base fare by their percent', () => {
    const offer = build({ adults: 1, children: 1, infants: 1 });
    const base = (ptc: string) =>
      offer.price.breakdown.passenger_types.find((p) => p.ptc === ptc)!.segments[0]!.leg.base_fare.amount;
    expect(base('ADT')).toBe(43_333);
    expect(base('CHD')).toBe(Math.round(43_333 * 0.75));
    expect(base('INF')).toBe(Math.round(43_333 * 0.1));
  });

  it('resolves bundles from the catalog; a missing product or another currency makes it unavailable', () => {
    const catalog = new Map(products.map((p) => [p.code, p]));
    const b = { code: 'X', name: 'X', products: ['BAG_23KG', 'SEAT_STANDARD'], discount_percent: 10 };
    expect(resolveBundle(b, catalog, 'USD')!.products.map((p) => p.code)).toEqual(['BAG_23KG', 'SEAT_STANDARD']);
    expect(resolveBundle({ ...b, products: ['NOPE'] }, catalog, 'USD')).toBeNull();
    expect(resolveBundle(b, catalog, 'EUR')).toBeNull();
    expect(resolveBundle({ ...b, products: [] }, catalog, 'EUR')!.products).toEqual([]);
    expect(bundleMargin(resolveBundle(b, catalog, 'USD')!)).toBe(
      discountedUnitPrice(products[1]!, 10).amount + discountedUnitPrice(products[0]!, 10).amount,
    );
  });

  it('prices a bundle in the flight’s currency through the rate table, with its conditions in that currency', () => {
    const catalog = new Map(products.map((p) => [p.code, p]));
    const fx = { base: 'USD', rates: { JPY: 150, KWD: 0.307 } };
    const b = {
      code: 'X',
      name: 'X',
      products: ['BAG_23KG', 'SEAT_STANDARD'],
      discount_percent: 10,
      conditions: {
        refund_before_departure: { allowed: true, amount: 10_000, amounts: { KWD: 30_000 } },
        change_before_departure: { allowed: false },
        no_show: { allowed: false },
      },
    };
    // 33.33 USD × 150 = 4999.5 → 5000 JPY; 14.99 × 150 = 2248.5 → 2249 JPY.
    const jpy = resolveBundle(b, catalog, 'JPY', fx)!;
    expect(jpy.products.map((p) => p.price)).toEqual([money(5000, 'JPY'), money(2249, 'JPY')]);
    expect(jpy.conditions.refund_before_departure).toEqual({
      allowed: true,
      penalty_amount: 15_000,
      penalty_currency: 'JPY',
    });
    // 33.33 × 0.307 = 10.23231 → 10.232 KWD; the penalty's own KWD figure wins over the table.
    const kwd = resolveBundle(b, catalog, 'KWD', fx)!;
    expect(kwd.products[0]!.price).toEqual(money(10_232, 'KWD'));
    expect(kwd.conditions.refund_before_departure.penalty_amount).toBe(30_000);
    // Without a rate the bundle cannot be sold in that currency.
    expect(resolveBundle(b, catalog, 'GBP', fx)).toBeNull();
  });

  it('numbers passengers as acceptance matches travelers', () => {
    expect(passengerRefs({ adults: 2, children: 1, infants: 1 }).map((r) => r.ref)).toEqual([
      'ADT1',
      'ADT2',
      'CHD1',
      'INF1',
    ]);
  });
});
