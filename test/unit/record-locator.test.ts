import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordLocator } from '../../domain/record-locator';

describe('record locator', () => {
  const ids = [
    '0b5f4c3e-8a1d-4f7b-9c2e-6d3a1b0e9f84',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-4fff-bfff-ffffffffffff',
    'order-ünïcødé',
    '',
  ];

  // Boarding passes already issued carry the letters of the node:crypto implementation this replaced: the same.
  const nodeCrypto = (id: string) =>
    Array.from(
      createHash('sha256').update(id).digest().subarray(0, 6),
      (b) => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[b % 32],
    ).join('');
  it.each(ids)('gives the same six characters as the node:crypto implementation for %j', (id) => {
    expect(recordLocator(id)).toBe(nodeCrypto(id));
    expect(recordLocator(id)).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
  });

  it('is fixed for a known order id (sha256, first six bytes, byte % 32)', () => {
    expect(recordLocator('0b5f4c3e-8a1d-4f7b-9c2e-6d3a1b0e9f84')).toBe('D3NPRZ');
  });
});
