/**
 * The consumers process (`npm run consumers`) as a real process: its GET /metrics (Prometheus text: processed,
 * skipped, failed and dead-lettered per consumer, lag per partition) and GET /health, read over HTTP after events went
 * through it — a malformed message among them, dead-lettered by each consumer. Its own topic prefix, so its groups
 * and topics hold only this file's messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEventsTopic } from '../../lib/order-events';
import type { Services } from '../../lib/services';
import { toEnvelope } from '../../worker/outbox-relay';
import { createBookings, outboxRows, uniqueRoute } from '../support/events';
import { eventually, freePort } from '../support/harness';
import { openTestServices, testConfig } from '../support/services';

const prefix = `${process.env.APP_KAFKA__TOPIC_PREFIX ?? ''}ops-${randomUUID().slice(0, 8)}.`;
const env = { APP_KAFKA__TOPIC_PREFIX: prefix, APP_CONSUMERS__RETRY_BASE_MS: '20' };
const config = testConfig(env);
let services: Services;
let child: ChildProcess;
let base: string;
let output = '';

beforeAll(async () => {
  services = await openTestServices(config);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn('npx', ['tsx', 'consumers/main.ts'], {
    env: { ...process.env, ...env, APP_METRICS__CONSUMERS_PORT: String(port), APP_LOG__LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Altis consumers running')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`consumers exited with ${code}: ${output.slice(-2000)}`)));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  await services?.close();
});

/** The value of one series of the Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const has = Object.entries(labels).every(([k, v]) => inside.includes(`${k}="${v}"`));
    if (has) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
const metrics = async () => {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
};
const health = async () => {
  const res = await fetch(`${base}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('the consumers process', () => {
  it('GET /health: 200 once Postgres and Kafka answer and every consumer is in its group', async () => {
    const h = await eventually(health, (r) => r.status === 200, 60_000, 250);
    expect(h.status).toBe(200);
    expect(h.body).toEqual({
      status: 'ok',
      dependencies: { postgres: { status: 'up' }, kafka: { status: 'up' } },
      consumers: { notifications: 'running', analytics: 'running', 'ranker-feed': 'running' },
    });
  });

  it(
    'GET /metrics counts events processed and dead-lettered per consumer, and the lag per partition',
    { timeout: 150_000 },
    async () => {
      const before = await metrics();
      expect(sample(before, 'altis_consumer_processed_total', { consumer: 'analytics' }) ?? 0).toBe(0);

      // Two bookings proposed (OfferAccepted + OrderProposed each), their outbox rows published as the relay does
      // (only theirs: the relay would also publish whatever else this database left unpublished), and one message
      // that is not an event envelope.
      const bookings = createBookings(services.db, config);
      const route = uniqueRoute();
      const proposed = await Promise.all([1, 2].map(() => bookings.propose({ route, total: 10_000 })));
      const rows = await outboxRows(
        services.db,
        proposed.map((o) => o.id),
      );
      expect(rows.map((r) => r.type).sort()).toEqual([
        'OfferAccepted',
        'OfferAccepted',
        'OrderProposed',
        'OrderProposed',
      ]);
      const events = rows.map((r) =>
        toEnvelope({
          seq: Number(r.seq),
          id: r.id,
          aggregate_id: r.aggregateId,
          type: r.type,
          schema_version: r.schemaVersion,
          occurred_ms: new Date(r.occurredAt).getTime(),
          payload: r.payload as Record<string, unknown>,
        }),
      );
      const producer = services.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({
        topic: orderEventsTopic(config),
        acks: -1,
        messages: [
          ...events.map((e) => ({ key: e.order_id, value: JSON.stringify(e) })),
          { key: 'poison', value: 'not an envelope' },
        ],
      });
      await producer.disconnect();

      const text = await eventually(
        metrics,
        (t) =>
          sample(t, 'altis_consumer_processed_total', { consumer: 'analytics' }) === 4 &&
          sample(t, 'altis_consumer_processed_total', { consumer: 'ranker-feed' }) === 2 &&
          ['notifications', 'analytics', 'ranker-feed'].every(
            (c) => sample(t, 'altis_consumer_dead_lettered_total', { consumer: c }) === 1,
          ),
        60_000,
        250,
      );
      // analytics applies OfferAccepted and OrderProposed; the ranker feed OfferAccepted; notifications neither.
      expect(sample(text, 'altis_consumer_processed_total', { consumer: 'analytics' })).toBe(4);
      expect(sample(text, 'altis_consumer_processed_total', { consumer: 'ranker-feed' })).toBe(2);
      expect(sample(text, 'altis_consumer_processed_total', { consumer: 'notifications' }) ?? 0).toBe(0);
      expect(sample(text, 'altis_consumer_skipped_total', { consumer: 'notifications', reason: 'ignored' })).toBe(4);
      for (const consumer of ['notifications', 'analytics', 'ranker-feed']) {
        expect(sample(text, 'altis_consumer_dead_lettered_total', { consumer })).toBe(1);
        expect(sample(text, 'altis_consumer_failed_total', { consumer, reason: 'malformed' })).toBe(1);
      }

      // Every partition of the topic has a lag series per consumer, and all of it is consumed: 0 once committed.
      const lagged = await eventually(
        metrics,
        (t) =>
          Array.from({ length: config.outbox.topic_partitions }, (_, p) => p).every(
            (p) => sample(t, 'altis_consumer_lag', { consumer: 'analytics', partition: String(p) }) === 0,
          ),
        60_000,
        250,
      );
      for (const consumer of ['notifications', 'analytics', 'ranker-feed']) {
        for (let p = 0; p < config.outbox.topic_partitions; p++) {
          expect(
            sample(lagged, 'altis_consumer_lag', { consumer, topic: orderEventsTopic(config), partition: String(p) }),
            `${consumer} partition ${p}`,
          ).toBe(0);
        }
      }
      expect(lagged).toContain('process_resident_memory_bytes{service="consumers"}');
    },
  );

  it('answers 404 elsewhere, naming its endpoints', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('/metrics, /health');
  });
});
