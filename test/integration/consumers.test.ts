import { randomUUID } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { rankerFeedHandler, rankerStoreFeed } from '../../consumers/ranker-feed';
import type { EventHandler } from '../../consumers/runner';
import { saveOffers } from '../../services/offer-store';
import { outbox } from '../../db/schema';
import type { Offer } from '../../domain/offer';
import { deadLetterTopic, orderEventsTopic } from '../../lib/order-events';
import type { Services } from '../../lib/services';
import { appendEvents, type DomainEvent } from '../../services/outbox';
import { createOutboxRelay, type OutboxRelay } from '../../worker/outbox-relay';
import {
  analyticsFor,
  createBookings,
  outboxRows,
  recordTopic,
  startTestConsumers,
  startTestSmtp,
  uniqueRoute,
  type FakeOrder,
  type RecordingRankerFeed,
} from '../support/events';
import { eventually } from '../support/harness';
import { openTestServices, silentLogger, testConfig } from '../support/services';
import { tokenFor } from '../support/tokens';

let smtp: Awaited<ReturnType<typeof startTestSmtp>>;
let config: ReturnType<typeof testConfig>;
let services: Services;
let relay: OutboxRelay;
let consumers: Awaited<ReturnType<typeof startTestConsumers>>;
let bookings: ReturnType<typeof createBookings>;
let dlq: Awaited<ReturnType<typeof recordTopic>>;
// Orders whose OfferAccepted the poison handler refuses: marked before the event exists, so no race with the relay.
const poisonedOrders = new Set<string>();
let smtpRefusals = 0; // the next n mails are refused by the SMTP server (451)

beforeAll(async () => {
  smtp = await startTestSmtp({ reject: () => (smtpRefusals > 0 && smtpRefusals-- > 0 ? 'try again later' : null) });
  config = testConfig({ APP_SMTP__PORT: String(smtp.port), APP_CONSUMERS__RETRY_BASE_MS: '20' });
  services = await openTestServices(config);
  bookings = createBookings(services.db, config);
  relay = createOutboxRelay({ ...services, config, logger: silentLogger() });
  await relay.start();
  const poison: EventHandler = {
    name: `poison-${randomUUID().slice(0, 8)}`,
    types: ['OfferAccepted', 'OrderProposed', 'OrderPaid'],
    async handle(event) {
      if (event.type === 'OfferAccepted' && poisonedOrders.has(event.order_id)) {
        throw new Error(`refusing ${event.type} ${event.id} (test poison)`);
      }
    },
  };
  [dlq, consumers] = await Promise.all([
    recordTopic(services.kafka, services.kafkaAdmin, deadLetterTopic(config, poison.name)),
    startTestConsumers({ kafka: services.kafka, admin: services.kafkaAdmin, db: services.db, config, extra: [poison] }),
  ]);
});

afterAll(async () => {
  await consumers?.stop();
  await dlq?.stop();
  await relay?.stop();
  await services?.close();
  await smtp?.close();
});

const eventIdsOf = async (orderIds: string[], types?: readonly string[]) =>
  (await outboxRows(services.db, orderIds)).filter((r) => !types || types.includes(r.type)).map((r) => r.id);

async function allApplied(orderIds: string[]) {
  const checks = [
    [consumers.notifications, ['OrderFulfilled', 'OrderExpired', 'OrderCancelled', 'RefundIssued']],
    [
      consumers.analytics,
      ['OfferAccepted', 'OrderProposed', 'OrderPaid', 'OrderExpired', 'OrderCancelled', 'RefundIssued'],
    ],
    [consumers.rankerFeed, ['OfferAccepted', 'OrderExpired']],
  ] as const;
  await eventually(
    async () => {
      const counts = await Promise.all(
        checks.map(async ([c, types]) => {
          const ids = await eventIdsOf(orderIds, types);
          return (await consumers.processed(c, ids)) === ids.length;
        }),
      );
      return counts.every(Boolean);
    },
    (ok) => ok,
    30_000,
    100,
  );
}

// ---- servicing events (issue #14): the events other servicing paths write, as their writers append them
const money = (amount: number) => ({ amount, currency: 'USD' });

/** Servicing events of a sold order as their writers append them (outbox, in a transaction). */
async function emit(order: FakeOrder, type: string, payload: Record<string, unknown> = {}) {
  const event: DomainEvent = {
    type,
    aggregateId: order.id,
    occurredAt: new Date(),
    payload: { order_id: order.id, route: order.route, ...payload },
  };
  await services.db.transaction((tx) => appendEvents(tx, [event]));
}

const SERVICING = ['OrderChanged', 'OrderServicesAdded', 'SeatChanged', 'OrderCancelled'] as const;

/** Both consumers have applied every servicing event of these orders (each handles all four types). */
async function servicingApplied(orderIds: string[]) {
  const ok = await eventually(
    async () => {
      const ids = await eventIdsOf(orderIds, SERVICING);
      const [n, a] = await Promise.all([
        consumers.processed(consumers.notifications, ids),
        consumers.processed(consumers.analytics, ids),
      ]);
      return ids.length > 0 && n === ids.length && a === ids.length;
    },
    (done) => done,
    30_000,
  );
  expect(ok, 'the servicing events were applied by notifications and analytics').toBe(true);
}

describe('the event consumers', () => {
  let route: [string, string];
  let paid: FakeOrder[];
  let expired: FakeOrder[];
  let cancelled: FakeOrder;
  const tickets = new Map<string, string>();

  it('apply every event once: a mail per confirmation, expiry and cancellation, exact analytics, ranker outcomes', async () => {
    route = uniqueRoute();
    paid = await Promise.all([1, 2, 3].map(() => bookings.propose({ route, total: 31_500 })));
    expired = await Promise.all([1, 2].map(() => bookings.propose({ route, total: 12_000 })));
    cancelled = await bookings.propose({ route, total: 20_000 });
    for (const o of paid) tickets.set(o.id, await bookings.payAndFulfil(o));
    for (const o of expired) await bookings.expire(o);
    await bookings.payAndFulfil(cancelled);
    await bookings.cancelWithRefund(cancelled);
    const all = [...paid, ...expired, cancelled];
    await allApplied(all.map((o) => o.id));

    // Mail: one confirmation per fulfilled order, with its ticket and passenger, to the decrypted contact.
    const mailsOf = (o: FakeOrder) => smtp.mails.filter((m) => m.orderId === o.id);
    for (const o of paid) {
      const mails = mailsOf(o);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.to).toEqual([o.email]);
      expect(mails[0]!.raw).toContain(tickets.get(o.id));
      expect(mails[0]!.raw).toContain('Ada Lovelace');
      expect(mails[0]!.raw).toMatch(/Subject: Your booking [A-Z0-9]{6} is confirmed/);
    }
    for (const o of expired) {
      expect(mailsOf(o).map((m) => /^Subject: (.*)$/m.exec(m.raw)![1])).toEqual([
        expect.stringMatching(/has expired$/),
      ]);
    }
    expect(
      mailsOf(cancelled)
        .map((m) => /^Subject: (.*)$/m.exec(m.raw)![1])
        .sort(),
    ).toEqual([
      expect.stringMatching(/^Refund for booking/),
      expect.stringMatching(/is cancelled$/),
      expect.stringMatching(/is confirmed$/),
    ]);
    expect(smtp.mails.find((m) => m.orderId === cancelled.id && m.raw.includes('Refund'))!.raw).toContain('200.00 USD');

    // Analytics: exact totals for the route.
    // (Offers shown, rejected and expired are the offer engine's counts: these orders came from no search.)
    expect(await analyticsFor(services.db, route.join('-'))).toEqual({
      offersShown: 0,
      offersAccepted: 6,
      offersRejected: 0,
      offersExpired: 0,
      ordersProposed: 6,
      ordersPaid: 4,
      ordersExpired: 2,
      ordersCancelled: 1,
      revenueAmount: 3 * 31_500 + 20_000,
      refundedAmount: 20_000,
    });

    // Ranker feed: every accepted offer, and the two whose order lapsed.
    const calls = (consumers.feed as RecordingRankerFeed).calls;
    for (const o of all)
      expect(calls.filter((c) => c.offerId === o.offerId && c.outcome === 'accepted')).toHaveLength(1);
    for (const o of expired)
      expect(calls.filter((c) => c.offerId === o.offerId && c.outcome === 'expired')).toHaveLength(1);
  });

  it('apply a re-delivered event once (the same message again, and a batch the relay publishes twice)', async () => {
    const order = paid[0]!;
    const before = {
      mails: smtp.mails.filter((m) => m.orderId === order.id).length,
      analytics: await analyticsFor(services.db, route.join('-')),
      duplicates: consumers.all.map((c) => c.stats.duplicates),
    };
    const rows = await outboxRows(services.db, [order.id]);
    // 1. The same messages produced again, as a producer retry outside the idempotent session would.
    const producer = services.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const envelopes = rows.map((r) => ({
      id: r.id,
      type: r.type,
      schema_version: r.schemaVersion,
      occurred_at: new Date(r.occurredAt).toISOString(),
      order_id: r.aggregateId,
      payload: r.payload,
    }));
    await producer.send({
      topic: orderEventsTopic(config),
      messages: envelopes.map((e) => ({
        key: e.order_id,
        value: JSON.stringify(e),
        headers: { type: e.type, id: e.id },
      })),
    });
    await producer.disconnect();
    // 2. The relay publishing the order's rows again (as after a crash between the broker's ack and its commit).
    await services.db
      .update(outbox)
      .set({ publishedAt: null })
      .where(
        inArray(
          outbox.id,
          rows.map((r) => r.id),
        ),
      );

    const handled = (i: number, types: number) => consumers.all[i]!.stats.duplicates - before.duplicates[i]! >= types;
    // notifications: OrderFulfilled; analytics: OfferAccepted, OrderProposed, OrderPaid; ranker: OfferAccepted — twice each.
    await eventually(
      async () => handled(0, 2) && handled(1, 6) && handled(2, 2),
      (ok) => ok,
      30_000,
      100,
    );
    expect(smtp.mails.filter((m) => m.orderId === order.id)).toHaveLength(before.mails);
    expect(await analyticsFor(services.db, route.join('-'))).toEqual(before.analytics);
    const ids = rows.map((r) => r.id);
    expect(await consumers.processed(consumers.analytics, ids)).toBe(
      rows.filter((r) => ['OfferAccepted', 'OrderProposed', 'OrderPaid'].includes(r.type)).length,
    );
  });

  it('send a poison message to the dead-letter topic after 5 tries and move on to the next one', async () => {
    const id = randomUUID();
    poisonedOrders.add(id);
    const order = await bookings.propose({ route: uniqueRoute(), id });
    const [accepted] = await eventIdsOf([order.id], ['OfferAccepted']);
    // Its later events share its partition: the consumer must get past the poison to apply them.
    const ticket = await bookings.payAndFulfil(order);
    const poison = consumers.others[0]!;
    const rest = await eventIdsOf([order.id], ['OrderProposed', 'OrderPaid']);
    await eventually(
      () => consumers.processed(poison, rest),
      (n) => n === rest.length,
      30_000,
      100,
    );
    expect(await consumers.processed(poison, [accepted!])).toBe(0);
    const dead = await eventually(
      async () => dlq.messages.filter((m) => m.event?.id === accepted),
      (m) => m.length === 1,
    );
    expect(dead).toHaveLength(1);
    const headers = dead[0]!.message.headers!;
    expect(headers['dlq-error']!.toString()).toContain('test poison');
    expect(headers['dlq-attempts']!.toString()).toBe('5');
    expect(headers['dlq-consumer']!.toString()).toBe(poison.name);
    expect(headers.type!.toString()).toBe('OfferAccepted');
    expect(dead[0]!.message.key!.toString()).toBe(order.id);
    expect(poison.stats.dead_lettered).toBeGreaterThanOrEqual(1);
    // The other consumers were not affected.
    await allApplied([order.id]);
    expect(smtp.mails.filter((m) => m.orderId === order.id)[0]!.raw).toContain(ticket);

    // A message that is not an event envelope goes to the dead-letter topic at once.
    const producer = services.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const key = `garbage-${randomUUID()}`;
    await producer.send({ topic: orderEventsTopic(config), messages: [{ key, value: 'not json' }] });
    await producer.disconnect();
    const garbage = await eventually(
      async () => dlq.messages.filter((m) => m.message.key?.toString() === key),
      (m) => m.length === 1,
    );
    expect(garbage[0]!.message.headers!['dlq-attempts']!.toString()).toBe('1');
    expect(garbage[0]!.message.headers!['dlq-error']!.toString()).toMatch(/MalformedEventError/);
  });

  it('retry a mail the SMTP server refused, and send it once it accepts', async () => {
    const retriesBefore = consumers.notifications.stats.retries;
    smtpRefusals = 2;
    const order = await bookings.propose({ route: uniqueRoute() });
    const ticket = await bookings.payAndFulfil(order);
    const mails = await eventually(
      async () => smtp.mails.filter((m) => m.orderId === order.id),
      (m) => m.length > 0,
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toContain(ticket);
    expect(smtpRefusals).toBe(0);
    expect(consumers.notifications.stats.retries - retriesBefore).toBeGreaterThanOrEqual(2);
    const [fulfilled] = await eventIdsOf([order.id], ['OrderFulfilled']);
    expect(await consumers.processed(consumers.notifications, [fulfilled!])).toBe(1);
  });

  it('mail the customer a late payment that was refunded (LatePaymentRefunded), with the amount', async () => {
    const order = await bookings.propose({ route: uniqueRoute(), total: 15_000 });
    await bookings.expire(order);
    // As services/late-payments.ts writes it once the provider has refunded the late charge.
    const money = { amount: 15_000, currency: 'USD' };
    await services.db.transaction((tx) =>
      appendEvents(tx, [
        {
          type: 'LatePaymentRefunded',
          aggregateId: order.id,
          occurredAt: new Date(),
          payload: {
            order_id: order.id,
            charge_id: 'ch_late_test',
            refund_id: 're_late_test',
            amount: money,
            charged: money,
            reason: 'the order was closed when the payment succeeded',
          },
        },
      ]),
    );
    const [notice] = await eventIdsOf([order.id], ['LatePaymentRefunded']);
    await eventually(
      () => consumers.processed(consumers.notifications, [notice!]),
      (n) => n === 1,
    );
    const mails = smtp.mails.filter((m) => m.orderId === order.id && m.raw.includes('late payment'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual([order.email]);
    expect(mails[0]!.raw).toMatch(/Subject: Your late payment for [A-Z0-9]{6} has been refunded/);
    expect(mails[0]!.raw).toContain('150.00 USD');
    expect(mails[0]!.raw.toLowerCase()).toContain(`x-altis-event-id: ${notice}`);
  });

  it('feed the ranker store through the offer kept in Redis (ranker-feed adapter)', async () => {
    const recorded: { id: string; outcome: string }[] = [];
    const feed = rankerStoreFeed({
      redis: services.redis,
      store: {
        recordOutcome: async (offer, outcome) => {
          recorded.push({ id: offer.id, outcome });
          return true;
        },
      },
      logger: silentLogger(),
    });
    const offer = {
      id: `off_${randomUUID()}`,
      expires_at: new Date(Date.now() + 60_000).toISOString(),
      bundle: { code: 'FLIGHT_ONLY', name: 'Flight Only' },
    } as Offer;
    await saveOffers(services.redis, [offer], 60);
    const handler = rankerFeedHandler({ feed });
    await services.db.transaction((tx) =>
      handler.handle(
        {
          id: randomUUID(),
          type: 'OfferAccepted',
          schema_version: 1,
          occurred_at: new Date().toISOString(),
          order_id: randomUUID(),
          payload: { offer_id: offer.id },
        },
        tx,
      ),
    );
    await feed.recordOutcome(`off_${randomUUID()}`, 'expired'); // gone from Redis: left to the ranker's sweep
    expect(recorded).toEqual([{ id: offer.id, outcome: 'accepted' }]);
  });

  it('serve GET /v1/admin/analytics to admins only', async () => {
    const app = createApp({ ...services, config, logger: silentLogger() });
    const get = async (token?: string, query = `?route=${route.join('-')}`) => {
      const res = await app.request(`/v1/admin/analytics${query}`, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    expect((await get()).status).toBe(401);
    const customer = await tokenFor(services, config, 'customer');
    const forbidden = await get(customer.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');

    const admin = await tokenFor(services, config, 'admin');
    const ok = await get(admin.token);
    expect(ok.status).toBe(200);
    expect(ok.body.routes).toEqual([
      {
        route: route.join('-'),
        currency: 'USD',
        offers_shown: 0,
        offers_accepted: 6,
        offers_rejected: 0,
        offers_expired: 0,
        orders_proposed: 6,
        orders_paid: 4,
        orders_expired: 2,
        orders_cancelled: 1,
        revenue: { amount: 114_500, currency: 'USD' },
        refunded: { amount: 20_000, currency: 'USD' },
        // After the sale: the one paid order cancelled is the route's one modified order of four sold.
        modifications: 1,
        orders_modified: 1,
        acceptance_rate: null, // accepted / shown, and no offer was shown
        conversion_rate: 0.6667,
        modification_rate: 0.25,
      },
    ]);
    // One row per day (two if the test ran across midnight UTC), adding up to the route's figures.
    expect(ok.body.days.length).toBeGreaterThanOrEqual(1);
    expect(ok.body.days.reduce((n: number, d: any) => n + d.orders_paid, 0)).toBe(4);
    expect((await get(admin.token, '?from=2026-02-30')).status).toBe(400);
    expect((await get(admin.token, '?from=2026-03-02&to=2026-03-01')).status).toBe(400);
  });

  it('mail the customer for each servicing event and report the modification rate per route', async () => {
    const route = uniqueRoute();
    const sold = await Promise.all([1, 2, 3, 4].map(() => bookings.propose({ route, total: 30_000 })));
    for (const o of sold) await bookings.payAndFulfil(o);
    const unpaid = await bookings.propose({ route, total: 30_000 });
    const [changed, serviced, cancelled] = sold as [FakeOrder, FakeOrder, FakeOrder, FakeOrder];

    await emit(changed, 'OrderChanged', { change_total_amount: money(4_200) });
    await emit(serviced, 'OrderServicesAdded', { total_amount: money(3_500) });
    await emit(serviced, 'SeatChanged', { amount: money(1_500) });
    await emit(serviced, 'SeatChanged', { amount: money(0) });
    await emit(cancelled, 'OrderCancelled', {
      reason: 'customer request',
      after_sale: true,
      refund_amount: money(25_000),
      penalty_amount: money(5_000),
    });
    // A cancel before payment is no modification after a sale.
    await emit(unpaid, 'OrderCancelled', { reason: 'customer request', after_sale: false, refund_amount: money(0) });
    const all = [...sold, unpaid];
    await servicingApplied(all.map((o) => o.id));
    const expectedTypes = new Map<string, string[]>([
      [changed.id, ['OrderChanged']],
      [serviced.id, ['OrderServicesAdded', 'SeatChanged', 'SeatChanged']],
      [cancelled.id, ['OrderCancelled']],
      [unpaid.id, ['OrderCancelled']],
    ]);
    const mailTypes = (o: FakeOrder) =>
      smtp.mails
        .filter((m) => m.orderId === o.id)
        .map((m) => /^X-Altis-Event-Type: (.*)$/m.exec(m.raw)?.[1]?.trim())
        .filter((t) => SERVICING.includes(t as (typeof SERVICING)[number]));
    await eventually(
      async () => [...expectedTypes].every(([id, types]) => mailTypes({ id } as FakeOrder).length === types.length),
      (ok) => ok,
      30_000,
    );
    for (const [id, types] of expectedTypes) expect(mailTypes({ id } as FakeOrder).sort()).toEqual([...types].sort());

    const mail = (o: FakeOrder, type: string) =>
      smtp.mails.find((m) => m.orderId === o.id && m.raw.includes(`X-Altis-Event-Type: ${type}`))!.raw;
    expect(mail(changed, 'OrderChanged')).toMatch(/Subject: Your booking [A-Z0-9]{6} has been changed/);
    expect(mail(changed, 'OrderChanged')).toContain('42.00 USD');
    expect(mail(serviced, 'OrderServicesAdded')).toMatch(/Subject: Extras added to your booking/);
    expect(mail(serviced, 'SeatChanged')).toMatch(/Subject: Your seat on booking [A-Z0-9]{6} has changed/);
    expect(mail(cancelled, 'OrderCancelled')).toContain('250.00 USD');
    expect(mail(cancelled, 'OrderCancelled')).toContain('50.00 USD');

    // Analytics: 4 sold, 3 of them modified (one twice more), the unpaid cancel not counted → 0.75.
    const admin = await tokenFor(services, config, 'admin');
    const app = createApp({ config, logger: silentLogger(), ...services });
    const res = await app.request(`/v1/admin/analytics?route=${route.join('-')}`, {
      headers: { Authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      routes: {
        route: string;
        orders_paid: number;
        modifications: number;
        orders_modified: number;
        modification_rate: number | null;
      }[];
      days: { modifications: number; orders_modified: number }[];
    };
    expect(report.routes).toHaveLength(1);
    expect(report.routes[0]).toMatchObject({
      route: route.join('-'),
      orders_paid: 4,
      modifications: 5,
      orders_modified: 3,
      modification_rate: 0.75,
    });
    expect(report.days.reduce((n, d) => n + d.orders_modified, 0)).toBe(3);
  });
});
