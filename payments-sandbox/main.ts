/**
 * Starts the payments sandbox as its own process (`npm run gateway`). Settings come from config/default.toml
 * (payments.gateway_url gives host and port, payments.gateway_api_key, payments.webhook_secret, server.port for
 * the webhook target), each overridable by SANDBOX_* env vars:
 *   SANDBOX_PORT, SANDBOX_HOST, SANDBOX_API_KEY, SANDBOX_WEBHOOK_URL, SANDBOX_WEBHOOK_SECRET,
 *   SANDBOX_ASYNC_DELAY_MS (default 2000), SANDBOX_STATE_FILE (persist charges across restarts).
 */
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { pino } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../config';
import { createSandboxApp } from './app';

const envSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SANDBOX_HOST: z.string().min(1).optional(),
  SANDBOX_API_KEY: z.string().min(1).optional(),
  SANDBOX_WEBHOOK_URL: z.url().optional(),
  SANDBOX_WEBHOOK_SECRET: z.string().min(1).optional(),
  SANDBOX_ASYNC_DELAY_MS: z.coerce.number().int().min(0).optional(),
  SANDBOX_STATE_FILE: z.string().min(1).optional(),
});

function settings() {
  const config = loadConfig();
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid payments sandbox environment:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const gatewayUrl = new URL(config.payments.gateway_url);
  return {
    logLevel: config.log.level,
    host: env.SANDBOX_HOST ?? gatewayUrl.hostname,
    port: env.SANDBOX_PORT ?? Number(gatewayUrl.port || 8090),
    apiKey: env.SANDBOX_API_KEY ?? config.payments.gateway_api_key,
    webhookUrl: env.SANDBOX_WEBHOOK_URL ?? `http://127.0.0.1:${config.server.port}/v1/webhooks/payments`,
    webhookSecret: env.SANDBOX_WEBHOOK_SECRET ?? config.payments.webhook_secret,
    asyncDelayMs: env.SANDBOX_ASYNC_DELAY_MS ?? 2000,
    stateFile: env.SANDBOX_STATE_FILE ?? null,
  };
}

async function run(): Promise<void> {
  const s = settings();
  const log = pino({ name: 'payments-sandbox', level: s.logLevel });
  const sandbox = createSandboxApp({
    apiKey: s.apiKey,
    webhookUrl: s.webhookUrl,
    webhookSecret: s.webhookSecret,
    asyncDelayMs: s.asyncDelayMs,
    stateFile: s.stateFile,
    log,
  });
  const server = createServer(getRequestListener(sandbox.app.fetch));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.port, s.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : s.port;
  log.info(
    {
      url: `http://${s.host}:${port}`,
      webhookUrl: s.webhookUrl,
      stateFile: s.stateFile,
      charges: sandbox.store.charges.size,
    },
    'payments sandbox listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'payments sandbox stopping');
    server.close();
    server.closeAllConnections(); // includes the tok_timeout requests that are never answered
    sandbox
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
