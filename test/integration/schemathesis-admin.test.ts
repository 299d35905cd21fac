/**
 * Schemathesis over the admin operations with an admin's token (see test/support/schemathesis.ts). It creates,
 * changes and deletes products, bundles, pricing rules and flights at random, so it runs in the serial group
 * (vitest.config.ts SERIAL_TESTS), and puts the commercial tables back exactly as they were, and deletes the
 * flights it created, when it is done.
 */
import { and, inArray, not, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundles, flights as flightsTable, pricingRules, products } from '../../db/schema';
import type { Services } from '../../lib/services';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { startOrderStack, type OrderStack } from '../support/harness';
import { ABUSE_STACK_ENV } from '../support/probe';
import { runSchemathesis, schemathesisBinary, ST_SEED } from '../support/schemathesis';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('schemathesis-admin');

let services: Services;
let stack: OrderStack;
let st: string;
let flight: TestFlight;
let token: string;
let before: {
  products: (typeof products.$inferSelect)[];
  bundles: (typeof bundles.$inferSelect)[];
  rules: (typeof pricingRules.$inferSelect)[];
  flightIds: string[];
};

beforeAll(async () => {
  st = schemathesisBinary();
  services = await openTestServices();
  stack = await startOrderStack(services, ABUSE_STACK_ENV);
  flight = await createTestFlight(services, { route, capacity: 60 });
  token = (await tokenFor(services, stack.config, 'admin')).token;
  before = {
    products: await services.db.select().from(products),
    bundles: await services.db.select().from(bundles),
    rules: await services.db.select().from(pricingRules),
    flightIds: (await services.db.select({ id: flightsTable.id }).from(flightsTable)).map((f) => f.id),
  };
}, 180_000);

afterAll(async () => {
  if (before) {
    await services.db.transaction(async (tx) => {
      await tx.delete(pricingRules);
      await tx.delete(bundles);
      await tx.delete(products);
      if (before.products.length) await tx.insert(products).values(before.products);
      if (before.bundles.length) await tx.insert(bundles).values(before.bundles);
      if (before.rules.length) await tx.insert(pricingRules).values(before.rules);
    });
    // The flights it created (none has an order) go the way the admin API deletes them.
    const created = await services.db
      .select({ id: flightsTable.id })
      .from(flightsTable)
      .where(not(inArray(flightsTable.id, before.flightIds)));
    for (const { id } of created) {
      const res = await fetch(`${stack.apiUrl}/v1/admin/flights/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status, `delete flight ${id}`).toBe(204);
    }
    const left = await services.db
      .select({ id: flightsTable.id })
      .from(flightsTable)
      .where(and(not(inArray(flightsTable.id, before.flightIds)), not(eq(flightsTable.id, flight.id))));
    expect(left).toEqual([]);
  }
  await stack?.close();
  await services?.close();
});

describe('Schemathesis against /openapi.json, admin operations', () => {
  it('as an admin: no server error, no response outside the documented contract', async () => {
    const run = await runSchemathesis(st, stack.apiUrl, {
      token,
      pathIds: { '/v1/admin/flights/{id}': { id: flight.id } },
      filter: ['--include-path-regex', '^/v1/admin/'],
    });
    expect(run.tests, run.output).toBeGreaterThan(10);
    expect(run.code, `schemathesis (seed ${ST_SEED}) found failures:\n${run.output.slice(-20_000)}`).toBe(0);
  }, 900_000);
});
