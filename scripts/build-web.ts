/**
 * npm run build:web's work as a function: the web app (web/) built to web/dist by Vite, which the API serves at /
 * (api/web.ts). The test run's global setup calls it (the browser tests load what the sources say now), as do
 * npm start and npm run build.
 */
import { build } from 'vite';

const root = new URL('../web/', import.meta.url).pathname;

export async function buildWeb(): Promise<void> {
  await build({ configFile: `${root}vite.config.ts`, root, logLevel: 'warn' });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  await buildWeb();
  console.log(`[build:web] web/dist in ${Date.now() - t0} ms`);
}
