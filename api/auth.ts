import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { AppConfig } from '../config';
import { DomainError } from '../domain/errors';
import type { Customer } from './deps';

// Ownership lives with the customers (services/customers.ts); the order routes and tests import it from here.
export { claimGuest, ownerIds } from '../services/customers';

/**
 * Stateless bearer tokens: HS256 JWTs whose `sub` is the customer id, with the customer's `kind` and `role`.
 * Nothing is looked up per request; ownership (which orders a caller may see) goes through `ownerIds`
 * (services/customers.ts).
 */

const ALGORITHM = 'HS256';
const KINDS = ['GUEST', 'USER'] as const;
const ROLES = ['customer', 'agent', 'admin'] as const;

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

/** How far our clock and a token's may disagree (several API instances, one signing key). */
const CLOCK_SKEW_SECONDS = 30;

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
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (err) {
    const expired = err instanceof joseErrors.JWTExpired;
    throw new DomainError('UNAUTHENTICATED', expired ? 'the token has expired' : 'the token is not valid');
  }
  const { sub, kind, role, iat, exp } = payload;
  // Issued in the future (beyond the clock skew) or for longer than any token we issue: not a token of ours.
  const now = Math.floor(Date.now() / 1000);
  const longest = Math.max(config.auth.guest_token_ttl_seconds, config.auth.user_token_ttl_seconds);
  if (iat === undefined || exp === undefined || iat > now + CLOCK_SKEW_SECONDS || exp - iat > longest) {
    throw new DomainError('UNAUTHENTICATED', 'the token is not valid');
  }
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
