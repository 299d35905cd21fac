import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { offerIdExpiry, signOfferId } from '../../domain/offer-id';

const SECRET = 'unit-test-offer-id-secret';

describe('offer ids', () => {
  it('carry their expiry, to the second, for the secret that signed them', () => {
    const expires = new Date('2026-12-02T10:15:30.900Z');
    const id = signOfferId(SECRET, randomBytes(16), expires);
    expect(id).toMatch(/^off_[0-9a-f]{60}$/);
    expect(offerIdExpiry(SECRET, id)).toEqual(new Date('2026-12-02T10:15:30.000Z'));
    expect(signOfferId(SECRET, randomBytes(16), expires)).not.toBe(id);
  });

  it('are not recognised when made up, altered, or signed with another secret', () => {
    const id = signOfferId(SECRET, randomBytes(16), new Date(Date.now() + 900_000));
    const flip = (at: number) => id.slice(0, at) + (id[at] === '0' ? '1' : '0') + id.slice(at + 1);
    expect(offerIdExpiry('another-secret-entirely', id)).toBeNull();
    for (const at of [4, 20, 36, 40, 44, 60, 63]) expect(offerIdExpiry(SECRET, flip(at)), `at ${at}`).toBeNull();
    for (const bad of [
      'off_',
      'off_xyz',
      `off_${'0'.repeat(60)}`,
      id.toUpperCase(),
      `${id}00`,
      id.slice(0, -2),
      'nope',
    ]) {
      expect(offerIdExpiry(SECRET, bad)).toBeNull();
    }
  });
});
