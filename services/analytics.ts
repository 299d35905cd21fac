/**
 * The daily figures per route and currency (table analytics_daily) for the admins' dashboard
 * (GET /v1/admin/analytics): reads of a period's days and totals, and the offer counts the offer engine adds.
 *
 * What counts what: the analytics consumer (consumers/analytics.ts) counts the order events, offers accepted
 * among them (OfferAccepted). Offers live in Redis and have no events, so the offer engine counts them itself:
 * shown (every offer a search returns), rejected (DELETE /v1/offers/:id) and expired (the sweep of searches whose
 * offers' life ended: neither accepted nor rejected). It adds them in process and writes them in one statement
 * every `flushMs` (and on `flush()`), so a search costs no Postgres write; a process that dies loses at most
 * that moment's counts.
 */
import { and, asc, eq, gte, lte, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { analyticsDaily } from '../db/schema';

export interface AnalyticsPeriod {
  /** YYYY-MM-DD, both inclusive. */
  from: string;
  to: string;
  /** "JFK-LHR"; absent = every route. */
  route?: string | undefined;
}

export function createAnalyticsReads(db: Database) {
  return {
    async daily(period: AnalyticsPeriod) {
      const where = and(
        gte(analyticsDaily.day, period.from),
        lte(analyticsDaily.day, period.to),
        period.route ? eq(analyticsDaily.route, period.route) : undefined,
      );
      const days = await db
        .select()
        .from(analyticsDaily)
        .where(where)
        .orderBy(asc(analyticsDaily.day), asc(analyticsDaily.route), asc(analyticsDaily.currency));
      const totals = await db
        .select({
          route: analyticsDaily.route,
          currency: analyticsDaily.currency,
          offersShown: sql<number>`sum(${analyticsDaily.offersShown})::int`,
          offersAccepted: sql<number>`sum(${analyticsDaily.offersAccepted})::int`,
          offersRejected: sql<number>`sum(${analyticsDaily.offersRejected})::int`,
          offersExpired: sql<number>`sum(${analyticsDaily.offersExpired})::int`,
          ordersProposed: sql<number>`sum(${analyticsDaily.ordersProposed})::int`,
          ordersPaid: sql<number>`sum(${analyticsDaily.ordersPaid})::int`,
          ordersExpired: sql<number>`sum(${analyticsDaily.ordersExpired})::int`,
          ordersCancelled: sql<number>`sum(${analyticsDaily.ordersCancelled})::int`,
          revenueAmount: sql<string>`sum(${analyticsDaily.revenueAmount})::text`,
          refundedAmount: sql<string>`sum(${analyticsDaily.refundedAmount})::text`,
          modifications: sql<number>`sum(${analyticsDaily.modifications})::int`,
          ordersModified: sql<number>`sum(${analyticsDaily.ordersModified})::int`,
        })
        .from(analyticsDaily)
        .where(where)
        .groupBy(analyticsDaily.route, analyticsDaily.currency)
        .orderBy(asc(analyticsDaily.route), asc(analyticsDaily.currency));
      return { days, totals };
    },
  };
}

export type AnalyticsReads = ReturnType<typeof createAnalyticsReads>;

export type OfferCount = 'shown' | 'rejected' | 'expired';

const OFFER_COUNTS: OfferCount[] = ['shown', 'rejected', 'expired'];

/** Offer counts per day (YYYY-MM-DD, UTC), route ("JFK-LHR", "JFK-LHR-JFK") and currency, written in batches. */
export function createOfferCounts(deps: { db: Database; flushMs?: number; onError?: (err: unknown) => void }) {
  const flushMs = deps.flushMs ?? 1_000;
  type Row = { day: string; route: string; currency: string } & Record<OfferCount, number>;
  let pending = new Map<string, Row>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let flushing: Promise<void> = Promise.resolve();

  function add(key: { day: string; route: string; currency: string }, what: OfferCount, n = 1): void {
    if (n <= 0) return;
    const k = `${key.day}|${key.route}|${key.currency}`;
    const row = pending.get(k) ?? { ...key, shown: 0, rejected: 0, expired: 0 };
    row[what] += n;
    pending.set(k, row);
    if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        flush().catch((err: unknown) => deps.onError?.(err));
      }, flushMs);
      timer.unref();
    }
  }

  async function write(rows: Row[]): Promise<void> {
    await deps.db
      .insert(analyticsDaily)
      .values(
        rows.map((r) => ({
          day: r.day,
          route: r.route,
          currency: r.currency,
          offersShown: r.shown,
          offersRejected: r.rejected,
          offersExpired: r.expired,
        })),
      )
      .onConflictDoUpdate({
        target: [analyticsDaily.day, analyticsDaily.route, analyticsDaily.currency],
        set: {
          offersShown: sql`${analyticsDaily.offersShown} + excluded.offers_shown`,
          offersRejected: sql`${analyticsDaily.offersRejected} + excluded.offers_rejected`,
          offersExpired: sql`${analyticsDaily.offersExpired} + excluded.offers_expired`,
          updatedAt: sql`now()`,
        },
      });
  }

  /** Writes what was counted so far (one statement); a failed write keeps the counts for the next one. */
  function flush(): Promise<void> {
    flushing = flushing
      .catch(() => undefined)
      .then(async () => {
        if (pending.size === 0) return;
        const batch = pending;
        pending = new Map();
        try {
          await write([...batch.values()]);
        } catch (err) {
          for (const [k, r] of batch) {
            const now = pending.get(k);
            if (now) for (const c of OFFER_COUNTS) now[c] += r[c];
            else pending.set(k, r);
          }
          throw err;
        }
      });
    return flushing;
  }

  return { add, flush };
}

export type OfferCounts = ReturnType<typeof createOfferCounts>;
