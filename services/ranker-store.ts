/**
 * The ranker's state and its outcomes (the algorithm is in domain/ranker.ts).
 *
 * State: per context, the weighted successes and failures of each bundle. Postgres (`ranker_arms`) is the
 * authority; Redis holds a copy per context for the search path:
 *   ranker:{<context>}  hash  <BUNDLE>:s → successes, <BUNDLE>:f → failures, _loaded → 1   (TTL 1 h)
 * A context missing from Redis (never seen, wiped, or its copy timed out) is loaded from Postgres by one Lua
 * script that writes it only if it is still missing. An outcome is added to Postgres first (an atomic
 * `successes = successes + w`), then to the Redis copy only if that copy exists: a copy loaded later already
 * holds it. The hour's TTL bounds the drift of a copy that raced a load.
 *
 * Outcomes are counted once per offer: `ranker-outcome:{<offer id>}` remembers the outcome recorded. The
 * one change allowed is expired → accepted (the failure is moved to a success): the sibling sweep below may
 * count an offer as not chosen before its own acceptance arrives. The reverse is not: the ranker learns which
 * offer a shopper chooses, so an accepted offer whose order later lapses unpaid stays a success.
 *
 * Expiry — how offers that were never accepted become failures. Offers expire silently in Redis (a TTL, no
 * event), so each search leaves a record of its offers:
 *   offer-search:{<search id>}  hash  <offer id> → "<bundle>|<weight>", _ctx → context, _cur → currency,
 *                                     _day → the search's UTC day                    (TTL: offer life + 1 day)
 *   offer-searches:due          zset  <search id> scored by its expiry (ms)
 * and two things turn it into outcomes:
 *   1. When an offer is accepted, its siblings in the search count as expired at once: a shopper accepts one
 *      offer of a search, and choosing it is choosing against the others. Learning does not wait 15 minutes,
 *      and the Kafka consumer (OfferAccepted) needs no second event.
 *   2. A sweep takes searches whose offers have expired (plus a grace for an accept at the last second to
 *      reach Postgres), claims each with ZREM (so several API processes never count one twice), asks Postgres
 *      which of its offers became orders (orders.offer_id is unique and indexed), and records those as accepted
 *      and the rest as expired. So nothing is lost when no consumer runs, and a search nobody accepted still
 *      teaches the ranker. It also answers, per search, how many of its offers lapsed (neither accepted nor
 *      rejected: what the analytics count as expired). The API runs the sweep now and then after a search (at most every few seconds per
 *      process, off the request's path); a worker or cron may call `sweepExpiredSearches` too.
 * Why not Redis keyspace notifications: they are fire-and-forget (a restart loses them) and need server config.
 */
import { inArray, sql as dsql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database } from '../db/client';
import { orders, rankerArms } from '../db/schema';
import type { Offer } from '../domain/offer';
import type { ArmState, RankerOutcome, RankerSettings } from '../domain/ranker';

export const rankerKey = (context: string) => `ranker:{${context}}`;
export const outcomeKey = (offerId: string) => `ranker-outcome:{${offerId}}`;
export const searchKey = (searchId: string) => `offer-search:{${searchId}}`;
export const DUE_SEARCHES_KEY = 'offer-searches:due';

const CACHE_TTL_SECONDS = 3600;
const OUTCOME_TTL_SECONDS = 3 * 24 * 3600;
const SEARCH_GRACE_SECONDS = 24 * 3600;
const LOADED = '_loaded';
const CONTEXT_FIELD = '_ctx';
const CURRENCY_FIELD = '_cur';
const DAY_FIELD = '_day';

// Writes the Postgres copy of a context only if Redis has none (a concurrent load or a copy already there wins).
const LOAD_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], '${LOADED}') == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], '${LOADED}', '1', unpack(ARGV, 2))
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return redis.call('HGETALL', KEYS[1])`;

// Adds deltas to a loaded copy; a missing copy is left alone (the next load reads Postgres, which has them).
const ADD_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], '${LOADED}') == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

// Claims an offer's outcome: 'new', 'corrected' (expired → accepted) or 'dup'.
const CLAIM_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 'new'
end
if current == 'expired' and ARGV[1] == 'accepted' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 'corrected'
end
return 'dup'`;

interface RankerRedis extends Redis {
  altisRankerLoad(key: string, ttl: number, ...fields: string[]): Promise<string[]>;
  altisRankerAdd(key: string, ...deltas: string[]): Promise<number>;
  altisRankerClaim(key: string, outcome: string, ttl: number): Promise<'new' | 'corrected' | 'dup'>;
}

function withScripts(redis: Redis): RankerRedis {
  const r = redis as RankerRedis;
  if (typeof r.altisRankerLoad !== 'function') {
    redis.defineCommand('altisRankerLoad', { numberOfKeys: 1, lua: LOAD_SCRIPT });
    redis.defineCommand('altisRankerAdd', { numberOfKeys: 1, lua: ADD_SCRIPT });
    redis.defineCommand('altisRankerClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  }
  return r;
}

/** What an outcome needs from an offer: offers built by hand (no ranking) are ignored. */
export type RankedOffer = Pick<Offer, 'id' | 'bundle' | 'search_id' | 'ranking'>;

/** One offer's outcome, as the store applies it. */
export interface OutcomeEntry {
  offerId: string;
  context: string;
  bundle: string;
  weight: number;
  outcome: RankerOutcome;
}

/** What a search leaves for the outcomes of its offers. */
export interface SearchRecord {
  searchId: string;
  context: string;
  /** The offers' currency and the search's UTC day, for the analytics of what lapsed. */
  currency?: string;
  day?: string;
  expiresAt: Date;
  offers: { id: string; bundle: string; weight: number }[];
}

/** Offers of swept searches whose life ended neither accepted nor rejected, per search day, route and currency. */
export interface LapsedOffers {
  day: string;
  route: string;
  currency: string;
  count: number;
}

export interface RankerStoreDeps {
  redis: Redis;
  db: Database;
  config: Pick<AppConfig, 'ranker' | 'offers'>;
  /** Where background failures go (the sweep). */
  onError?: (err: unknown) => void;
}

export const rankerSettings = (config: Pick<AppConfig, 'ranker'>): RankerSettings => ({
  priorAlpha: config.ranker.prior_alpha,
  priorBeta: config.ranker.prior_beta,
  marginWeight: config.ranker.margin_weight,
});

function parseArms(flat: string[] | Record<string, string>): Map<string, ArmState> {
  const entries = Array.isArray(flat)
    ? Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!] as const)
    : Object.entries(flat);
  const arms = new Map<string, ArmState>();
  for (const [field, value] of entries) {
    const m = /^(.+):([sf])$/.exec(field);
    if (!m) continue;
    const arm = arms.get(m[1]!) ?? { successes: 0, failures: 0 };
    if (m[2] === 's') arm.successes = Number(value);
    else arm.failures = Number(value);
    arms.set(m[1]!, arm);
  }
  return arms;
}

export function createRankerStore(deps: RankerStoreDeps) {
  const { db } = deps;
  const redis = withScripts(deps.redis);

  /** The evidence of every bundle seen in a context (Redis, else Postgres, which then fills Redis). */
  async function armStates(context: string): Promise<Map<string, ArmState>> {
    const cached = await redis.hgetall(rankerKey(context));
    if (cached[LOADED]) return parseArms(cached);
    return loadFromPostgres(context);
  }

  async function loadFromPostgres(context: string): Promise<Map<string, ArmState>> {
    const rows = await db
      .select({ bundle: rankerArms.bundle, successes: rankerArms.successes, failures: rankerArms.failures })
      .from(rankerArms)
      .where(dsql`${rankerArms.context} = ${context}`);
    const fields = rows.flatMap((r) => [`${r.bundle}:s`, String(r.successes), `${r.bundle}:f`, String(r.failures)]);
    return parseArms(await redis.altisRankerLoad(rankerKey(context), CACHE_TTL_SECONDS, ...fields));
  }

  /**
   * Applies outcomes, each at most once per offer (expired → accepted is corrected). Returns the entries that
   * changed the state.
   */
  async function applyOutcomes(entries: readonly OutcomeEntry[]): Promise<OutcomeEntry[]> {
    if (entries.length === 0) return [];
    const claims = await claimAll(entries);
    // Deltas per context and bundle: a success or failure of `weight`, or a failure moved to a success.
    const deltas = new Map<string, { context: string; bundle: string; s: number; f: number }>();
    const applied: OutcomeEntry[] = [];
    entries.forEach((e, n) => {
      const claim = claims[n];
      if (claim === 'dup') return;
      applied.push(e);
      const key = `${e.context}\u0000${e.bundle}`;
      const d = deltas.get(key) ?? { context: e.context, bundle: e.bundle, s: 0, f: 0 };
      if (e.outcome === 'accepted') d.s += e.weight;
      else d.f += e.weight;
      if (claim === 'corrected') d.f -= e.weight;
      deltas.set(key, d);
    });
    if (deltas.size === 0) return applied;
    const rows = [...deltas.values()];
    try {
      await db
        .insert(rankerArms)
        // A correction's negative delta only meets a row that exists (it moves an earlier failure).
        .values(rows.map((d) => ({ context: d.context, bundle: d.bundle, successes: d.s, failures: d.f })))
        .onConflictDoUpdate({
          target: [rankerArms.context, rankerArms.bundle],
          set: {
            successes: dsql`greatest(0, ${rankerArms.successes} + excluded.successes)`,
            failures: dsql`greatest(0, ${rankerArms.failures} + excluded.failures)`,
            updatedAt: dsql`now()`,
          },
        });
    } catch (err) {
      // Not counted after all: let a retry (or the sweep) claim these offers again.
      await redis.del(...applied.map((e) => outcomeKey(e.offerId))).catch(() => 0);
      throw err;
    }
    const byContext = new Map<string, string[]>();
    for (const d of rows) {
      const list = byContext.get(d.context) ?? [];
      list.push(`${d.bundle}:s`, String(d.s), `${d.bundle}:f`, String(d.f));
      byContext.set(d.context, list);
    }
    await Promise.all([...byContext].map(([context, list]) => redis.altisRankerAdd(rankerKey(context), ...list)));
    return applied;
  }

  async function pipelined(commands: string[][]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    const results = (await redis.pipeline(commands).exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }

  /** One pipeline of claim scripts, one per entry: a sweep of hundreds of offers is one round trip. */
  async function claimAll(entries: readonly OutcomeEntry[]): Promise<('new' | 'corrected' | 'dup')[]> {
    if (entries.length === 1) {
      const e = entries[0]!;
      return [await redis.altisRankerClaim(outcomeKey(e.offerId), e.outcome, OUTCOME_TTL_SECONDS)];
    }
    const pipe = redis.pipeline() as unknown as {
      altisRankerClaim(key: string, outcome: string, ttl: number): unknown;
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const e of entries) pipe.altisRankerClaim(outcomeKey(e.offerId), e.outcome, OUTCOME_TTL_SECONDS);
    const results = (await pipe.exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      return value as 'new' | 'corrected' | 'dup';
    });
  }

  /** The offers of a search that the ranker still has to hear about. */
  async function rememberSearch(record: SearchRecord): Promise<void> {
    if (record.offers.length === 0) return;
    const ttl = Math.ceil(Math.max(0, record.expiresAt.getTime() - Date.now()) / 1000) + SEARCH_GRACE_SECONDS;
    const fields: string[] = [CONTEXT_FIELD, record.context];
    if (record.currency) fields.push(CURRENCY_FIELD, record.currency);
    if (record.day) fields.push(DAY_FIELD, record.day);
    for (const o of record.offers) fields.push(o.id, `${o.bundle}|${o.weight}`);
    // A pipeline, not a transaction: a record without its queue entry (or the reverse) is merely not swept.
    const results = await redis
      .pipeline()
      .hset(searchKey(record.searchId), ...fields)
      .expire(searchKey(record.searchId), ttl)
      .zadd(DUE_SEARCHES_KEY, record.expiresAt.getTime(), record.searchId)
      .exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (failed) throw failed;
  }

  async function searchOffers(searchId: string): Promise<OutcomeEntry[] | null> {
    const hash = await redis.hgetall(searchKey(searchId));
    return entriesOf(hash);
  }

  function entriesOf(hash: Record<string, string>): OutcomeEntry[] | null {
    const context = hash[CONTEXT_FIELD];
    if (!context) return null;
    return Object.entries(hash)
      .filter(([k]) => !k.startsWith('_')) // offer ids start with off_; the record's own fields with _
      .map(([offerId, v]) => {
        const [bundle = '', weight = '1'] = v.split('|');
        return { offerId, context, bundle, weight: Number(weight), outcome: 'expired' as const };
      });
  }

  /**
   * Records an offer's outcome for the ranker: accepted (reward 1), rejected or expired (reward 0). Idempotent
   * per offer. An acceptance also counts the search's other offers as expired (not chosen). Offers without
   * ranking data (built by hand) are ignored. Returns whether this offer's outcome changed the state.
   */
  async function recordOutcome(offer: RankedOffer, outcome: RankerOutcome): Promise<boolean> {
    if (!offer.ranking) return false;
    const own: OutcomeEntry = {
      offerId: offer.id,
      context: offer.ranking.context,
      bundle: offer.bundle.code,
      weight: offer.ranking.weight,
      outcome,
    };
    const applied = await applyOutcomes([own]);
    if (outcome === 'accepted' && offer.search_id) {
      const siblings = await searchOffers(offer.search_id);
      if (siblings) await applyOutcomes(siblings.filter((s) => s.offerId !== offer.id));
    }
    return applied.length > 0;
  }

  /**
   * Turns searches whose offers expired more than `graceMs` ago into outcomes (see the header): offers that
   * became orders count as accepted, the rest as expired. Works in batches of `limit` searches until none is
   * due or `maxBatches` were done, so that it keeps up with the search rate. Returns what it did.
   */
  async function sweepExpiredSearches(
    opts: { now?: Date; graceMs?: number; limit?: number; maxBatches?: number } = {},
  ) {
    const total = { searches: 0, accepted: 0, expired: 0, lapsed: [] as LapsedOffers[] };
    const limit = opts.limit ?? 500;
    for (let batch = 0; batch < (opts.maxBatches ?? 20); batch++) {
      const { due, ...done } = await sweepBatch(opts.now ?? new Date(), opts.graceMs ?? 60_000, limit);
      total.searches += done.searches;
      total.accepted += done.accepted;
      total.expired += done.expired;
      total.lapsed.push(...done.lapsed);
      if (due < limit) break;
    }
    return total;
  }

  async function sweepBatch(now: Date, graceMs: number, limit: number) {
    const due = await redis.zrangebyscore(DUE_SEARCHES_KEY, '-inf', now.getTime() - graceMs, 'LIMIT', 0, limit);
    if (due.length === 0) return { due: 0, searches: 0, accepted: 0, expired: 0, lapsed: [] };
    const claimed = await pipelined(due.map((id) => ['zrem', DUE_SEARCHES_KEY, id]));
    const mine = due.filter((_, n) => claimed[n] === 1);
    const hashes = (await pipelined(mine.map((id) => ['hgetall', searchKey(id)]))) as Record<string, string>[];
    const entries = hashes.flatMap((h) => entriesOf(h) ?? []);
    const lapsed: LapsedOffers[] = [];
    if (entries.length > 0) {
      const ids = entries.map((e) => e.offerId);
      const accepted = new Set(
        (await db.select({ offerId: orders.offerId }).from(orders).where(inArray(orders.offerId, ids))).map(
          (r) => r.offerId,
        ),
      );
      for (const e of entries) if (accepted.has(e.offerId)) e.outcome = 'accepted';
      // Before this sweep claims them: an offer the shopper rejected (or that was accepted) did not lapse.
      const earlier = (await pipelined(ids.map((id) => ['get', outcomeKey(id)]))) as (string | null)[];
      const ended = new Map(ids.map((id, n) => [id, earlier[n]]));
      for (const h of hashes) {
        const own = entriesOf(h) ?? [];
        const count = own.filter(
          (e) => !accepted.has(e.offerId) && ended.get(e.offerId) !== 'rejected' && ended.get(e.offerId) !== 'accepted',
        ).length;
        const route = h[CONTEXT_FIELD]?.split('|')[0];
        if (count > 0 && route && h[CURRENCY_FIELD] && h[DAY_FIELD]) {
          lapsed.push({ day: h[DAY_FIELD], route, currency: h[CURRENCY_FIELD], count });
        }
      }
      await applyOutcomes(entries);
    }
    if (mine.length > 0) await redis.del(...mine.map(searchKey));
    return {
      due: due.length,
      searches: mine.length,
      accepted: entries.filter((e) => e.outcome === 'accepted').length,
      expired: entries.filter((e) => e.outcome === 'expired').length,
      lapsed,
    };
  }

  return { armStates, applyOutcomes, recordOutcome, rememberSearch, searchOffers, sweepExpiredSearches };
}

export type RankerStore = ReturnType<typeof createRankerStore>;
