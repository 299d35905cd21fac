/**
 * The offer ranker (the seeds' "AIRanker"): Thompson sampling over bundles, one bandit per context. Pure: the
 * state comes in, the random source is injected, nothing is stored here (activities/ranker-store.ts keeps the
 * state in Redis and Postgres).
 *
 * The algorithm, per search:
 *   1. The context is the route (with its return for a round trip), a party-size bucket and a
 *      days-to-departure bucket: `JFK-LHR-JFK|p2|d15-60`. Shoppers in one context behave alike; a new context
 *      starts from the prior.
 *   2. Each bundle b has a Beta(α_b, β_b) posterior over "the shopper accepts b": α_b = prior_alpha + successes,
 *      β_b = prior_beta + failures (config [ranker]). Successes and failures are pseudo-counts: an accepted offer
 *      adds its weight to successes, a rejected or expired one to failures. The weight is 1/k for a search with
 *      k itineraries, so that one search is one unit of evidence per bundle however many flights it showed.
 *   3. Draw θ_b ~ Beta(α_b, β_b) for every bundle and score it
 *        score_b = θ_b · ((1 − w) + w · m_b)
 *      with w = ranker.margin_weight and m_b the bundle's margin normalised to [0, 1] (its discounted ancillary
 *      revenue over the largest of the bundles offered). w = 0 ranks by conversion alone; w = 1 by expected
 *      margin.
 *   4. Bundles are offered in descending score. Sampling (rather than ranking by the posterior mean) is what
 *      explores: an arm with little evidence has a wide posterior and now and then draws high enough to be shown
 *      first, so a bundle that started unlucky is not buried forever; as evidence piles up the draws concentrate
 *      and the best arm wins almost every time.
 */

export type RankerOutcome = 'accepted' | 'rejected' | 'expired';

/** Observed evidence for one bundle in one context (the prior is added on top, from config). */
export interface ArmState {
  successes: number;
  failures: number;
}

export interface RankerSettings {
  priorAlpha: number;
  priorBeta: number;
  /** 0..1: how much the margin weighs against the conversion probability. */
  marginWeight: number;
}

export interface RankCandidate {
  bundle: string;
  /** Normalised margin, 0..1. */
  margin: number;
}

export interface RankedBundle {
  bundle: string;
  alpha: number;
  beta: number;
  /** The conversion probability drawn from Beta(alpha, beta). */
  theta: number;
  margin: number;
  score: number;
}

/** A source of uniform numbers in [0, 1): Math.random in production, a seeded generator in tests. */
export type Random = () => number;

/** Accept = 1, anything else = 0: a shopper who let the offer lapse or said no did not convert. */
export const rewardOf = (outcome: RankerOutcome): 0 | 1 => (outcome === 'accepted' ? 1 : 0);

/** mulberry32: a tiny, fast, seedable generator; good enough for sampling, not for secrets. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller; the second value is dropped to keep the function stateless). */
function normal(random: Random): number {
  let u = 0;
  while (u === 0) u = random(); // log(0) is -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A Gamma(shape, 1) draw: Marsaglia–Tsang (2000) for shape ≥ 1, boosted with U^(1/shape) below 1. */
export function sampleGamma(shape: number, random: Random): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be positive, got ${shape}`);
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = random();
    return sampleGamma(shape + 1, random) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta(alpha: number, beta: number, random: Random): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x + y === 0 ? 0.5 : x / (x + y);
}

/** Divides every value by the largest, so the best-margin bundle is 1; all zero (or negative) stays zero. */
export function normaliseMargins(values: ReadonlyMap<string, number>): Map<string, number> {
  const max = Math.max(0, ...values.values());
  return new Map([...values].map(([k, v]) => [k, max > 0 ? Math.max(0, v) / max : 0]));
}

/**
 * Ranks the candidate bundles by one Thompson draw each (see the algorithm above). Ties keep the candidates'
 * order, so the configured order decides between equal scores.
 */
export function rankBundles(
  candidates: readonly RankCandidate[],
  state: ReadonlyMap<string, ArmState>,
  settings: RankerSettings,
  random: Random,
): RankedBundle[] {
  const w = Math.min(1, Math.max(0, settings.marginWeight));
  const ranked = candidates.map((c, position) => {
    const arm = state.get(c.bundle) ?? { successes: 0, failures: 0 };
    // Evidence can never take a posterior parameter below its prior (a correction may subtract).
    const alpha = settings.priorAlpha + Math.max(0, arm.successes);
    const beta = settings.priorBeta + Math.max(0, arm.failures);
    const theta = sampleBeta(alpha, beta, random);
    const margin = Math.min(1, Math.max(0, c.margin));
    return { position, bundle: c.bundle, alpha, beta, theta, margin, score: theta * (1 - w + w * margin) };
  });
  ranked.sort((a, b) => b.score - a.score || a.position - b.position);
  return ranked.map(({ position: _position, ...r }) => r);
}

/** The posterior mean of an arm: what the ranker currently believes the acceptance rate is. */
export function posteriorMean(arm: ArmState, settings: Pick<RankerSettings, 'priorAlpha' | 'priorBeta'>): number {
  const alpha = settings.priorAlpha + Math.max(0, arm.successes);
  const beta = settings.priorBeta + Math.max(0, arm.failures);
  return alpha / (alpha + beta);
}

export const partySizeBucket = (travellers: number): string =>
  travellers <= 1 ? '1' : travellers === 2 ? '2' : travellers <= 4 ? '3-4' : '5+';

export const daysToDepartureBucket = (days: number): string =>
  days <= 3 ? '0-3' : days <= 14 ? '4-14' : days <= 60 ? '15-60' : '61+';

/** Whole UTC days from `now` to a YYYY-MM-DD departure date (0 = today). */
export function daysUntil(date: string, now: Date): number {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((Date.parse(`${date}T00:00:00Z`) - today) / 86_400_000);
}

/** `JFK-LHR|p2|d15-60` one way, `JFK-LHR-JFK|p2|d15-60` for a round trip. */
export function rankerContext(p: {
  origin: string;
  destination: string;
  roundTrip: boolean;
  travellers: number;
  daysToDeparture: number;
}): string {
  const route = p.roundTrip ? `${p.origin}-${p.destination}-${p.origin}` : `${p.origin}-${p.destination}`;
  return `${route}|p${partySizeBucket(p.travellers)}|d${daysToDepartureBucket(p.daysToDeparture)}`;
}
