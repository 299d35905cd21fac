/**
 * The open-hold bounds (services/hold-limits.ts) against the real Redis and Postgres: a burst of concurrent holds
 * gets exactly the bound through; a hold stops counting when it expires (its seats with it) or when its order has
 * closed (looked up only once a request is over a bound); and a client with thousands of open holds costs a
 * reserve what a client with one does — found by the bench, where every accept from one address read back every
 * open hold of that address (and asked Postgres about each), so accepts slowed and the API's memory grew with the
 * number of open orders.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers, orders } from '../../db/schema';
import type { Services } from '../../lib/services';
import { createHoldLimits } from '../../services/hold-limits';
import { openTestServices, testConfig } from '../support/services';

const config = testConfig();
let services: Services;

beforeAll(async () => {
  services = await openTestServices(config);
});
afterAll(async () => {
  await services?.close();
});

const limitsOf = (max: { holds: number; seats: number }) =>
  createHoldLimits({
    db: services.db,
    redis: services.redis,
    config: {
      holds: {
        max_open_per_customer: max.holds,
        max_seats_per_customer: max.seats,
        max_open_per_ip: max.holds,
        max_seats_per_ip: max.seats,
      },
    },
  });
// The address is only a key here: one of its own per test, so that no other test file's commands are counted.
const client = () => ({ ownerId: randomUUID(), ip: `test-${randomUUID()}` });
const request = (who: { ownerId: string; ip: string }, seats = 1, ms = 600_000) => ({
  ...who,
  orderId: randomUUID(),
  seats,
  expiresAtMs: Date.now() + ms,
});
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: Error & { code?: string }) => err.code ?? err.message,
  );

describe('open-hold bounds', () => {
  it('let exactly the bound through a burst of concurrent holds, and tell the rest when the soonest ends', async () => {
    const limits = limitsOf({ holds: 5, seats: 100 });
    const who = client();
    const answers = await Promise.all(Array.from({ length: 40 }, () => outcome(limits.reserve(request(who)))));
    expect(answers.filter((a) => a === 'ok')).toHaveLength(5);
    expect(answers.filter((a) => a === 'TOO_MANY_HOLDS')).toHaveLength(35);
    await expect(limits.reserve(request(who))).rejects.toMatchObject({
      code: 'TOO_MANY_HOLDS',
      details: { open_holds: 5, held_seats: 5, retry_after_seconds: expect.any(Number) },
    });
  });

  it('bound the seats too, and give an expired hold’s seats back with it', async () => {
    const limits = limitsOf({ holds: 10, seats: 4 });
    const who = client();
    await limits.reserve(request(who, 3, 300));
    await expect(limits.reserve(request(who, 2))).rejects.toMatchObject({
      code: 'TOO_MANY_HOLDS',
      details: { held_seats: 3, seats_requested: 2 },
    });
    await new Promise((r) => setTimeout(r, 400)); // the first hold has expired
    await limits.reserve(request(who, 4));
    await expect(limits.reserve(request(who, 1))).rejects.toMatchObject({ details: { open_holds: 1, held_seats: 4 } });
  });

  it('count a repeated request once, and uncount a hold that was not made', async () => {
    const limits = limitsOf({ holds: 2, seats: 10 });
    const who = client();
    const first = request(who, 2);
    await limits.reserve(first);
    await limits.reserve(first); // the same offer accepted again
    const second = await limits.reserve(request(who, 2));
    await second.release(); // its hold was not made after all
    await limits.reserve(request(who, 2));
    await expect(limits.reserve(request(who, 1))).rejects.toMatchObject({ details: { open_holds: 2, held_seats: 4 } });
  });

  it('free the place of an order that has closed, once a request is over the bound', async () => {
    const limits = limitsOf({ holds: 2, seats: 10 });
    const who = client();
    const a = request(who, 3);
    await limits.reserve(a);
    await limits.reserve(request(who, 1));
    await expect(limits.reserve(request(who))).rejects.toMatchObject({ code: 'TOO_MANY_HOLDS' });
    // The first order is paid: Postgres no longer records it as open.
    await services.db.insert(customers).values({ id: who.ownerId, kind: 'GUEST' });
    await services.db.insert(orders).values({
      id: a.orderId,
      customerId: who.ownerId,
      source: 'OFFER',
      status: 'FULFILLED',
      currency: 'USD',
      totalAmount: 100,
      expiresAt: new Date(a.expiresAtMs),
    });
    await limits.reserve(request(who, 9)); // its three seats are free again as well: 1 + 9 ≤ 10
    await expect(limits.reserve(request(who))).rejects.toMatchObject({ details: { open_holds: 2, held_seats: 10 } });
  });

  it('cost a client with thousands of open holds what a client with one costs: no read of every hold per request', async () => {
    const limits = limitsOf({ holds: 1_000_000, seats: 1_000_000 });
    const who = client();
    for (let i = 0; i < 50; i++) {
      await Promise.all(Array.from({ length: 100 }, () => limits.reserve(request(who))));
    }
    // What one more reserve sends Redis: watched on a second connection with MONITOR.
    const monitor = await services.redis.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      const line = args.join(' ');
      if (line.includes(who.ownerId) || line.includes(who.ip)) commands.push(line); // this client's keys only
    });
    await limits.reserve(request(who));
    await new Promise((r) => setTimeout(r, 200));
    monitor.disconnect();
    const reads = commands.filter((c) => /^(zrange|hgetall|hkeys|hvals|smembers)\b/i.test(c));
    const script = commands.filter((c) => /^(evalsha|eval)\b/i.test(c));
    expect(script.length).toBeGreaterThan(0);
    // Inside the script only the expired entries are ranged over (ZRANGEBYSCORE -inf now): none here.
    expect(reads.filter((c) => !/^zrangebyscore/i.test(c))).toEqual([]);
    const inside = commands.filter((c) => /^zrangebyscore/i.test(c));
    expect(inside.length).toBeGreaterThan(0);
  });
});
