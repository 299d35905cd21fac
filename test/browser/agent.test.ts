/**
 * The agent portal in a browser (issue #16): a non-agent is sent to sign-in; an agent signs in, finds an order by
 * booking reference and by contact email, opens it (travelers, items, documents, timeline with its Temporal Web UI
 * link), adds a bag and cancels it (the quote's amounts shown before the confirm), then finds a flight by number
 * and opens its manifest, and a cancelled flight's disruption view (one traveler took the refund, one has not
 * answered). axe on each page, phone and desktop screenshots, nothing loaded from elsewhere.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FareConditions } from '../../domain/commercial';
import { recordLocator } from '../../domain/record-locator';
import type { Services } from '../../lib/services';
import { hashPassword, upsertUserWithRole } from '../../services/customers';
import { saveOffers } from '../../services/offer-store';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';
import { DESKTOP, PHONE, expectAccessible, expectClean, launchBrowser, openPage, screenshot } from './support';

const route = testRoute('browser-agent');
const REFUNDABLE: FareConditions = {
  refund_before_departure: { allowed: true, penalty_amount: 5_000, penalty_currency: 'USD' },
  change_before_departure: { allowed: true, penalty_amount: 2_500, penalty_currency: 'USD' },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};
const PASSWORD = 'agent-portal-test-password';

let services: Services;
let stack: OrderStack;
let browser: Browser;
let api: ReturnType<typeof apiClient>;
let agentEmail: string;
let customer: string;
let admin: string;

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services);
  browser = await launchBrowser();
  api = apiClient(stack.apiUrl);
  agentEmail = `agent-${randomUUID().slice(0, 8)}@altis.test`;
  await upsertUserWithRole(services.db, agentEmail, 'agent', await hashPassword(PASSWORD));
  customer = (await tokenFor(services, stack.config)).token;
  admin = (await tokenFor(services, stack.config, 'admin')).token;
});

ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await services?.close();
});

let dayOffset = 4 + Math.floor(Math.random() * 40) * 3;
const nextDay = () => new Date(Date.now() + dayOffset++ * 86_400_000).toISOString().slice(0, 10);
const flightAt = (day: string, hhmm: string): Promise<TestFlight> =>
  createTestFlight(services, { route, departureAt: new Date(`${day}T${hhmm}:00Z`), capacity: 10 });

/** A paid (FULFILLED) refundable order on `f` with this contact email. */
async function paidOrder(f: TestFlight, email: string, lastName: string): Promise<string> {
  const offer = await createTestOffer(services.redis, [f]);
  await saveOffers(services.redis, [{ ...offer, conditions: REFUNDABLE }], 900);
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token: customer,
    body: {
      travelers: [{ ptc: 'ADT', first_name: 'Dorothy', last_name: lastName, date_of_birth: '1980-04-01' }],
      contact: { email },
    },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const id = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${id}/pay`, { token: customer, body: { payment_token: 'tok_visa' } });
  expect(paid.body.status).toBe('FULFILLED');
  return id;
}

async function signIn(page: Page, next: string) {
  await page.goto(next);
  await page.waitForURL(/\/sign-in\?next=/);
  expect(new URL(page.url()).searchParams.get('next')).toBe(next);
  await page.getByLabel('Email').fill(agentEmail);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next);
}

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

async function searchOrders(page: Page, by: string, value: string) {
  await page.getByLabel('Search by').selectOption({ label: by });
  await page.getByLabel(by, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Search' }).click();
}

describe('the agent portal', () => {
  it('sends a non-agent to sign-in, and a customer’s session too', async () => {
    const watched = await openPage(browser, stack.apiUrl);
    const { page } = watched;
    await page.goto('/agent/orders');
    await page.waitForURL(/\/sign-in\?next=%2Fagent%2Forders$/);
    await expect.poll(() => heading(page, 'Sign in').isVisible()).toBe(true);
    expectClean(watched);
    await watched.context.close();

    // A signed-in customer is no agent either.
    const asCustomer = await openPage(browser, stack.apiUrl);
    const session = JSON.stringify({ token: customer, kind: 'USER', role: 'customer' });
    await asCustomer.page.addInitScript({
      content: `sessionStorage.setItem('altis.session', ${JSON.stringify(session)})`,
    });
    await asCustomer.page.goto('/agent/flights');
    await asCustomer.page.waitForURL(/\/sign-in\?next=%2Fagent%2Fflights$/);
    expectClean(asCustomer);
    await asCustomer.context.close();
  });

  it('finds, opens and services an order, then a flight’s manifest and its disruption view', async () => {
    const day = nextDay();
    const flight = await flightAt(day, '09:00');
    const email = `Portal.${randomUUID().slice(0, 8)}@example.com`;
    const orderId = await paidOrder(flight, email, 'Vaughan');
    const reference = recordLocator(orderId);

    // A cancelled flight: one traveler takes the refund, the other has not answered.
    const cancelled = await flightAt(day, '13:00');
    await flightAt(day, '17:00'); // where the disrupted travelers are offered seats
    const refunding = await paidOrder(cancelled, `refund-${randomUUID().slice(0, 8)}@example.com`, 'Refunder');
    const silent = await paidOrder(cancelled, `silent-${randomUUID().slice(0, 8)}@example.com`, 'Silent');
    expect(
      (await api('PATCH', `/v1/admin/flights/${cancelled.id}`, { token: admin, body: { status: 'CANCELLED' } })).status,
    ).toBe(200);
    await eventually(
      () => api('GET', `/v1/orders/${refunding}`, { token: customer }),
      (r) => r.body.disruption?.status === 'OPEN',
    );
    const refunded = await api('POST', `/v1/orders/${refunding}/disruption/refund`, {
      token: customer,
      headers: { 'Idempotency-Key': randomUUID() },
      body: {},
    });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);

    for (const [name, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const watched = await openPage(browser, stack.apiUrl, { viewport });
      const { page } = watched;
      await signIn(page, '/agent/orders');

      // By booking reference, then by contact email (any case).
      await expect.poll(() => heading(page, 'Find an order').isVisible()).toBe(true);
      await searchOrders(page, 'Booking reference', reference.toLowerCase());
      const open = page.getByRole('link', { name: `Open order ${reference}` });
      await expect.poll(() => open.isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('heading', { name: '1 order' }).isVisible()).toBe(true);
      await searchOrders(page, 'Contact email', email.toUpperCase());
      await expect.poll(() => open.isVisible()).toBe(true);
      await expectAccessible(page, `order search (${name})`);
      await screenshot(page, `agent-order-search-${name}`);

      // The order's screen.
      await open.click();
      await expect.poll(() => heading(page, new RegExp(`Order ${reference}`)).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('cell', { name: 'Dorothy Vaughan' }).first().isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('cell', { name: 'E-ticket' }).first().isVisible()).toBe(true);
      // Its timeline, from the hold to the tickets, and the link to its workflow in the Temporal Web UI.
      await expect.poll(() => page.getByRole('heading', { level: 2, name: 'Timeline' }).isVisible()).toBe(true);
      const timeline = page.getByRole('region', { name: 'Timeline' });
      await expect.poll(() => timeline.getByText(/Ticketed: 1 e-ticket/).isVisible()).toBe(true);
      await expect.poll(() => timeline.getByText(/Order created, seats held/).isVisible()).toBe(true);
      const temporal = page.getByRole('link', { name: /in the Temporal Web UI/ });
      expect(await temporal.getAttribute('href')).toMatch(new RegExp(`/namespaces/[^/]+/workflows/order-${orderId}$`));
      await expectAccessible(page, `order screen (${name})`);
      await screenshot(page, `agent-order-${name}`);

      if (name === 'desktop') {
        // A bag for the customer, charged to their token: its EMD appears.
        await page.getByLabel('Payment token').fill('tok_visa');
        await page.getByRole('button', { name: /^Add and charge/ }).click();
        await expect.poll(() => page.getByText(/added for Dorothy Vaughan/).isVisible()).toBe(true);
        await expect.poll(() => page.getByRole('cell', { name: /^EMD/ }).first().isVisible()).toBe(true);

        // A seat for the customer, picked on the live map and confirmed with its price shown; then another day's flight.
        await expect.poll(() => page.getByText('Live: seats others take grey out').isVisible()).toBe(true);
        await page
          .getByRole('region', { name: /^Seat map, / })
          .getByRole('button', { name: /^Seat 1C, aisle, / })
          .click();
        await expect.poll(() => page.getByText(/seat-map price .*at most .* is charged/).isVisible()).toBe(true);
        await page.getByRole('button', { name: 'Confirm seat 1C' }).click();
        await expect.poll(() => page.getByText(/Dorothy Vaughan is in seat 1C; .* charged\./).isVisible()).toBe(true);
        await expect
          .poll(async () => (await api('GET', `/v1/orders/${orderId}`, { token: customer })).body.items)
          .toContainEqual(expect.objectContaining({ product_type: 'Seat', seat_number: '1C' }));

        // A cancellation: the quote's amounts first, then the confirm that refunds exactly them.
        await page.getByRole('button', { name: 'Quote a cancellation' }).click();
        const confirm = page.getByRole('button', { name: /^Confirm cancellation and refund / });
        await expect.poll(() => confirm.isVisible()).toBe(true);
        await expect.poll(() => page.getByText('Penalty', { exact: true }).isVisible()).toBe(true);
        await expectAccessible(page, `cancellation quote (${name})`);
        await screenshot(page, `agent-cancellation-quote-${name}`);
        const refundText = (await confirm.textContent())!.replace('Confirm cancellation and refund ', '');
        await confirm.click();
        await expect.poll(() => page.getByText(`Cancelled: ${refundText} refunded`).isVisible()).toBe(true);
        await expect.poll(() => heading(page, /CANCELLED/).isVisible()).toBe(true);
        const after = await api('GET', `/v1/orders/${orderId}`, { token: customer });
        expect(after.body.status).toBe('CANCELLED');
        // The timeline follows the servicing: the bag, the quote, the cancellation and its refund.
        for (const told of [/Services added: /, /Cancellation quoted: /, /^refund Refunded /, /Cancelled \(/]) {
          await expect.poll(() => timeline.getByRole('cell', { name: told }).first().isVisible()).toBe(true);
        }
      }

      // The flight, by its number and day: the manifest.
      await page.getByRole('navigation', { name: 'Agent portal' }).getByRole('link', { name: 'Flights' }).click();
      await expect.poll(() => heading(page, 'Find a flight').isVisible()).toBe(true);
      await page.getByLabel('Flight number').fill(`ZZ${flight.flightNumber}`);
      await page.getByLabel('Departure day (UTC)').fill(day);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: `ZZ${flight.flightNumber}` }).click();
      await expect.poll(() => heading(page, new RegExp(`Flight ZZ${flight.flightNumber}`)).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('heading', { name: 'Manifest' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('cell', { name: /VAUGHAN, Dorothy/ }).isVisible()).toBe(true);
      await expectAccessible(page, `manifest (${name})`);
      await screenshot(page, `agent-manifest-${name}`);

      // The cancelled flight's disruption view: who took the refund, who has not answered.
      await page.goto(`/agent/flights/${cancelled.id}`);
      await expect.poll(() => page.getByRole('heading', { name: /flight cancelled/ }).isVisible()).toBe(true);
      const rowOf = (id: string) =>
        page
          .getByRole('row')
          .filter({ hasText: recordLocator(id) })
          .last();
      await expect.poll(() => rowOf(refunding).textContent()).toContain('Took the refund');
      await expect.poll(() => rowOf(silent).textContent()).toContain('No answer yet');
      await expect.poll(() => page.getByText('2 affected: 1 no answer yet').isVisible()).toBe(true);
      await expectAccessible(page, `disruptions (${name})`);
      await screenshot(page, `agent-disruptions-${name}`);

      expectClean(watched);
      await watched.context.close();
    }
  });
});
