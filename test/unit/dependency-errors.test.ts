import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { Hono } from 'hono';
import { sql as drizzleSql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../api/deps';
import { handleError } from '../../api/errors';
import { createDb } from '../../db/client';
import { createRedis } from '../../lib/redis';

// The fault matrix saw 500 INTERNAL answers while Postgres restarted (the idempotency middleware's insert failed
// with the driver's connection error). A database out of reach is an outage: 503 with Retry-After, like the others.
describe('an answer while the database is out of reach', () => {
  // Nothing listens on port 1: the real drivers fail to connect (ECONNREFUSED), as during a restart.
  const pg = createDb('postgres://altis:altis@127.0.0.1:1/altis', { max: 1 });
  const redis = createRedis('redis://127.0.0.1:1/0', { name: 'dependency-errors-test' });
  redis.on('error', () => undefined);
  afterAll(async () => {
    redis.disconnect();
    await pg.close();
  });

  it('is a retryable 503 DEPENDENCY_UNAVAILABLE with Retry-After, not a 500', async () => {
    const app = new Hono<AppEnv>();
    app.use(async (c, next) => {
      c.set('requestId', 'req-1');
      await next();
    });
    app.get('/read', async (c) => c.json(await pg.db.execute(drizzleSql`SELECT 1`)));
    app.onError(handleError);
    const res = await app.request('/read');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({
      error: {
        code: 'DEPENDENCY_UNAVAILABLE',
        message: 'a service Altis depends on is unavailable; try again shortly',
        request_id: 'req-1',
      },
    });
  });

  it('is a 503 too when Redis is away (ioredis gives up after its retries)', async () => {
    const app = new Hono<AppEnv>();
    app.get('/read', async (c) => c.json({ value: await redis.get('some-key') }));
    app.onError(handleError);
    const res = await app.request('/read');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  // The bench's 500-accept storm saw 60 × 500 INTERNAL: update-with-start calls Temporal could not answer in time.
  it('is a 503 when Temporal is too busy to answer in time (the update RPC deadline), not a 500', async () => {
    const app = new Hono<AppEnv>();
    app.get('/accept', () => {
      const deadline = Object.assign(new Error('4 DEADLINE_EXCEEDED: context deadline exceeded'), {
        code: 4,
        details: 'context deadline exceeded',
        metadata: {},
      });
      throw new WorkflowUpdateRPCTimeoutOrCancelledError('context deadline exceeded', { cause: deadline });
    });
    app.get('/grpc', () => {
      throw Object.assign(new Error('14 UNAVAILABLE: no connection'), { code: 14, details: '', metadata: {} });
    });
    app.onError(handleError);
    for (const path of ['/accept', '/grpc']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toBe('1');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DEPENDENCY_UNAVAILABLE');
    }
  });

  it('leaves other failures a 500', async () => {
    const app = new Hono<AppEnv>();
    app.get('/boom', () => {
      throw Object.assign(new Error('a bug'), { code: '42P01' }); // undefined_table: ours, not an outage
    });
    app.onError(handleError);
    expect((await app.request('/boom')).status).toBe(500);
  });
});
