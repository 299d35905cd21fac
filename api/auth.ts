import { randomUUID } from 'node:crypto';
import { eq, or, sql } from 'drizzle-orm';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database } from '../db/client';
import { customers, orders } from '../db/schema';
import { DomainError } from '../domain/errors';
import type { Customer } from './deps';

/**
 * Stateless bearer tokens: HS256 JWTs whose `sub` is the customer id, with the customer's `kind` and `role`.
 * Nothing is looked up per request; ownership (which orders a caller may see) goes through `ownerIds`.
 */

const ALGORITHM = 'HS256';
const KINDS = ['GUEST', 'USER'] as const;
const ROLES = ['customer', 'agent', 'admin'] as const;
const OWNER_CACHE_SECONDS = 60;

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

const secretKey = (config: Pick<AppConfig, 'auth'>) => new TextEncoder().encode(config.auth.jwt_secret);

/** The token lifetime for a kind of customer, from [auth]. */
export function tokenTtlSeconds(config: Pick<AppConfig, 'auth'>, kind: Customer['kind']): number {
  return kind === 'GUEST' ? config.auth.guest_token_ttl_seconds : config.auth.user_token_ttl_seconds;
}

/** Signs a token for a customer; the lifetime defaults to the one configured for its kind. */
export async function issueToken(
  config: Pick<AppConfig, 'auth'>,
  customer: Customer,
  ttlSeconds = tokenTtlSeconds(config, customer.kind),
): Promise<IssuedToken> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + ttlSeconds;
  const token = await new SignJWT({ kind: customer.kind, role: customer.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(config.auth.jwt_issuer)
    .setSubject(customer.id)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(secretKey(config));
  return { token, expiresAt: new Date(exp * 1000) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isOneOf = <T extends string>(values: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (values as readonly string[]).includes(v);

/** Verifies a token (HS256 only, our issuer, not expired) and returns its customer. Throws UNAUTHENTICATED. */
export async function verifyToken(config: Pick<AppConfig, 'auth'>, token: string): Promise<Customer> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, secretKey(config), {
      algorithms: [ALGORITHM],
      issuer: config.auth.jwt_issuer,
      requiredClaims: ['sub', 'exp'],
    }));
  } catch (err) {
    const expired = err instanceof joseErrors.JWTExpired;
    throw new DomainError('UNAUTHENTICATED', expired ? 'the token has expired' : 'the token is not valid');
  }
  const { sub, kind, role } = payload;
  if (typeof sub !== 'string' || !UUID.test(sub) || !isOneOf(KINDS, kind) || !isOneOf(ROLES, role)) {
    throw new DomainError('UNAUTHENTICATED', 'the token is not valid');
  }
  return { id: sub, kind, role };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header);
  if (!match) throw new DomainError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}

const ownerCacheKey = (customerId: string) => `auth:owners:${customerId}`;

/**
 * The customer ids whose orders the caller owns: the account itself and every guest it claimed. A claimed
 * guest's token resolves to its account, so it sees the same orders. The first id is the owner (the account
 * for a claimed guest): new orders should be created under it. Cached in Redis for 60 s; `claimGuest` clears it.
 */
export async function ownerIds(
  deps: { db: Database; redis: Redis },
  customer: Pick<Customer, 'id'>,
): Promise<string[]> {
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
 * transaction. A guest that is already claimed (by this or another account) is left alone. Returns whether
 * the guest was claimed now.
 */
export async function claimGuest(
  deps: { db: Database; redis: Redis },
  userId: string,
  guestId: string,
): Promise<boolean> {
  const claimed = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .update(customers)
      .set({ claimedById: userId })
      .where(sql`${customers.id} = ${guestId} and ${customers.kind} = 'GUEST' and ${customers.claimedById} is null`)
      .returning({ id: customers.id });
    if (rows.length === 0) return false;
    await tx
      .update(orders)
      .set({ customerId: userId, updatedAt: sql`now()` })
      .where(eq(orders.customerId, guestId));
    return true;
  });
  if (claimed) await deps.redis.del(ownerCacheKey(guestId), ownerCacheKey(userId));
  return claimed;
}
