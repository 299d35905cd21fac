import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { DomainError } from '../../domain/errors';
import { authenticate, bearerToken } from '../auth';
import type { AppEnv, Customer } from '../deps';

/**
 * The customer of the request's bearer token, or undefined without an Authorization header. A header that is
 * present but not a valid, current token (its customer gone, signed out, role changed) is an error (401), never
 * silently ignored.
 */
export async function optionalCustomer(c: Context<AppEnv>): Promise<Customer | undefined> {
  try {
    const token = bearerToken(c.req.header('Authorization'));
    return token === undefined ? undefined : await authenticate(c.get('deps'), token);
  } catch (err) {
    if (err instanceof DomainError && err.code === 'UNAUTHENTICATED') c.header('WWW-Authenticate', 'Bearer');
    throw err;
  }
}

/**
 * One rule for every /v1 route (installed by createApp; webhooks excepted, they authenticate by signature): an
 * Authorization header that is present but not a valid bearer token is 401, whether or not the route needs a
 * token. Public routes answer an absent header as anonymous, never a garbage one.
 */
export const refuseInvalidBearer = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.req.path.startsWith('/v1/webhooks/') && c.req.header('Authorization') !== undefined) {
    await optionalCustomer(c);
  }
  await next();
});

/** 401 UNAUTHENTICATED unless the request carries a valid bearer token; sets `customer`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const customer = await optionalCustomer(c);
  if (!customer) {
    c.header('WWW-Authenticate', 'Bearer');
    throw new DomainError('UNAUTHENTICATED', 'a bearer token is required (POST /v1/auth/guest gives one)');
  }
  c.set('customer', customer);
  await next();
});

/** 403 FORBIDDEN unless the authenticated customer has one of the roles. Use after `requireAuth`. */
export function requireRole(...roles: Customer['role'][]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const customer = c.get('customer') as Customer | undefined;
    if (!customer) throw new DomainError('UNAUTHENTICATED', 'a bearer token is required');
    if (!roles.includes(customer.role)) {
      throw new DomainError('FORBIDDEN', `this needs the role ${roles.join(' or ')}`);
    }
    await next();
  });
}
