import { describe, expect, it } from 'vitest';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { chooseFirstOffer, nameTraveler, searchFlight } from './booking-flow';
import { expectAccessible, expectClean, openPage, screenshot, browserStack } from './support';

// The seat map is live: while the page is open, another client (over the API's HTTP) holds a seat, and the page
// greys it out from the flight's event stream; the other client lets it go, and it is free again.
const route = testRoute('browser-seat-map');
let flight: TestFlight;
const t = browserStack(async (services) => {
  flight = await createTestFlight(services, { route, capacity: 12 });
});

/** Another shopper, over HTTP: a guest that accepts an offer on the flight. */
async function otherShopper(): Promise<{ orderId: string; headers: Record<string, string> }> {
  const api = t.stack.apiUrl;
  const { token } = (await (await fetch(`${api}/v1/auth/guest`, { method: 'POST' })).json()) as { token: string };
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const search = (await (
    await fetch(`${api}/v1/offers/search`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        origin: flight.origin,
        destination: flight.destination,
        departure_date: flight.departureAt.toISOString().slice(0, 10),
        passengers: 1,
      }),
    })
  ).json()) as { offers: { id: string }[] };
  const accepted = await fetch(`${api}/v1/offers/${search.offers[0]!.id}/accept`, {
    method: 'POST',
    headers: { ...headers, 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({
      travelers: [{ ptc: 'ADT', first_name: 'Other', last_name: 'Shopper' }],
      contact: { email: 'other@example.com' },
    }),
  });
  expect(accepted.status).toBe(201);
  return { orderId: ((await accepted.json()) as { id: string }).id, headers };
}

describe('the seat map', () => {
  it('greys out a seat another client takes while the page is open, and frees it when let go', async () => {
    const watched = await openPage(t.browser, t.stack.apiUrl);
    const { page } = watched;
    await page.goto('/');
    await searchFlight(page, flight);
    await chooseFirstOffer(page);
    await nameTraveler(page);
    await expect.poll(() => page.getByText('Live: seats others take grey out').isVisible()).toBe(true);
    const free = page.getByRole('button', { name: /^Seat 3C, aisle, / });
    expect(await free.isEnabled()).toBe(true);

    const other = await otherShopper();
    const held = await fetch(`${t.stack.apiUrl}/v1/orders/${other.orderId}/seats`, {
      method: 'POST',
      headers: { ...other.headers, 'Idempotency-Key': crypto.randomUUID() },
      body: JSON.stringify({ traveler_ref: 'ADT1', flight_id: flight.id, seat_number: '3C' }),
    });
    expect(held.status).toBe(200);
    const taken = page.getByRole('button', { name: 'Seat 3C, occupied' });
    await expect.poll(() => taken.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await taken.isDisabled()).toBe(true);
    await expectAccessible(page, 'seat map, a seat taken by another');
    await screenshot(page, 'seat-map-live');

    const cancelled = await fetch(`${t.stack.apiUrl}/v1/orders/${other.orderId}/cancel`, {
      method: 'POST',
      headers: { ...other.headers, 'Idempotency-Key': crypto.randomUUID() },
      body: '{}',
    });
    expect(cancelled.status).toBe(200);
    await expect.poll(() => free.isEnabled(), { timeout: 10_000 }).toBe(true);
    expectClean(watched);
    await watched.context.close();
  });
});
