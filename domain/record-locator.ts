/**
 * The record locator (PNR) printed on boarding passes and in notifications: six characters derived from the order
 * id, so every process gets the same one without storing it. The alphabet leaves out I, O, 0 and 1, which read
 * alike. Pure: SHA-256 from @noble/hashes (domain/ uses no Node built-ins).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** The first six bytes of sha256(orderId), each mapped to `ALPHABET[byte % 32]`. */
export function recordLocator(orderId: string): string {
  const digest = sha256(utf8ToBytes(orderId));
  return Array.from(digest.subarray(0, 6), (b) => ALPHABET[b % ALPHABET.length]).join('');
}
