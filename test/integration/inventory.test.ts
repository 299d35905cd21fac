import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availKey, createInventory, holdsKey, seatLockKey, type Inventory } from '../../services/inventory';
import { createRedis, type Redis } from '../../lib/redis';
import { DomainError } from '../../domain/errors';
import type { Services } from '../../lib/services';
import { createTestFlight, deleteTestFlights, pgInventory, testRoute } from '../support/flights';
import { openTestServices, testConfig } from '../support/services';

const route = testRoute('inventory');

const config = testConfig();
let services: Services;
let redis2: Redis;
let inventory: Inventory;
/** The same inventory over a second Redis connection (and the same Postgres pool). */
let inventory2: Inventory;
const flights: string[] = [];

beforeAll(async () => {
  services = await openTestServices(config);
  redis2 = createRedis(config.redis.url, { name: 'test-inventory-2' });
  inventory = createInventory({ db: services.db, sql: services.sql, redis: services.redis });
  inventory2 = createInventory({ db: services.db, sql: services.sql, redis: redis2 });
});

afterAll(async () => {
  await deleteTestFlights(services.sql, services.redis, flights);
  redis2.disconnect();
  await services.close();
});

async function newFlight(aircraft: 'T50' | 'T2C' = 'T50') {
  const { id } = await createTestFlight(services, { route, aircraft });
  flights.push(id);
  return id;
}

async function economy(flightId: string) {
  return (await inventory.availability(flightId)).find((c) => c.cabin === 'ECONOMY')!;
}

async function expectRejection(p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe(code);
  return err as DomainError;
}

describe('holds under concurrency', () => {
  it('lets exactly 50 of 200 concurrent one-seat holds through on a 50-seat flight, over two Redis connections', async () => {
    const flightId = await newFlight();
    const owners = Array.from({ length: 200 }, () => randomUUID());
    const results = await Promise.allSettled(
      owners.map((owner, n) =>
        (n % 2 === 0 ? inventory : inventory2).hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 1 }]),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as DomainError] : []));
    expect(ok).toHaveLength(50);
    expect(failed).toHaveLength(150);
    expect(new Set(failed.map((e) => e.code))).toEqual(new Set(['SOLD_OUT']));
    expect(failed[0]!.details).toMatchObject({ flight_id: flightId, cabin: 'ECONOMY', requested: 1, available: 0 });

    const pg = await pgInventory(services.sql, flightId);
    expect(pg).toMatchObject({ capacity: 50, held: 50, sold: 0, available: 0 });
    expect(pg.capacity).toBe(pg.available + pg.held + pg.sold);
    const [count] = await services.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM inventory_holds WHERE flight_id = ${flightId} AND status = 'HELD'`;
    expect(count!.n).toBe(50);

    const index = await economy(flightId);
    expect(index).toEqual({ cabin: 'ECONOMY', capacity: 50, held: 50, sold: 0, available: 0 });
    expect(index.capacity).toBe(index.available + index.held + index.sold);
    expect(await services.redis.hlen(holdsKey(flightId))).toBe(50);
  });

  it('counts a hold retried five times at once only once', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    const items = [{ flightId, cabin: 'ECONOMY' as const, quantity: 2 }];
    await Promise.all(Array.from({ length: 5 }, (_, n) => (n % 2 ? inventory2 : inventory).hold(owner, items)));
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 2, available: 48 });
    expect(await economy(flightId)).toMatchObject({ held: 2, available: 48 });
    // and once more, later
    await inventory.hold(owner, items);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 2, available: 48 });
    expect(await economy(flightId)).toMatchObject({ held: 2, available: 48 });
  });

  it('leaves nothing held anywhere when one leg of a two-leg hold is full', async () => {
    const [open, full] = [await newFlight(), await newFlight()];
    await inventory.hold(randomUUID(), [{ flightId: full, cabin: 'ECONOMY', quantity: 50 }]);
    const owner = randomUUID();
    const err = await expectRejection(
      inventory.hold(owner, [
        { flightId: open, cabin: 'ECONOMY', quantity: 1 },
        { flightId: full, cabin: 'ECONOMY', quantity: 1 },
      ]),
      'SOLD_OUT',
    );
    expect(err.details).toMatchObject({ flight_id: full, available: 0 });
    expect(await pgInventory(services.sql, open)).toMatchObject({ held: 0, available: 50 });
    expect(await economy(open)).toMatchObject({ held: 0, available: 50 });
    expect(await services.redis.hget(holdsKey(open), `${owner}:ECONOMY`)).toBeNull();
    expect(await inventory.holdsOf(owner)).toEqual([]);
  });

  it('refuses a hold in Postgres when the Redis index was stale, and repairs the index', async () => {
    const flightId = await newFlight();
    expect(await economy(flightId)).toMatchObject({ available: 50 });
    // Another writer took 49 seats behind the index's back.
    await services.sql`UPDATE flight_inventory SET held = 49 WHERE flight_id = ${flightId} AND cabin = 'ECONOMY'`;
    expect(await economy(flightId)).toMatchObject({ available: 50 }); // stale
    await expectRejection(inventory.hold(randomUUID(), [{ flightId, cabin: 'ECONOMY', quantity: 2 }]), 'SOLD_OUT');
    expect(await economy(flightId)).toMatchObject({ available: 1, held: 49 }); // rebuilt from Postgres
    await services.sql`UPDATE flight_inventory SET held = 0 WHERE flight_id = ${flightId} AND cabin = 'ECONOMY'`;
  });

  it('lets Postgres decide when a stale index says sold out', async () => {
    const flightId = await newFlight();
    await inventory.availability(flightId);
    await services.redis.hset(availKey(flightId), 'ECONOMY', 0, 'ECONOMY:held', 50); // a lost release, say
    const owner = randomUUID();
    await inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 3 }]);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 3, available: 47 });
    expect(await economy(flightId)).toMatchObject({ held: 3, available: 47 });
  });

  it('rejects unknown flights and cabins the aircraft does not have', async () => {
    await expectRejection(
      inventory.hold(randomUUID(), [{ flightId: randomUUID(), cabin: 'ECONOMY', quantity: 1 }]),
      'NOT_FOUND',
    );
    const flightId = await newFlight();
    await expectRejection(
      inventory.hold(randomUUID(), [{ flightId, cabin: 'FIRST', quantity: 1 }]),
      'VALIDATION_FAILED',
    );
    await expectRejection(
      inventory.hold(randomUUID(), [{ flightId, cabin: 'ECONOMY', quantity: 0 }]),
      'VALIDATION_FAILED',
    );
  });
});

describe('release and sell', () => {
  it('releases idempotently: seats, seat assignments and seat locks come back', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    await inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
    expect(await inventory.lockSeat({ ownerId: owner, flightId, seatNumber: '3A', ttlMs: 60_000 })).toEqual({
      ok: true,
    });
    const first = await inventory.release(owner);
    expect(first.released).toEqual([{ flightId, cabin: 'ECONOMY', quantity: 2, was: 'HELD' }]);
    expect(first.seats).toEqual([{ flightId, seatNumber: '3A' }]);
    const second = await inventory.release(owner);
    expect(second).toEqual({ released: [], seats: [] });

    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, sold: 0, available: 50 });
    expect(await economy(flightId)).toEqual({ cabin: 'ECONOMY', capacity: 50, held: 0, sold: 0, available: 50 });
    expect(await inventory.holdsOf(owner)).toEqual([{ flightId, cabin: 'ECONOMY', quantity: 2, status: 'RELEASED' }]);
    expect(await services.redis.get(seatLockKey(flightId, '3A'))).toBeNull();
    const seats = await services.sql`SELECT 1 FROM seat_assignments WHERE order_id = ${owner}`;
    expect(seats).toHaveLength(0);
    // a released hold cannot be sold or held again under the same owner
    await expectRejection(inventory.sell(owner), 'HOLD_EXPIRED');
    await expectRejection(inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 2 }]), 'HOLD_EXPIRED');
    expect(await economy(flightId)).toMatchObject({ held: 0, available: 50 });
  });

  it('sells idempotently: held seats become sold in Postgres and in the index', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    await inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
    await inventory.lockSeat({ ownerId: owner, flightId, seatNumber: '4B', ttlMs: 60_000 });
    expect(await inventory.sell(owner)).toEqual([{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
    expect(await inventory.sell(owner)).toEqual([{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, sold: 2, available: 48 });
    expect(await economy(flightId)).toEqual({ cabin: 'ECONOMY', capacity: 50, held: 0, sold: 2, available: 48 });
    const [seat] = await services.sql<{ status: string }[]>`
      SELECT status FROM seat_assignments WHERE flight_id = ${flightId} AND seat_number = '4B'`;
    expect(seat!.status).toBe('SOLD');
    await expectRejection(inventory.sell(randomUUID()), 'INVALID_STATE');
  });

  it('gives sold seats back when a paid order is released (a cancellation after payment)', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    await inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 3 }]);
    await inventory.sell(owner);
    const { released } = await inventory.release(owner);
    expect(released).toEqual([{ flightId, cabin: 'ECONOMY', quantity: 3, was: 'SOLD' }]);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, sold: 0, available: 50 });
    expect(await economy(flightId)).toMatchObject({ held: 0, sold: 0, available: 50 });
  });

  it('composes: reserveIndex, then holdInTx with the caller’s own writes in one transaction, releaseIndex on failure', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    const items = [{ flightId, cabin: 'ECONOMY' as const, quantity: 1 }];
    await inventory.reserveIndex(owner, items);
    const failing = services.db.transaction(async (tx) => {
      await inventory.holdInTx(tx, owner, items);
      throw new Error('the order row could not be written');
    });
    await expect(failing).rejects.toThrow('could not be written');
    await inventory.releaseIndex(owner, items);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, available: 50 });
    expect(await economy(flightId)).toMatchObject({ held: 0, available: 50 });

    await inventory.reserveIndex(owner, items);
    await services.db.transaction((tx) => inventory.holdInTx(tx, owner, items));
    await services.db.transaction((tx) => inventory.sellInTx(tx, owner));
    await inventory.sellIndex(owner);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ sold: 1, available: 49 });
    expect(await economy(flightId)).toMatchObject({ held: 0, sold: 1, available: 49 });
  });
});

describe('the availability index', () => {
  it('is rebuilt from Postgres after its keys are wiped, with the same figures and hold entries', async () => {
    const [a, b] = [await newFlight('T2C'), await newFlight()];
    const [o1, o2, o3] = [randomUUID(), randomUUID(), randomUUID()];
    await inventory.hold(o1, [
      { flightId: a, cabin: 'ECONOMY', quantity: 4 },
      { flightId: a, cabin: 'BUSINESS', quantity: 1 },
      { flightId: b, cabin: 'ECONOMY', quantity: 2 },
    ]);
    await inventory.hold(o2, [{ flightId: a, cabin: 'ECONOMY', quantity: 3 }]);
    await inventory.sell(o2);
    await inventory.hold(o3, [{ flightId: b, cabin: 'ECONOMY', quantity: 5 }]);
    const before = await inventory.availabilityMany([a, b]);
    expect(before.get(a)).toEqual([
      { cabin: 'ECONOMY', capacity: 59, held: 4, sold: 3, available: 52 },
      { cabin: 'BUSINESS', capacity: 8, held: 1, sold: 0, available: 7 },
    ]);
    const holdsBefore = await services.redis.hkeys(holdsKey(a));

    await services.redis.del(availKey(a), holdsKey(a), availKey(b), holdsKey(b));
    expect(await services.redis.exists(availKey(a))).toBe(0);
    expect(await inventory.availabilityMany([a, b])).toEqual(before); // lazily rebuilt
    expect((await services.redis.hkeys(holdsKey(a))).sort()).toEqual(holdsBefore.sort());

    await services.redis.del(availKey(a), holdsKey(a));
    expect(await inventory.rebuildIndex([a, b])).toBe(2);
    expect(await inventory.availabilityMany([a, b])).toEqual(before);

    // a release after the wipe still finds the owner's entry (rebuilt from Postgres) and gives the seats back
    await inventory.release(o1);
    expect((await inventory.availability(a)).find((c) => c.cabin === 'BUSINESS')).toMatchObject({ available: 8 });
    expect(await economy(b)).toMatchObject({ held: 5, available: 45 });
  });

  it('keeps a reservation Postgres does not know yet through a rebuild, and drops it once it is a leak', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    await inventory.reserveIndex(owner, [{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
    await inventory.rebuildIndex([flightId]);
    expect(await economy(flightId)).toMatchObject({ held: 2, available: 48 }); // in flight: kept
    const strict = createInventory({ db: services.db, sql: services.sql, redis: services.redis, pendingGraceMs: 0 });
    await new Promise((r) => setTimeout(r, 5));
    await strict.rebuildIndex([flightId]);
    expect(await economy(flightId)).toMatchObject({ held: 0, available: 50 }); // past the grace: a leak
    expect(await services.redis.hget(holdsKey(flightId), `${owner}:ECONOMY`)).toBeNull();
  });

  it('agrees with Postgres after a storm of holds, sales and releases with rebuilds running through it', async () => {
    const flightId = await newFlight('T2C');
    let storming = true;
    const rebuilds = (async () => {
      let n = 0;
      while (storming) {
        await (n++ % 2 ? inventory : inventory2).rebuildIndex([flightId]);
        await new Promise((r) => setTimeout(r, 2));
      }
      return n;
    })();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 120 }, async (_, n) => {
        const inv = n % 2 ? inventory : inventory2;
        const owner = randomUUID();
        const cabin = n % 5 === 0 ? 'BUSINESS' : 'ECONOMY';
        await inv.hold(owner, [{ flightId, cabin, quantity: 1 + (n % 2) }]);
        if (n % 3 === 0) await inv.sell(owner);
        if (n % 4 === 0) await inv.release(owner);
      }),
    );
    storming = false;
    expect(await rebuilds).toBeGreaterThan(0);
    const unexpected = outcomes.flatMap((o) =>
      o.status === 'rejected' && (o.reason as DomainError).code !== 'SOLD_OUT' ? [o.reason as unknown] : [],
    );
    expect(unexpected).toEqual([]);

    const pg = await services.sql<{ cabin: string; capacity: number; held: number; sold: number }[]>`
      SELECT cabin, capacity, held, sold FROM flight_inventory WHERE flight_id = ${flightId} ORDER BY cabin`;
    const index = await inventory.availability(flightId);
    for (const row of pg) {
      const live = index.find((c) => c.cabin === row.cabin)!;
      expect(live).toEqual({ ...row, available: row.capacity - row.held - row.sold });
      expect(live.capacity).toBe(live.available + live.held + live.sold);
    }
    const [held] = await services.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM inventory_holds WHERE flight_id = ${flightId} AND status = 'HELD'`;
    expect(await services.redis.hlen(holdsKey(flightId))).toBe(held!.n);
  });

  it('does not bring back a release or sale that lands between a rebuild’s snapshot and its write', async () => {
    const flightId = await newFlight();
    const [released, sold] = [randomUUID(), randomUUID()];
    await inventory.hold(released, [{ flightId, cabin: 'ECONOMY', quantity: 4 }]);
    await inventory.hold(sold, [{ flightId, cabin: 'ECONOMY', quantity: 3 }]);
    let staged = false;
    const racing = createInventory({
      db: services.db,
      sql: services.sql,
      redis: redis2,
      afterSnapshot: async () => {
        if (staged) return;
        staged = true;
        await inventory.release(released);
        await inventory.sell(sold);
      },
    });
    await racing.rebuildIndex([flightId]);
    expect(staged).toBe(true);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, sold: 3, available: 47 });
    expect(await economy(flightId)).toEqual({ cabin: 'ECONOMY', capacity: 50, held: 0, sold: 3, available: 47 });
    expect(await services.redis.hlen(holdsKey(flightId))).toBe(0);
  });

  it('rebuilds every future flight in one go', async () => {
    const started = performance.now();
    const n = await inventory.rebuildIndex();
    expect(n).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('seat locks', () => {
  it('gives a seat to exactly one of two racing owners', async () => {
    const flightId = await newFlight();
    const [a, b] = [randomUUID(), randomUUID()];
    const results = await Promise.all([
      inventory.lockSeat({ ownerId: a, flightId, seatNumber: '5C', ttlMs: 60_000 }),
      inventory2.lockSeat({ ownerId: b, flightId, seatNumber: '5C', ttlMs: 60_000 }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'TAKEN' }]);
    const winner = results[0].ok ? a : b;
    const loser = winner === a ? b : a;
    const rows = await services.sql<{ order_id: string; status: string }[]>`
      SELECT order_id, status FROM seat_assignments WHERE flight_id = ${flightId} AND seat_number = '5C'`;
    expect(rows).toEqual([{ order_id: winner, status: 'HELD' }]);
    expect(await services.redis.get(seatLockKey(flightId, '5C'))).toBe(winner);

    // only the owner unlocks; the owner may re-lock (a TTL refresh)
    expect(await inventory.unlockSeat({ ownerId: loser, flightId, seatNumber: '5C' })).toBe(false);
    expect(await services.redis.get(seatLockKey(flightId, '5C'))).toBe(winner);
    expect(await inventory.lockSeat({ ownerId: winner, flightId, seatNumber: '5C', ttlMs: 90_000 })).toEqual({
      ok: true,
    });
    expect(await services.redis.pttl(seatLockKey(flightId, '5C'))).toBeGreaterThan(60_000);
    expect(await inventory.unlockSeat({ ownerId: winner, flightId, seatNumber: '5C' })).toBe(true);
    expect(await inventory.unlockSeat({ ownerId: winner, flightId, seatNumber: '5C' })).toBe(false);
    expect(await inventory.lockSeat({ ownerId: loser, flightId, seatNumber: '5C', ttlMs: 60_000 })).toEqual({
      ok: true,
    });
  });

  it('lets the Redis lock expire with its TTL while Postgres keeps the assignment', async () => {
    const flightId = await newFlight();
    const [a, b] = [randomUUID(), randomUUID()];
    expect(await inventory.lockSeat({ ownerId: a, flightId, seatNumber: '6D', ttlMs: 150 })).toEqual({ ok: true });
    expect(await services.redis.get(seatLockKey(flightId, '6D'))).toBe(a);
    await new Promise((r) => setTimeout(r, 400));
    expect(await services.redis.get(seatLockKey(flightId, '6D'))).toBeNull();
    // Redis lets b through; Postgres, which decides, says the seat is a's
    expect(await inventory.lockSeat({ ownerId: b, flightId, seatNumber: '6D', ttlMs: 60_000 })).toEqual({
      ok: false,
      reason: 'TAKEN',
    });
    expect(await services.redis.get(seatLockKey(flightId, '6D'))).toBeNull();
  });

  it('refuses blocked and unknown seats', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    const lock = (seatNumber: string) => inventory.lockSeat({ ownerId: owner, flightId, seatNumber, ttlMs: 60_000 });
    expect(await lock('9D')).toEqual({ ok: false, reason: 'BLOCKED' });
    expect(await lock('77A')).toEqual({ ok: false, reason: 'UNKNOWN_SEAT' });
    expect(await lock('1Z')).toEqual({ ok: false, reason: 'UNKNOWN_SEAT' });
    expect(await lock('nonsense')).toEqual({ ok: false, reason: 'UNKNOWN_SEAT' });
    expect(await services.redis.get(seatLockKey(flightId, '9D'))).toBeNull();
  });
});
