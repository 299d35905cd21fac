/**
 * The broker goes away for 30 seconds while bookings go on. This stops the shared Kafka broker, so it runs on its
 * own after the other tests (vitest.outage.config.ts; `npm run test:outage`), never next to them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEventsTopic } from '../../lib/order-events';
import type { Services } from '../../lib/services';
import { createOutboxRelay, type OutboxRelay } from '../../worker/outbox-relay';
import {
  analyticsFor,
  createBookings,
  outboxRows,
  recordTopic,
  sleep,
  startTestConsumers,
  startTestSmtp,
  topicEnds,
  uniqueRoute,
  type FakeOrder,
  type RecordingRankerFeed,
} from '../support/events';
import { eventually } from '../support/harness';
import { openTestServices, silentLogger, testConfig } from '../support/services';

const run = promisify(execFile);
const kafkaCtl = (action: 'start' | 'stop') =>
  run('bash', ['scripts/infra.sh', action, 'kafka'], { cwd: new URL('../..', import.meta.url).pathname });

const OUTAGE_MS = 30_000;

let smtp: Awaited<ReturnType<typeof startTestSmtp>>;
let config: ReturnType<typeof testConfig>;
let services: Services;
let relay: OutboxRelay;
let consumers: Awaited<ReturnType<typeof startTestConsumers>>;

beforeAll(async () => {
  smtp = await startTestSmtp();
  config = testConfig({ APP_SMTP__PORT: String(smtp.port) });
  services = await openTestServices(config);
  relay = createOutboxRelay({ ...services, config, logger: silentLogger() });
  await relay.start();
  consumers = await startTestConsumers({
    kafka: services.kafka,
    admin: services.kafkaAdmin,
    db: services.db,
    config,
  });
});

afterAll(async () => {
  await kafkaCtl('start'); // whatever happened, leave the broker running
  await consumers?.stop();
  await relay?.stop();
  await services?.close();
  await smtp?.close();
});

describe('a 30-second broker outage', () => {
  it('loses nothing: after it every event is delivered and each consumer applies each once', async () => {
    const bookings = createBookings(services.db, config);
    const route = uniqueRoute();
    const topic = orderEventsTopic(config);
    const before = await topicEnds(services.kafkaAdmin, topic);
    const placed: { order: FakeOrder; fate: 'paid' | 'expired' | 'cancelled' }[] = [];
    const book = async (n: number) => {
      const order = await bookings.propose({ route, total: 10_000 + n * 100 });
      const fate = (['paid', 'paid', 'expired', 'cancelled'] as const)[n % 4]!;
      if (fate === 'expired') await bookings.expire(order);
      else await bookings.payAndFulfil(order);
      if (fate === 'cancelled') await bookings.cancelWithRefund(order);
      placed.push({ order, fate });
    };

    await book(0); // one booking before the outage
    const stopped = Date.now();
    await kafkaCtl('stop');
    const stopMs = Date.now() - stopped;
    // Bookings go on while the broker is away.
    let n = 1;
    while (Date.now() - stopped < OUTAGE_MS) {
      await book(n++);
      await sleep(250);
    }
    const lagDuring = await relay.lag();
    const orderIds = placed.map((p) => p.order.id);
    const rowsDuring = await outboxRows(services.db, orderIds);
    const failedTries = rowsDuring.filter((r) => r.publishedAt === null && r.attempts > 0 && r.lastError);

    const starting = Date.now();
    await kafkaCtl('start');
    const back = Date.now();
    const rows = await outboxRows(services.db, orderIds);
    await eventually(
      async () => (await outboxRows(services.db, orderIds)).every((r) => r.publishedAt !== null),
      (done) => done,
      120_000,
      100,
    );
    const publishedAfter = Date.now() - back;

    // Nothing lost: the topic holds every event of these orders, each order's in its seq order.
    const log = await recordTopic(services.kafka, services.kafkaAdmin, topic, before);
    await eventually(
      async () => log.eventsOf(orderIds).length,
      (count) => count === rows.length,
      60_000,
      100,
    );
    await log.stop();
    const events = log.eventsOf(orderIds);
    expect(events).toHaveLength(rows.length);
    for (const id of orderIds) {
      expect(events.filter((e) => e.order_id === id).map((e) => e.id)).toEqual(
        rows.filter((r) => r.aggregateId === id).map((r) => r.id),
      );
    }

    // Each consumer applied each event it handles exactly once.
    const idsOf = (types: string[]) => rows.filter((r) => types.includes(r.type)).map((r) => r.id);
    const expected = [
      [consumers.notifications, idsOf(['OrderFulfilled', 'OrderExpired', 'OrderCancelled', 'RefundIssued'])],
      [
        consumers.analytics,
        idsOf(['OfferAccepted', 'OrderProposed', 'OrderPaid', 'OrderExpired', 'OrderCancelled', 'RefundIssued']),
      ],
      [consumers.rankerFeed, idsOf(['OfferAccepted', 'OrderExpired'])],
    ] as const;
    await eventually(
      async () => Promise.all(expected.map(([c, ids]) => consumers.processed(c, [...ids]))),
      (counts) => counts.every((count, i) => count === expected[i]![1].length),
      120_000,
      200,
    );
    const appliedAfter = Date.now() - back;
    for (const [c, ids] of expected) expect(await consumers.processed(c, [...ids])).toBe(ids.length);

    // Analytics totals are exact.
    const count = (fate: string) => placed.filter((p) => p.fate === fate).length;
    const totalOf = (fates: string[]) =>
      placed.filter((p) => fates.includes(p.fate)).reduce((s, p) => s + p.order.total, 0);
    expect(await analyticsFor(services.db, route.join('-'))).toEqual({
      offersShown: 0, // the offer engine's counts: these orders came from no search
      offersAccepted: placed.length,
      offersRejected: 0,
      offersExpired: 0,
      ordersProposed: placed.length,
      ordersPaid: count('paid') + count('cancelled'),
      ordersExpired: count('expired'),
      ordersCancelled: count('cancelled'),
      revenueAmount: totalOf(['paid', 'cancelled']),
      refundedAmount: totalOf(['cancelled']),
    });

    // One mail per confirmation (and per expiry, cancellation, refund): by event id, exactly one each.
    const mailed = await eventually(
      async () => smtp.mails.filter((m) => m.eventId && expected[0][1].includes(m.eventId)),
      (m) => m.length >= expected[0][1].length,
    );
    const confirmations = idsOf(['OrderFulfilled']);
    for (const id of confirmations) expect(mailed.filter((m) => m.eventId === id)).toHaveLength(1);
    expect(mailed).toHaveLength(expected[0][1].length);

    // The ranker heard of every accepted offer once.
    const calls = (consumers.feed as RecordingRankerFeed).calls;
    for (const p of placed) {
      expect(calls.filter((c) => c.offerId === p.order.offerId && c.outcome === 'accepted')).toHaveLength(1);
    }

    // While the broker was away the relay kept the rows, counted its tries and said why.
    expect(lagDuring.unpublished).toBeGreaterThan(0);
    expect(failedTries.length).toBeGreaterThan(0);
    expect(relay.stats.failures).toBeGreaterThan(0);

    console.log(
      `[figures] outage: broker stopped in ${stopMs} ms, ${placed.length - 1} bookings (${rows.length} events in all) ` +
        `written in ${OUTAGE_MS / 1000} s without it, ${lagDuring.unpublished} unpublished at the end (oldest ` +
        `${lagDuring.oldest_unpublished_age_seconds.toFixed(1)} s); broker start took ${back - starting} ms; backlog ` +
        `published ${publishedAfter} ms and applied by all consumers ${appliedAfter} ms after the broker was back; ` +
        `relay failures ${relay.stats.failures}`,
    );
  });
});
