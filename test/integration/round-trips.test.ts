import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/client';
import { createRedis, type Redis } from '../../lib/redis';
import { countingPgSocket, countRedisRoundTrips, roundTrips } from '../../lib/round-trips';
import { testConfig } from '../support/services';

/** The bench's round-trip counts (lib/round-trips.ts): one per socket write, on the real servers. */
const config = testConfig();
let pg: DbHandle;
let redis: Redis;

beforeAll(async () => {
  pg = createDb(config.database.url, { max: 1, socket: countingPgSocket });
  redis = createRedis(config.redis.url, { name: 'test-round-trips' });
  countRedisRoundTrips(redis);
  await Promise.all([pg.sql`SELECT 1`, redis.ping()]); // connected: the handshakes are behind us
});

afterAll(async () => {
  redis.disconnect();
  await pg.close();
});

const delta = async (fn: () => Promise<unknown>) => {
  const before = roundTrips();
  await fn();
  const after = roundTrips();
  return { redis: after.redis - before.redis, postgres: after.postgres - before.postgres };
};

describe('round trips', () => {
  it('counts a Redis command, a pipeline and a MULTI as one each', async () => {
    expect(await delta(() => redis.get('round-trips:a'))).toEqual({ redis: 1, postgres: 0 });
    expect(await delta(() => redis.pipeline().get('round-trips:a').get('round-trips:b').exec())).toEqual({
      redis: 1,
      postgres: 0,
    });
    expect(await delta(() => redis.multi().incr('round-trips:c').del('round-trips:c').exec())).toEqual({
      redis: 1,
      postgres: 0,
    });
    expect(await delta(async () => (await redis.get('round-trips:a'), await redis.get('round-trips:b')))).toEqual({
      redis: 2,
      postgres: 0,
    });
  });

  it('counts a Postgres query as one, and queries sent together on a connection as one', async () => {
    expect(await delta(() => pg.sql`SELECT 2`)).toEqual({ redis: 0, postgres: 1 });
    expect(await delta(() => Promise.all([pg.sql`SELECT 3`, pg.sql`SELECT 4`]))).toEqual({ redis: 0, postgres: 1 });
    expect(await delta(async () => (await pg.sql`SELECT 5`, await pg.sql`SELECT 6`))).toEqual({
      redis: 0,
      postgres: 2,
    });
  });
});
