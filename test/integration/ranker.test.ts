import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRankerStore, rankerKey, rankerSettings, type RankerStore } from '../../services/ranker-store';
import type { AppConfig } from '../../config';
import { orders, rankerArms } from '../../db/schema';
import { PRODUCTS } from '../../db/seed/data';
import { money } from '../../domain/money';
import type { Offer } from '../../domain/offer';
import { bundleMargin, resolveBundle, type CatalogProduct } from '../../domain/offer-builder';
import { normaliseMargins, rankBundles, seededRandom, type RankerOutcome } from '../../domain/ranker';
import type { Services } from '../../lib/services';
import { eventually } from '../support/harness';
import { openTestServices, testConfig } from '../support/services';

let services: Services;
let config: AppConfig;
let store: RankerStore;

const catalog = new Map<string, CatalogProduct>(
  PRODUCTS.map((p) => [p.code, { code: p.code, type: p.type, name: p.name, price: money(p.price, 'USD'), per: p.per }]),
);

beforeAll(async () => {
  config = testConfig();
  services = await openTestServices(config);
  store = createRankerStore({ redis: services.redis, db: services.db, config });
});

afterAll(async () => {
  await services?.close();
});

/** A context of this test's own: state from other runs or files never mixes in. */
const freshContext = () => `SIM-${randomUUID().slice(0, 8)}|p2|d15-60`;

function candidates() {
  const bundles = config.bundles.map((b) => resolveBundle(b, catalog, 'USD')!);
  const margins = normaliseMargins(new Map(bundles.map((b) => [b.code, bundleMargin(b)])));
  return bundles.map((b) => ({ bundle: b.code, margin: margins.get(b.code)! }));
}

type SimOffer = Pick<Offer, 'id' | 'bundle' | 'search_id' | 'ranking'>;

/** One search as the engine records it: an offer per bundle, in the ranker's order. */
async function simulatedSearch(s: RankerStore, context: string, random: () => number) {
  const ranked = rankBundles(candidates(), await s.armStates(context), rankerSettings(config), random);
  const searchId = `srch_${randomUUID()}`;
  const offers: SimOffer[] = ranked.map((r) => ({
    id: `off_${randomUUID()}`,
    bundle: { code: r.bundle, name: r.bundle },
    search_id: searchId,
    ranking: { context, weight: 1, score: r.score },
  }));
  // Due far in the future: the simulation records every outcome itself, no sweep takes these.
  await s.rememberSearch({
    searchId,
    context,
    expiresAt: new Date(Date.now() + 3600_000),
    offers: offers.map((o) => ({ id: o.id, bundle: o.bundle.code, weight: 1 })),
  });
  return { ranked, offers };
}

async function pgArms(context: string) {
  const rows = await services.db.select().from(rankerArms).where(eq(rankerArms.context, context));
  return new Map(rows.map((r) => [r.bundle, { successes: r.successes, failures: r.failures }]));
}

describe('ranker with simulated shoppers', () => {
  it('learns that shoppers want COMFORT (70 % take it, the rest take nothing) and survives a restart', async () => {
    const context = freshContext();
    const ranking = seededRandom(42);
    const shopper = seededRandom(7);
    const firsts: string[] = [];
    const rounds = 300;

    for (let round = 0; round < rounds; round++) {
      const { ranked, offers } = await simulatedSearch(store, context, ranking);
      firsts.push(ranked[0]!.bundle);
      if (shopper() < 0.7) {
        // Accepting one offer counts its siblings as not chosen (expired).
        await store.recordOutcome(
          offers.find((o) => o.bundle.code === 'COMFORT')!,
          'accepted',
        );
      } else {
        for (const o of offers) await store.recordOutcome(o, 'expired');
      }
    }

    const last100 = firsts.slice(-100);
    const comfortFirst = last100.filter((b) => b === 'COMFORT').length;
    expect(comfortFirst).toBeGreaterThan(90);
    // It did explore: early on, other bundles were ranked first too.
    expect(new Set(firsts.slice(0, 30)).size).toBeGreaterThan(1);

    const before = await store.armStates(context);
    const comfort = before.get('COMFORT')!;
    expect(comfort.successes + comfort.failures).toBeCloseTo(rounds);
    expect(comfort.successes / rounds).toBeGreaterThan(0.6);
    expect(comfort.successes / rounds).toBeLessThan(0.8);
    for (const b of ['FLIGHT_ONLY', 'PREMIUM', 'GREEN']) {
      expect(before.get(b)).toEqual({ successes: 0, failures: rounds });
    }
    // Postgres has exactly what Redis has.
    const pg = await pgArms(context);
    for (const [bundle, arm] of before) {
      expect(pg.get(bundle)!.successes).toBeCloseTo(arm.successes);
      expect(pg.get(bundle)!.failures).toBeCloseTo(arm.failures);
    }

    // A restart with Redis wiped (only this context's key: other test files share the database): a new store
    // loads the state from Postgres and ranks as before.
    await services.redis.del(rankerKey(context));
    const restarted = createRankerStore({ redis: services.redis, db: services.db, config });
    const after = await restarted.armStates(context);
    for (const [bundle, arm] of before) {
      expect(after.get(bundle)!.successes).toBeCloseTo(arm.successes);
      expect(after.get(bundle)!.failures).toBeCloseTo(arm.failures);
    }
    expect(await services.redis.hexists(rankerKey(context), '_loaded')).toBe(1);
    const again: string[] = [];
    for (let n = 0; n < 20; n++) again.push((await simulatedSearch(restarted, context, ranking)).ranked[0]!.bundle);
    expect(again.filter((b) => b === 'COMFORT').length).toBeGreaterThanOrEqual(18);
  });

  it('with no evidence either way, the margin decides more often (PREMIUM has the largest)', async () => {
    const context = freshContext();
    const random = seededRandom(1);
    const counts = new Map<string, number>();
    for (let n = 0; n < 400; n++) {
      const ranked = rankBundles(candidates(), await store.armStates(context), rankerSettings(config), random);
      counts.set(ranked[0]!.bundle, (counts.get(ranked[0]!.bundle) ?? 0) + 1);
    }
    const premium = counts.get('PREMIUM') ?? 0;
    for (const [bundle, n] of counts) if (bundle !== 'PREMIUM') expect(premium).toBeGreaterThan(n);
    // Still every bundle gets its turn: that is the exploration.
    expect(counts.size).toBe(config.bundles.length);
  });
});

describe('outcomes', () => {
  const offer = (context: string, bundle: string, searchId?: string, weight = 1): SimOffer => ({
    id: `off_${randomUUID()}`,
    bundle: { code: bundle, name: bundle },
    search_id: searchId,
    ranking: { context, weight, score: 0.5 },
  });

  it('counts each offer once; expired → accepted is corrected; offers without ranking data are ignored', async () => {
    const context = freshContext();
    const o = offer(context, 'GREEN', undefined, 0.5);
    expect(await store.recordOutcome(o, 'expired')).toBe(true);
    expect(await store.recordOutcome(o, 'expired')).toBe(false);
    expect(await store.recordOutcome(o, 'rejected')).toBe(false);
    expect((await store.armStates(context)).get('GREEN')).toEqual({ successes: 0, failures: 0.5 });
    expect(await store.recordOutcome(o, 'accepted')).toBe(true);
    expect((await store.armStates(context)).get('GREEN')).toEqual({ successes: 0.5, failures: 0 });
    expect(await store.recordOutcome(o, 'accepted')).toBe(false);
    expect((await pgArms(context)).get('GREEN')).toEqual({ successes: 0.5, failures: 0 });

    const rejected = offer(context, 'PREMIUM');
    await store.recordOutcome(rejected, 'rejected');
    expect(await store.recordOutcome(rejected, 'accepted')).toBe(false); // a rejection stands

    expect(await store.recordOutcome({ id: 'off_x', bundle: { code: 'GREEN', name: 'Green' } }, 'accepted')).toBe(
      false,
    );
  });

  it('the sweep records expired searches: offers that became orders as accepted, the others as expired', async () => {
    const context = freshContext();
    const searchId = `srch_${randomUUID()}`;
    const offers = ['FLIGHT_ONLY', 'COMFORT', 'PREMIUM'].map((b) => offer(context, b, searchId, 1 / 3));
    // Expired long ago, so this search is first in the queue whoever sweeps.
    await store.rememberSearch({
      searchId,
      context,
      expiresAt: new Date(1_000),
      offers: offers.map((o) => ({ id: o.id, bundle: o.bundle.code, weight: 1 / 3 })),
    });
    await services.db.insert(orders).values({
      id: randomUUID(),
      offerId: offers[1]!.id,
      customerId: randomUUID(),
      source: 'OFFER',
      status: 'EXPIRED',
      currency: 'USD',
      totalAmount: 1,
      expiresAt: new Date(),
    });
    await store.recordOutcome(offers[2]!, 'rejected'); // already known: not counted again

    await store.sweepExpiredSearches({ graceMs: 0, limit: 10 });
    const arms = await eventually(
      () => pgArms(context),
      (a) => a.get('COMFORT')?.successes !== undefined && a.get('FLIGHT_ONLY') !== undefined,
    );
    expect(arms.get('COMFORT')!.successes).toBeCloseTo(1 / 3);
    expect(arms.get('COMFORT')!.failures).toBe(0);
    expect(arms.get('FLIGHT_ONLY')!.failures).toBeCloseTo(1 / 3);
    expect(arms.get('PREMIUM')!.failures).toBeCloseTo(1 / 3);
    // Swept once: the search is gone, a second sweep changes nothing.
    await store.sweepExpiredSearches({ graceMs: 0, limit: 10 });
    expect(await pgArms(context)).toEqual(arms);
  });

  it('an acceptance counts the search’s siblings as expired', async () => {
    const context = freshContext();
    const searchId = `srch_${randomUUID()}`;
    const offers = config.bundles.map((b) => offer(context, b.code, searchId));
    await store.rememberSearch({
      searchId,
      context,
      expiresAt: new Date(Date.now() + 3600_000),
      offers: offers.map((o) => ({ id: o.id, bundle: o.bundle.code, weight: 1 })),
    });
    const outcome: RankerOutcome = 'accepted';
    await store.recordOutcome(offers[0]!, outcome);
    const arms = await store.armStates(context);
    expect(arms.get(offers[0]!.bundle.code)).toEqual({ successes: 1, failures: 0 });
    for (const o of offers.slice(1)) expect(arms.get(o.bundle.code)).toEqual({ successes: 0, failures: 1 });
  });
});
