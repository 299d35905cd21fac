/**
 * The consumers process's operator endpoints (metrics.consumers_port): GET /metrics in Prometheus text — per
 * consumer the events processed, skipped (duplicate, ignored type), failed handling attempts and dead-lettered
 * (counters), and its lag per partition of the order-events topic (read from Kafka at each scrape) — and GET /health
 * (Postgres reachable, Kafka reachable, every consumer in its group: 200, else 503).
 */
import { sql } from 'drizzle-orm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/client';
import type { Admin } from '../lib/kafka';

export interface ConsumerMetrics {
  processed: Counter<'consumer'>;
  skipped: Counter<'consumer' | 'reason'>;
  failed: Counter<'consumer' | 'reason'>;
  deadLettered: Counter<'consumer'>;
}

export interface LagSource {
  groupId: string;
  name: string;
  topic: string;
}

/** A consumer group's lag per partition: the partition's end offset minus the group's committed offset. */
export async function consumerLag(admin: Admin, c: LagSource): Promise<{ partition: number; lag: number }[]> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(c.topic),
    admin.fetchOffsets({ groupId: c.groupId, topics: [c.topic] }),
  ]);
  const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends.map((end) => {
    const offset = at.get(end.partition) ?? -1;
    // No commit yet: the group starts from the beginning, so all that the partition holds is behind.
    const from = offset >= 0 ? offset : Number(end.low);
    return { partition: end.partition, lag: Math.max(0, Number(end.high) - from) };
  });
}

export function createConsumerMetrics(
  registry: Registry,
  lag: { admin: Admin; consumers: () => LagSource[]; onError: (err: unknown) => void },
): ConsumerMetrics {
  new Gauge({
    name: 'altis_consumer_lag',
    help: 'Messages of the order-events topic not yet committed by the consumer group, per partition',
    labelNames: ['consumer', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        await lag.admin.connect(); // a no-op when connected; reconnects after a broker outage
        for (const c of lag.consumers()) {
          for (const { partition, lag: behind } of await consumerLag(lag.admin, c)) {
            this.set({ consumer: c.name, topic: c.topic, partition: String(partition) }, behind);
          }
        }
      } catch (err) {
        lag.onError(err); // the scrape still answers, without lag series (absent, not a wrong 0)
      }
    },
  });
  return {
    processed: new Counter({
      name: 'altis_consumer_processed_total',
      help: 'Events a consumer applied (its effect committed with its processed_events record)',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    skipped: new Counter({
      name: 'altis_consumer_skipped_total',
      help: 'Events a consumer committed without applying: reason duplicate (applied before) or ignored (a type it does not act on)',
      labelNames: ['consumer', 'reason'],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'altis_consumer_failed_total',
      help: 'Failed handling attempts: reason handler (retried, then dead-lettered), malformed (dead-lettered at once), postgres_unavailable (waited for)',
      labelNames: ['consumer', 'reason'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'altis_consumer_dead_lettered_total',
      help: 'Messages a consumer sent to its dead-letter topic (<prefix>order-events.dlq.<consumer>)',
      labelNames: ['consumer'],
      registers: [registry],
    }),
  };
}

/** GET /health of the consumers process: 200 when Postgres and Kafka answer and every consumer is in its group. */
export function consumersHealth(deps: {
  db: Database;
  admin: Admin;
  consumers: () => { name: string; running: () => boolean }[];
}) {
  const probe = async (fn: () => Promise<unknown>) => {
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2000 ms')), 2000).unref()),
      ]);
      return { status: 'up' as const };
    } catch (err) {
      return { status: 'down' as const, error: (err as Error).message };
    }
  };
  return async () => {
    const [postgres, kafka] = await Promise.all([
      probe(() => deps.db.execute(sql`select 1`)),
      probe(async () => {
        await deps.admin.connect();
        await deps.admin.describeCluster();
      }),
    ]);
    const consumers = Object.fromEntries(
      deps.consumers().map((c) => [c.name, c.running() ? ('running' as const) : ('not in its group' as const)]),
    );
    const ok =
      postgres.status === 'up' && kafka.status === 'up' && Object.values(consumers).every((s) => s === 'running');
    return {
      status: ok ? 200 : 503,
      body: { status: ok ? 'ok' : 'degraded', dependencies: { postgres, kafka }, consumers },
    };
  };
}
