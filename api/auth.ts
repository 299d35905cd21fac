import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { AppConfig } from '../config';
import { DomainError } from '../domain/errors';
import { LRUCache } from '../lib/cache';
import type { Customers } from '../services/customers';
import type { Customer } from './deps';

// Ownership lives with the customers (services/customers.ts); the order routes and tests import it from here.
export { claimGuest, ownerIds } from '../services/customers';

/**
 * Bearer tokens: HS256 JWTs whose `sub` is the customer id, with the customer's `kind`, `role` and token version
 * (`ver`). A token is accepted only while its customer exists with that kind and role and `ver` is the customer's
 * current `token_version` (a sign-out or a role change bumps it): `authenticate` checks the signature here and the
 * customer through `customers.tokenState` (an in-process cache of `auth.customer_cache_ms`). Ownership (which
 * orders a caller may see) goes through `ownerIds` (services/customers.ts).
 */

const ALGORITHM = 'HS256';
const KINDS = ['GUEST', 'USER'] as const;
const ROLES = ['customer', 'agent', 'admin'] as const;

/** A token's customer and the token version it was issued at. */
export interface TokenSubject extends Customer {
  tokenVersion: number;
}

/**
 * A booking-lookup token (POST /v1/orders/lookup): the order's owner, reaching that one order only (claim `ord`; the
 * auth middleware refuses every other route) and always with the role `customer`. It is revoked with the owner's
 * other tokens (sign-out, role change) and lives `auth.order_lookup_token_ttl_seconds`.
 */
export interface OrderScope {
  orderId: string;
}

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
  customer: TokenSubject,
  ttlSeconds = tokenTtlSeconds(config, customer.kind),
  scope?: OrderScope,
): Promise<IssuedToken> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + ttlSeconds;
  const claims = { kind: customer.kind, role: customer.role, ver: customer.tokenVersion };
  const token = await new SignJWT(scope ? { ...claims, ord: scope.orderId } : claims)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(config.auth.jwt_issuer)
    .setSubject(customer.id)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(secretKey(config));
  return { token, expiresAt: new Date(exp * 1000) };
}

/** How far our clock and a token's may disagree (several API instances, one signing key). */
const CLOCK_SKEW_SECONDS = 30;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isOneOf = <T extends string>(values: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (values as readonly string[]).includes(v);

/**
 * Verifies a token's signature and claims (HS256 only, our issuer, not expired) and returns what it names; it does
 * not look the customer up (`authenticate` does). Throws UNAUTHENTICATED.
 */
export async function verifyToken(config: Pick<AppConfig, 'auth'>, token: string): Promise<TokenSubject> {
  let cache = verifiedTokens.get(config.auth);
  if (!cache) verifiedTokens.set(config.auth, (cache = new LRUCache({ max: 50_000 })));
  const known = cache.get(token);
  if (known) {
    if (known.exp <= Math.floor(Date.now() / 1000)) {
      cache.delete(token);
      throw new DomainError('UNAUTHENTICATED', 'the token has expired');
    }
    return known.subject;
  }
  const verified = await verifySignedToken(config, token);
  cache.set(token, verified);
  return verified.subject;
}

/**
 * Tokens that passed `verifySignedToken`, by their text, per auth config (its key, issuer and lifetimes): a
 * token's signature and claims never change, so one verified once is only checked for expiry again (an HMAC
 * verification through WebCrypto costs more than the rest of a request). What a token names is still checked
 * against its customer on every request (`authenticate`).
 */
const verifiedTokens = new WeakMap<object, LRUCache<string, { subject: TokenSubject; exp: number }>>();

async function verifySignedToken(
  config: Pick<AppConfig, 'auth'>,
  token: string,
): Promise<{ subject: TokenSubject; exp: number }> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, secretKey(config), {
      algorithms: [ALGORITHM],
      issuer: config.auth.jwt_issuer,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (err) {
    const expired = err instanceof joseErrors.JWTExpired;
    throw new DomainError('UNAUTHENTICATED', expired ? 'the token has expired' : 'the token is not valid');
  }
  const { sub, kind, role, ver, iat, exp, ord } = payload;
  // Issued in the future (beyond the clock skew) or for longer than any token we issue: not a token of ours.
  const now = Math.floor(Date.now() / 1000);
  const { guest_token_ttl_seconds, user_token_ttl_seconds, order_lookup_token_ttl_seconds } = config.auth;
  const longest = Math.max(guest_token_ttl_seconds, user_token_ttl_seconds, order_lookup_token_ttl_seconds);
  if (iat === undefined || exp === undefined || iat > now + CLOCK_SKEW_SECONDS || exp - iat > longest) {
    throw new DomainError('UNAUTHENTICATED', 'the token is not valid');
  }
  if (typeof sub !== 'string' || !UUID.test(sub) || !isOneOf(KINDS, kind) || !isOneOf(ROLES, role)) {
    throw new DomainError('UNAUTHENTICATED', 'the token is not valid');
  }
  if (typeof ver !== 'number' || !Number.isSafeInteger(ver) || ver < 0) {
    throw new DomainError('UNAUTHENTICATED', 'the token is not valid');
  }
  if (ord !== undefined && (typeof ord !== 'string' || !UUID.test(ord))) {
    throw new DomainError('UNAUTHENTICATED', 'the token is not valid');
  }
  const orderScope = ord === undefined ? {} : { orderId: ord.toLowerCase() };
  return { subject: { id: sub, kind, role, tokenVersion: ver, ...orderScope }, exp };
}

/**
 * A token's customer, if the token is valid and still current: its customer exists with the token's kind and role,
 * and the token's version is the customer's (not signed out, role not changed since). Throws UNAUTHENTICATED.
 */
export async function authenticate(
  deps: { config: Pick<AppConfig, 'auth'>; services: { customers: Pick<Customers, 'tokenState'> } },
  token: string,
): Promise<Customer> {
  const claimed = await verifyToken(deps.config, token);
  const current = await deps.services.customers.tokenState(claimed.id);
  if (!current) throw new DomainError('UNAUTHENTICATED', 'the customer of this token does not exist');
  if (current.kind !== claimed.kind || current.role !== claimed.role || current.tokenVersion !== claimed.tokenVersion) {
    throw new DomainError('UNAUTHENTICATED', 'the token has been revoked (signed out or role changed)');
  }
  if (claimed.orderId !== undefined) {
    return { id: claimed.id, kind: claimed.kind, role: 'customer', orderId: claimed.orderId };
  }
  return { id: claimed.id, kind: claimed.kind, role: claimed.role };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header);
  if (!match) throw new DomainError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}
