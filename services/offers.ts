/**
 * The offer engine: search → itineraries → one offer per bundle, ranked, stored in Redis for their life.
 *
 * The hot path per search: flights from the catalog (rows cached in process, live availability from the Redis
 * index in one pipeline per leg), product prices and capacities from in-process caches, the ranker's state of
 * the context (one HGETALL), then one Redis transaction that stores every offer and the search record. Postgres
 * is touched only on a cold cache.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import { createOfferCounts, type OfferCounts } from './analytics';
import { createCommercialSettings, exchangeRates, type CommercialSettings } from './commercial-settings';
import { loadOffer, offersJson, saveOffers, setOfferStatus } from './offer-store';
import { DomainError } from '../domain/errors';
import { money } from '../domain/money';
import { flightDesignator } from '../domain/vocabulary';
import type { Offer, OfferPassengers, OfferSegment } from '../domain/offer';
import { offerIdExpiry, signOfferId } from '../domain/offer-id';
import {
  buildOffer,
  bundleMargin,
  priceSegments,
  resolveBundle,
  type CatalogProduct,
  type PricedSegmentInput,
  type ProductType,
  type ResolvedBundle,
} from '../domain/offer-builder';
import {
  daysUntil,
  normaliseMargins,
  rankBundles,
  rankerContext,
  type ArmState,
  type Random,
  type RankedBundle,
} from '../domain/ranker';
import type { Utf8 } from '../lib/bytes';
import { cachedValue, LRUCache, ttlCache } from '../lib/cache';
import type { Logger } from '../lib/logger';
import { createCatalog, isIsoDate, utcToday, type Catalog, type FlightView } from './catalog';
import { createInventory, type Cabin, type Inventory } from './inventory';
import { createRankerStore, rankerSettings, type RankerStore } from './ranker-store';

/** The flights considered per direction: the earliest that have seats. 3 × 3 keeps a round trip at 9 itineraries. */
export const FLIGHTS_PER_DIRECTION = 3;
/** The shortest time between landing and the return flight's departure. */
export const MIN_TURNAROUND_MS = 60 * 60_000;
/** Seats a party may take (the order caps all travelers, infants included, at orders.max_travelers). */
export const MAX_SEATED = 9;

export interface OfferSearchRequest {
  origin: string;
  destination: string;
  departure_date: string;
  return_date?: string | null;
  passengers: OfferPassengers;
  cabin: Cabin;
}

export interface OfferSearchResult {
  search_id: string;
  expires_at: string;
  offers: Offer[];
}

export interface OfferEngineDeps {
  config: Pick<AppConfig, 'pricing' | 'offers' | 'bundles' | 'ranker' | 'orders' | 'check_in'>;
  db: Database;
  sql: Sql;
  redis: Redis;
  inventory?: Inventory;
  catalog?: Catalog;
  ranker?: RankerStore;
  /** Bundles and pricing rules (the admin-managed tables, config as their default); built from db when absent. */
  commercial?: CommercialSettings;
  /** The ranker's random source (seeded in tests). */
  random?: Random;
  logger?: Logger;
  /** The background sweep of expired searches: how often (per process) and the grace after expiry. */
  sweep?: false | { everyMs?: number; graceMs?: number };
  /** How long product prices and cabin capacities stay cached in process (ms). */
  cacheTtlMs?: number;
  /** The analytics' offer counts (shown, rejected, expired); built from db when absent. */
  counts?: OfferCounts;
}

interface Issue {
  path: string;
  message: string;
}

const invalid = (issues: Issue[]) =>
  new DomainError('VALIDATION_FAILED', issues.length === 1 ? issues[0]!.message : 'the request is not valid', {
    issues,
  });

/**
 * Random bytes for offer ids from the system's CSPRNG, drawn 4 KiB at a time: one call per 256 ids rather than one
 * per id (a search makes up to offers.max_offers per itinerary). Each id's bytes are its own.
 */
function randomPool(size = 4096): (n: number) => Uint8Array {
  let pool = randomBytes(size);
  let at = 0;
  return (n) => {
    if (at + n > pool.length) {
      pool = randomBytes(size);
      at = 0;
    }
    at += n;
    return pool.subarray(at - n, at);
  };
}

export function createOfferEngine(deps: OfferEngineDeps) {
  const offerRandom = randomPool();
  const { config, db, sql, redis } = deps;
  const ttlMs = deps.cacheTtlMs ?? 30_000;
  const inventory = deps.inventory ?? createInventory({ db, sql, redis });
  const commercial = deps.commercial ?? createCommercialSettings({ db, config });
  const catalog = deps.catalog ?? createCatalog({ sql, redis, config, inventory, commercial, cacheTtlMs: ttlMs });
  const ranker = deps.ranker ?? createRankerStore({ redis, db, config });
  /** Each search result's JSON answer, as long as the result object lives. */
  const answers = new WeakMap<OfferSearchResult, Utf8>();
  const random = deps.random ?? Math.random;
  const counts =
    deps.counts ??
    createOfferCounts({
      db,
      onError: (err) => deps.logger?.warn({ err: (err as Error).message }, 'offer counts not written; kept for later'),
    });
  /** The route as the analytics name it: the context's ("JFK-LHR", "JFK-LHR-JFK"). */
  const routeOf = (context: string) => context.split('|')[0]!;
  const settings = rankerSettings(config);
  const fx = exchangeRates(config.pricing);
  if (config.bundles.length < config.offers.min_offers) {
    // A configuration mistake, not a bad request: every search would offer too few bundles.
    throw new Error(
      `offers.min_offers is ${config.offers.min_offers} but only ${config.bundles.length} bundles are configured`,
    );
  }

  const products = cachedValue(ttlMs, async () => {
    const rows = await sql<
      { code: string; type: ProductType; name: string; price: number; currency: string; per: 'SEGMENT' | 'ORDER' }[]
    >`
      SELECT code, type, name, price, currency, per FROM products WHERE active`;
    return new Map<string, CatalogProduct>(
      rows.map((r) => [
        r.code,
        { code: r.code, type: r.type, name: r.name, price: money(r.price, r.currency), per: r.per },
      ]),
    );
  });

  // A context's bandit arms, as read from the ranker's Redis hash, for up to ranker.arms_max_age_ms.
  const armsMaxAgeMs = config.ranker.arms_max_age_ms;
  const armCache = new LRUCache<string, Map<string, ArmState>>({
    max: 10_000,
    ttl: Math.max(1, armsMaxAgeMs),
    fetchMethod: (context) => ranker.armStates(context),
  });
  const armStates = async (context: string) =>
    armsMaxAgeMs === 0 ? ranker.armStates(context) : ((await armCache.fetch(context)) ?? ranker.armStates(context));

  // Capacity per flight and cabin changes only with an aircraft swap: cached, read from the index on a miss.
  const capacities = ttlCache<string, Map<string, number>>(ttlMs, 50_000);
  async function capacityOf(flightIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const out = new Map<string, Map<string, number>>();
    const missing: string[] = [];
    for (const id of flightIds) {
      const hit = capacities.get(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const avail = await inventory.availabilityMany(missing);
      for (const id of missing) {
        const byCabin = new Map((avail.get(id) ?? []).map((a) => [a.cabin as string, a.capacity]));
        capacities.set(id, byCabin);
        out.set(id, byCabin);
      }
    }
    return out;
  }

  /** Every problem with a request, in the request's own field names; empty when it can be searched. */
  async function check(req: OfferSearchRequest, now: Date): Promise<Issue[]> {
    const issues: Issue[] = [];
    const { adults, children, infants } = req.passengers;
    if (adults < 1) issues.push({ path: 'passengers.adults', message: 'at least one adult' });
    if (adults + children > MAX_SEATED) {
      issues.push({ path: 'passengers', message: `at most ${MAX_SEATED} seated passengers (adults and children)` });
    }
    if (infants > adults) {
      issues.push({
        path: 'passengers.infants',
        message: 'every infant travels on an adult’s lap: at most one per adult',
      });
    }
    if (adults + children + infants > config.orders.max_travelers) {
      issues.push({
        path: 'passengers',
        message: `at most ${config.orders.max_travelers} travelers, infants included`,
      });
    }
    const rename: Record<string, string> = {
      origin_airport_code: 'origin',
      destination_airport_code: 'destination',
      date: 'departure_date',
    };
    const leg = await catalog.checkLeg({
      origin: req.origin,
      destination: req.destination,
      date: req.departure_date,
      now,
    });
    issues.push(...leg.map((i) => ({ path: rename[i.path] ?? i.path, message: i.message })));
    const ret = req.return_date;
    if (ret != null) {
      if (!isIsoDate(ret)) issues.push({ path: 'return_date', message: `${ret} is not a YYYY-MM-DD date` });
      else if (ret < req.departure_date) {
        issues.push({
          path: 'return_date',
          message: `the return (${ret}) is before the departure (${req.departure_date})`,
        });
      } else if (ret < utcToday(now)) issues.push({ path: 'return_date', message: `${ret} is in the past` });
    }
    return issues;
  }

  /** The flights of one direction that have the cabin with seats for the party, earliest first. */
  function usable(flights: FlightView[], cabin: Cabin, seats: number): FlightView[] {
    return flights
      .filter((f) => f.cabins.some((c) => c.cabin === cabin && c.available >= seats))
      .slice(0, FLIGHTS_PER_DIRECTION);
  }

  function segmentOf(f: FlightView, cabin: Cabin, direction: OfferSegment['direction']): OfferSegment {
    return {
      flight_id: f.id,
      carrier: f.carrier,
      flight_number: flightDesignator(f.carrier, f.flight_number),
      origin: f.origin,
      destination: f.destination,
      departure_at: f.departure_at,
      arrival_at: f.arrival_at,
      cabin,
      direction,
    };
  }

  function pricedInput(
    f: FlightView,
    cabin: Cabin,
    direction: OfferSegment['direction'],
    caps: Map<string, Map<string, number>>,
  ): PricedSegmentInput | null {
    const c = f.cabins.find((x) => x.cabin === cabin);
    const capacity = caps.get(f.id)?.get(cabin);
    if (!c || !capacity) return null;
    return {
      segment: segmentOf(f, cabin, direction),
      baseFare: c.breakdown.base_fare, // the adult fare: the catalog priced the cabin for one adult
      available: Math.min(c.demand_available, capacity), // what demand is priced on (held seats weighted)
      capacity,
    };
  }

  /**
   * Searches and stores offers: for each itinerary (outbound × inbound on a round trip, the earliest flights
   * with seats for the party) one offer per configured bundle, in the ranker's order, at most offers.max_offers.
   */
  async function search(
    req: OfferSearchRequest,
    opts: { customerId?: string | null; now?: Date } = {},
  ): Promise<OfferSearchResult> {
    const now = opts.now ?? new Date();
    const request = { ...req, origin: req.origin.toUpperCase(), destination: req.destination.toUpperCase() };
    const issues = await check(request, now);
    if (issues.length > 0) throw invalid(issues);

    const { passengers, cabin } = request;
    const seated = passengers.adults + passengers.children;
    const roundTrip = request.return_date != null;
    const context = rankerContext({
      origin: request.origin,
      destination: request.destination,
      roundTrip,
      travellers: seated + passengers.infants,
      daysToDeparture: daysUntil(request.departure_date, now),
    });
    const searchId = `srch_${randomUUID()}`;
    const expiresAt = new Date(now.getTime() + config.offers.ttl_seconds * 1000);
    const empty: OfferSearchResult = { search_id: searchId, expires_at: expiresAt.toISOString(), offers: [] };

    const leg = (origin: string, destination: string, date: string) =>
      // At the present moment unless told otherwise: the catalog may answer from its priced legs.
      catalog.searchFlights({ origin, destination, date, passengers: seated, party: passengers, now: opts.now });
    const [arms, outboundAll, inboundAll, catalogProducts] = await Promise.all([
      armStates(context),
      leg(request.origin, request.destination, request.departure_date),
      roundTrip ? leg(request.destination, request.origin, request.return_date!) : Promise.resolve([]),
      products(),
    ]);
    const outbound = usable(outboundAll, cabin, seated);
    const inbound = roundTrip ? usable(inboundAll, cabin, seated) : [];
    if (outbound.length === 0 || (roundTrip && inbound.length === 0)) return empty;

    const caps = await capacityOf([...outbound, ...inbound].map((f) => f.id));
    const itineraries: PricedSegmentInput[][] = [];
    for (const o of outbound) {
      const out = pricedInput(o, cabin, 'OUTBOUND', caps);
      if (!out) continue;
      if (!roundTrip) {
        itineraries.push([out]);
        continue;
      }
      for (const i of inbound) {
        if (Date.parse(i.departure_at) < Date.parse(o.arrival_at) + MIN_TURNAROUND_MS) continue;
        const back = pricedInput(i, cabin, 'INBOUND', caps);
        if (back && back.baseFare.currency === out.baseFare.currency) itineraries.push([out, back]);
      }
    }
    if (itineraries.length === 0) return empty;

    // One Thompson draw per search ranks the bundles for every itinerary of it.
    const currency = itineraries[0]![0]!.baseFare.currency;
    const bundles = new Map<string, ResolvedBundle>();
    const [bundleConfigs, rules, countries] = await Promise.all([
      commercial.bundles(),
      commercial.pricingRules(),
      catalog.airportCountries([request.origin, request.destination]),
    ]);
    for (const b of bundleConfigs) {
      const resolved = resolveBundle(b, catalogProducts, currency, fx);
      if (resolved) bundles.set(b.code, resolved);
      else {
        deps.logger?.warn(
          { bundle: b.code, currency },
          'bundle not offered: a product is missing or inactive, or the rate table lacks the currency',
        );
      }
    }
    const margins = normaliseMargins(new Map([...bundles].map(([code, b]) => [code, bundleMargin(b)])));
    const ranked: RankedBundle[] = rankBundles(
      [...bundles.keys()].map((code) => ({ bundle: code, margin: margins.get(code) ?? 0 })),
      arms,
      settings,
      random,
    ).slice(0, config.offers.max_offers);
    if (ranked.length < config.offers.min_offers) {
      deps.logger?.warn({ offered: ranked.length, min: config.offers.min_offers }, 'fewer bundles than min_offers');
    }

    const search: Offer['search'] = {
      origin: request.origin,
      destination: request.destination,
      departure_date: request.departure_date,
      return_date: request.return_date ?? null,
      cabin,
      passengers,
    };
    const pricing = {
      rules,
      taxes: config.pricing.taxes,
      childFarePercent: config.pricing.child_fare_percent,
      infantFarePercent: config.pricing.infant_fare_percent,
      fx,
      countries,
    };
    const weight = 1 / itineraries.length;
    const offers: Offer[] = [];
    for (const itinerary of itineraries) {
      const prices = priceSegments(itinerary, passengers, pricing, now);
      for (const r of ranked) {
        // Item ids are unique within their offer (the order gives its items ids of its own): short, since every
        // byte of an offer is written to Redis and to the shopper.
        let item = 0;
        offers.push(
          buildOffer({
            id: signOfferId(config.offers.id_secret, offerRandom(16), expiresAt),
            createdAt: now,
            expiresAt,
            bundle: bundles.get(r.bundle)!,
            prices,
            passengers,
            search,
            rank: offers.length + 1,
            itemId: () => `it${++item}`,
            searchId,
            customerId: opts.customerId ?? null,
            ranking: { context, weight, score: r.score },
          }),
        );
      }
    }

    const [stored] = await Promise.all([
      saveOffers(redis, offers, config.offers.ttl_seconds),
      ranker.rememberSearch({
        searchId,
        context,
        currency,
        day: utcToday(now),
        expiresAt,
        offers: offers.map((o) => ({ id: o.id, bundle: o.bundle.code, weight })),
      }),
    ]);
    counts.add({ day: utcToday(now), route: routeOf(context), currency }, 'shown', offers.length);
    maybeSweep();
    const result = { ...empty, offers };
    answers.set(result, offersJson({ search_id: result.search_id, expires_at: result.expires_at }, stored));
    return result;
  }

  /**
   * The JSON of a result `search` returned, made of the bytes stored in Redis (the offers are serialised once);
   * undefined for any other object (then serialise it).
   */
  const serialized = (result: OfferSearchResult): Utf8 | undefined => answers.get(result);

  /**
   * Why an offer id finds nothing in Redis: OFFER_LOST (410) for an id this engine issued that should still live
   * (Redis lost it: search again), OFFER_EXPIRED for one past its time, NOT_FOUND for an id never issued.
   */
  function missing(id: string): DomainError {
    const expiry = offerIdExpiry(config.offers.id_secret, id);
    if (!expiry) return new DomainError('NOT_FOUND', `offer ${id} was not found`);
    if (expiry.getTime() <= Date.now()) {
      return new DomainError('OFFER_EXPIRED', `offer ${id} has expired; search again for current prices`);
    }
    return new DomainError('OFFER_LOST', `offer ${id} is no longer available (the offer store lost it); search again`);
  }

  /**
   * A live offer (any status) as `customerId` may see it; NOT_FOUND when it never existed or is bound to another
   * customer (an offer searched with a token is that customer's: its party and price are nobody else's business),
   * OFFER_EXPIRED when its life is over.
   */
  async function getOffer(id: string, customerId: string | null): Promise<Offer> {
    const lookup = await loadOffer(redis, id);
    if (lookup.state === 'unknown') throw missing(id);
    if (lookup.state === 'expired') {
      throw new DomainError('OFFER_EXPIRED', `offer ${id} has expired; search again for current prices`);
    }
    if (lookup.offer.customer_id && lookup.offer.customer_id !== customerId) {
      throw new DomainError('NOT_FOUND', `offer ${id} was not found`);
    }
    return lookup.offer;
  }

  /**
   * The shopper says no: the offer is CANCELLED (accepting it answers 410 from now on) and the ranker counts a
   * rejection. Idempotent. An offer bound to a customer may only be rejected by that customer (others: 404, as
   * if it did not exist); an accepted one cannot be (409).
   */
  async function rejectOffer(id: string, customerId: string | null): Promise<void> {
    const offer = await getOffer(id, customerId);
    if (offer.status === 'ACCEPTED') throw new DomainError('INVALID_STATE', `offer ${id} has been accepted`);
    if (offer.status === 'ACTIVE' && !(await setOfferStatus(redis, id, 'CANCELLED'))) {
      throw new DomainError('OFFER_EXPIRED', `offer ${id} has expired`);
    }
    // Counted once per offer, as the ranker counts it (an offer already counted as not chosen stays so).
    if ((await ranker.recordOutcome(offer, 'rejected')) && offer.ranking) {
      const day = offer.created_at.slice(0, 10);
      counts.add({ day, route: routeOf(offer.ranking.context), currency: offer.price.currency }, 'rejected');
    }
  }

  /**
   * The sweep of searches whose offers' life ended (services/ranker-store.ts): the ranker's outcomes, and the
   * analytics' expired offers (neither accepted nor rejected).
   */
  async function sweep(opts: { now?: Date; graceMs?: number } = {}) {
    const done = await ranker.sweepExpiredSearches(opts);
    for (const l of done.lapsed) counts.add({ day: l.day, route: l.route, currency: l.currency }, 'expired', l.count);
    return done;
  }

  // The background sweep: at most one at a time and one per `everyMs` per process, never on a request's path.
  let lastSweep = 0;
  let sweeping = false;
  function maybeSweep(): void {
    if (deps.sweep === false) return;
    const everyMs = deps.sweep?.everyMs ?? 5_000;
    if (sweeping || Date.now() - lastSweep < everyMs) return;
    sweeping = true;
    lastSweep = Date.now();
    sweep({ graceMs: deps.sweep?.graceMs ?? 60_000 })
      .catch((err: unknown) => deps.logger?.warn({ err: (err as Error).message }, 'offer sweep failed'))
      .finally(() => {
        sweeping = false;
      });
  }

  return {
    search,
    serialized,
    getOffer,
    rejectOffer,
    missing,
    sweep,
    flushCounts: () => counts.flush(),
    ranker,
    catalog,
  };
}

export type OfferEngine = ReturnType<typeof createOfferEngine>;
