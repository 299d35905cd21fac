/**
 * The outbox relay: publishes the rows of the `outbox` table to Kafka, `<prefix>order-events`, in seq order,
 * and marks them published once the broker has acknowledged them.
 *
 * - Ordering: one relay publishes at a time, always the oldest unpublished rows first (by seq); a batch that
 *   fails is retried as a whole, so no row is ever published ahead of an unpublished one. The key is the order
 *   id, so an order's events land on one partition in the order they were written (an order's state changes are
 *   serialized by its row lock, so seq order is commit order for one order). The producer is idempotent with one
 *   request in flight: a retried send neither duplicates nor reorders within a partition.
 * - Locking: each batch runs in one transaction that first takes `pg_try_advisory_xact_lock(RELAY_LOCK)`. A second
 *   relay (another worker) finds the lock taken and waits for its next poll; the lock goes with the transaction,
 *   so a relay that dies mid-batch hands over at once. (SKIP LOCKED would let two relays publish one order's
 *   events out of order.)
 * - Delivery is at least once: a crash between the broker's ack and the commit publishes the batch again on
 *   restart, which resumes from whatever is unpublished. Consumers deduplicate by event id (processed_events).
 * - Broker away: the batch's rows get attempts + 1 and last_error, the relay backs off (up to
 *   outbox.retry_max_ms) and retries the same rows with a fresh producer; nothing is dropped or skipped.
 */
import { Partitioners, type Message, type Producer } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import { OUTBOX_CHANNEL } from '../services/outbox';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import { ensureTopic, type Kafka } from '../lib/kafka';
import type { Logger } from '../lib/logger';
import { orderEventsTopic, type EventEnvelope } from '../lib/order-events';

/** The advisory lock key that makes one relay publish at a time (per database). */
export const RELAY_LOCK = 7_318_600_101;

export interface OutboxRelayDeps {
  db: Database;
  sql: Sql;
  kafka: Kafka;
  config: AppConfig;
  logger: Logger;
}

export interface OutboxLag {
  unpublished: number;
  /** Age of the oldest unpublished event (its occurred_at), 0 when everything is published. */
  oldest_unpublished_age_seconds: number;
}

export interface OutboxRelayStats {
  published: number;
  batches: number;
  failures: number;
  last_error: string | null;
  last_published_at: Date | null;
}

export interface OutboxRow {
  seq: number;
  id: string;
  aggregate_id: string;
  type: string;
  schema_version: number;
  occurred_ms: number; // epoch ms: drizzle's postgres.js client leaves timestamps as strings
  payload: Record<string, unknown>;
}

type BatchResult = { kind: 'published'; count: number } | { kind: 'busy' } | { kind: 'failed'; error: Error };

export function toEnvelope(row: OutboxRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type,
    schema_version: row.schema_version,
    occurred_at: new Date(row.occurred_ms).toISOString(),
    order_id: row.aggregate_id,
    payload: row.payload,
  };
}

const toMessage = (row: OutboxRow): Message => ({
  key: row.aggregate_id,
  value: JSON.stringify(toEnvelope(row)),
  headers: { type: row.type, id: row.id, schema_version: String(row.schema_version) },
});

export function createOutboxRelay(deps: OutboxRelayDeps) {
  const { sql, kafka, config, logger } = deps;
  const topic = orderEventsTopic(config);
  const { batch_size: batchSize, poll_interval_ms: pollMs, retry_max_ms: retryMaxMs } = config.outbox;
  const stats: OutboxRelayStats = { published: 0, batches: 0, failures: 0, last_error: null, last_published_at: null };

  let producer: Producer | null = null;
  let topicReady = false;
  let loop: Promise<void> | null = null;
  let stopping = false;
  let notified = false;
  let wake: (() => void) | null = null;
  let unlisten: (() => Promise<void>) | null = null;

  async function ensureOutboxTopic() {
    if (topicReady) return;
    await ensureTopic(kafka, topic, config.outbox.topic_partitions);
    topicReady = true;
  }

  async function ensureProducer(): Promise<Producer> {
    if (producer) return producer;
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Fail a send within seconds so that the relay records the outage and backs off itself (the default for an
      // idempotent producer retries forever, which would hang stop() during an outage).
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    await p.connect();
    producer = p;
    return p;
  }

  /** After a failed send the producer's sequence numbers may be off: start the next try with a new producer id. */
  async function dropProducer() {
    const p = producer;
    producer = null;
    if (p) await p.disconnect().catch(() => undefined);
  }

  /** One batch in one transaction: lock, read the oldest unpublished rows, send, mark (or record the failure). */
  async function publishBatch(): Promise<BatchResult> {
    return sql.begin(async (tx) => {
      const [lock] = await tx<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`;
      if (!lock?.locked) return { kind: 'busy' } as const;
      const rows = await tx<OutboxRow[]>`
        SELECT seq, id, aggregate_id, type, schema_version,
          (extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_ms, payload
        FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ${batchSize}`;
      if (rows.length === 0) return { kind: 'published', count: 0 } as const;
      const seqs = rows.map((r) => r.seq);
      try {
        await ensureOutboxTopic();
        const p = await ensureProducer();
        await p.send({ topic, acks: -1, messages: rows.map(toMessage) });
      } catch (err) {
        const error = err as Error;
        const message = `${error.name}: ${error.message}`.slice(0, 1000);
        await tx`UPDATE outbox SET attempts = attempts + 1, last_error = ${message} WHERE seq = ANY(${seqs}::int[])`;
        return { kind: 'failed', error } as const;
      }
      await tx`
        UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL
        WHERE seq = ANY(${seqs}::int[])`;
      return { kind: 'published', count: rows.length } as const;
    });
  }

  /** Resolves on a NOTIFY, on stop() or after `ms`. A NOTIFY that came while publishing resolves at once. */
  function idle(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (stopping || (wakeOnNotify && notified)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = () => {
        if (stopping || wakeOnNotify) done();
      };
    });
  }

  const backoff = (failures: number) => {
    const ms = Math.min(retryMaxMs, 250 * 2 ** Math.min(failures - 1, 16));
    return Math.round(ms * (0.8 + Math.random() * 0.4));
  };

  async function run() {
    let failures = 0;
    while (!stopping) {
      notified = false;
      let result: BatchResult;
      const started = performance.now();
      try {
        result = await publishBatch();
      } catch (err) {
        // Postgres itself failed (the transaction rolled back): nothing was marked, so retry the same rows.
        result = { kind: 'failed', error: err as Error };
      }
      if (result.kind === 'failed') {
        failures++;
        stats.failures++;
        stats.last_error = result.error.message;
        await dropProducer();
        const wait = backoff(failures);
        logger.warn({ err: result.error.message, failures, retry_in_ms: wait }, 'outbox relay: publish failed');
        await idle(wait, false);
        continue;
      }
      if (result.kind === 'busy') {
        await idle(pollMs, false); // another relay is publishing; take over if it goes away
        continue;
      }
      if (failures > 0 && result.count > 0) {
        logger.info({ failures }, 'outbox relay: publishing again');
        failures = 0;
      }
      if (result.count > 0) {
        logger.debug({ count: result.count, ms: Math.round(performance.now() - started) }, 'outbox batch published');
        stats.published += result.count;
        stats.batches++;
        stats.last_published_at = new Date();
      }
      if (result.count < batchSize) await idle(pollMs, true);
    }
  }

  async function lag(): Promise<OutboxLag> {
    const [row] = await sql<{ unpublished: number; age: number | null }[]>`
      SELECT count(*)::int AS unpublished, extract(epoch FROM now() - min(occurred_at))::float8 AS age
      FROM outbox WHERE published_at IS NULL`;
    return {
      unpublished: row?.unpublished ?? 0,
      oldest_unpublished_age_seconds: Math.max(0, Math.round((row?.age ?? 0) * 1000) / 1000),
    };
  }

  return {
    topic,
    stats,
    lag,
    /** Listens for NOTIFY altis_outbox and starts publishing (backlog first). Returns at once. */
    async start() {
      if (loop) return;
      stopping = false;
      try {
        const sub = await sql.listen(OUTBOX_CHANNEL, () => {
          notified = true;
          wake?.();
        });
        unlisten = () => sub.unlisten();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'outbox relay: LISTEN failed, polling only');
      }
      loop = run().catch((err: unknown) => logger.error({ err }, 'outbox relay stopped on an error'));
      logger.info({ topic }, 'outbox relay started');
    },
    /** Finishes the batch in hand (its rows are either marked or left for the next relay), then disconnects. */
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      loop = null;
      await unlisten?.().catch(() => undefined);
      unlisten = null;
      await dropProducer();
      logger.info({ published: stats.published }, 'outbox relay stopped');
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;

/** Gauges of the relay's lag on a prom-client registry (read when the registry is scraped). */
export function registerOutboxMetrics(relay: Pick<OutboxRelay, 'lag'>, registry: Registry): void {
  let cached: { at: number; lag: Promise<OutboxLag> } | null = null;
  const current = () => {
    if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), lag: relay.lag() };
    return cached.lag;
  };
  new Gauge({
    name: 'altis_outbox_unpublished_events',
    help: 'Outbox rows not yet acknowledged by Kafka',
    registers: [registry],
    async collect() {
      this.set((await current()).unpublished);
    },
  });
  new Gauge({
    name: 'altis_outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest outbox row not yet acknowledged by Kafka',
    registers: [registry],
    async collect() {
      this.set((await current()).oldest_unpublished_age_seconds);
    },
  });
}
