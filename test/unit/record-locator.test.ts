import { describe, expect, it } from 'vitest';
import { recordLocator as activitiesRecordLocator } from '../../activities/orders';
import { recordLocator } from '../../domain/record-locator';

describe('record locator', () => {
  const ids = [
    '0b5f4c3e-8a1d-4f7b-9c2e-6d3a1b0e9f84',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-4fff-bfff-ffffffffffff',
    'order-ünïcødé',
    '',
  ];

  // activities/orders.ts has its own node:crypto copy until it imports this one; boarding passes already issued
  // carry its letters, so the two must agree.
  it.each(ids)('gives the same six characters as the activities for %j', (id) => {
    expect(recordLocator(id)).toBe(activitiesRecordLocator(id));
    expect(recordLocator(id)).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
  });

  it('is fixed for a known order id (sha256, first six bytes, byte % 32)', () => {
    expect(recordLocator('0b5f4c3e-8a1d-4f7b-9c2e-6d3a1b0e9f84')).toBe('D3NPRZ');
  });
});
