/**
 * POST /v1/orders/lookup: manage booking without an account. A booking reference and one traveler's last name give
 * a token that reaches that one order (api/auth.ts OrderScope), whoever booked it. Public, and bounded against
 * guessing: per client IP and per reference per hour (README "Abuse limits"); an unknown reference and a wrong
 * name get the same 404, and the reference's count runs whether or not it exists.
 */
import { z } from '@hono/zod-openapi';
import { nameKey } from '../../domain/bcbp';
import { DomainError } from '../../domain/errors';
import { issueToken } from '../auth';
import { enforceLimit, rateLimitLookupsByIp } from '../middleware/rate-limit';
import { body, errors, json, routesOf } from '../openapi';
import { createRouter } from '../router';

const lookupBody = z
  .strictObject({
    booking_reference: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9]{6}$/, 'six letters and digits, as on the confirmation')
      .openapi({ example: 'K7QX2M' }),
    last_name: z
      .string()
      .max(35)
      .refine((v) => nameKey(v) !== '', 'a last name with at least one letter')
      .openapi({ example: 'Doe' }),
  })
  .openapi('OrderLookup');

const lookupResult = z
  .object({
    order_id: z.string().uuid(),
    booking_reference: z.string(),
    token: z.string().openapi({ description: 'a bearer token for this order only (its routes under /v1/orders/{id})' }),
    token_type: z.literal('Bearer'),
    expires_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('OrderLookupResult');

const route = routesOf({ tags: ['orders'] });

const lookupRoute = route('post', '/orders/lookup', {
  summary: 'Find an order by booking reference and last name (manage booking): a token for that order only',
  middleware: [rateLimitLookupsByIp] as const,
  request: { body: body(lookupBody) },
  responses: {
    200: json(lookupResult, 'the order, and a token that reaches it alone'),
    ...errors(400, 404, 429),
  },
});

const HOUR = { ms: 3_600_000, per: 'an hour', label: 'booking reference' };

export const orderLookup = createRouter().openapi(lookupRoute, async (c) => {
  const deps = c.get('deps');
  const input = c.req.valid('json');
  const reference = input.booking_reference.toUpperCase();
  await enforceLimit(c, 'lookup-ref', reference, deps.config.rate_limit.order_lookups_per_reference_per_hour, HOUR);
  const found = await deps.services.lookupOrder(reference, input.last_name);
  const owner = found ? await deps.services.customers.findById(found.ownerId) : undefined;
  if (!found || !owner) {
    throw new DomainError('NOT_FOUND', 'no booking has this reference and last name');
  }
  const { token, expiresAt } = await issueToken(
    deps.config,
    { id: owner.id, kind: owner.kind, role: owner.role, tokenVersion: owner.tokenVersion },
    deps.config.auth.order_lookup_token_ttl_seconds,
    { orderId: found.orderId },
  );
  return c.json(
    {
      order_id: found.orderId,
      booking_reference: reference,
      token,
      token_type: 'Bearer' as const,
      expires_at: expiresAt.toISOString(),
    },
    200,
  );
});
