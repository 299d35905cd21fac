/**
 * The analytics dashboard in a browser (issue #16): a non-admin is sent to sign-in; an admin signs in and sees,
 * for a route where shoppers searched, accepted and paid over the API (the analytics consumer counting the events
 * the outbox relay published), the offers shown, accepted and expired, the acceptance rate, conversion and revenue
 * — the same figures GET /v1/admin/analytics answers — as charts and tables; a bad route filter shows the API's
 * message next to its field. axe at phone and desktop width, screenshots, nothing loaded from elsewhere.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsDaily } from '../../db/schema';
import type { Services } from '../../lib/services';
import { hashPassword, upsertUserWithRole } from '../../services/customers';
import { startAnalyticsPipeline } from '../support/events';
import { createTestFlight, ensureTestRoute, testRoute } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { DESKTOP, PHONE, expectAccessible, expectClean, launchBrowser, openPage, screenshot } from './support';

const route = testRoute('browser-analytics');
const ROUTE = `${route.origin}-${route.destination}`;
const PASSWORD = 'analytics-test-password';

let services: Services;
let stack: OrderStack;
let browser: Browser;
let api: ReturnType<typeof apiClient>;
let pipeline: Awaited<ReturnType<typeof startAnalyticsPipeline>>;
let adminEmail: string;

beforeAll(async () => {
  services = await openTestServices();
  await ensureTestRoute(services, route);
  // The test database outlives a run: this route's figures start from nothing.
  await services.db.delete(analyticsDaily).where(eq(analyticsDaily.route, ROUTE));
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  pipeline = await startAnalyticsPipeline(services, stack.config);
  adminEmail = `admin-${randomUUID().slice(0, 8)}@altis.test`;
  await upsertUserWithRole(services.db, adminEmail, 'admin', await hashPassword(PASSWORD));
  browser = await launchBrowser();
});

ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await browser?.close();
  await pipeline?.stop();
  await stack?.close();
  await services?.close();
});

describe('the analytics dashboard', () => {
  it('shows an admin the figures of the analytics API as charts and tables', async () => {
    // Shoppers: two searches, one offer accepted and paid.
    const guest = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
    const f = await createTestFlight(services, { route, capacity: 10 });
    const search = () =>
      api('POST', '/v1/offers/search', {
        token: guest,
        body: {
          origin: f.origin,
          destination: f.destination,
          departure_date: f.departureAt.toISOString().slice(0, 10),
          passengers: 1,
        },
      });
    const first = await search();
    await search();
    const accepted = await api('POST', `/v1/offers/${first.body.offers[0].id}/accept`, {
      token: guest,
      body: {
        travelers: [{ ptc: 'ADT', first_name: 'Grace', last_name: 'Hopper', date_of_birth: '1986-12-09' }],
        contact: { email: 'grace@example.com' },
      },
    });
    expect(accepted.status).toBe(201);
    const paid = await api('POST', `/v1/orders/${accepted.body.id}/pay`, {
      token: guest,
      body: { payment_token: 'tok_visa' },
    });
    expect(paid.body.status).toBe('FULFILLED');
    const admin = (await api('POST', '/v1/auth/login', { body: { email: adminEmail, password: PASSWORD } })).body
      .token as string;
    const report = await eventually(
      () => api('GET', `/v1/admin/analytics?route=${ROUTE}`, { token: admin }),
      (r) => r.body.routes?.[0]?.orders_paid === 1 && r.body.routes[0].offers_shown > 0,
    );
    const figures = report.body.routes[0] as Record<string, any>;

    const watched = await openPage(browser, stack.apiUrl);
    const { page } = watched;
    await page.goto('/analytics');
    await page.waitForURL(/\/sign-in\?next=%2Fanalytics$/);
    await page.getByLabel('Email').fill(adminEmail);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/analytics');
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Analytics' }).isVisible()).toBe(true);

    // A bad filter: the API's message next to its field.
    await page.getByLabel('Route', { exact: true }).fill('nowhere');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.getByLabel('Route', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-invalid .field-error').textContent()).toContain('airports joined by');

    await page.getByLabel('Route', { exact: true }).fill(ROUTE.toLowerCase());
    await page.getByRole('button', { name: 'Show' }).click();
    const perRoute = page.getByRole('region', { name: 'Figures per route' });
    const row = perRoute.getByRole('row', { name: new RegExp(`^${ROUTE}`) });
    const tile = (label: string) => page.locator('.tile', { hasText: label }).locator('dd').textContent();
    // The page keeps the unfiltered figures on screen until the route's answer arrives: wait for that answer.
    await expect.poll(() => tile('Offers shown')).toBe(String(figures.offers_shown));
    await expect.poll(() => perRoute.getByRole('row').count()).toBe(2); // the header and the route
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(0, 4)).toEqual(
      [figures.offers_shown, figures.offers_accepted, figures.offers_rejected, figures.offers_expired].map(String),
    );
    expect(cells[5]).toBe(String(figures.orders_paid));
    // Money by its currency's exponent, in the browser's locale (en-GB): US$ with two decimals.
    expect(cells[7]).toBe(
      new Intl.NumberFormat('en-GB', { style: 'currency', currency: figures.revenue.currency }).format(
        figures.revenue.amount / 100,
      ),
    );
    expect(figures.revenue.amount).toBe(paid.body.total.amount);
    expect(await tile('Offers accepted')).toBe('1');
    // The charts: one per route's offers and one of revenue per day per currency, drawn as SVG.
    await expect.poll(() => page.locator('figure.chart .recharts-wrapper').count()).toBe(2);
    expect(await page.locator('figure.chart figcaption').allTextContents()).toEqual([
      'Offers per route',
      `Revenue per day (${figures.revenue.currency})`,
    ]);

    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      await page.setViewportSize(viewport);
      await expectAccessible(page, `analytics (${name})`);
      await screenshot(page, `analytics-${name}`);
    }
    expectClean(watched);
    await watched.context.close();
  });
});
