/**
 * Payment webhook signatures, Stripe style: header `Altis-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, where
 * the HMAC covers `${t}.${rawBody}`. Signing the timestamp with the body makes a captured delivery useless once it
 * is older than the tolerance (replay protection); the receiver dedupes by event id inside that window.
 * Pure: the HMAC is @noble/hashes (no Node built-ins in domain/), the clock is passed in.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export const WEBHOOK_SIGNATURE_HEADER = 'Altis-Signature';

export type WebhookVerification =
  { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'bad_signature' };

export interface VerifyWebhookInput {
  secret: string;
  rawBody: string;
  header: string | null | undefined;
  nowSeconds: number;
  toleranceSeconds: number;
}

function computeSignature(secret: string, rawBody: string, timestamp: number): Uint8Array {
  return hmac(sha256, utf8ToBytes(secret), utf8ToBytes(`${timestamp}.${rawBody}`));
}

/** Compares in time independent of where the bytes differ, so a forger learns nothing from response times. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Returns the `Altis-Signature` header value for a body sent at `nowSeconds`. */
export function signWebhook(secret: string, rawBody: string, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${bytesToHex(computeSignature(secret, rawBody, t))}`;
}

/**
 * Parses `t=...,v1=...[,v1=...]`. Several v1 entries are allowed (a sender rotating its secret signs with both);
 * unknown schemes are ignored, as Stripe does, so a new scheme can be added without breaking receivers.
 */
function parseHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== null) return null;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return null;
      signatures.push(value.toLowerCase());
    }
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/** Checks the header against the raw body (the exact bytes received, before any JSON parsing). */
export function verifyWebhook(input: VerifyWebhookInput): WebhookVerification {
  const { secret, rawBody, header, nowSeconds, toleranceSeconds } = input;
  if (header === null || header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseHeader(header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  // Both directions: an old timestamp is a replay, one far ahead would stay "fresh" for too long.
  if (Math.abs(Math.floor(nowSeconds) - parsed.timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = computeSignature(secret, rawBody, parsed.timestamp);
  const matches = parsed.signatures.some((sig) => constantTimeEqual(hexToBytes(sig), expected));
  return matches ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: 'bad_signature' };
}
