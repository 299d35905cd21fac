/**
 * Offer ids that vouch for themselves: `off_` + hex(16 random bytes ‖ expiry in Unix seconds (4 bytes) ‖
 * 10 bytes of HMAC-SHA256 over both). Offers live only in Redis; when Redis loses them (a restart keeps nothing
 * here), an id the engine issued is still recognisable, so accepting it answers 410 OFFER_LOST ("search again")
 * instead of a 404 that says it never existed — and a made-up id stays a 404. No storage per offer.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const RANDOM = 16;
const EXPIRY = 4;
const MAC = 10;
const PREFIX = 'off_';

const macOf = (secret: string, body: Uint8Array) => hmac(sha256, utf8ToBytes(secret), body).subarray(0, MAC);

/** A new offer id: `random` must be 16 bytes from a CSPRNG. */
export function signOfferId(secret: string, random: Uint8Array, expiresAt: Date): string {
  if (random.length !== RANDOM) throw new Error(`an offer id needs ${RANDOM} random bytes`);
  const body = new Uint8Array(RANDOM + EXPIRY);
  body.set(random);
  new DataView(body.buffer).setUint32(RANDOM, Math.floor(expiresAt.getTime() / 1000));
  const id = new Uint8Array(RANDOM + EXPIRY + MAC);
  id.set(body);
  id.set(macOf(secret, body), RANDOM + EXPIRY);
  return PREFIX + bytesToHex(id);
}

/** When an id this engine issued expires; null for anything it did not issue (or that was altered). */
export function offerIdExpiry(secret: string, id: string): Date | null {
  const hex = id.slice(PREFIX.length);
  if (!id.startsWith(PREFIX) || !/^[0-9a-f]+$/.test(hex) || hex.length !== 2 * (RANDOM + EXPIRY + MAC)) return null;
  const bytes = hexToBytes(hex);
  const body = bytes.subarray(0, RANDOM + EXPIRY);
  const expected = macOf(secret, body);
  const given = bytes.subarray(RANDOM + EXPIRY);
  let diff = 0;
  for (let i = 0; i < MAC; i++) diff |= expected[i]! ^ given[i]!;
  if (diff !== 0) return null;
  return new Date(new DataView(body.buffer, body.byteOffset).getUint32(RANDOM) * 1000);
}
