import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishSeatEvents, type SeatEvent } from '../../services/seat-events';
import { SeatStreamHub } from '../../api/seat-stream';
import { createRedis, type Redis } from '../../lib/redis';
import { testConfig } from '../support/services';
import { eventually } from '../support/harness';

let redis: Redis;
const config = testConfig();

beforeAll(() => {
  redis = createRedis(config.redis, { name: 'seat-stream-test' });
});
afterAll(async () => {
  await redis.quit();
});

/** Connections with a subscription, on the server (on every master of a Redis Cluster). */
async function subscriberCount() {
  const nodes = redis.isCluster ? (redis as unknown as { nodes(role: 'master'): Redis[] }).nodes('master') : [redis];
  const lists = await Promise.all(nodes.map(async (node) => String(await node.call('CLIENT', 'LIST'))));
  return lists
    .flatMap((list) => list.split('\n'))
    .filter((line: string) => line.includes('sub=') && !line.includes(' sub=0 ')).length;
}

describe('SeatStreamHub', () => {
  it('fans a flight’s events out to its listeners only, and leaves no subscription behind', async () => {
    const hub = new SeatStreamHub(redis);
    const [f1, f2] = [randomUUID(), randomUUID()];
    const baseline = await subscriberCount();
    const a: SeatEvent[] = [];
    const b: SeatEvent[] = [];
    const c: SeatEvent[] = [];
    const stopA = await hub.listen(f1, (e) => a.push(e));
    const stopB = await hub.listen(f1, (e) => b.push(e));
    const stopC = await hub.listen(f2, (e) => c.push(e));
    expect(hub.activeChannels).toBe(2);
    expect(await subscriberCount()).toBe(baseline + 1); // one connection for all flights

    await publishSeatEvents(redis, 'seat.held', [{ flightId: f1, seatNumber: '12C' }]);
    await eventually(
      async () => a.length + b.length,
      (n) => n === 2,
      5_000,
    );
    expect(a.map((e) => [e.type, e.flight_id, e.seat_number])).toEqual([['seat.held', f1, '12C']]);
    expect(b).toHaveLength(1);
    expect(c).toHaveLength(0);

    await stopA();
    await stopA(); // idempotent
    await publishSeatEvents(redis, 'seat.released', [{ flightId: f1, seatNumber: '12C' }]);
    await eventually(
      async () => b.length,
      (n) => n === 2,
      5_000,
    );
    expect(a).toHaveLength(1);

    await stopB();
    expect(hub.activeChannels).toBe(1);
    await stopC();
    expect(hub.activeChannels).toBe(0);
    expect(hub.connected).toBe(false);
    expect(await eventually(subscriberCount, (n) => n === baseline, 5_000)).toBe(baseline);
  });
});
