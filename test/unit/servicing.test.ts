import { describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../db/seed/data';
import {
  availableServices,
  EMD_CODES,
  emdCodesFor,
  priceServiceRequest,
  serviceRefund,
  SERVICE_RULES,
  type ServiceProduct,
} from '../../domain/servicing';

const bag: ServiceProduct = {
  code: 'BAG_23KG',
  type: 'Bag',
  name: 'Bag',
  description: '',
  price: 3500,
  per: 'SEGMENT',
};
const insurance: ServiceProduct = {
  code: 'INSURANCE',
  type: 'Insurance',
  name: 'Insurance',
  description: '',
  price: 2500,
  per: 'ORDER',
};
const travelers = [
  { id: 't1', ref: 'ADT1', ptc: 'ADT' as const },
  { id: 't2', ref: 'INF1', ptc: 'INF' as const },
];
const now = new Date('2026-06-01T00:00:00Z');
const segments = [
  { flightId: 'f1', departureAt: '2026-06-10T10:00:00Z' },
  { flightId: 'f0', departureAt: '2026-05-30T10:00:00Z' }, // departed
];

describe('EMD reason codes', () => {
  it('every product of the catalog seed has the RFIC/RFISC of the domain table, and the type rule agrees on the RFIC', () => {
    for (const p of PRODUCTS.filter((x) => x.type !== 'Flight')) {
      expect(EMD_CODES[p.code], p.code).toEqual({ rfic: p.rfic, rfisc: p.rfisc });
      const rule = SERVICE_RULES[p.type as keyof typeof SERVICE_RULES];
      if (rule) expect(rule.rfic, p.code).toBe(p.rfic);
    }
  });

  it('falls back to the product type, and refuses an item it cannot code', () => {
    expect(emdCodesFor(null, 'Bag')).toEqual({ rfic: 'C', rfisc: '0CC' });
    expect(() => emdCodesFor('MYSTERY', 'Mystery')).toThrow(/no EMD reason codes/);
  });
});

describe('available services and their limits', () => {
  it('per traveler and open segment, infants excluded, what is bought counted against the type’s limit', () => {
    const list = availableServices({
      products: [bag, insurance],
      travelers,
      segments,
      bought: [{ productType: 'Bag', travelerId: 't1', flightId: 'f1' }],
      now,
    });
    expect(list.map((s) => [s.id, s.traveler_ref, s.segment_id, s.max_quantity])).toEqual([
      ['BAG_23KG', 'ADT1', 'f1', 1],
      ['INSURANCE', 'ADT1', null, 1],
    ]);
  });

  it('prices a request; over the limit is LIMIT_EXCEEDED, an unknown product or traveler VALIDATION_FAILED', () => {
    const available = availableServices({ products: [bag], travelers, segments, bought: [], now });
    expect(
      priceServiceRequest(available, [bag], travelers, [
        { id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: 'f1', quantity: 2 },
      ]),
    ).toEqual([
      { productCode: 'BAG_23KG', productType: 'Bag', travelerId: 't1', flightId: 'f1', unitPrice: 3500, quantity: 2 },
    ]);
    const price = (line: Record<string, unknown>) => () =>
      priceServiceRequest(available, [bag], travelers, [{ quantity: 1, ...line } as never]);
    expect(price({ id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: 'f1', quantity: 3 })).toThrow(
      expect.objectContaining({ code: 'LIMIT_EXCEEDED' }),
    );
    expect(price({ id: 'NOPE', traveler_ref: 'ADT1', segment_id: 'f1' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(price({ id: 'BAG_23KG', traveler_ref: 'ADT9', segment_id: 'f1' })).toThrow(/no traveler ADT9/);
    expect(price({ id: 'BAG_23KG', traveler_ref: 'INF1', segment_id: 'f1' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(price({ id: 'BAG_23KG', traveler_ref: 'ADT1', segment_id: 'f0' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});

describe('refund rules', () => {
  it('a bag is refunded in full until 24 h before departure, then not; insurance never', () => {
    const departureAt = '2026-06-10T10:00:00Z';
    expect(
      serviceRefund({ type: 'Bag', amount: 3500, departureAt, now: new Date('2026-06-09T09:59:00Z') }),
    ).toMatchObject({ refundable: true, amount: 3500, refundable_until: '2026-06-09T10:00:00.000Z' });
    expect(
      serviceRefund({ type: 'Bag', amount: 3500, departureAt, now: new Date('2026-06-09T10:00:00Z') }),
    ).toMatchObject({ refundable: false, amount: 0 });
    expect(serviceRefund({ type: 'Insurance', amount: 2500, departureAt, now })).toMatchObject({
      refundable: false,
      amount: 0,
      rule: { kind: 'NEVER' },
    });
  });
});
