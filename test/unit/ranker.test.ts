import { describe, expect, it } from 'vitest';
import {
  daysToDepartureBucket,
  daysUntil,
  normaliseMargins,
  partySizeBucket,
  posteriorMean,
  rankBundles,
  rankerContext,
  rewardOf,
  sampleBeta,
  sampleGamma,
  seededRandom,
  type ArmState,
} from '../../domain/ranker';

const settings = { priorAlpha: 1, priorBeta: 1, marginWeight: 0 };

function moments(draw: () => number, n = 20_000) {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sq / n - mean * mean };
}

describe('sampling', () => {
  it('a seeded source repeats itself and stays in [0, 1)', () => {
    const a = seededRandom(123);
    const b = seededRandom(123);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(124)()).not.toBe(xs[0]);
  });

  it.each([
    [2, 5],
    [0.5, 0.5],
    [30, 70],
    [1, 1],
  ])('Beta(%d, %d) has the right mean and variance', (alpha, beta) => {
    const random = seededRandom(alpha * 1000 + beta);
    const { mean, variance } = moments(() => sampleBeta(alpha, beta, random));
    const m = alpha / (alpha + beta);
    const v = (alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1));
    expect(mean).toBeCloseTo(m, 2);
    expect(Math.abs(variance - v)).toBeLessThan(v * 0.08);
  });

  it('Gamma(k) has mean k and variance k, for shapes below and above 1', () => {
    for (const k of [0.3, 1, 4.5]) {
      const random = seededRandom(Math.round(k * 10));
      const { mean, variance } = moments(() => sampleGamma(k, random));
      expect(Math.abs(mean - k)).toBeLessThan(k * 0.05);
      expect(Math.abs(variance - k)).toBeLessThan(k * 0.1);
    }
    expect(() => sampleGamma(0, Math.random)).toThrow(RangeError);
  });
});

describe('rankBundles', () => {
  const candidates = [
    { bundle: 'FLIGHT_ONLY', margin: 0 },
    { bundle: 'COMFORT', margin: 0.3 },
    { bundle: 'PREMIUM', margin: 1 },
  ];

  it('is deterministic for a seed and ranks strong evidence first', () => {
    const state = new Map<string, ArmState>([
      ['COMFORT', { successes: 80, failures: 20 }],
      ['PREMIUM', { successes: 5, failures: 95 }],
      ['FLIGHT_ONLY', { successes: 20, failures: 80 }],
    ]);
    const one = rankBundles(candidates, state, settings, seededRandom(9));
    expect(rankBundles(candidates, state, settings, seededRandom(9))).toEqual(one);
    expect(one.map((r) => r.bundle)).toEqual(['COMFORT', 'FLIGHT_ONLY', 'PREMIUM']);
    expect(one[0]).toMatchObject({ alpha: 81, beta: 21 });
    for (const r of one) expect(r.score).toBeCloseTo(r.theta);
  });

  it('weighs the margin: score = θ · ((1 − w) + w · margin)', () => {
    const state = new Map<string, ArmState>(candidates.map((c) => [c.bundle, { successes: 500, failures: 500 }]));
    const ranked = rankBundles(candidates, state, { ...settings, marginWeight: 1 }, seededRandom(3));
    expect(ranked.map((r) => r.bundle)).toEqual(['PREMIUM', 'COMFORT', 'FLIGHT_ONLY']);
    expect(ranked.find((r) => r.bundle === 'FLIGHT_ONLY')!.score).toBe(0);
    const half = rankBundles(candidates, state, { ...settings, marginWeight: 0.5 }, seededRandom(3));
    for (const r of half) expect(r.score).toBeCloseTo(r.theta * (0.5 + 0.5 * r.margin));
  });

  it('explores: an arm with no evidence is still ranked first now and then', () => {
    const state = new Map<string, ArmState>([
      ['FLIGHT_ONLY', { successes: 3, failures: 7 }],
      ['COMFORT', { successes: 3, failures: 7 }],
    ]);
    const random = seededRandom(5);
    let premiumFirst = 0;
    for (let i = 0; i < 1000; i++) {
      if (rankBundles(candidates, state, settings, random)[0]!.bundle === 'PREMIUM') premiumFirst++;
    }
    expect(premiumFirst).toBeGreaterThan(200); // the prior Beta(1, 1) often draws above a 0.3 arm
    expect(premiumFirst).toBeLessThan(800);
  });

  it('never takes a posterior below its prior', () => {
    const state = new Map<string, ArmState>([['COMFORT', { successes: -2, failures: -1 }]]);
    const [r] = rankBundles([{ bundle: 'COMFORT', margin: 0 }], state, settings, seededRandom(1));
    expect(r).toMatchObject({ alpha: 1, beta: 1 });
    expect(posteriorMean({ successes: 3, failures: 1 }, settings)).toBeCloseTo(4 / 6);
  });
});

describe('contexts and rewards', () => {
  it('buckets party size and days to departure', () => {
    expect([1, 2, 3, 4, 5, 9].map(partySizeBucket)).toEqual(['1', '2', '3-4', '3-4', '5+', '5+']);
    expect([0, 3, 4, 14, 15, 60, 61, 300].map(daysToDepartureBucket)).toEqual([
      '0-3',
      '0-3',
      '4-14',
      '4-14',
      '15-60',
      '15-60',
      '61+',
      '61+',
    ]);
    const now = new Date('2026-06-01T23:30:00Z');
    expect(daysUntil('2026-06-01', now)).toBe(0);
    expect(daysUntil('2026-06-11', now)).toBe(10);
    expect(
      rankerContext({ origin: 'JFK', destination: 'LHR', roundTrip: true, travellers: 3, daysToDeparture: 10 }),
    ).toBe('JFK-LHR-JFK|p3-4|d4-14');
    expect(
      rankerContext({ origin: 'JFK', destination: 'LHR', roundTrip: false, travellers: 1, daysToDeparture: 90 }),
    ).toBe('JFK-LHR|p1|d61+');
  });

  it('rewards only an acceptance; normalises margins by the largest', () => {
    expect(rewardOf('accepted')).toBe(1);
    expect(rewardOf('rejected')).toBe(0);
    expect(rewardOf('expired')).toBe(0);
    const m = normaliseMargins(
      new Map([
        ['A', 0],
        ['B', 50],
        ['C', 200],
      ]),
    );
    expect([...m.values()]).toEqual([0, 0.25, 1]);
    expect([...normaliseMargins(new Map([['A', 0]])).values()]).toEqual([0]);
  });
});
