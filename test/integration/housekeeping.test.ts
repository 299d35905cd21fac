import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers, idempotencyKeys, orders, outbox, paymentTokens, processedEvents } from '../../db/schema';
import { createDb, type DbHandle } from '../../db/client';
import { housekeep } from '../../worker/housekeeping';
import { testConfig } from '../support/services';

const config = testConfig();
let pg: DbHandle;

beforeAll(() => {
  pg = createDb(config.database.url, { max: 2 });
});
afterAll(async () => {
  await pg.close();
});

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);

describe('housekeeping', () => {
  it('removes expired idempotency keys, old dedup marks and long-published outbox rows, and nothing else', async () => {
    const customer = randomUUID();
    const keys = { old: `hk-old-${randomUUID()}`, fresh: `hk-fresh-${randomUUID()}` };
    await pg.db.insert(idempotencyKeys).values(
      Object.entries(keys).map(([age, key]) => ({
        customerId: customer,
        key,
        method: 'POST',
        path: '/v1/holds/trip',
        requestHash: 'h',
        status: 201,
        body: {},
        createdAt: age === 'old' ? daysAgo(2) : new Date(),
      })),
    );
    const consumer = `hk-${randomUUID()}`;
    const marks = { old: randomUUID(), fresh: randomUUID() };
    await pg.db.insert(processedEvents).values([
      { consumer, eventId: marks.old, processedAt: daysAgo(8) },
      { consumer, eventId: marks.fresh, processedAt: daysAgo(1) },
    ]);
    const events = { oldPublished: randomUUID(), freshPublished: randomUUID(), oldUnpublished: randomUUID() };
    await pg.db.insert(outbox).values([
      {
        id: events.oldPublished,
        aggregateId: 'hk',
        type: 'Test',
        occurredAt: daysAgo(9),
        payload: {},
        publishedAt: daysAgo(8),
      },
      {
        id: events.freshPublished,
        aggregateId: 'hk',
        type: 'Test',
        occurredAt: daysAgo(2),
        payload: {},
        publishedAt: daysAgo(2),
      },
      {
        id: events.oldUnpublished,
        aggregateId: 'hk',
        type: 'Test',
        occurredAt: daysAgo(30),
        payload: {},
        publishedAt: null,
      },
    ]);

    const tokens = { old: `pvr_${randomUUID()}`, fresh: `pvr_${randomUUID()}` };
    await pg.db.insert(paymentTokens).values([
      { ref: tokens.old, orderId: randomUUID(), token: 'sealed', createdAt: new Date(Date.now() - 25 * 3600_000) },
      { ref: tokens.fresh, orderId: randomUUID(), token: 'sealed' },
    ]);

    const result = await housekeep(pg.db, config);
    expect(result.paymentTokens).toBeGreaterThanOrEqual(1);
    const tokensLeft = await pg.db
      .select({ ref: paymentTokens.ref })
      .from(paymentTokens)
      .where(inArray(paymentTokens.ref, Object.values(tokens)));
    expect(tokensLeft.map((t) => t.ref)).toEqual([tokens.fresh]);
    expect(result.idempotencyKeys).toBeGreaterThanOrEqual(1);
    expect(result.processedEvents).toBeGreaterThanOrEqual(1);
    expect(result.publishedOutboxRows).toBeGreaterThanOrEqual(1);

    const keysLeft = await pg.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.customerId, customer));
    expect(keysLeft.map((k) => k.key)).toEqual([keys.fresh]);
    const marksLeft = await pg.db
      .select({ id: processedEvents.eventId })
      .from(processedEvents)
      .where(eq(processedEvents.consumer, consumer));
    expect(marksLeft.map((m) => m.id)).toEqual([marks.fresh]);
    const eventsLeft = await pg.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(inArray(outbox.id, Object.values(events)));
    expect(eventsLeft.map((e) => e.id).sort()).toEqual([events.freshPublished, events.oldUnpublished].sort());

    // The relay never sees it, but the test's own unpublished row must not linger for the next relay test.
    await pg.db.delete(outbox).where(eq(outbox.id, events.oldUnpublished));
  });

  it('keeps an order’s published events (and their notification marks) while the order lives, and a while after', async () => {
    const guest = randomUUID();
    await pg.db.insert(customers).values({ id: guest, kind: 'GUEST' });
    const order = (status: 'FULFILLED' | 'ARCHIVED' | 'CANCELLED', updatedAt: Date) => ({
      id: randomUUID(),
      customerId: guest,
      source: 'OFFER' as const,
      status,
      currency: 'USD',
      totalAmount: 100,
      expiresAt: daysAgo(60),
      createdAt: daysAgo(60),
      updatedAt,
    });
    const live = order('FULFILLED', daysAgo(50)); // booked long ago, flies next month
    const endedLongAgo = order('ARCHIVED', daysAgo(30));
    const endedRecently = order('CANCELLED', daysAgo(1));
    await pg.db.insert(orders).values([live, endedLongAgo, endedRecently]);
    const eventOf = (o: { id: string }) => ({
      id: randomUUID(),
      aggregateId: o.id,
      type: 'OrderPaid',
      occurredAt: daysAgo(55),
      payload: {},
      publishedAt: daysAgo(55),
    });
    const [liveEvent, endedEvent, recentEvent] = [eventOf(live), eventOf(endedLongAgo), eventOf(endedRecently)];
    await pg.db.insert(outbox).values([liveEvent, endedEvent, recentEvent]);
    const consumer = `hk-notifications-${randomUUID()}`;
    await pg.db
      .insert(processedEvents)
      .values([liveEvent, endedEvent].map((e) => ({ consumer, eventId: e.id, processedAt: daysAgo(55) })));

    await housekeep(pg.db, config);
    const left = await pg.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(inArray(outbox.id, [liveEvent.id, endedEvent.id, recentEvent.id]));
    expect(left.map((e) => e.id).sort()).toEqual([liveEvent.id, recentEvent.id].sort());
    const marks = await pg.db
      .select({ id: processedEvents.eventId })
      .from(processedEvents)
      .where(eq(processedEvents.consumer, consumer));
    expect(marks.map((m) => m.id)).toEqual([liveEvent.id]);
  });

  it('purges guests older than guest_retention_hours that own no order; keeps those with orders, claimed, fresh, users', async () => {
    const old = new Date(Date.now() - (config.housekeeping.guest_retention_hours + 1) * 3600_000);
    const ids = {
      idle: randomUUID(),
      withOrder: randomUUID(),
      claimed: randomUUID(),
      fresh: randomUUID(),
      user: randomUUID(),
    };
    await pg.db.insert(customers).values([
      { id: ids.user, kind: 'USER', email: `hk-${ids.user}@altis.test`, createdAt: old },
      { id: ids.idle, kind: 'GUEST', createdAt: old },
      { id: ids.withOrder, kind: 'GUEST', createdAt: old },
      { id: ids.claimed, kind: 'GUEST', createdAt: old, claimedById: ids.user },
      { id: ids.fresh, kind: 'GUEST' },
    ]);
    const orderId = randomUUID();
    await pg.db.insert(orders).values({
      id: orderId,
      customerId: ids.withOrder,
      source: 'TRIP',
      status: 'EXPIRED',
      currency: 'USD',
      totalAmount: 100,
      expiresAt: old,
    });

    const result = await housekeep(pg.db, config);
    expect(result.guests).toBeGreaterThanOrEqual(1);
    const left = await pg.db
      .select({ id: customers.id })
      .from(customers)
      .where(inArray(customers.id, Object.values(ids)));
    expect(left.map((r) => r.id).sort()).toEqual([ids.withOrder, ids.claimed, ids.fresh, ids.user].sort());

    await pg.db.delete(orders).where(eq(orders.id, orderId));
    await pg.db.delete(customers).where(inArray(customers.id, Object.values(ids)));
  });
});
