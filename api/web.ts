/**
 * The web app (web/, built by `npm run build:web` to web/dist) served by the API itself: its hashed assets under
 * /assets/ (cached for a year), and index.html for each path the app routes (web/src/app.tsx), so a reload or a
 * shared link works. Every other path keeps the API's JSON 404. The pages load nothing from another origin: a
 * Content-Security-Policy of 'self' says so to the browser. Static answers come before the per-IP rate limit (a
 * page load is a handful of files), after the request id and log.
 */
import { existsSync, readFileSync } from 'node:fs';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';
import type { AppEnv } from './deps';

/** The paths of the app's pages (web/src/app.tsx's routes). */
export const WEB_PATHS = [
  '/',
  '/book/*',
  '/manage',
  '/manage/*',
  '/agent',
  '/agent/*',
  '/analytics',
  '/analytics/*',
  '/sign-in',
];

/** Where the built app's hashed scripts, styles and images are served from. */
export const WEB_ASSETS_PATH = '/assets/*';

/** web/dist beside the source tree, and dist/web/dist in the production build (scripts/build.ts copies it). */
const WEB_ROOT = new URL('../web/dist/', import.meta.url).pathname;

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};

export function mountWeb(app: Hono<AppEnv>, root = WEB_ROOT): void {
  const indexFile = `${root}index.html`;
  let index: string | undefined;
  const page = () => {
    // Read once it exists: an API started before `npm run build:web` serves the app once it is built.
    index ??= existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : undefined;
    return index;
  };
  for (const path of WEB_PATHS) {
    app.get(path, (c) => {
      const html = page();
      if (html === undefined) {
        return c.text('The web app is not built: run `npm run build:web` (npm start and npm test do).', 503);
      }
      return c.html(html, 200, PAGE_HEADERS);
    });
  }
  app.use(WEB_ASSETS_PATH, async (c, next) => {
    await next();
    if (c.res.status === 200) {
      c.res.headers.set('Cache-Control', 'public, max-age=31536000, immutable');
      c.res.headers.set('X-Content-Type-Options', 'nosniff');
    }
  });
  app.get(WEB_ASSETS_PATH, serveStatic({ root }));
}
