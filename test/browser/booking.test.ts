import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { chooseFirstOffer, decodePdf417, nameTraveler, pageToken, searchFlight } from './booking-flow';
import { DESKTOP, PHONE, expectAccessible, expectClean, openPage, screenshot, browserStack } from './support';

// The shopper's booking end to end in Chromium against the real stack: search (autocomplete, validation next to
// the field) → offers → travelers → seat → pay (declined, then pending and paid) → confirmation, whose boarding
// pass barcode decodes back to the BCBP string the API issued; and the hold's expiry by the page's clock.
const route = testRoute('browser-booking');
let flight: TestFlight;
const t = browserStack(async (services) => {
  flight = await createTestFlight(services, { route, capacity: 12 });
});

/** axe and a full-page screenshot of the page as it is, at phone and at desktop width. */
async function capture(page: Page, name: string): Promise<void> {
  for (const [width, viewport] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    await page.setViewportSize(viewport);
    await expectAccessible(page, `${name} (${width})`);
    await screenshot(page, `${name}-${width}`);
  }
}

describe('the booking site', () => {
  it('books a flight from search to a scannable boarding pass', async () => {
    const watched = await openPage(t.browser, t.stack.apiUrl);
    const { page } = watched;
    await page.goto('/');
    await expect.poll(() => page.getByRole('heading', { name: 'Book a flight' }).isVisible()).toBe(true);

    // (ensureTestRoute clears this route's flights of earlier runs at the next run's start.)
    // The airport autocomplete: suggestions from GET /v1/airports as the shopper types.
    await page.getByLabel('From').fill(flight.origin.slice(0, 2));
    await expect.poll(() => page.locator(`datalist option[value="${flight.origin}"]`).count()).toBe(1);
    // The API's validation message next to its field.
    await page.getByLabel('From').fill(flight.origin);
    await page.getByLabel('To').fill('X');
    await page.getByRole('button', { name: 'Search flights' }).click();
    await expect.poll(() => page.getByLabel('To').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-invalid .field-error').first().textContent()).toContain('IATA');
    await capture(page, 'booking-search');

    await searchFlight(page, flight);
    const bundles = await page.locator('.bundle').count();
    expect(bundles).toBeGreaterThanOrEqual(3);
    expect(bundles).toBeLessThanOrEqual(5);
    expect(await page.locator('.bundle .price').first().textContent()).toMatch(/^US\$\d|^\$\d/);
    expect(await page.locator('.bundle .conditions').first().textContent()).toMatch(/refund/i);
    await capture(page, 'booking-offers');

    await chooseFirstOffer(page);
    await page.getByRole('button', { name: 'Continue to seats' }).click();
    await expect.poll(() => page.getByLabel('First name').getAttribute('aria-invalid')).toBe('true');
    await capture(page, 'booking-travelers');
    await nameTraveler(page);
    await expect.poll(() => page.getByRole('timer').textContent()).toMatch(/held for (29|30):\d\d/);

    // A seat, by keyboard: its button named for what it is and costs.
    const seat = page.getByRole('button', { name: /^Seat 1A, window, / });
    await seat.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => seat.getAttribute('aria-pressed')).toBe('true');
    expect(await seat.getAttribute('aria-label')).toBe('Seat 1A, window, chosen for Jane Doe');
    await capture(page, 'booking-seats');
    // A reload comes back to the held order, read again from the API: its seat and its countdown.
    await page.reload();
    await expect.poll(() => seat.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.getByRole('timer').textContent()).toMatch(/held for (29|30):\d\d/);

    // Declined: the message, and the shopper tries again; then pending (the bank's check), then paid.
    await page.getByLabel(/tok_chargeDeclined$/).check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await expect.poll(() => page.locator('.form-error').textContent()).toMatch(/declined/i);
    await capture(page, 'booking-payment-declined');
    await page.getByLabel(/ tok_async$/).check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await expect.poll(() => page.getByText('Waiting for your bank').isVisible()).toBe(true);
    await expect
      .poll(() => page.getByRole('heading', { name: /^Booked: / }).isVisible(), { timeout: 20_000 })
      .toBe(true);

    const reference = (await page.locator('.booking-reference').textContent())!;
    expect(reference).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
    expect(await page.locator('.ticket-number').first().textContent()).toMatch(/^\d{13}$/);
    const barcode = page.getByRole('img', { name: /^Boarding pass barcode, Jane Doe/ });
    await expect.poll(() => barcode.isVisible()).toBe(true);
    await capture(page, 'booking-confirmation');
    await page.reload(); // and to the confirmation once paid
    await expect.poll(() => page.getByRole('heading', { name: `Booked: ${reference}` }).isVisible()).toBe(true);
    await expect.poll(() => barcode.isVisible()).toBe(true);

    // The barcode as the page shows it decodes to the pass the API issued.
    const token = await pageToken(page);
    const headers = { Authorization: `Bearer ${token}` };
    const found = (await (
      await fetch(`${t.stack.apiUrl}/v1/orders?booking_reference=${reference}`, { headers })
    ).json()) as { data: { id: string }[] };
    const orderId = found.data[0]!.id;
    const fulfillment = (await (
      await fetch(`${t.stack.apiUrl}/v1/orders/${orderId}/fulfillment`, { headers })
    ).json()) as {
      boarding_passes: { bcbp: string }[];
    };
    const bcbp = fulfillment.boarding_passes[0]!.bcbp;
    expect(bcbp).toMatch(/^M1DOE\/JANE/);
    await page.setViewportSize(DESKTOP);
    expect(await decodePdf417(await barcode.screenshot())).toEqual([bcbp]);
    expectClean(watched);
    await watched.context.close();
  });

  // The API's hold is 30 minutes; the page's countdown is driven past it by Playwright's clock (page.clock).
  it('says when the hold has expired and offers a new search', async () => {
    const watched = await openPage(t.browser, t.stack.apiUrl, { viewport: PHONE });
    const { page } = watched;
    await page.clock.install();
    await page.goto('/');
    await searchFlight(page, flight);
    await chooseFirstOffer(page);
    await nameTraveler(page, 'John', 'Roe');
    await page.clock.fastForward('30:05');
    await expect.poll(() => page.getByRole('heading', { name: 'Your hold has expired' }).isVisible()).toBe(true);
    await capture(page, 'booking-expired');
    await page.getByRole('button', { name: 'New search' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Book a flight' }).isVisible()).toBe(true);
    expectClean(watched);
    await watched.context.close();
  });
});
