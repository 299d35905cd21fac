/**
 * Customers in Postgres: guests, user accounts (email + argon2 hash, hashed by the caller), the guests an account
 * claimed, and which customer ids' orders a caller owns (cached in Redis). The API's auth routes and ownership
 * checks read and write customers through here.
 */
import argon2 from 'argon2';
import { and, eq, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/client';
import { customers, orders } from '../db/schema';

export type CustomerRecord = typeof customers.$inferSelect;

export interface CustomerDeps {
  db: Database;
  redis: Redis;
}

/** What a token is checked against on every request: the customer's kind, role and current token version. */
export interface TokenState {
  kind: CustomerRecord['kind'];
  role: CustomerRecord['role'];
  tokenVersion: number;
}

export type Role = CustomerRecord['role'];

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

/**
 * The token state of each customer, looked up once per `cacheMs` per process (lru-cache): the request path stays one
 * in-memory read, and a revoked token is refused within `cacheMs`. 0 looks it up for every request.
 */
function tokenStates(db: Database, cacheMs: number) {
  const load = async (id: string): Promise<TokenState | undefined> => {
    const [row] = await db
      .select({ kind: customers.kind, role: customers.role, tokenVersion: customers.tokenVersion })
      .from(customers)
      .where(eq(customers.id, id));
    return row;
  };
  if (cacheMs === 0) return load;
  // A missing customer is cached too (as null), so a flood of tokens for one unknown id costs one query per TTL.
  const cache = new LRUCache<string, TokenState | { missing: true }>({
    max: 50_000,
    ttl: cacheMs,
    fetchMethod: async (id) => (await load(id)) ?? { missing: true },
  });
  return async (id: string): Promise<TokenState | undefined> => {
    const state = await cache.fetch(id);
    return state === undefined || 'missing' in state ? undefined : state;
  };
}

// OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane): about 30 ms a hash on this machine.
export const PASSWORD_HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const hashPassword = (password: string) => argon2.hash(password, PASSWORD_HASH_OPTIONS);

/**
 * A user account with this role, created (with the password hash) or promoted (its password kept unless a hash is
 * given). A role change bumps the token version (trigger, migration 0012), which revokes the account's earlier
 * tokens. `npm run admin:create` makes the first admin or agent with it.
 */
export async function upsertUserWithRole(
  db: Database,
  email: string,
  role: Role,
  passwordHash: string | null,
): Promise<{ record: CustomerRecord; created: boolean }> {
  const [created] = await db
    .insert(customers)
    .values({ kind: 'USER', email, role, passwordHash })
    .onConflictDoNothing({ target: customers.email })
    .returning();
  if (created) return { record: created, created: true };
  const [updated] = await db
    .update(customers)
    .set({ role, ...(passwordHash === null ? {} : { passwordHash }) })
    .where(eq(customers.email, email))
    .returning();
  return { record: updated!, created: false };
}

export function createCustomers(deps: CustomerDeps & { tokenCacheMs?: number }) {
  const { db } = deps;
  const tokenState = tokenStates(db, deps.tokenCacheMs ?? 0);
  return {
    /** The customer's kind, role and token version (cached up to `auth.customer_cache_ms`); undefined if none. */
    tokenState,
    /** Revokes every token of the customer issued so far (sign-out): their `ver` is no longer current. */
    async revokeTokens(id: string): Promise<void> {
      await db
        .update(customers)
        .set({ tokenVersion: sql`${customers.tokenVersion} + 1` })
        .where(eq(customers.id, id));
    },
    upsertUserWithRole: (email: string, role: Role, passwordHash: string | null) =>
      upsertUserWithRole(db, email, role, passwordHash),
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
