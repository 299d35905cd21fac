/**
 * The revenue ledger, read (issue #15, item 6; role admin): an order's postings with running balances per
 * account (GET /v1/admin/orders/:id/ledger), and settlement per route and day (GET /v1/admin/settlement):
 * captured, refunded, unearned taken on, earned, penalties retained. services/ledger.ts writes and reads it.
 */
import { z } from '@hono/zod-openapi';
import { LEDGER_ACCOUNTS, POSTING_KINDS } from '../../domain/ledger';
import { orderLedger, settlement } from '../../services/ledger';
import { requireAuth, requireRole } from '../middleware/auth';
import { bearerAuth, errors, idParams, isoDaySchema, json, moneySchema, routesOf } from '../openapi';
import { createRouter } from '../router';

const entrySchema = z.strictObject({
  id: z.number().int(),
  posting_key: z.string().openapi({ description: '`<kind>:<order>:<ref>`, unique per posting' }),
  line: z.number().int(),
  kind: z.enum(POSTING_KINDS),
  account: z.enum(LEDGER_ACCOUNTS),
  amount: moneySchema.openapi({ description: 'positive: a debit; negative: a credit' }),
  balance_after: moneySchema.openapi({ description: "the account's running balance for this order" }),
  route: z.string(),
  document_number: z.string().nullable(),
  flight_id: z.string().nullable(),
  reference: z.string().nullable().openapi({ description: "the provider's charge or refund id" }),
  occurred_at: z.string(),
});

const ledgerSchema = z
  .strictObject({
    order_id: z.string().uuid(),
    balanced: z.boolean().openapi({ description: 'every posting sums to zero per currency' }),
    balances: z.array(z.strictObject({ account: z.enum(LEDGER_ACCOUNTS), balance: moneySchema })),
    entries: z.array(entrySchema),
  })
  .openapi('OrderLedger');

const settlementSchema = z
  .strictObject({
    date: z.string(),
    routes: z.array(
      z.strictObject({
        route: z.string(),
        captured: moneySchema.openapi({ description: 'charges captured at the provider' }),
        refunded: moneySchema.openapi({ description: 'refunds paid out at the provider' }),
        unearned: moneySchema.openapi({ description: 'ticket and EMD liability taken on, net of what was released' }),
        earned: moneySchema.openapi({ description: 'revenue of coupons flown' }),
        penalties: moneySchema.openapi({ description: 'fees retained: cancellation and change penalties' }),
      }),
    ),
  })
  .openapi('Settlement');

const route = routesOf({ tags: ['admin'], security: bearerAuth });

const getLedger = route('get', '/orders/{id}/ledger', {
  summary: "An order's ledger: postings in order with running balances per account, and whether they balance",
  request: { params: idParams },
  responses: { 200: json(ledgerSchema, 'the ledger'), ...errors(400, 401, 403, 404) },
});

const getSettlement = route('get', '/settlement', {
  summary: 'Settlement per route for a day (UTC): captured, refunded, unearned, earned, penalties',
  request: {
    query: z.object({
      date: isoDaySchema.openapi({ description: 'the day (UTC), YYYY-MM-DD' }),
      route: z
        .string()
        .regex(/^[A-Z]{3}(-[A-Z]{3})+$/, 'must be airports joined by "-", e.g. JFK-LHR')
        .optional(),
    }),
  },
  responses: { 200: json(settlementSchema, 'figures per route'), ...errors(400, 401, 403) },
});

const router = createRouter();
router.use('/orders/*', requireAuth, requireRole('admin'));
router.use('/settlement', requireAuth, requireRole('admin'));

export const adminLedger = router
  .openapi(getLedger, async (c) => {
    const { id } = c.req.valid('param');
    const ledger = await orderLedger(c.get('deps').db, id);
    const money = (amount: number, currency: string) => ({ amount, currency });
    return c.json(
      {
        order_id: id,
        balanced: ledger.balanced,
        balances: Object.entries(ledger.balances).map(([k, balance]) => {
          const [account, currency] = k.split(':') as [(typeof LEDGER_ACCOUNTS)[number], string];
          return { account, balance: money(balance, currency) };
        }),
        entries: ledger.entries.map((e) => ({
          id: e.id,
          posting_key: e.postingKey,
          line: e.line,
          kind: e.kind,
          account: e.account,
          amount: money(e.amount, e.currency),
          balance_after: money(e.balance_after, e.currency),
          route: e.route,
          document_number: e.documentNumber,
          flight_id: e.flightId,
          reference: e.reference,
          occurred_at: e.occurredAt.toISOString(),
        })),
      },
      200,
    );
  })
  .openapi(getSettlement, async (c) => {
    const q = c.req.valid('query');
    const rows = await settlement(c.get('deps').db, { date: q.date, route: q.route });
    const m = (amount: number, currency: string) => ({ amount, currency });
    return c.json(
      {
        date: q.date,
        routes: rows.map((r) => ({
          route: r.route,
          captured: m(r.captured, r.currency),
          refunded: m(r.refunded, r.currency),
          unearned: m(r.unearned, r.currency),
          earned: m(r.earned, r.currency),
          penalties: m(r.penalties, r.currency),
        })),
      },
      200,
    );
  });
