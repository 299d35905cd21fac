/**
 * One consumer of the order events: its own consumer group, exactly-once effects by event id, retries with
 * backoff and a dead-letter topic.
 *
 * - Deduplication: the handler runs in a Postgres transaction that first inserts (consumer, event_id) into
 *   processed_events; a duplicate (a re-delivery, a relay that published a batch twice) finds the row and is
 *   skipped. The effect and the record commit together, so a crash in between applies the event on redelivery.
 *   Effects outside Postgres (a mail, a call) happen inside that transaction, before the commit: at least once
 *   if the commit itself fails after them, otherwise once.
 * - Failures: a handler that throws is retried max_attempts times with doubling backoff; then the message goes
 *   to `<prefix>order-events.dlq.<consumer>` (original key, value and headers, plus dlq-* headers with the
 *   error) and its offset is committed, so the partition moves on. A message that is not an event envelope goes
 *   there at once. Postgres being unreachable is not the message's fault: it is retried until Postgres returns.
 * - The group resumes from its committed offsets; a consumer that crashes (broker away) is rebuilt and rejoins.
 */
import { eq, sql } from 'drizzle-orm';
import {
  Partitioners,
  type Consumer,
  type EachMessagePayload,
  type IHeaders,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import type { AppConfig } from '../config';
import type { Database, Tx } from '../db/client';
import { orders, processedEvents } from '../db/schema';
import { ensureTopic, type Kafka } from '../lib/kafka';
import type { Logger } from '../lib/logger';
import type { ConsumerMetrics } from './metrics';
import {
  deadLetterTopic,
  MalformedEventError,
  orderEventsTopic,
  parseEnvelope,
  type EventEnvelope,
} from '../lib/order-events';

export interface EventHandler {
  /** The consumer's name: its group (`<prefix><name>`), its processed_events key and its dead-letter topic. */
  name: string;
  /** The event types it acts on; other events are committed and not recorded. */
  types: readonly string[];
  /** Applies one event inside the transaction that records it as processed: a throw rolls both back. */
  handle(event: EventEnvelope, tx: Tx): Promise<void>;
}

export interface EventConsumerDeps {
  kafka: Kafka;
  db: Database;
  config: AppConfig;
  logger: Logger;
  /** Counts each outcome (consumers/metrics.ts: the process's Prometheus counters). */
  metrics?: ConsumerMetrics;
}

export interface EventConsumerOptions {
  /** Where a new group starts: the topic's beginning (default) or its end. */
  fromBeginning?: boolean;
}

export interface EventConsumerStats {
  applied: number;
  duplicates: number;
  ignored: number;
  retries: number;
  dead_lettered: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Error text fit for logs and headers: e-mail addresses masked (SMTP errors may quote the recipient). */
/** The order an event is about, as the consumers read it; its absence is an error (the event is retried). */
export async function orderOfEvent(tx: Tx, event: Pick<EventEnvelope, 'order_id'>) {
  const [order] = await tx
    .select({
      offerId: orders.offerId,
      contact: orders.contact,
      currency: orders.currency,
      totalAmount: orders.totalAmount,
      offer: orders.offer,
    })
    .from(orders)
    .where(eq(orders.id, event.order_id));
  if (!order) throw new Error(`order ${event.order_id} is not in the orders table`);
  return order;
}

export function describeError(err: unknown): string {
  const e = err as Error;
  const text = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  return text.replace(/([^\s<>"'@:]{1})[^\s<>"'@:]*@([^\s<>"']+)/g, '$1***@$2').slice(0, 1000);
}

export function createEventConsumer(deps: EventConsumerDeps, handler: EventHandler, opts: EventConsumerOptions = {}) {
  const { kafka, db, config } = deps;
  const logger = deps.logger.child({ consumer: handler.name });
  const topic = orderEventsTopic(config);
  const dlqTopic = deadLetterTopic(config, handler.name);
  const groupId = `${config.kafka.topic_prefix}${handler.name}`;
  const { max_attempts: maxAttempts, retry_base_ms: retryBaseMs, session_timeout_ms: sessionMs } = config.consumers;
  const types = new Set(handler.types);
  const stats: EventConsumerStats = { applied: 0, duplicates: 0, ignored: 0, retries: 0, dead_lettered: 0 };
  const labels = { consumer: handler.name };
  const count = deps.metrics ?? null;

  let consumer: Consumer | null = null;
  let inGroup = false;
  let dlqProducer: Producer | null = null;
  let dlqTopicReady = false;
  let stopping = false;
  let supervisor: Promise<void> | null = null;
  let onStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (onStop = resolve));
  let joinedOnce: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (joinedOnce = resolve));

  const databaseReachable = () =>
    db.execute(sql`SELECT 1`).then(
      () => true,
      () => false,
    );

  /** Records the event and applies it, in one transaction. Returns false for a duplicate. */
  async function applyOnce(event: EventEnvelope): Promise<boolean> {
    return db.transaction(async (tx) => {
      const fresh = await tx
        .insert(processedEvents)
        .values({ consumer: handler.name, eventId: event.id })
        .onConflictDoNothing()
        .returning({ eventId: processedEvents.eventId });
      if (fresh.length === 0) return false;
      await handler.handle(event, tx);
      return true;
    });
  }

  async function ensureDlq(): Promise<Producer> {
    if (!dlqTopicReady) {
      await ensureTopic(kafka, dlqTopic, 1);
      dlqTopicReady = true;
    }
    if (!dlqProducer) {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 5 },
      });
      await p.connect();
      dlqProducer = p;
    }
    return dlqProducer;
  }

  async function deadLetter(
    source: { topic: string; partition: number; message: KafkaMessage },
    err: unknown,
    attempts: number,
    event: EventEnvelope | null,
  ) {
    const error = describeError(err);
    try {
      const p = await ensureDlq();
      const headers: IHeaders = {
        ...source.message.headers,
        'dlq-consumer': handler.name,
        'dlq-error': error,
        'dlq-attempts': String(attempts),
        'dlq-source-topic': source.topic,
        'dlq-source-partition': String(source.partition),
        'dlq-source-offset': source.message.offset,
        'dlq-failed-at': new Date().toISOString(),
      };
      await p.send({
        topic: dlqTopic,
        acks: -1,
        messages: [{ key: source.message.key, value: source.message.value, headers }],
      });
    } catch (sendErr) {
      const p = dlqProducer;
      dlqProducer = null;
      await p?.disconnect().catch(() => undefined);
      throw sendErr; // not committed: the message comes back after the consumer restarts
    }
    stats.dead_lettered++;
    count?.deadLettered.inc(labels);
    logger.error(
      { event_id: event?.id, type: event?.type, order_id: event?.order_id, err: error, attempts, dlq: dlqTopic },
      'event sent to the dead-letter topic',
    );
  }

  async function eachMessage(payload: EachMessagePayload) {
    const { topic: from, partition, message } = payload;
    const source = { topic: from, partition, message };
    let event: EventEnvelope;
    try {
      event = parseEnvelope(message.value);
    } catch (err) {
      if (err instanceof MalformedEventError) {
        count?.failed.inc({ ...labels, reason: 'malformed' });
        return deadLetter(source, err, 1, null);
      }
      throw err;
    }
    if (!types.has(event.type)) {
      stats.ignored++;
      count?.skipped.inc({ ...labels, reason: 'ignored' });
      return;
    }
    let failures = 0;
    for (;;) {
      try {
        if (await applyOnce(event)) {
          stats.applied++;
          count?.processed.inc(labels);
        } else {
          stats.duplicates++;
          count?.skipped.inc({ ...labels, reason: 'duplicate' });
        }
        return;
      } catch (err) {
        if (stopping) throw err; // not committed: handled again after a restart
        // Postgres being away is not the message's fault: wait for it without counting towards the DLQ.
        const dbDown = !(await databaseReachable());
        count?.failed.inc({ ...labels, reason: dbDown ? 'postgres_unavailable' : 'handler' });
        if (!dbDown) failures++;
        if (failures >= maxAttempts) return deadLetter(source, err, failures, event);
        stats.retries++;
        // Capped well inside the session timeout: the member heartbeats between tries.
        const wait = Math.min(sessionMs / 2, retryBaseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 10));
        logger.warn(
          { event_id: event.id, type: event.type, failures, err: describeError(err), retry_in_ms: wait },
          dbDown ? 'postgres unavailable, waiting' : 'event handling failed, retrying',
        );
        await Promise.race([sleep(wait), stopped]);
        if (stopping) throw err;
        await payload.heartbeat().catch(() => undefined);
      }
    }
  }

  /** Runs the group member; rebuilds it when kafkajs gives up on it (e.g. the broker was away too long). */
  async function supervise() {
    let failures = 0;
    while (!stopping) {
      let crashed: Promise<unknown> = new Promise(() => undefined);
      try {
        await ensureTopic(kafka, topic, config.outbox.topic_partitions);
        const c = kafka.consumer({
          groupId,
          allowAutoTopicCreation: false,
          sessionTimeout: sessionMs,
          heartbeatInterval: Math.min(3000, Math.floor(sessionMs / 3)),
          retry: { retries: 8 },
        });
        consumer = c;
        crashed = new Promise((resolve) => {
          c.on(c.events.CRASH, (e) => {
            if (!e.payload.restart) resolve(e.payload.error);
          });
        });
        c.on(c.events.GROUP_JOIN, () => {
          inGroup = true;
          joinedOnce();
        });
        await c.connect();
        await c.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
        await c.run({ partitionsConsumedConcurrently: config.outbox.topic_partitions, eachMessage });
        logger.info({ group: groupId, topic }, 'consumer running');
        failures = 0;
        const error = await Promise.race([crashed, stopped]);
        if (stopping) break;
        logger.warn({ err: describeError(error) }, 'consumer crashed, restarting');
      } catch (err) {
        if (stopping) break;
        failures++;
        logger.warn({ err: describeError(err), failures }, 'consumer could not start, retrying');
      }
      const c = consumer;
      consumer = null;
      inGroup = false;
      await c?.disconnect().catch(() => undefined);
      await Promise.race([sleep(Math.min(10_000, 500 * 2 ** Math.min(failures, 5))), stopped]);
    }
    const c = consumer;
    consumer = null;
    await c?.disconnect().catch(() => undefined);
  }

  return {
    name: handler.name,
    groupId,
    topic,
    dlqTopic,
    stats,
    /** Whether the member is in its group now (false while it restarts after a crash, or before it first joined). */
    running: () => consumer !== null && inGroup,
    /** Resolves once the member first joined its group (it has partitions and will fetch). */
    joined: () => joined,
    /** Starts consuming in the background; returns at once. */
    start() {
      if (supervisor) return;
      stopping = false;
      supervisor = supervise();
    },
    /** Lets the message in hand finish (or leaves it uncommitted), leaves the group and disconnects. */
    async stop() {
      stopping = true;
      onStop();
      await supervisor;
      supervisor = null;
      await dlqProducer?.disconnect().catch(() => undefined);
      dlqProducer = null;
    },
  };
}

export type EventConsumer = ReturnType<typeof createEventConsumer>;
