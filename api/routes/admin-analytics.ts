import { z } from '@hono/zod-openapi';
import { DomainError } from '../../domain/errors';
import { requireAuth, requireRole } from '../middleware/auth';
import { bearerAuth, errorSchema, isoDaySchema, json, moneySchema, routesOf } from '../openapi';
import { createRouter } from '../router';

const isoDay = isoDaySchema;
const counts = {
  offers_shown: z.number().int().openapi({ description: 'offers returned by searches' }),
  offers_accepted: z.number().int(),
  offers_rejected: z.number().int().openapi({ description: 'offers the shopper rejected (DELETE /v1/offers/:id)' }),
  offers_expired: z.number().int().openapi({
    description: 'offers whose life ended neither accepted nor rejected (counted when their search is swept)',
  }),
  orders_proposed: z.number().int(),
  orders_paid: z.number().int(),
  orders_expired: z.number().int(),
  orders_cancelled: z.number().int(),
  revenue: moneySchema,
  refunded: moneySchema,
  modifications: z.number().int().openapi({
    description:
      'changes after the sale: OrderChanged, OrderServicesAdded, SeatChanged, OrderCancelled of a sold order',
  }),
  orders_modified: z.number().int().openapi({ description: 'sold orders modified at least once (each counted once)' }),
};
const routeFigures = z.object({
  route: z.string(),
  currency: z.string(),
  ...counts,
  acceptance_rate: z.number().nullable().openapi({
    description: 'offers_accepted / offers_shown (null when none was shown)',
  }),
  conversion_rate: z.number().nullable().openapi({ description: 'orders_paid / orders_proposed' }),
  modification_rate: z.number().nullable().openapi({
    description: 'the order modification rate: orders_modified / orders_paid (null when none was sold)',
  }),
});
const report = z
  .object({
    from: z.string(),
    to: z.string(),
    routes: z.array(routeFigures),
    days: z.array(z.object({ day: z.string(), route: z.string(), currency: z.string(), ...counts })),
  })
  .openapi('Analytics');

const route = routesOf({ tags: ['admin'], security: bearerAuth });

const analyticsRoute = route('get', '/', {
  summary:
    'Offers shown, accepted, rejected and expired, conversion, revenue and the order modification rate per route and day',
  request: {
    query: z.object({
      from: isoDay.optional().openapi({ description: 'first day (UTC), default 30 days before `to`' }),
      to: isoDay.optional().openapi({ description: 'last day (UTC), default today' }),
      route: z
        .string()
        .regex(/^[A-Z]{3}(-[A-Z]{3})+$/, 'must be airports joined by "-", e.g. JFK-LHR')
        .optional(),
    }),
  },
  responses: {
    200: json(report, 'figures per route over the days, and per day'),
    400: json(errorSchema, 'bad query'),
    401: json(errorSchema, 'no or bad token'),
    403: json(errorSchema, 'not an admin'),
  },
});

const ratio = (num: number, den: number) => (den > 0 ? Math.round((num / den) * 10_000) / 10_000 : null);
const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

const router = createRouter();
router.use('*', requireAuth, requireRole('admin'));

export const adminAnalytics = router.openapi(analyticsRoute, async (c) => {
  const q = c.req.valid('query');
  const to = q.to ?? new Date().toISOString().slice(0, 10);
  const from = q.from ?? addDays(to, -30);
  if (from > to) throw new DomainError('VALIDATION_FAILED', '`from` is after `to`', { from, to });
  const { days: rows, totals } = await c.get('deps').services.analytics.daily({ from, to, route: q.route });

  const figures = (r: {
    currency: string;
    offersShown: number;
    offersAccepted: number;
    offersRejected: number;
    offersExpired: number;
    ordersProposed: number;
    ordersPaid: number;
    ordersExpired: number;
    ordersCancelled: number;
    revenueAmount: number | string;
    refundedAmount: number | string;
    modifications: number;
    ordersModified: number;
  }) => ({
    offers_shown: r.offersShown,
    offers_accepted: r.offersAccepted,
    offers_rejected: r.offersRejected,
    offers_expired: r.offersExpired,
    orders_proposed: r.ordersProposed,
    orders_paid: r.ordersPaid,
    orders_expired: r.ordersExpired,
    orders_cancelled: r.ordersCancelled,
    revenue: { amount: Number(r.revenueAmount), currency: r.currency },
    refunded: { amount: Number(r.refundedAmount), currency: r.currency },
    modifications: r.modifications,
    orders_modified: r.ordersModified,
  });

  return c.json(
    {
      from,
      to,
      routes: totals.map((t) => ({
        route: t.route,
        currency: t.currency,
        ...figures(t),
        acceptance_rate: ratio(t.offersAccepted, t.offersShown),
        conversion_rate: ratio(t.ordersPaid, t.ordersProposed),
        modification_rate: ratio(t.ordersModified, t.ordersPaid),
      })),
      days: rows.map((r) => ({ day: r.day, route: r.route, currency: r.currency, ...figures(r) })),
    },
    200,
  );
});
