import { describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, expectAccessible, expectClean, openPage, screenshot, browserStack } from './support';

// The web app as the API serves it: its pages at their paths (a deep link works), JSON 404s elsewhere, a
// Content-Security-Policy of 'self', nothing loaded from another origin.
const t = browserStack();

describe('the web app served by the API', () => {
  it('serves the pages at their paths with a self-only policy, and JSON 404s elsewhere', async () => {
    for (const path of ['/', '/manage', '/agent/orders', '/analytics', '/sign-in']) {
      const res = await fetch(`${t.stack.apiUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await res.text()).toContain('<div id="root"></div>');
    }
    const html = await (await fetch(`${t.stack.apiUrl}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${t.stack.apiUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    for (const path of ['/assets/nope.js', '/nope', '/v1/nope']) {
      const res = await fetch(`${t.stack.apiUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });

  it('renders the shell, usable by keyboard at phone and desktop widths, offline', async () => {
    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const watched = await openPage(t.browser, t.stack.apiUrl, { viewport });
      const { page } = watched;
      await page.goto('/sign-in');
      await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
      await page.keyboard.press('Tab');
      await expect
        .poll(() =>
          page.getByRole('link', { name: 'Skip to content' }).evaluate((el) => el === el.ownerDocument.activeElement),
        )
        .toBe(true);
      await expectAccessible(page, `sign-in (${name})`);
      await screenshot(page, `shell-sign-in-${name}`);
      expectClean(watched);
      await watched.context.close();
    }
  });
});
