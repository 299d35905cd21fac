import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { airports } from '../../db/schema';
import type { Services } from '../../lib/services';
import { topicName } from '../../lib/kafka';
import { probeWorkflow } from '../../workflows';
import { createWorker } from '../../worker/worker';
import { openTestServices, silentLogger, testConfig, uniqueTaskQueue, workflowBundle } from '../support/services';

const config = testConfig();
let services: Services;

beforeAll(async () => {
  services = await openTestServices(config);
});
afterAll(async () => {
  await services.close();
});

describe('the real services', () => {
  it('round-trips a row through Drizzle on PostgreSQL', async () => {
    const code =
      'Z' +
      randomUUID()
        .replace(/[^A-Z]/gi, '')
        .slice(0, 2)
        .toUpperCase()
        .padEnd(2, 'Q');
    await services.db.delete(airports).where(eq(airports.code, code));
    await services.db
      .insert(airports)
      .values({ code, name: 'Test Field', city: 'Testville', country: 'ZZ', timeZone: 'UTC' });
    const [row] = await services.db.select().from(airports).where(eq(airports.code, code));
    expect(row).toEqual({ code, name: 'Test Field', city: 'Testville', country: 'ZZ', timeZone: 'UTC' });
    await services.db.delete(airports).where(eq(airports.code, code));
    expect(await services.db.select().from(airports).where(eq(airports.code, code))).toEqual([]);
  });

  it('round-trips a value through Redis', async () => {
    const key = `test:foundation:${randomUUID()}`;
    await services.redis.set(key, 'hello', 'PX', 10_000);
    expect(await services.redis.get(key)).toBe('hello');
    expect(await services.redis.pttl(key)).toBeGreaterThan(0);
    await services.redis.del(key);
    expect(await services.redis.get(key)).toBeNull();
  });

  it('executes a workflow on the Temporal server with a worker built like worker/ builds it', async () => {
    const taskQueue = uniqueTaskQueue('foundation');
    const { worker, connection } = await createWorker({
      deps: { config, logger: silentLogger(), db: services.db, sql: services.sql, redis: services.redis },
      taskQueue,
      workflowBundle: workflowBundle(),
    });
    const workflowId = `probe-${randomUUID()}`;
    const result = await worker.runUntil(
      services.temporal.workflow.execute(probeWorkflow, { taskQueue, workflowId, args: ['altis'] }),
    );
    await connection.close();
    expect(result).toBe('pong altis');
    const description = await services.temporal.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
  });

  it('produces to Kafka and consumes the same message back', async () => {
    const topic = topicName(config, `test-foundation-${randomUUID()}`);
    await services.kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = services.kafka.producer({ idempotent: true });
    const consumer = services.kafka.consumer({ groupId: `test-foundation-${randomUUID()}` });
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise<{ key: string; value: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            resolve({ key: message.key!.toString(), value: message.value!.toString() });
          },
        });
      });
      const body = JSON.stringify({ id: randomUUID(), type: 'FoundationChecked' });
      await producer.send({ topic, messages: [{ key: 'order-1', value: body }] });
      await expect(received).resolves.toEqual({ key: 'order-1', value: body });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await services.kafkaAdmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  });
});
