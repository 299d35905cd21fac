import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory, type Inventory } from '../../services/inventory';
// The index's key layout, to inspect Redis (and, in two tests, to stage a stale index): every write of the tests
// goes through the facade.
import { availKey, holdsKey, seatLockKey } from '../../services/inventory/keys';
import { seatChannel, type SeatEvent } from '../../services/seat-events';
import { createRedis, type Redis } from '../../lib/redis';
import { DomainError } from '../../domain/errors';
import type { Services } from '../../lib/services';
import { createTestFlight, deleteTestFlights, pgInventory, testRoute } from '../support/flights';
import { eventually } from '../support/harness';
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
  redis2 = createRedis(config.redis, { name: 'test-inventory-2' });
  inventory = createInventory({ db: services.db, sql: services.sql, redis: services.redis });
  inventory2 = createInventory({ db: services.db, sql: services.sql, redis: redis2 });
});

afterAll(async () => {
  await deleteTestFlights(services, flights);
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

/** The owner's hold rows in Postgres. */
async function holdsOf(ownerId: string) {
  return services.sql<{ flight_id: string; cabin: string; quantity: number; status: string }[]>`
    SELECT flight_id, cabin, quantity, status FROM inventory_holds WHERE order_id = ${ownerId} ORDER BY flight_id, cabin`;
}

/**
 * The invariant, in both stores: per cabin `capacity = available + held + sold`, the index shows Postgres'
 * figures, and it has one entry per HELD hold row.
 */
async function expectIndexAgreesWithPostgres(flightId: string) {
  const pg = await services.sql<{ cabin: string; capacity: number; held: number; sold: number }[]>`
    SELECT cabin, capacity, held, sold FROM flight_inventory WHERE flight_id = ${flightId}`;
  const index = await inventory.availability(flightId);
  expect(index.map((c) => c.cabin).sort()).toEqual(pg.map((r) => r.cabin).sort());
  for (const row of pg) {
    expect(row.held).toBeGreaterThanOrEqual(0);
    expect(row.capacity - row.held - row.sold).toBeGreaterThanOrEqual(0);
    const live = index.find((c) => c.cabin === row.cabin)!;
    expect(live).toEqual({ ...row, available: row.capacity - row.held - row.sold });
    expect(live.capacity).toBe(live.available + live.held + live.sold);
  }
  const [held] = await services.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM inventory_holds WHERE flight_id = ${flightId} AND status = 'HELD'`;
  expect(await services.redis.hlen(holdsKey(flightId))).toBe(held!.n);
}

/** Collects the seat events published on these flights' channels, on a connection of its own. */
async function listenToSeats(flightIds: string[]) {
  const sub = createRedis(config.redis, { name: 'test-inventory-seats' });
  const events: SeatEvent[] = [];
  sub.on('message', (_channel: string, message: string) => events.push(JSON.parse(message) as SeatEvent));
  await sub.subscribe(...flightIds.map(seatChannel));
  const seen = (type: SeatEvent['type']) =>
    events
      .filter((e) => e.type === type)
      .map((e) => `${e.flight_id}|${e.seat_number}`)
      .sort();
  return { events, seen, close: () => sub.quit() };
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
    await expectIndexAgreesWithPostgres(flightId);
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
    expect(await holdsOf(owner)).toEqual([]);
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
    expect(await holdsOf(owner)).toEqual([{ flight_id: flightId, cabin: 'ECONOMY', quantity: 2, status: 'RELEASED' }]);
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

  it('runs the caller’s writes in the hold’s transaction, and gives back exactly what it took when they fail', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    const items = [{ flightId, cabin: 'ECONOMY' as const, quantity: 1 }];
    const failing = inventory.hold(owner, items, async (tx) => {
      // inside: the hold rows are there; outside, nothing is committed yet
      const inside = await tx.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM inventory_holds WHERE order_id = ${owner}`,
      );
      expect(inside[0]!.n).toBe(1);
      expect(await holdsOf(owner)).toEqual([]);
      throw new Error('the order row could not be written');
    });
    await expect(failing).rejects.toThrow('could not be written');
    expect(await holdsOf(owner)).toEqual([]);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, available: 50 });
    expect(await economy(flightId)).toMatchObject({ held: 0, available: 50 });
    expect(await services.redis.hget(holdsKey(flightId), `${owner}:ECONOMY`)).toBeNull();

    // A failed retry of a hold that succeeded gives back nothing: the first call's seats stay held.
    await inventory.hold(owner, items);
    await expect(inventory.hold(owner, items, () => Promise.reject(new Error('the retry failed')))).rejects.toThrow(
      'retry failed',
    );
    expect(await economy(flightId)).toMatchObject({ held: 1, available: 49 });
    await expectIndexAgreesWithPostgres(flightId);
  });

  it('lets the caller refuse a release or a sale in its transaction, before anything changes', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    await inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
    expect(await inventory.lockSeat({ ownerId: owner, flightId, seatNumber: '7A', ttlMs: 60_000 })).toEqual({
      ok: true,
    });
    const refuse = () => Promise.reject(new Error('the order moved on'));
    await expect(inventory.release(owner, refuse)).rejects.toThrow('moved on');
    await expect(inventory.sell(owner, refuse)).rejects.toThrow('moved on');
    expect(await holdsOf(owner)).toEqual([{ flight_id: flightId, cabin: 'ECONOMY', quantity: 2, status: 'HELD' }]);
    expect(await economy(flightId)).toMatchObject({ held: 2, sold: 0, available: 48 });
    expect(await services.redis.get(seatLockKey(flightId, '7A'))).toBe(owner);
    await expectIndexAgreesWithPostgres(flightId);

    let wrote = false;
    expect(
      await inventory.sell(owner, async () => {
        wrote = true;
      }),
    ).toEqual([{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
    expect(wrote).toBe(true);
    await expectIndexAgreesWithPostgres(flightId);
  });

  it('publishes seat.held, seat.sold and seat.released for the seats it changes', async () => {
    const flightId = await newFlight();
    const seats = await listenToSeats([flightId]);
    try {
      const [buyer, quitter] = [randomUUID(), randomUUID()];
      await inventory.hold(buyer, [{ flightId, cabin: 'ECONOMY', quantity: 2 }]);
      await inventory.hold(quitter, [{ flightId, cabin: 'ECONOMY', quantity: 1 }]);
      const lock = (ownerId: string, seatNumber: string) =>
        inventory.lockSeat({ ownerId, flightId, seatNumber, ttlMs: 60_000 });
      expect([await lock(buyer, '8A'), await lock(buyer, '8B'), await lock(quitter, '8C')]).toEqual([
        { ok: true },
        { ok: true },
        { ok: true },
      ]);
      expect(await lock(buyer, '8A')).toEqual({ ok: true }); // a TTL refresh: no second seat.held
      await inventory.sell(buyer);
      await inventory.sell(buyer); // idempotent: nothing more to publish
      await inventory.release(quitter);
      await inventory.release(quitter);
      await eventually(
        async () => seats.events.length,
        (n) => n >= 6, // 3 held, 2 sold, 1 released: waiting for 5 raced the release (seen on a Redis Cluster)
        10_000,
      );
      expect(seats.seen('seat.held')).toEqual([`${flightId}|8A`, `${flightId}|8B`, `${flightId}|8C`]);
      expect(seats.seen('seat.sold')).toEqual([`${flightId}|8A`, `${flightId}|8B`]);
      expect(seats.seen('seat.released')).toEqual([`${flightId}|8C`]);

      // unlockSeat publishes when it freed a seat, not when there was nothing to free
      const other = randomUUID();
      await lock(other, '8D');
      expect(await inventory.unlockSeat({ ownerId: other, flightId, seatNumber: '8D' })).toBe(true);
      expect(await inventory.unlockSeat({ ownerId: other, flightId, seatNumber: '8D' })).toBe(false);
      await eventually(
        async () => seats.seen('seat.released').length,
        (n) => n >= 2,
        5_000,
      );
      await new Promise((r) => setTimeout(r, 100)); // room for a stray duplicate to arrive
      expect(seats.seen('seat.released')).toEqual([`${flightId}|8C`, `${flightId}|8D`]);
      expect(seats.seen('seat.held')).toEqual([`${flightId}|8A`, `${flightId}|8B`, `${flightId}|8C`, `${flightId}|8D`]);
      expect(seats.events).toHaveLength(8);
    } finally {
      await seats.close();
    }
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

    await inventory.dropIndex([a, b]);
    expect(await services.redis.exists(availKey(a))).toBe(0);
    expect(await inventory.availabilityMany([a, b])).toEqual(before); // lazily rebuilt
    expect((await services.redis.hkeys(holdsKey(a))).sort()).toEqual(holdsBefore.sort());

    await inventory.dropIndex([a]);
    expect(await inventory.rebuildIndex([a, b])).toBe(2);
    expect(await inventory.availabilityMany([a, b])).toEqual(before);

    // a release after the wipe still finds the owner's entry (rebuilt from Postgres) and gives the seats back
    await inventory.release(o1);
    expect((await inventory.availability(a)).find((c) => c.cabin === 'BUSINESS')).toMatchObject({ available: 8 });
    expect(await economy(b)).toMatchObject({ held: 5, available: 45 });
    await expectIndexAgreesWithPostgres(a);
    await expectIndexAgreesWithPostgres(b);
  });

  it('keeps a reservation Postgres does not know yet through a rebuild, and drops it once it is a leak', async () => {
    const flightId = await newFlight();
    const owner = randomUUID();
    const strict = createInventory({ db: services.db, sql: services.sql, redis: services.redis, pendingGraceMs: 0 });
    // The hold's transaction waits while the rebuilds run: its Redis reservation is in flight, Postgres has none.
    const pending = inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 2 }], async () => {
      await inventory.rebuildIndex([flightId]);
      expect(await economy(flightId)).toMatchObject({ held: 2, available: 48 }); // in flight: kept
      await new Promise((r) => setTimeout(r, 5));
      await strict.rebuildIndex([flightId]);
      expect(await economy(flightId)).toMatchObject({ held: 0, available: 50 }); // past the grace: a leak
      expect(await services.redis.hget(holdsKey(flightId), `${owner}:ECONOMY`)).toBeNull();
      throw new Error('the caller crashed');
    });
    await expect(pending).rejects.toThrow('crashed');
    await expectIndexAgreesWithPostgres(flightId);
    expect(await economy(flightId)).toMatchObject({ held: 0, available: 50 });
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

    await expectIndexAgreesWithPostgres(flightId);
  });

  it('agrees with Postgres when one owner’s retried holds, sale and release all race', async () => {
    const flightId = await newFlight('T2C');
    const owners = Array.from({ length: 40 }, () => randomUUID());
    const outcomes = await Promise.allSettled(
      owners.map(async (owner, n) => {
        const items = [{ flightId, cabin: n % 4 === 0 ? ('BUSINESS' as const) : ('ECONOMY' as const), quantity: 1 }];
        const held = await Promise.allSettled([inventory.hold(owner, items), inventory2.hold(owner, items)]);
        // a payment and an expiry arriving together: whichever Postgres takes first, the other adapts
        await Promise.allSettled([inventory.sell(owner), inventory2.release(owner)]);
        await Promise.all([inventory.release(owner), inventory2.release(owner)]);
        for (const h of held) if (h.status === 'rejected') throw h.reason;
      }),
    );
    const unexpected = outcomes.flatMap((o) =>
      o.status === 'rejected' && (o.reason as DomainError).code !== 'SOLD_OUT' ? [o.reason as unknown] : [],
    );
    expect(unexpected).toEqual([]);
    expect(await pgInventory(services.sql, flightId)).toMatchObject({ held: 0, sold: 0, available: 59 });
    await expectIndexAgreesWithPostgres(flightId);
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
    await expectIndexAgreesWithPostgres(flightId);
  });

  it('rebuilds every future flight in one go', async () => {
    const started = performance.now();
    const n = await inventory.rebuildIndex();
    expect(n).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('seat locks', () => {
  it('with a cabin, locks only a seat of that cabin and only while the owner holds it there', async () => {
    const flightId = await newFlight('T2C'); // business rows 1–2, economy rows 3–12
    const owner = randomUUID();
    await inventory.hold(owner, [{ flightId, cabin: 'ECONOMY', quantity: 1 }]);
    const lock = (seatNumber: string) =>
      inventory.lockSeat({ ownerId: owner, flightId, seatNumber, ttlMs: 60_000, cabin: 'ECONOMY' });
    expect(await lock('1A')).toEqual({ ok: false, reason: 'CABIN_MISMATCH', seatCabin: 'BUSINESS' });
    expect(await services.redis.get(seatLockKey(flightId, '1A'))).toBeNull();
    expect(await lock('3A')).toEqual({ ok: true });
    // A business lock for an owner that holds no business seats there: refused, the seat stays free.
    expect(
      await inventory.lockSeat({ ownerId: owner, flightId, seatNumber: '1C', ttlMs: 60_000, cabin: 'BUSINESS' }),
    ).toEqual({ ok: false, reason: 'NOT_HELD' });
    await inventory.release(owner);
    expect(await lock('3B')).toEqual({ ok: false, reason: 'NOT_HELD' });
    const seats = await services.sql`SELECT seat_number FROM seat_assignments WHERE flight_id = ${flightId}`;
    expect(seats).toHaveLength(0);
  });

  it('never lets one owner hold more than maxPerFlight seats, however its calls race', async () => {
    const flightIds = [await newFlight(), await newFlight()];
    const free = await services.sql<{ flight_id: string; seat_number: string }[]>`
      SELECT flight_id, seat_number FROM flight_seats
      WHERE flight_id = ANY(${flightIds}::uuid[]) AND NOT blocked ORDER BY flight_id, seat_number`;
    // 40 owners at once, each asking for two different seats on one flight at once (over two connections); five
    // rounds, each freeing the seats for the next
    const round = async () => {
      const owners = Array.from({ length: 40 }, (_, n) => {
        const flightId = flightIds[n % 2]!;
        const mine = free.filter((s) => s.flight_id === flightId).slice(n - (n % 2), n - (n % 2) + 2);
        return { ownerId: randomUUID(), flightId, seats: mine.map((s) => s.seat_number) };
      });
      const results = await Promise.all(
        owners.map((o) =>
          Promise.all(
            o.seats.map((seatNumber, k) =>
              (k ? inventory2 : inventory).lockSeat({ ...o, seatNumber, ttlMs: 60_000, maxPerFlight: 1 }),
            ),
          ),
        ),
      );
      for (const [n, pair] of results.entries()) {
        expect(
          pair.filter((r) => r.ok),
          `owner ${n}`,
        ).toHaveLength(1);
        expect(pair.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'LIMIT' }]);
      }
      const rows = await services.sql<{ order_id: string; n: number }[]>`
        SELECT order_id, count(*)::int AS n FROM seat_assignments
        WHERE flight_id = ANY(${flightIds}::uuid[]) GROUP BY order_id`;
      expect(rows).toHaveLength(40);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      // the refused seat's Redis lock was given back
      for (const [n, o] of owners.entries()) {
        const refused = o.seats[results[n]![0]!.ok ? 1 : 0]!;
        expect(await services.redis.get(seatLockKey(o.flightId, refused))).toBeNull();
      }
      return { owners, results };
    };
    for (let n = 0; n < 4; n++) {
      const { owners } = await round();
      await Promise.all(owners.map((o) => inventory.release(o.ownerId)));
    }
    const { owners, results } = await round();

    // re-locking the seat it has is a TTL refresh and does not count twice; after an unlock the other seat is free
    const o = owners[0]!;
    const [kept, other] = results[0]![0]!.ok ? [o.seats[0]!, o.seats[1]!] : [o.seats[1]!, o.seats[0]!];
    const lock = (seatNumber: string) => inventory.lockSeat({ ...o, seatNumber, ttlMs: 90_000, maxPerFlight: 1 });
    expect(await lock(kept)).toEqual({ ok: true });
    expect(await services.redis.pttl(seatLockKey(o.flightId, kept))).toBeGreaterThan(60_000);
    expect(await lock(other)).toEqual({ ok: false, reason: 'LIMIT' });
    expect(await inventory.unlockSeat({ ...o, seatNumber: kept })).toBe(true);
    expect(await lock(other)).toEqual({ ok: true });
    expect(await inventory.lockSeat({ ...o, seatNumber: kept, ttlMs: 60_000, maxPerFlight: 2 })).toEqual({ ok: true });
  });

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
