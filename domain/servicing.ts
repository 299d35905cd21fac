/**
 * Services after booking (issue #14, items 3–4): which products an airline sells on a paid order, their limits,
 * the EMD each is issued on (RFIC / RFISC), and when an unused one is refunded. Pure: the catalog, the order's
 * travelers, segments and what they already bought, and the clock come in as arguments.
 */
import { DomainError } from './errors';

/** The product types sold after booking (seats go through the seat route, with the seat map's prices). */
export const SERVICE_TYPES = ['Bag', 'Meal', 'Lounge', 'FastTrack', 'Insurance', 'CarbonOffset'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** When an unused service is refunded: until some hours before the (first) departure it is used on, or never. */
export type RefundRule = { kind: 'UNTIL_DEPARTURE'; hours_before: number } | { kind: 'NEVER' };

export interface ServiceRule {
  /** Reason For Issuance Code of the EMD (IATA RFIC: C baggage, G in-flight, E airport, D financial, I other). */
  rfic: string;
  /** Per traveler, per segment (or per order for per-ORDER products), across every product of the type. */
  maxPerTraveler: number;
  refund: RefundRule;
}

/** One home for the rules of each product type sold after booking. */
export const SERVICE_RULES: Record<ServiceType, ServiceRule> = {
  Bag: { rfic: 'C', maxPerTraveler: 2, refund: { kind: 'UNTIL_DEPARTURE', hours_before: 24 } },
  Meal: { rfic: 'G', maxPerTraveler: 1, refund: { kind: 'UNTIL_DEPARTURE', hours_before: 24 } },
  Lounge: { rfic: 'E', maxPerTraveler: 1, refund: { kind: 'UNTIL_DEPARTURE', hours_before: 3 } },
  FastTrack: { rfic: 'E', maxPerTraveler: 1, refund: { kind: 'UNTIL_DEPARTURE', hours_before: 3 } },
  // Insurance cover starts when it is bought; an offset is bought from its supplier at once.
  Insurance: { rfic: 'D', maxPerTraveler: 1, refund: { kind: 'NEVER' } },
  CarbonOffset: { rfic: 'I', maxPerTraveler: 1, refund: { kind: 'NEVER' } },
};

/**
 * RFIC / RFISC per product code, the EMD reason codes (ATPCO sub-codes where a common one exists). Every product
 * the catalog sells has a row; db/seed/data.ts carries the same codes (test/unit/servicing.test.ts checks).
 */
export const EMD_CODES: Record<string, { rfic: string; rfisc: string }> = {
  SEAT_STANDARD: { rfic: 'A', rfisc: '0B5' },
  SEAT_EXTRA_LEGROOM: { rfic: 'A', rfisc: '0BX' },
  SEAT_SELECTED: { rfic: 'A', rfisc: '0B5' },
  BAG_23KG: { rfic: 'C', rfisc: '0CC' },
  BAG_23KG_2: { rfic: 'C', rfisc: '0CD' },
  MEAL_HOT: { rfic: 'G', rfisc: '0B3' },
  MEAL_PREMIUM: { rfic: 'G', rfisc: '0AI' },
  LOUNGE: { rfic: 'E', rfisc: '0BX' },
  FAST_TRACK: { rfic: 'E', rfisc: '0LQ' },
  CARBON_OFFSET: { rfic: 'I', rfisc: '0B1' },
  INSURANCE: { rfic: 'D', rfisc: '0MJ' },
};

/** A product type's codes, for an item whose product code is not in EMD_CODES (an older or a trip's item). */
const EMD_CODES_BY_TYPE: Record<string, { rfic: string; rfisc: string }> = {
  Seat: EMD_CODES.SEAT_STANDARD!,
  Bag: EMD_CODES.BAG_23KG!,
  Meal: EMD_CODES.MEAL_HOT!,
  Lounge: EMD_CODES.LOUNGE!,
  FastTrack: EMD_CODES.FAST_TRACK!,
  Insurance: EMD_CODES.INSURANCE!,
  CarbonOffset: EMD_CODES.CARBON_OFFSET!,
};

/** The reason codes of an item's EMD: by its product code, else by its product type. */
export function emdCodesFor(productCode: string | null, productType?: string): { rfic: string; rfisc: string } {
  const codes = (productCode ? EMD_CODES[productCode] : undefined) ?? EMD_CODES_BY_TYPE[productType ?? ''];
  if (!codes) {
    throw new DomainError(
      'INTERNAL',
      `product ${productCode ?? productType} has no EMD reason codes (domain/servicing.ts)`,
    );
  }
  return codes;
}

export const isServiceType = (type: string): type is ServiceType => (SERVICE_TYPES as readonly string[]).includes(type);

export interface ServiceProduct {
  code: string;
  type: ServiceType;
  name: string;
  description: string;
  /** One unit in the order's currency, minor units. */
  price: number;
  per: 'SEGMENT' | 'ORDER';
}

export interface ServicingTraveler {
  id: string;
  ref: string;
  ptc: 'ADT' | 'CHD' | 'INF';
}

export interface ServicingSegment {
  flightId: string;
  departureAt: string;
}

/** What the order already has of a product type (bundle items included), for the limits. */
export interface BoughtService {
  productType: string;
  travelerId: string | null;
  flightId: string | null;
}

export interface AvailableService {
  id: string; // the product code
  type: ServiceType;
  name: string;
  description: string;
  price: number;
  per: 'SEGMENT' | 'ORDER';
  traveler_id: string;
  traveler_ref: string;
  segment_id: string | null;
  /** How many more of this type the traveler may buy here (the limit minus what the order has). */
  max_quantity: number;
  rfic: string;
  rfisc: string;
  refund_rule: RefundRule;
}

const countOf = (bought: readonly BoughtService[], type: string, travelerId: string, flightId: string | null) =>
  bought.filter((b) => b.productType === type && b.travelerId === travelerId && b.flightId === flightId).length;

/**
 * Every product on sale per traveler and segment (per-ORDER products once per traveler), with what is left under
 * its type's limit. Infants (on a lap) buy nothing; segments that have departed are not offered.
 */
export function availableServices(p: {
  products: readonly ServiceProduct[];
  travelers: readonly ServicingTraveler[];
  segments: readonly ServicingSegment[];
  bought: readonly BoughtService[];
  now: Date;
}): AvailableService[] {
  const open = p.segments.filter((s) => Date.parse(s.departureAt) > p.now.getTime());
  const out: AvailableService[] = [];
  for (const t of p.travelers) {
    if (t.ptc === 'INF') continue;
    for (const product of p.products) {
      const rule = SERVICE_RULES[product.type];
      const places = product.per === 'ORDER' ? (open.length > 0 ? [null] : []) : open.map((s) => s.flightId);
      for (const flightId of places) {
        const left = rule.maxPerTraveler - countOf(p.bought, product.type, t.id, flightId);
        if (left <= 0) continue;
        out.push({
          id: product.code,
          type: product.type,
          name: product.name,
          description: product.description,
          price: product.price,
          per: product.per,
          traveler_id: t.id,
          traveler_ref: t.ref,
          segment_id: flightId,
          max_quantity: left,
          ...emdCodesFor(product.code),
          refund_rule: rule.refund,
        });
      }
    }
  }
  return out;
}

export interface ServiceRequestLine {
  id: string;
  traveler_ref: string;
  segment_id?: string | null | undefined;
  quantity: number;
}

export interface PricedServiceLine {
  productCode: string;
  productType: ServiceType;
  travelerId: string;
  flightId: string | null;
  /** One unit, minor units of the order's currency. */
  unitPrice: number;
  quantity: number;
}

/**
 * Checks a request against what is available now and prices it: an unknown product or traveler, a segment the
 * product is not sold on → VALIDATION_FAILED (400); more than the limit (lines of one type added up) →
 * LIMIT_EXCEEDED (422). `traveler_ref` is the traveler's ref (ADT1) or id.
 */
export function priceServiceRequest(
  available: readonly AvailableService[],
  products: readonly ServiceProduct[],
  travelers: readonly ServicingTraveler[],
  lines: readonly ServiceRequestLine[],
): PricedServiceLine[] {
  if (lines.length === 0) throw new DomainError('VALIDATION_FAILED', 'name at least one service');
  const priced: PricedServiceLine[] = [];
  lines.forEach((line, n) => {
    const at = `services[${n}]`;
    const product = products.find((x) => x.code === line.id);
    if (!product) {
      throw new DomainError('VALIDATION_FAILED', `${at}: no service ${line.id} is sold after booking`, {
        path: `${at}.id`,
      });
    }
    const traveler = travelers.find((t) => t.ref === line.traveler_ref || t.id === line.traveler_ref);
    if (!traveler) {
      throw new DomainError('VALIDATION_FAILED', `${at}: no traveler ${line.traveler_ref} on this order`, {
        path: `${at}.traveler_ref`,
      });
    }
    const segmentId = line.segment_id ?? null;
    if (product.per === 'SEGMENT' && segmentId === null) {
      throw new DomainError('VALIDATION_FAILED', `${at}: ${product.code} is sold per segment: name its segment_id`, {
        path: `${at}.segment_id`,
      });
    }
    const flightId = product.per === 'ORDER' ? null : segmentId;
    const offer = available.find(
      (a) => a.id === product.code && a.traveler_id === traveler.id && a.segment_id === flightId,
    );
    const limit = SERVICE_RULES[product.type].maxPerTraveler;
    const wanted =
      line.quantity +
      priced
        .filter((x) => x.productType === product.type && x.travelerId === traveler.id && x.flightId === flightId)
        .reduce((sum, x) => sum + x.quantity, 0);
    if (!offer) {
      if (traveler.ptc !== 'INF' && (flightId === null || available.some((a) => a.segment_id === flightId))) {
        throw limitExceeded(at, product, traveler, limit, 0);
      }
      throw new DomainError('VALIDATION_FAILED', `${at}: ${product.code} is not sold to ${traveler.ref} there`, {
        path: at,
      });
    }
    if (wanted > offer.max_quantity) throw limitExceeded(at, product, traveler, limit, offer.max_quantity);
    priced.push({
      productCode: product.code,
      productType: product.type,
      travelerId: traveler.id,
      flightId,
      unitPrice: product.price,
      quantity: line.quantity,
    });
  });
  return priced;
}

function limitExceeded(at: string, product: ServiceProduct, t: ServicingTraveler, limit: number, left: number) {
  return new DomainError(
    'LIMIT_EXCEEDED',
    `${at}: at most ${limit} ${product.type} per traveler${product.per === 'SEGMENT' ? ' per segment' : ''}; ${t.ref} may add ${left} more`,
    { path: at, product_type: product.type, limit, remaining: left },
  );
}

export interface ServiceRefund {
  refundable: boolean;
  amount: number;
  rule: RefundRule;
  /** Until when the service was refundable (null: never). */
  refundable_until: string | null;
}

/** What removing an unused service gives back, by its type's rule: all of it until the deadline, else nothing. */
export function serviceRefund(p: { type: ServiceType; amount: number; departureAt: string; now: Date }): ServiceRefund {
  const rule = SERVICE_RULES[p.type].refund;
  if (rule.kind === 'NEVER') return { refundable: false, amount: 0, rule, refundable_until: null };
  const until = Date.parse(p.departureAt) - rule.hours_before * 3_600_000;
  const refundable = p.now.getTime() < until;
  return { refundable, amount: refundable ? p.amount : 0, rule, refundable_until: new Date(until).toISOString() };
}
