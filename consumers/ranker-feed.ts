/**
 * Ranker feed: tells the offer ranker which offers were accepted (OfferAccepted) and which accepted offers
 * lapsed (OrderExpired, for orders made from an offer), through a small port so the consumer does not depend on
 * how the ranker keeps its state.
 */
import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { RankerStore } from '../services/ranker-store';
import { loadOffer } from '../services/offer-store';
import { orders } from '../db/schema';
import type { Logger } from '../lib/logger';
import type { EventHandler } from './runner';

/** The offers engine's side: record one offer's outcome (idempotent per offer and outcome on its side too). */
export interface RankerFeed {
  recordOutcome(offerId: string, outcome: 'accepted' | 'expired'): Promise<void>;
}

export function rankerFeedHandler(deps: { feed: RankerFeed; name?: string }): EventHandler {
  return {
    name: deps.name ?? 'ranker-feed',
    types: ['OfferAccepted', 'OrderExpired'],
    async handle(event, tx) {
      if (event.type === 'OfferAccepted') {
        const offerId = (event.payload as { offer_id?: unknown }).offer_id;
        if (typeof offerId !== 'string') throw new Error(`OfferAccepted ${event.id} has no offer_id`);
        await deps.feed.recordOutcome(offerId, 'accepted');
        return;
      }
      // OrderExpired names only the order: its offer (none for a trip) is on the order row.
      const [order] = await tx.select({ offerId: orders.offerId }).from(orders).where(eq(orders.id, event.order_id));
      if (!order) throw new Error(`order ${event.order_id} is not in the orders table`);
      if (order.offerId) await deps.feed.recordOutcome(order.offerId, 'expired');
    },
  };
}

/**
 * The feed over the ranker store of activities/ranker-store.ts, which needs the offer's ranking data: the offer
 * is read from Redis while it lives (15 minutes). An offer already gone is left to the store's own sweep of
 * expired searches, which finds accepted offers through orders.offer_id.
 */
export function rankerStoreFeed(deps: { redis: Redis; store: Pick<RankerStore, 'recordOutcome'>; logger: Logger }) {
  const feed: RankerFeed = {
    async recordOutcome(offerId, outcome) {
      const lookup = await loadOffer(deps.redis, offerId);
      if (lookup.state !== 'live') {
        deps.logger.debug({ offer_id: offerId, outcome }, 'offer no longer in Redis: left to the ranker sweep');
        return;
      }
      await deps.store.recordOutcome(lookup.offer, outcome);
    },
  };
  return feed;
}
