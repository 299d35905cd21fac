import { describe, expect, it } from 'vitest';
import { AIRPORTS } from '../../db/seed/data';
import { ALL_TEST_ROUTES } from '../support/flights';

// Test files own their flights by flying routes of their own: no two files may share an airport, and none may
// be a seeded one (the seeded schedule is read by the README guide and seed tests).
describe('the test files’ routes', () => {
  it('share no airport with each other or with the seed', () => {
    const codes = ALL_TEST_ROUTES.flatMap((r) => [r.origin, r.destination]);
    expect(new Set(codes).size).toBe(codes.length);
    const seeded = new Set(AIRPORTS.map((a) => a.code));
    expect(codes.filter((c) => seeded.has(c))).toEqual([]);
    for (const c of codes) expect(c).toMatch(/^[A-Z]{3}$/);
  });
});
