/**
 * The shopper's steps on the booking site, shared by the booking and seat-map tests: search a route's day, choose
 * the first offer, name one adult, and arrive at the seat maps (the order accepted, its seats held).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import type { TestFlight } from '../support/flights';

export async function searchFlight(page: Page, flight: TestFlight): Promise<void> {
  await page.getByLabel('From').fill(flight.origin);
  await page.getByLabel('To').fill(flight.destination);
  await page.getByLabel('Departure date').fill(flight.departureAt.toISOString().slice(0, 10));
  await page.getByRole('button', { name: 'Search flights' }).click();
  await expect.poll(() => page.getByRole('heading', { name: 'Choose your fare' }).isVisible()).toBe(true);
}

export async function chooseFirstOffer(page: Page): Promise<void> {
  await page
    .getByRole('button', { name: /^Choose / })
    .first()
    .click();
  await expect.poll(() => page.getByRole('heading', { name: 'Who is flying' }).isVisible()).toBe(true);
}

export async function nameTraveler(page: Page, first = 'Jane', last = 'Doe'): Promise<void> {
  await page.getByLabel('First name').fill(first);
  await page.getByLabel('Last name').fill(last);
  await page.getByLabel('Contact email').fill('jane@example.com');
  await page.getByRole('button', { name: 'Continue to seats' }).click();
  await expect.poll(() => page.getByRole('heading', { name: 'Seats and payment' }).isVisible()).toBe(true);
  await expect.poll(() => page.getByRole('button', { name: /^Seat \d+[A-K], / }).count()).toBeGreaterThan(0);
}

/** An item of the page's sessionStorage, or null. */
export const sessionItem = (page: Page, key: string): Promise<string | null> =>
  page.evaluate((k) => {
    // Runs in the page, which has sessionStorage; this file is type-checked without the DOM library.
    const storage = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage;
    return storage.getItem(k);
  }, key);

/** The session token the page made (its guest), for the test's own reads of what the page did. */
export const pageToken = async (page: Page): Promise<string> =>
  (JSON.parse((await sessionItem(page, 'altis.session')) ?? '{}') as { token: string }).token;

let zxingReady = false;
/** The texts of the PDF417 barcodes in a PNG (zxing-cpp as WebAssembly, loaded from node_modules: offline). */
export async function decodePdf417(png: Uint8Array): Promise<string[]> {
  if (!zxingReady) {
    const wasm = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
    const bytes = readFileSync(wasm);
    await prepareZXingModule({
      overrides: { wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      fireImmediately: true,
    });
    zxingReady = true;
  }
  const found = await readBarcodes(png, { formats: ['PDF417'], tryHarder: true });
  return found.filter((b) => b.isValid).map((b) => b.text);
}
