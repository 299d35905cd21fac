/**
 * Customers in Postgres: guests, user accounts (email + argon2 hash, hashed by the caller), the guests an account
 * claimed, and which customer ids' orders a caller owns (cached in Redis). The API's auth routes and ownership
 * checks read and write customers through here.
 */
import { and, eq, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '../db/client';
import { customers, orders } from '../db/schema';

export type CustomerRecord = typeof customers.$inferSelect;

export interface CustomerDeps {
  db: Database;
  redis: Redis;
}

const OWNER_CACHE_SECONDS = 60;
const ownerCacheKey = (customerId: string) => `auth:owners:${customerId}`;

/**
 * The customer ids whose orders the caller owns: the account itself and every guest it claimed. A claimed
 * guest's token resolves to its account, so it sees the same orders. The first id is the owner (the account
 * for a claimed guest): new orders should be created under it. Cached in Redis for 60 s; `claimGuest` clears it.
 */
export async function ownerIds(deps: CustomerDeps, customer: { id: string }): Promise<string[]> {
  const cacheKey = ownerCacheKey(customer.id);
  const cached = await deps.redis.get(cacheKey);
  if (cached) return JSON.parse(cached) as string[];

  const [self] = await deps.db
    .select({ id: customers.id, claimedById: customers.claimedById })
    .from(customers)
    .where(eq(customers.id, customer.id));
  const owner = self?.claimedById ?? customer.id;
  const claimed = await deps.db
    .select({ id: customers.id })
    .from(customers)
    .where(or(eq(customers.id, owner), eq(customers.claimedById, owner)));
  const ids = [owner, ...claimed.map((r) => r.id).filter((id) => id !== owner)];
  await deps.redis.set(cacheKey, JSON.stringify(ids), 'EX', OWNER_CACHE_SECONDS);
  return ids;
}

/**
 * A user account claims a guest: the guest is marked as claimed and its orders move to the account, in one
 * transaction. A guest that is already claimed (by this or another account) is left alone. Returns the ids of
 * the orders moved when the guest was claimed now (their workflows' CustomerId search attribute is the caller's
 * to move), null when it was not.
 */
export async function claimGuest(
  deps: CustomerDeps,
  userId: string,
  guestId: string,
): Promise<{ orderIds: string[] } | null> {
  const claimed = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .update(customers)
      .set({ claimedById: userId })
      .where(sql`${customers.id} = ${guestId} and ${customers.kind} = 'GUEST' and ${customers.claimedById} is null`)
      .returning({ id: customers.id });
    if (rows.length === 0) return null;
    const moved = await tx
      .update(orders)
      .set({ customerId: userId, updatedAt: sql`now()` })
      .where(eq(orders.customerId, guestId))
      .returning({ id: orders.id });
    return { orderIds: moved.map((o) => o.id) };
  });
  if (claimed) await deps.redis.del(ownerCacheKey(guestId), ownerCacheKey(userId));
  return claimed;
}

/**
 * Deletes the guests created before `before` that own no order (a guest is free: one per visit, most never book)
 * and that no account claimed; returns how many. A guest whose token could still be valid is never old enough:
 * housekeeping.guest_retention_hours is at least the guest token's lifetime (config/index.ts checks it).
 */
export async function purgeIdleGuests(db: Database, before: Date): Promise<number> {
  const rows = await db
    .delete(customers)
    .where(
      and(
        eq(customers.kind, 'GUEST'),
        isNull(customers.claimedById),
        lt(customers.createdAt, before),
        notExists(
          db
            .select({ one: sql`1` })
            .from(orders)
            .where(eq(orders.customerId, customers.id)),
        ),
      ),
    )
    .returning({ id: customers.id });
  return rows.length;
}

export function createCustomers(deps: CustomerDeps) {
  const { db } = deps;
  return {
    async createGuest(): Promise<CustomerRecord> {
      const [guest] = await db.insert(customers).values({ kind: 'GUEST' }).returning();
      return guest!;
    },
    /** A user account; null when the (lower-cased) email has one already. */
    async createUser(email: string, passwordHash: string): Promise<CustomerRecord | null> {
      const [user] = await db
        .insert(customers)
        .values({ kind: 'USER', email, passwordHash })
        .onConflictDoNothing({ target: customers.email })
        .returning();
      return user ?? null;
    },
    async findByEmail(email: string): Promise<CustomerRecord | undefined> {
      const [row] = await db.select().from(customers).where(eq(customers.email, email));
      return row;
    },
    async findById(id: string): Promise<CustomerRecord | undefined> {
      const [row] = await db.select().from(customers).where(eq(customers.id, id));
      return row;
    },
    ownerIds: (customer: { id: string }) => ownerIds(deps, customer),
    claimGuest: (userId: string, guestId: string) => claimGuest(deps, userId, guestId),
  };
}

export type Customers = ReturnType<typeof createCustomers>;
