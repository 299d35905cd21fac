/**
 * The browser tests' harness: Debian's Chromium (scripts/infra.sh installs it) driven by playwright-core, no
 * browser download. A page is opened on the API of a test stack (which serves the web app, api/web.ts) and
 * watched: every request to another origin is refused and recorded (the app must work offline), and uncaught
 * errors and refused-by-CSP messages are recorded, so a test can assert the page stayed clean. Screenshots go to
 * .data/screenshots/ (the README's copies are in docs/screenshots/).
 */
import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Services } from '../../lib/services';
import { startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices } from '../support/services';

export const CHROMIUM = process.env.ALTIS_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = new URL('../../.data/screenshots/', import.meta.url).pathname;

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1366, height: 900 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // --no-sandbox: CI runs as root; the pages are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export interface BrowserStack {
  services: Services;
  /** The API (serving the web app), worker and sandbox of the file. */
  stack: OrderStack;
  browser: Browser;
}

/**
 * A browser test file's stack, opened before its tests and closed after them: the real services, an order stack on
 * them and Chromium. `prepare` runs on the services before the stack starts (the file's flights).
 */
export function browserStack(prepare?: (services: Services) => Promise<void>): BrowserStack {
  const t = {} as BrowserStack;
  beforeAll(async () => {
    t.services = await openTestServices();
    await prepare?.(t.services);
    t.stack = await startOrderStack(t.services);
    t.browser = await launchBrowser();
  });
  afterAll(async () => {
    await t.browser?.close();
    await t.stack?.close();
    await t.services?.close();
  });
  return t;
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Requests the page tried to send to another origin (refused). */
  offOrigin: string[];
  /** Uncaught errors and Content-Security-Policy refusals. */
  problems: string[];
}

export async function openPage(
  browser: Browser,
  baseUrl: string,
  opts: { viewport?: { width: number; height: number }; locale?: string; timezoneId?: string } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: opts.viewport ?? DESKTOP,
    locale: opts.locale ?? 'en-GB',
    timezoneId: opts.timezoneId ?? 'Europe/London',
    serviceWorkers: 'block',
  });
  const origin = new URL(baseUrl).origin;
  const offOrigin: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
    offOrigin.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  return { page, context, offOrigin, problems };
}

/** The page made no request elsewhere and had no uncaught error or CSP refusal. */
export function expectClean(watched: WatchedPage): void {
  expect(watched.offOrigin).toEqual([]);
  expect(watched.problems).toEqual([]);
}

/** axe-core over the page as it is now (WCAG 2.1 A and AA): no serious or critical violation. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

/** A full-page screenshot in .data/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
