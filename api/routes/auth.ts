import { z } from '@hono/zod-openapi';
import argon2 from 'argon2';
import type { Context } from 'hono';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DomainError } from '../../domain/errors';
import { claimCustomer, orderWorkflowId } from '../../workflows/messages';
import { PASSWORD_HASH_OPTIONS } from '../../services/customers';
import { issueToken } from '../auth';
import type { TokenSubject } from '../auth';
import type { AppEnv } from '../deps';
import { requestLogger } from '../request-logger';
import { optionalCustomer, requireAuth } from '../middleware/auth';
import { rateLimitByCustomer, rateLimitGuestsByIp } from '../middleware/rate-limit';
import { bearerAuth, errorSchema, json, optionalBearerAuth, routesOf } from '../openapi';
import { createRouter } from '../router';

const HASH_OPTIONS = PASSWORD_HASH_OPTIONS;

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
});

const credentials = z
  .object({
    email: z.email().max(254).openapi({ example: 'jane@example.com' }),
    password: z.string().min(10).max(1024).openapi({ example: 'correct horse battery' }),
  })
  .openapi('Credentials');
/** The request of a sign-in or sign-up: the credentials, and the guest's token when there is one. */
const credentialsRequest = {
  headers: z.object({ authorization: z.string().optional().openapi({ description: 'Bearer <guest token>' }) }),
  body: { required: true, content: { 'application/json': { schema: credentials } } },
};
const tokenResponse = z
  .object({
    token: z.string(),
    customer_id: z.uuid(),
    expires_at: z.iso.datetime(),
    claimed_guest_id: z.uuid().optional(),
  })
  .openapi('Token');

const publicRoute = routesOf({ tags: ['auth'] });
const optionalAuthRoute = routesOf({ tags: ['auth'], security: optionalBearerAuth });
const signedInRoute = routesOf({ tags: ['auth'], security: bearerAuth });

const guestRoute = publicRoute('post', '/guest', {
  summary: 'A guest token for browsing and booking without an account',
  middleware: [rateLimitGuestsByIp] as const,
  responses: {
    200: json(tokenResponse, 'a new guest and its token'),
    429: errorResponse(
      'too many new guests from this address this hour (rate_limit.guests_per_ip_per_hour); see Retry-After',
    ),
  },
});

const registerRoute = optionalAuthRoute('post', '/register', {
  summary: 'Create an account; with a guest token, the account claims that guest and its orders',
  request: credentialsRequest,
  responses: {
    201: json(tokenResponse, 'the account and its token'),
    400: errorResponse('the email or password is not valid'),
    401: errorResponse('the Authorization header holds no valid token'),
    409: errorResponse('an account with this email exists'),
  },
});

const loginRoute = optionalAuthRoute('post', '/login', {
  summary: 'Sign in; with a guest token, the account claims that guest and its orders',
  request: credentialsRequest,
  responses: {
    200: json(tokenResponse, 'a token for the account'),
    400: errorResponse('the request is not valid'),
    401: errorResponse('the email or password is wrong'),
  },
});

const meRoute = signedInRoute('get', '/me', {
  summary: 'Who the token belongs to',
  middleware: [requireAuth, rateLimitByCustomer] as const,
  responses: {
    200: json(
      z
        .object({
          customer_id: z.uuid(),
          kind: z.enum(['GUEST', 'USER']),
          role: z.enum(['customer', 'agent', 'admin']),
          email: z.string().nullable(),
          claimed_by_id: z.uuid().nullable(),
        })
        .openapi('Me'),
      'the calling customer',
    ),
    401: errorResponse('no valid token'),
  },
});

const signOutRoute = signedInRoute('post', '/sign-out', {
  summary: "Sign out: revokes every token of the caller's customer issued so far",
  middleware: [requireAuth, rateLimitByCustomer] as const,
  responses: {
    204: { description: 'signed out; this token and the customer’s other tokens are refused from now on' },
    401: errorResponse('no valid token'),
  },
});

/** A hash to verify against when the email is unknown, so that the answer takes as long either way. */
let decoyHash: Promise<string> | undefined;

/** Claims the guest of the request's bearer token, if it carries one; a user's token has nothing to claim. */
async function claimBearerGuest(c: Context<AppEnv>, userId: string): Promise<string | undefined> {
  const caller = await optionalCustomer(c);
  if (caller?.kind !== 'GUEST') return undefined;
  const claimed = await c.get('deps').services.customers.claimGuest(userId, caller.id);
  if (!claimed) return undefined;
  requestLogger(c)?.info({ guest_id: caller.id, customer_id: userId }, 'guest claimed by account');
  await moveSearchAttributes(c, userId, claimed.orderIds);
  return caller.id;
}

/**
 * The claimed orders' workflows learn their new owner (a signal; the workflow upserts its CustomerId search
 * attribute), so operators searching by the account find them. A workflow that has closed keeps the guest's id in
 * its visibility record (Temporal cannot change a closed one); Postgres, which the API reads, has the account.
 * Best effort: a signal that fails is logged, and the sign-in still succeeds.
 */
async function moveSearchAttributes(c: Context<AppEnv>, customerId: string, orderIds: string[]) {
  const { temporal } = c.get('deps');
  await Promise.all(
    orderIds.map(async (orderId) => {
      try {
        await temporal.workflow.getHandle(orderWorkflowId(orderId)).signal(claimCustomer, { customerId });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return; // closed: nothing to tell
        requestLogger(c)?.warn({ err: (err as Error).message, order_id: orderId }, 'claimed order not re-attributed');
      }
    }),
  );
}

async function tokenFor(c: Context<AppEnv>, customer: TokenSubject, claimedGuestId?: string) {
  const { token, expiresAt } = await issueToken(c.get('deps').config, customer);
  return {
    token,
    customer_id: customer.id,
    expires_at: expiresAt.toISOString(),
    ...(claimedGuestId ? { claimed_guest_id: claimedGuestId } : {}),
  };
}

export const auth = createRouter()
  .openapi(guestRoute, async (c) => {
    const guest = await c.get('deps').services.customers.createGuest();
    return c.json(await tokenFor(c, { ...guest, kind: 'GUEST' }), 200);
  })
  .openapi(registerRoute, async (c) => {
    const { customers } = c.get('deps').services;
    const { password } = c.req.valid('json');
    const email = c.req.valid('json').email.toLowerCase();
    await optionalCustomer(c); // a bad bearer token fails before anything is written
    const passwordHash = await argon2.hash(password, HASH_OPTIONS);
    const user = await customers.createUser(email, passwordHash);
    if (!user) throw new DomainError('CONFLICT', 'an account with this email already exists');
    const claimed = await claimBearerGuest(c, user.id);
    return c.json(await tokenFor(c, { ...user, kind: 'USER' }, claimed), 201);
  })
  .openapi(loginRoute, async (c) => {
    const { customers } = c.get('deps').services;
    const { password } = c.req.valid('json');
    const email = c.req.valid('json').email.toLowerCase();
    await optionalCustomer(c);
    const user = await customers.findByEmail(email);
    const hash = user?.passwordHash ?? (await (decoyHash ??= argon2.hash('not a password at all', HASH_OPTIONS)));
    const ok = await argon2.verify(hash, password);
    if (!user || user.kind !== 'USER' || !ok)
      throw new DomainError('UNAUTHENTICATED', 'the email or password is wrong');
    const claimed = await claimBearerGuest(c, user.id);
    return c.json(await tokenFor(c, { ...user, kind: 'USER' }, claimed), 200);
  })
  .openapi(signOutRoute, async (c) => {
    const customer = c.get('customer');
    await c.get('deps').services.customers.revokeTokens(customer.id);
    requestLogger(c)?.info({ customer_id: customer.id }, 'signed out: tokens revoked');
    return c.body(null, 204);
  })
  .openapi(meRoute, async (c) => {
    const customer = c.get('customer');
    const row = await c.get('deps').services.customers.findById(customer.id);
    if (!row) throw new DomainError('UNAUTHENTICATED', 'the customer of this token no longer exists');
    return c.json(
      { customer_id: row.id, kind: row.kind, role: row.role, email: row.email, claimed_by_id: row.claimedById },
      200,
    );
  });
