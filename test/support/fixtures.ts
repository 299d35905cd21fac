import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../config';
import { signOfferId } from '../../domain/offer-id';
import { saveOffers } from '../../services/offer-store';
import type { Offer, OfferItem, OfferPassengers } from '../../domain/offer';
import type { TestFlight } from './flights';

let idSecret: string | undefined;

/**
 * An offer for the given flights, stored in Redis as the offer engine stores it, its id signed as the engine signs
 * them (with the configured `offers.id_secret`): once it is gone, the id alone says it expired.
 */
export async function createTestOffer(
  redis: Redis,
  testFlights: TestFlight[],
  opts: { passengers?: Partial<OfferPassengers>; ttlSeconds?: number; ancillaries?: boolean } = {},
): Promise<Offer> {
  const passengers: OfferPassengers = { adults: 1, children: 0, infants: 0, ...opts.passengers };
  const refs = [
    ...Array.from({ length: passengers.adults }, (_, i) => ({ ref: `ADT${i + 1}`, ptc: 'ADT' as const, share: 100 })),
    ...Array.from({ length: passengers.children }, (_, i) => ({ ref: `CHD${i + 1}`, ptc: 'CHD' as const, share: 75 })),
    ...Array.from({ length: passengers.infants }, (_, i) => ({ ref: `INF${i + 1}`, ptc: 'INF' as const, share: 10 })),
  ];
  const items: OfferItem[] = [];
  for (const f of testFlights) {
    for (const p of refs) {
      items.push({
        id: randomUUID(),
        product_type: 'Flight',
        product_code: 'FLIGHT',
        flight_id: f.id,
        passenger_ref: p.ref,
        ptc: p.ptc,
        price: { amount: Math.round((f.baseFare * p.share) / 100), currency: f.currency },
      });
      if (opts.ancillaries && p.ptc !== 'INF') {
        items.push({
          id: randomUUID(),
          product_type: 'Bag',
          product_code: 'BAG_23KG',
          flight_id: f.id,
          passenger_ref: p.ref,
          ptc: p.ptc,
          price: { amount: 3500, currency: 'USD' },
        });
      }
    }
  }
  const total = items.reduce((sum, i) => sum + i.price.amount, 0);
  const now = new Date();
  const ttl = opts.ttlSeconds ?? 900;
  const offer: Offer = {
    id: signOfferId(
      (idSecret ??= loadConfig().offers.id_secret),
      randomBytes(16),
      new Date(now.getTime() + ttl * 1000),
    ),
    status: 'ACTIVE',
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
    bundle: { code: opts.ancillaries ? 'COMFORT' : 'FLIGHT_ONLY', name: opts.ancillaries ? 'Comfort' : 'Flight Only' },
    rank: 1,
    search: {
      origin: testFlights[0]!.origin,
      destination: testFlights[0]!.destination,
      departure_date: testFlights[0]!.departureAt.toISOString().slice(0, 10),
      return_date: null,
      cabin: 'ECONOMY',
      passengers,
    },
    segments: testFlights.map((f, i) => ({
      flight_id: f.id,
      carrier: f.carrier,
      flight_number: f.flightNumber,
      origin: f.origin,
      destination: f.destination,
      departure_at: f.departureAt.toISOString(),
      arrival_at: f.arrivalAt.toISOString(),
      cabin: 'ECONOMY',
      direction: i === 0 ? 'OUTBOUND' : 'INBOUND',
    })),
    items,
    price: { currency: 'USD', total: { amount: total, currency: 'USD' }, breakdown: null },
  };
  await saveOffers(redis, [offer], ttl);
  return offer;
}
