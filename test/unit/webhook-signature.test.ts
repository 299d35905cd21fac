import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../domain/webhook-signature';

const secret = 'whsec_test_secret_0123456789';
const rawBody = JSON.stringify({ id: 'evt_1', type: 'charge.succeeded', data: { charge: { id: 'ch_1' } } });
const now = 1_767_225_600; // 2026-01-01T00:00:00Z
const tolerance = 300;

const verify = (header: string | undefined, overrides: { body?: string; secret?: string; nowSeconds?: number } = {}) =>
  verifyWebhook({
    secret: overrides.secret ?? secret,
    rawBody: overrides.body ?? rawBody,
    header,
    nowSeconds: overrides.nowSeconds ?? now,
    toleranceSeconds: tolerance,
  });

describe('webhook signature', () => {
  it('signs as t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${rawBody}`).digest('hex');
    expect(signWebhook(secret, rawBody, now)).toBe(`t=${now},v1=${expected}`);
  });

  it('accepts a valid signature and returns its timestamp', () => {
    expect(verify(signWebhook(secret, rawBody, now))).toEqual({ ok: true, timestamp: now });
  });

  it('accepts a signature within the tolerance either side', () => {
    expect(verify(signWebhook(secret, rawBody, now - tolerance)).ok).toBe(true);
    expect(verify(signWebhook(secret, rawBody, now + tolerance)).ok).toBe(true);
  });

  it('accepts a header with one valid signature among several (secret rotation)', () => {
    const header = signWebhook(secret, rawBody, now);
    const other = signWebhook('old_secret_0123456789', rawBody, now).split(',')[1]!;
    expect(verify(`${header},${other}`).ok).toBe(true);
    expect(verify(`t=${now},${other},${header.split(',')[1]!}`).ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    const header = signWebhook(secret, rawBody, now);
    expect(verify(header, { body: rawBody.replace('succeeded', 'failed') })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verify(header, { body: `${rawBody} ` })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a signature made with another secret', () => {
    expect(verify(signWebhook('whsec_wrong_secret_98765', rawBody, now))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a timestamp changed after signing', () => {
    const v1 = signWebhook(secret, rawBody, now - 10).split(',')[1]!;
    expect(verify(`t=${now},${v1}`)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a stale signature (older than the tolerance): a replay', () => {
    expect(verify(signWebhook(secret, rawBody, now - tolerance - 1))).toEqual({ ok: false, reason: 'stale' });
    expect(verify(signWebhook(secret, rawBody, now - 3600))).toEqual({ ok: false, reason: 'stale' });
  });

  it('rejects a signature from more than the tolerance in the future', () => {
    expect(verify(signWebhook(secret, rawBody, now + tolerance + 1))).toEqual({ ok: false, reason: 'stale' });
  });

  it('reports a missing header', () => {
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhook({ secret, rawBody, header: null, nowSeconds: now, toleranceSeconds: tolerance })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(verify('')).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no signature', `t=${now}`],
    ['non-numeric timestamp', `t=abc,v1=${'a'.repeat(64)}`],
    ['short signature', `t=${now},v1=abc`],
    ['non-hex signature', `t=${now},v1=${'z'.repeat(64)}`],
    ['two timestamps', `t=${now},t=${now},v1=${'a'.repeat(64)}`],
    ['no key=value pairs', 'garbage'],
    ['empty parts', `t=${now},,v1=${'a'.repeat(64)}`],
    ['only an unknown scheme', `t=${now},v0=${'a'.repeat(64)}`],
  ])('reports a malformed header: %s', (_label, header) => {
    expect(verify(header)).toEqual({ ok: false, reason: 'malformed' });
  });
});
