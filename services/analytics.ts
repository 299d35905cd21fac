/**
 * Reads of the analytics consumer's daily figures (table analytics_daily, written by consumers/analytics.ts) for
 * the admins' dashboard (GET /v1/admin/analytics): the days of a period and the totals per route and currency.
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
          offersAccepted: sql<number>`sum(${analyticsDaily.offersAccepted})::int`,
          offersExpired: sql<number>`sum(${analyticsDaily.offersExpired})::int`,
          ordersProposed: sql<number>`sum(${analyticsDaily.ordersProposed})::int`,
          ordersPaid: sql<number>`sum(${analyticsDaily.ordersPaid})::int`,
          ordersExpired: sql<number>`sum(${analyticsDaily.ordersExpired})::int`,
          ordersCancelled: sql<number>`sum(${analyticsDaily.ordersCancelled})::int`,
          revenueAmount: sql<string>`sum(${analyticsDaily.revenueAmount})::text`,
          refundedAmount: sql<string>`sum(${analyticsDaily.refundedAmount})::text`,
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
