/**
 * The ledger invariant (issue #15, item 6), checked after a test that moves money: for each order, the ledger's
 * CASH equals what the payments sandbox holds for it (charges succeeded, less their refunds), and every posting
 * sums to zero per currency. The ledger is written after the provider answers, in the state change's transaction:
 * the check waits a little for in-flight activities before it fails.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { Services } from '../../lib/services';
import type { TestRoute } from './flights';

interface WireCharge {
  id: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  status: string;
}

/**
 * The orders this test file made since `since`: created then, on its own route (test files run in parallel on one
 * database, each with its own payments sandbox, so another file's orders are not this sandbox's to check).
 */
export async function ordersCreatedSince(
  services: Pick<Services, 'sql'>,
  since: Date,
  route: TestRoute,
): Promise<string[]> {
  const codes = [route.origin, route.destination];
  const rows = await services.sql<{ id: string }[]>`
    select id from orders
    where created_at >= ${since.toISOString()}::timestamptz
      and exists (select 1 from jsonb_array_elements(offer->'segments') s
                  where s->>'origin' = any(${codes}) or s->>'destination' = any(${codes}))`;
  return rows.map((r) => r.id);
}

async function problemsOf(
  services: Pick<Services, 'sql'>,
  sandboxUrl: string,
  apiKey: string,
  orderIds: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  const headers = { Authorization: `Bearer ${apiKey}` };
  for (const orderId of orderIds) {
    const res = await fetch(`${sandboxUrl}/v1/charges?order_id=${orderId}`, { headers });
    const charges = ((await res.json()) as { data: WireCharge[] }).data.filter((c) => c.status === 'succeeded');
    let held = 0;
    for (const c of charges) {
      const r = await fetch(`${sandboxUrl}/v1/refunds?charge_id=${c.id}`, { headers });
      const refunds = ((await r.json()) as { data: { amount: number }[] }).data;
      held += c.amount - refunds.reduce((n, x) => n + x.amount, 0);
    }
    const [cash] = await services.sql<{ cash: number }[]>`
      select coalesce(sum(amount), 0)::int as cash from ledger_entries where order_id = ${orderId} and account = 'CASH'`;
    if (cash!.cash !== held) problems.push(`order ${orderId}: ledger CASH ${cash!.cash}, provider holds ${held}`);
    const unbalanced = await services.sql<{ posting_key: string; total: number }[]>`
      select posting_key, sum(amount)::int as total from ledger_entries where order_id = ${orderId}
      group by posting_key, currency having sum(amount) <> 0`;
    for (const u of unbalanced) problems.push(`order ${orderId}: posting ${u.posting_key} sums to ${u.total}`);
  }
  return problems;
}

/** Fails the test when an order's ledger disagrees with the provider's record or a posting does not balance. */
export async function expectLedgerBalanced(
  services: Pick<Services, 'sql'>,
  sandboxUrl: string,
  apiKey: string,
  orderIds: readonly string[],
): Promise<void> {
  if (orderIds.length === 0) return;
  let problems: string[] = [];
  for (let i = 0; i < 40; i++) {
    problems = await problemsOf(services, sandboxUrl, apiKey, orderIds);
    if (problems.length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(problems).toEqual([]);
}

interface LedgerStack {
  sandboxUrl: string;
  config: { payments: { gateway_api_key: string } };
}

/**
 * Checks the ledger invariant after each test of the file: the orders the test made on the file's routes balance
 * against the file's sandbox. `checkNow(stack)` checks a test's orders against another stack's sandbox at once
 * (a test that pays through a stack of its own), and the hook then has nothing more to check for that test.
 */
export function ledgerCheckedAfterEachTest(
  get: () => { services: Pick<Services, 'sql'>; stack: LedgerStack },
  routes: readonly TestRoute[],
) {
  let mark = new Date();
  const check = async (stack: LedgerStack) => {
    const { services } = get();
    const orderIds = (await Promise.all(routes.map((r) => ordersCreatedSince(services, mark, r)))).flat();
    await expectLedgerBalanced(services, stack.sandboxUrl, stack.config.payments.gateway_api_key, orderIds);
    mark = new Date();
  };
  beforeEach(() => {
    mark = new Date();
  });
  afterEach(() => check(get().stack));
  return { checkNow: check };
}
