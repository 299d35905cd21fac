/**
 * Manage booking in a browser (issue #16): a traveler who booked over the API finds the booking by reference and
 * last name (a wrong name is refused without saying whether the reference exists), sees its items, documents and
 * timeline, adds a bag, moves to another seat (the price shown before the confirm), changes to the next day's flight
 * (the change offer's amounts shown before the confirm), then cancels (the quote's refund and penalty shown before
 * the confirm). Each step is checked against the API afterwards. axe on each page, phone and desktop screenshots,
 * nothing loaded from elsewhere, and the page never swaps the session's token for the order's.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { FareConditions } from '../../domain/commercial';
import { decodeBcbp } from '../../domain/bcbp';
import { recordLocator } from '../../domain/record-locator';
import { saveOffers } from '../../services/offer-store';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { apiClient } from '../support/harness';
import { tokenFor } from '../support/tokens';
import { sessionItem } from './booking-flow';
import { DESKTOP, PHONE, browserStack, expectAccessible, expectClean, openPage, screenshot } from './support';

const route = testRoute('browser-manage');
const CHANGEABLE: FareConditions = {
  refund_before_departure: { allowed: true, penalty_amount: 4_000, penalty_currency: 'USD' },
  change_before_departure: { allowed: true, penalty_amount: 1_500, penalty_currency: 'USD' },
  no_show: { allowed: false, penalty_amount: null, penalty_currency: null },
};

const day = new Date(Date.now() + (5 + Math.floor(Math.random() * 60) * 3) * 86_400_000).toISOString().slice(0, 10);
const nextDay = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
let first: TestFlight;
let second: TestFlight;
let soon: TestFlight; // leaves within the check-in window (24 h to 60 min before departure)
const t = browserStack(async (services) => {
  soon = await createTestFlight(services, { route, departsInMs: 5 * 3_600_000, capacity: 12 });
  first = await createTestFlight(services, { route, departureAt: new Date(`${day}T09:00:00Z`), capacity: 12 });
  second = await createTestFlight(services, { route, departureAt: new Date(`${nextDay}T10:30:00Z`), capacity: 12 });
});

/** A paid order of a fresh customer on the first flight: its id and that customer's own token. */
async function bookedOverHttp(flight = first): Promise<{ id: string; token: string }> {
  const api = apiClient(t.stack.apiUrl);
  const { token } = await tokenFor(t.services, t.stack.config);
  const offer = await createTestOffer(t.services.redis, [flight]);
  await saveOffers(t.services.redis, [{ ...offer, conditions: CHANGEABLE }], 900);
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token,
    body: {
      travelers: [{ ptc: 'ADT', first_name: 'Mary', last_name: 'Jackson', date_of_birth: '1981-04-09' }],
      contact: { email: `mary-${randomUUID().slice(0, 8)}@example.com` },
    },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const id = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${id}/pay`, { token, body: { payment_token: 'tok_visa' } });
  expect(paid.body.status).toBe('FULFILLED');
  return { id, token };
}

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });
const visible = (page: Page, text: string | RegExp) => expect.poll(() => page.getByText(text).first().isVisible());

async function findBooking(page: Page, reference: string, lastName: string) {
  await page.getByLabel('Booking reference').fill(reference);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByRole('button', { name: 'Find my booking' }).click();
}

describe('manage booking', () => {
  it('finds a booking by reference and last name, and on a phone shows it whole', async () => {
    const order = await bookedOverHttp();
    const reference = recordLocator(order.id);
    const watched = await openPage(t.browser, t.stack.apiUrl, { viewport: PHONE });
    const { page } = watched;
    await page.goto('/manage');
    await expect.poll(() => heading(page, 'Manage your booking').isVisible()).toBe(true);
    await expectAccessible(page, 'find a booking (phone)');
    await screenshot(page, 'manage-find-phone');

    await findBooking(page, reference, 'Johnson');
    await visible(page, 'We found no booking with this reference and last name').toBe(true);
    await findBooking(page, 'AB', 'Jackson');
    await visible(page, 'six letters and digits, as on the confirmation').toBe(true);
    await expectAccessible(page, 'find a booking, refused (phone)');

    await findBooking(page, reference.toLowerCase(), ' jackson ');
    await page.waitForURL((url) => url.pathname === `/manage/${order.id}`);
    await expect.poll(() => heading(page, new RegExp(`Booking ${reference}`)).isVisible()).toBe(true);
    await expect
      .poll(() => page.getByRole('img', { name: /Boarding pass barcode, Mary Jackson/ }).isVisible())
      .toBe(true);
    await expect
      .poll(() =>
        page
          .getByRole('region', { name: 'Timeline' })
          .getByText(/Ticketed/)
          .isVisible(),
      )
      .toBe(true);
    await expectAccessible(page, 'manage booking (phone)');
    await screenshot(page, 'manage-order-phone');
    // The order token is the page's own: the session (the booking pages' token) is not replaced by it.
    expect(await sessionItem(page, 'altis.session')).toBeNull();
    // Another order's page, with no token for it and no session: the page says so and asks the API nothing.
    const other = await bookedOverHttp();
    await page.goto(`/manage/${other.id}`);
    await visible(page, 'This booking cannot be opened here').toBe(true);
    expect(await sessionItem(page, 'altis.session')).toBeNull(); // no guest was made for it
    expectClean(watched);
    await watched.context.close();
  });

  it('adds a bag, changes the seat and the flight, then cancels, each amount shown before it is confirmed', async () => {
    const order = await bookedOverHttp();
    const reference = recordLocator(order.id);
    const api = apiClient(t.stack.apiUrl);
    const read = async () => (await api('GET', `/v1/orders/${order.id}`, { token: order.token })).body;
    const watched = await openPage(t.browser, t.stack.apiUrl, { viewport: DESKTOP });
    const { page } = watched;
    await page.goto('/manage');
    await findBooking(page, reference, 'JACKSON');
    await expect.poll(() => heading(page, new RegExp(`Booking ${reference}`)).isVisible()).toBe(true);
    await screenshot(page, 'manage-order-desktop');

    // A bag, charged to the card token: its EMD is listed.
    await page.getByLabel('Payment token').fill('tok_visa');
    await page.getByRole('button', { name: /^Add and charge/ }).click();
    await visible(page, /added for Mary Jackson: .* charged, EMD \d+/).toBe(true);
    await visible(page, /Mary Jackson: EMD-A \d+/).toBe(true);
    expect(((await read()).items as { product_type: string }[]).some((i) => i.product_type === 'Bag')).toBe(true);

    // A seat: picked on the live map, confirmed with its price shown.
    const seatMap = page.getByRole('region', { name: /^Seat map, / });
    await expect.poll(() => page.getByText('Live: seats others take grey out').isVisible()).toBe(true);
    const seat = seatMap.getByRole('button', { name: /^Seat 2C, aisle, / });
    const price = (await seat.getAttribute('aria-label'))!.replace(/^Seat 2C, aisle, /, '');
    await seat.click();
    await visible(page, `seat-map price ${price}`).toBe(true);
    await expectAccessible(page, 'seat change, before the confirm');
    await screenshot(page, 'manage-seat-change-desktop');
    await page.getByRole('button', { name: 'Confirm seat 2C' }).click();
    await visible(page, /Mary Jackson is in seat 2C; .* charged\./).toBe(true);
    await expect
      .poll(async () => ((await read()).items as { seat_number: string | null }[]).some((i) => i.seat_number === '2C'))
      .toBe(true);

    // The flight: the next day's, priced (fare difference, penalty, total) before the confirm.
    await page.getByLabel('New date').fill(nextDay);
    await page.getByRole('button', { name: 'Find other flights' }).click();
    const option = page.getByRole('radio', { name: new RegExp(`ZZ${second.flightNumber} .*penalty (US)?\\$15\\.00`) });
    await expect.poll(() => option.isVisible()).toBe(true);
    await option.check();
    const confirmChange = page.getByRole('button', { name: /^Confirm the change: / });
    await expectAccessible(page, 'flight change offers');
    await screenshot(page, 'manage-flight-change-desktop');
    await confirmChange.click();
    await visible(page, new RegExp(`Changed to ZZ${second.flightNumber}; your new total is`)).toBe(true);
    await expect
      .poll(async () => ((await read()).segments as { flight_id: string }[]).map((s) => s.flight_id))
      .toEqual([second.id]);

    // Cancel: the quote's refund and penalty, then the confirm that refunds exactly that.
    await page.getByRole('button', { name: 'Quote a cancellation' }).click();
    const confirm = page.getByRole('button', { name: /^Confirm cancellation and refund / });
    await expect.poll(() => confirm.isVisible()).toBe(true);
    await visible(page, 'Penalty').toBe(true);
    await expectAccessible(page, 'cancellation quote');
    await screenshot(page, 'manage-cancellation-quote-desktop');
    const refundText = (await confirm.textContent())!.replace('Confirm cancellation and refund ', '');
    await confirm.click();
    await visible(page, `Cancelled: ${refundText} refunded`).toBe(true);
    await expect.poll(() => heading(page, /CANCELLED/).isVisible()).toBe(true);
    expect((await read()).status).toBe('CANCELLED');
    await expectAccessible(page, 'manage booking, cancelled');
    expectClean(watched);
    await watched.context.close();
  });

  it('checks in on a flight whose check-in is open, and shows the pass reissued with the seat', async () => {
    const order = await bookedOverHttp(soon);
    const watched = await openPage(t.browser, t.stack.apiUrl, { viewport: DESKTOP });
    const { page } = watched;
    await page.goto('/manage');
    await findBooking(page, recordLocator(order.id), 'Jackson');
    await expect.poll(() => heading(page, /FULFILLED/).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Check in every traveler' }).click();
    await visible(page, /^Checked in: \d{13} seat \d+[A-Z]\.$/).toBe(true);
    const seat = /seat (\d+[A-Z])\.$/.exec((await page.getByText(/^Checked in: /).textContent())!)![1];
    const pass = (await apiClient(t.stack.apiUrl)('GET', `/v1/orders/${order.id}/fulfillment`, { token: order.token }))
      .body.boarding_passes[0] as { bcbp: string };
    const leg = decodeBcbp(pass.bcbp).legs[0]!;
    expect(leg.seat).toBe(seat);
    expect(Number(leg.checkInSequence)).toBeGreaterThan(0);
    // The barcode on the page is the checked-in pass's (its BCBP carries the seat).
    await expect
      .poll(() => page.getByRole('img', { name: /Boarding pass barcode, Mary Jackson/ }).getAttribute('data-bcbp'))
      .toBe(pass.bcbp);
    await expectAccessible(page, 'manage booking, checked in');
    await screenshot(page, 'manage-checked-in-desktop');
    expectClean(watched);
    await watched.context.close();
  });
});
