import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { DomainError } from '../../domain/errors';
import { orderNotFound } from '../../services/order-row';
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

const ORDER_PATH = /^\/v1\/orders\/([^/]+)(?:\/|$)/;
const FLIGHT_STREAM_PATH = /^\/v1\/flights\/[^/]+\/stream$/;

/**
 * What a booking-lookup token (api/auth.ts OrderScope) may reach: its order's routes, and the flights' seat streams
 * its seat map follows. Another order is 404 as for any order the caller does not own; any other route is 403.
 */
function checkOrderScope(path: string, orderId: string): void {
  const named = ORDER_PATH.exec(path)?.[1];
  if (named !== undefined && named.toLowerCase() === orderId) return;
  if (named !== undefined) throw orderNotFound(named);
  if (FLIGHT_STREAM_PATH.test(path)) return;
  throw new DomainError('FORBIDDEN', `a booking-lookup token reaches only its own order, /v1/orders/${orderId}`);
}

/**
 * 401 UNAUTHENTICATED unless the request carries a valid bearer token; sets `customer`. A booking-lookup token
 * passes only on its order's routes (checkOrderScope).
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const customer = await optionalCustomer(c);
  if (!customer) {
    c.header('WWW-Authenticate', 'Bearer');
    throw new DomainError('UNAUTHENTICATED', 'a bearer token is required (POST /v1/auth/guest gives one)');
  }
  if (customer.orderId !== undefined) checkOrderScope(c.req.path, customer.orderId);
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
