import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { appendEvents, type DomainEvent } from '../../services/outbox';
import { analyticsHandler } from '../../consumers/analytics';
import { notificationsHandler, createSmtpMailer, type Mailer } from '../../consumers/notifications';
import { rankerFeedHandler, type RankerFeed } from '../../consumers/ranker-feed';
import { createEventConsumer, type EventConsumer, type EventHandler } from '../../consumers/runner';
import type { AppConfig } from '../../config';
import type { Database } from '../../db/client';
import { analyticsDaily, orders, outbox, processedEvents, travelers } from '../../db/schema';
import { createPiiCipher } from '../../lib/pii';
import { orderEventsTopic, parseEnvelope, type EventEnvelope } from '../../lib/order-events';
import { startSmtpSink, type SmtpSink } from '../../scripts/smtp-sink';
import type { Services } from '../../lib/services';
import { createOutboxRelay } from '../../worker/outbox-relay';
import { ALL_TEST_ROUTES } from './flights';
import { silentLogger } from './services';

/**
 * Bookings written the way the order activities write them (the order row and its events in one transaction,
 * one transaction per step), without a workflow: enough to drive the relay and the consumers quickly.
 */
export interface FakeOrder {
  id: string;
  offerId: string;
  route: string;
  total: number;
  currency: string;
  email: string;
  travelerId: string;
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const fileRoutes = new Set<string>(ALL_TEST_ROUTES.flatMap((r) => [r.origin, r.destination]));
/**
 * A route of airports no other test uses (Q + two random letters each, never a test file's own route), so the
 * analytics rows of a test's fake bookings are its own.
 */
export function uniqueRoute(): [string, string] {
  const code = (): string => {
    const c = `Q${letters[Math.floor(Math.random() * 26)]}${letters[Math.floor(Math.random() * 26)]}`;
    return fileRoutes.has(c) ? code() : c;
  };
  const origin = code();
  let destination = code();
  while (destination === origin) destination = code();
  return [origin, destination];
}

const ev = (type: string, orderId: string, payload: Record<string, unknown> = {}): DomainEvent => ({
  type,
  aggregateId: orderId,
  occurredAt: new Date(),
  payload: { order_id: orderId, ...payload },
});

export function createBookings(db: Database, config: AppConfig) {
  const pii = createPiiCipher(config.pii);
  const at = () => new Date();

  async function step(order: FakeOrder, status: (typeof orders.$inferSelect)['status'], events: DomainEvent[]) {
    await db.transaction(async (tx) => {
      await tx.update(orders).set({ status, updatedAt: at() }).where(eq(orders.id, order.id));
      await appendEvents(tx, events);
    });
  }

  return {
    /** OfferAccepted + OrderProposed with the order row (PROPOSED), its contact and one traveler. */
    async propose(opts: { route: [string, string]; total?: number; email?: string; id?: string }): Promise<FakeOrder> {
      const id = opts.id ?? randomUUID();
      const order: FakeOrder = {
        id,
        offerId: `off_${randomUUID()}`,
        route: opts.route.join('-'),
        total: opts.total ?? 25_000,
        currency: 'USD',
        email: opts.email ?? `pax-${id.slice(0, 8)}@example.com`,
        travelerId: '',
      };
      const departureAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
      await db.transaction(async (tx) => {
        await tx.insert(orders).values({
          id,
          offerId: order.offerId,
          customerId: randomUUID(),
          source: 'OFFER',
          status: 'PROPOSED',
          currency: order.currency,
          totalAmount: order.total,
          expiresAt: new Date(Date.now() + 1800_000),
          contact: pii.encrypt(JSON.stringify({ email: order.email, phone: '+44 20 7946 0000' })),
          offer: {
            segments: [
              {
                flightId: randomUUID(),
                cabin: 'ECONOMY',
                carrier: 'ZZ',
                flightNumber: 'ZZ123',
                origin: opts.route[0],
                destination: opts.route[1],
                departureAt,
                arrivalAt: departureAt,
              },
            ],
          },
        });
        const [pax] = await tx
          .insert(travelers)
          .values({
            orderId: id,
            position: 0,
            ptc: 'ADT',
            firstName: pii.encrypt('Ada'),
            lastName: pii.encrypt('Lovelace'),
          })
          .returning({ id: travelers.id });
        order.travelerId = pax!.id;
        await appendEvents(tx, [
          ev('OfferAccepted', id, { offer_id: order.offerId }),
          ev('OrderProposed', id, {
            offer_id: order.offerId,
            total: { amount: order.total, currency: order.currency },
            segments: [{ flight_id: randomUUID(), cabin: 'ECONOMY' }],
            travelers: [{ ref: 'ADT1', ptc: 'ADT' }],
          }),
        ]);
      });
      return order;
    },
    /** PaymentStarted, OrderPaid, OrderFulfilled (one ticket), each in its own transaction. Returns the ticket. */
    async payAndFulfil(order: FakeOrder): Promise<string> {
      const amount = { amount: order.total, currency: order.currency };
      await step(order, 'PAYMENT_PENDING', [ev('PaymentStarted', order.id, { attempt: 1, amount })]);
      await step(order, 'PAID', [ev('OrderPaid', order.id, { attempt: 1, charge_id: `ch_${order.id.slice(0, 8)}` })]);
      const ticket = `157${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;
      await step(order, 'FULFILLED', [
        ev('OrderFulfilled', order.id, {
          tickets: [{ number: ticket, traveler_id: order.travelerId, flight_ids: [randomUUID()] }],
          emds: [],
        }),
      ]);
      return ticket;
    },
    async expire(order: FakeOrder) {
      await step(order, 'EXPIRED', [ev('OrderExpired', order.id)]);
    },
    /** OrderCancelled and RefundIssued (the whole total), as a cancellation after payment writes them. */
    async cancelWithRefund(order: FakeOrder) {
      await step(order, 'CANCELLED', [
        ev('OrderCancelled', order.id, { reason: 'customer request' }),
        ev('RefundIssued', order.id, {
          refund_id: `re_${order.id.slice(0, 8)}`,
          charge_id: `ch_${order.id.slice(0, 8)}`,
          amount: { amount: order.total, currency: order.currency },
        }),
      ]);
    },
  };
}

export async function outboxRows(db: Database, orderIds: string[]) {
  if (orderIds.length === 0) return [];
  return db.select().from(outbox).where(inArray(outbox.aggregateId, orderIds)).orderBy(outbox.seq);
}

/** The end offset of each partition of a topic (where a group seeking to the end would start). */
export async function topicEnds(admin: Admin, topic: string): Promise<Map<number, string>> {
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  return new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high]));
}

/** Commits a new group's offsets at the end of the topic, so that it reads only what is published from now on. */
export async function seekGroupToEnd(admin: Admin, groupId: string, topic: string): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const ends = await retryWhileRetriable(() => admin.fetchTopicOffsets(topic));
  await retryWhileRetriable(() =>
    admin.setOffsets({ groupId, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) }),
  );
}

/**
 * Retries what a broker refuses for a moment (a retriable KafkaJS error such as "not the leader for that
 * topic-partition" just after a topic is made, while its leaders settle), for up to 10 s.
 */
async function retryWhileRetriable<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 50 || !(err as { retriable?: boolean }).retriable) throw err;
      await sleep(200);
    }
  }
}

/**
 * The outbox relay and an analytics consumer of the test's own (its group starting at the topic's end): the
 * figures of GET /v1/admin/analytics follow what the test books.
 */
export async function startAnalyticsPipeline(services: Services, config: AppConfig) {
  const logger = silentLogger();
  const relay = createOutboxRelay({ ...services, config, logger });
  await relay.start();
  const analytics = createEventConsumer(
    { kafka: services.kafka, db: services.db, config, logger },
    analyticsHandler({ name: `analytics-${randomUUID().slice(0, 8)}` }),
  );
  await seekGroupToEnd(services.kafkaAdmin, analytics.groupId, orderEventsTopic(config));
  analytics.start();
  await analytics.joined();
  return {
    async stop() {
      await analytics.stop();
      await relay.stop();
    },
  };
}

/**
 * A consumer of a topic from now on (or from `from`, offsets by partition), keeping every message (test assertions
 * read them).
 */
export async function recordTopic(kafka: Kafka, admin: Admin, topic: string, from?: Map<number, string>) {
  const groupId = `test-recorder-${randomUUID()}`;
  if (from) {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...from].map(([partition, offset]) => ({ partition, offset })),
    });
  } else {
    await seekGroupToEnd(admin, groupId, topic);
  }
  const consumer: Consumer = kafka.consumer({ groupId });
  const messages: { partition: number; message: KafkaMessage; event: EventEnvelope | null }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      let event: EventEnvelope | null = null;
      try {
        event = parseEnvelope(message.value);
      } catch {
        // kept as a raw message
      }
      messages.push({ partition, message, event });
    },
  });
  return {
    messages,
    /**
     * The events of these orders in the order they were consumed, each once (at its first delivery: a relay
     * killed between the broker's ack and its commit, e.g. by another test file, publishes a batch again).
     */
    eventsOf(orderIds: Iterable<string>) {
      const ids = new Set(orderIds);
      const seen = new Set<string>();
      return messages.flatMap((m) => {
        if (!m.event || !ids.has(m.event.order_id) || seen.has(m.event.id)) return [];
        seen.add(m.event.id);
        return [{ ...m.event, partition: m.partition }];
      });
    },
    stop: () => consumer.disconnect(),
  };
}

/** An in-process SMTP server (the same as scripts/smtp-sink.ts) keeping each mail with its event id header. */
export async function startTestSmtp(opts: { reject?: () => string | null } = {}) {
  const mails: { to: string[]; raw: string; eventId: string | null; orderId: string | null }[] = [];
  const header = (raw: string, name: string) =>
    new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim() ?? null;
  const sink: SmtpSink = await startSmtpSink({
    port: 0,
    reject: opts.reject,
    onMail: ({ envelope, raw }) => {
      const text = raw.toString('utf8');
      mails.push({
        to: envelope.rcptTo.map((r) => r.address),
        raw: text,
        eventId: header(text, 'X-Altis-Event-Id'),
        orderId: header(text, 'X-Altis-Order-Id'),
      });
    },
  });
  return { ...sink, mails };
}

export class RecordingRankerFeed implements RankerFeed {
  readonly calls: { offerId: string; outcome: 'accepted' | 'expired' }[] = [];
  async recordOutcome(offerId: string, outcome: 'accepted' | 'expired') {
    this.calls.push({ offerId, outcome });
  }
}

/**
 * The three consumers of consumers/main.ts under names of the test's own (own groups, processed_events rows and
 * dead-letter topics), starting at the end of the topic.
 */
export async function startTestConsumers(p: {
  kafka: Kafka;
  admin: Admin;
  db: Database;
  config: AppConfig;
  feed?: RankerFeed;
  mailer?: Mailer;
  extra?: EventHandler[];
}) {
  const suffix = randomUUID().slice(0, 8);
  const logger = silentLogger();
  const mailer = p.mailer ?? createSmtpMailer(p.config);
  const feed = p.feed ?? new RecordingRankerFeed();
  const handlers = [
    notificationsHandler({
      config: p.config,
      logger,
      pii: createPiiCipher(p.config.pii),
      mailer,
      name: `notifications-${suffix}`,
    }),
    analyticsHandler({ name: `analytics-${suffix}` }),
    rankerFeedHandler({ feed, name: `ranker-feed-${suffix}` }),
    ...(p.extra ?? []),
  ];
  const topic = orderEventsTopic(p.config);
  const consumers: EventConsumer[] = handlers.map((h) =>
    createEventConsumer({ kafka: p.kafka, db: p.db, config: p.config, logger }, h),
  );
  await Promise.all(consumers.map((c) => seekGroupToEnd(p.admin, c.groupId, topic)));
  for (const c of consumers) c.start();
  await Promise.all(consumers.map((c) => c.joined()));
  const [notifications, analytics, rankerFeed, ...others] = consumers as [
    EventConsumer,
    EventConsumer,
    EventConsumer,
    ...EventConsumer[],
  ];
  return {
    notifications,
    analytics,
    rankerFeed,
    others,
    all: consumers,
    feed,
    /** processed_events rows of one consumer for these events. */
    async processed(consumer: EventConsumer, eventIds: string[]) {
      if (eventIds.length === 0) return 0;
      const [row] = await p.db
        .select({ n: sql<number>`count(*)::int` })
        .from(processedEvents)
        .where(and(eq(processedEvents.consumer, consumer.name), inArray(processedEvents.eventId, eventIds)));
      return row?.n ?? 0;
    },
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
      if (!p.mailer) mailer.close();
      for (const c of consumers) await p.admin.deleteTopics({ topics: [c.dlqTopic] }).catch(() => undefined);
      await p.db
        .delete(processedEvents)
        .where(
          inArray(
            processedEvents.consumer,
            consumers.map((c) => c.name),
          ),
        )
        .catch(() => undefined);
    },
  };
}

export async function analyticsFor(db: Database, route: string) {
  const rows = await db.select().from(analyticsDaily).where(eq(analyticsDaily.route, route));
  const sum = (k: keyof (typeof rows)[number]) => rows.reduce((n, r) => n + Number(r[k]), 0);
  return {
    offersShown: sum('offersShown'),
    offersAccepted: sum('offersAccepted'),
    offersRejected: sum('offersRejected'),
    offersExpired: sum('offersExpired'),
    ordersProposed: sum('ordersProposed'),
    ordersPaid: sum('ordersPaid'),
    ordersExpired: sum('ordersExpired'),
    ordersCancelled: sum('ordersCancelled'),
    revenueAmount: sum('revenueAmount'),
    refundedAmount: sum('refundedAmount'),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
