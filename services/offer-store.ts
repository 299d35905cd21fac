import type { Redis } from 'ioredis';
import type { Offer } from '../domain/offer';
import { utf8, type Utf8 } from '../lib/bytes';

/**
 * Offers live in Redis for their life (15 minutes), one key each. Nothing outlives them: an offer id carries its
 * expiry under the engine's MAC (domain/offer-id.ts), so an id that finds nothing says by itself whether it
 * expired (410), was lost early (410 OFFER_LOST) or was never issued (404): services/offers.ts `missing`.
 */
const offerKey = (id: string) => `offer:{${id}}`;

/** `unknown`: nothing in Redis under that id (its own expiry says why: services/offers.ts `missing`). */
export type OfferLookup = { state: 'live'; offer: Offer } | { state: 'expired' } | { state: 'unknown' };

/**
 * Stores the offers (one MULTI) and returns each one's JSON as stored: serialised and encoded once, the same bytes
 * go to Redis and to the shopper (`offersJson`).
 */
export async function saveOffers(redis: Redis, offers: Offer[], ttlSeconds: number): Promise<Utf8[]> {
  if (offers.length === 0) return [];
  const pipeline = redis.multi();
  const json = offers.map((offer) => {
    const bytes = utf8(JSON.stringify(offer));
    pipeline.set(offerKey(offer.id), bytes, 'EX', Math.ceil(ttlSeconds));
    return bytes;
  });
  await pipeline.exec();
  return json;
}

const COMMA = utf8(',');
const CLOSE = utf8(']}');

/** A JSON object whose `offers` field is the array of these already encoded offers, after the other fields. */
export function offersJson(fields: Record<string, string>, offers: readonly Utf8[]): Utf8 {
  let head = '{';
  for (const [key, value] of Object.entries(fields)) head += `${JSON.stringify(key)}:${JSON.stringify(value)},`;
  const parts: Utf8[] = [utf8(`${head}"offers":[`)];
  offers.forEach((offer, n) => parts.push(...(n === 0 ? [offer] : [COMMA, offer])));
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

export async function loadOffer(redis: Redis, id: string, now = new Date()): Promise<OfferLookup> {
  const raw = await redis.get(offerKey(id));
  if (!raw) return { state: 'unknown' };
  const offer = JSON.parse(raw) as Offer;
  if (Date.parse(offer.expires_at) <= now.getTime()) return { state: 'expired' };
  return { state: 'live', offer };
}

/** Changes an offer's lifecycle status, keeping its remaining time to live. False when it is gone. */
export async function setOfferStatus(redis: Redis, id: string, status: Offer['status']): Promise<boolean> {
  const raw = await redis.get(offerKey(id));
  if (!raw) return false;
  const offer = JSON.parse(raw) as Offer;
  offer.status = status;
  const result = await redis.set(offerKey(id), JSON.stringify(offer), 'KEEPTTL', 'XX');
  return result === 'OK';
}
