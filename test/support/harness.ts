import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Worker } from '@temporalio/worker';
import { createApp, type App } from '../../api/app';
import { createHttpServer } from '../../api/server';
import type { AppConfig } from '../../config';
import { createSandboxApp, type SandboxApp } from '../../payments-sandbox/app';
import type { Logger } from '../../lib/logger';
import type { Services } from '../../lib/services';
import { createWorker, type WorkerOptions } from '../../worker/worker';
import { silentLogger, testConfig, uniqueTaskQueue, workflowBundle } from './services';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

type Fetch = App['fetch'] | SandboxApp['app']['fetch'];

/**
 * A server on a port the OS picked, answering with the handler given later to `use`: the port is known before the
 * apps that need it are built, with no window between picking a port and binding it in which a test file running
 * in parallel could take it (freePort + listen had one: EADDRINUSE).
 */
async function openServer(
  serverConfig: AppConfig['server'],
): Promise<{ server: ServerType; port: number; use: (fetch: Fetch) => void }> {
  let handler: Fetch | null = null;
  const server = createHttpServer(
    (req: Request) => (handler ? handler(req) : new Response('starting', { status: 503 })),
    serverConfig,
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return { server, port, use: (fetch) => (handler = fetch) };
}

export function listen(fetch: App['fetch'] | SandboxApp['app']['fetch'], port: number): Promise<ServerType> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, () => resolve(server));
  });
}

export const closeServer = (server: ServerType) =>
  new Promise<void>((resolve) => {
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close(() => resolve());
  });

/**
 * The whole order path of one test file: the API on a real port, a payment sandbox whose webhooks reach that
 * API, and a worker on a task queue of the file's own.
 */
export interface OrderStack {
  config: AppConfig;
  app: App;
  apiUrl: string;
  sandbox: SandboxApp;
  sandboxUrl: string;
  worker: Worker;
  taskQueue: string;
  close(): Promise<void>;
}

export interface OrderStackOptions {
  asyncDelayMs?: number;
  /** false: build the worker but do not run it. */
  worker?: boolean;
  apiLogger?: Logger;
  workerLogger?: Logger;
  /** Worker observability for the tests of metrics and traces (a traced bundle goes with `tracing`). */
  workerOptions?: Pick<WorkerOptions, 'metrics' | 'tracing' | 'workflowBundle'>;
}

export async function startOrderStack(
  services: Services,
  env: Record<string, string> = {},
  opts: OrderStackOptions = {},
): Promise<OrderStack> {
  const serverConfig = testConfig(env).server; // the API's timeouts and limits, before the ports are known
  const [apiServer, sandboxServer] = [await openServer(serverConfig), await openServer(serverConfig)];
  const [apiPort, sandboxPort] = [apiServer.port, sandboxServer.port];
  const taskQueue = uniqueTaskQueue('orders');
  const config = testConfig({
    APP_TEMPORAL__TASK_QUEUE: taskQueue,
    APP_PAYMENTS__GATEWAY_URL: `http://127.0.0.1:${sandboxPort}`,
    ...env,
  });
  const sandbox = createSandboxApp({
    apiKey: config.payments.gateway_api_key,
    webhookUrl: `http://127.0.0.1:${apiPort}/v1/webhooks/payments`,
    webhookSecret: config.payments.webhook_secret,
    asyncDelayMs: opts.asyncDelayMs ?? 1000,
    webhookRetryBaseMs: 200,
  });
  sandboxServer.use(sandbox.app.fetch);
  const app = createApp({ config, logger: opts.apiLogger ?? silentLogger(), ...services });
  apiServer.use(app.fetch);
  const workerLogger = opts.workerLogger ?? silentLogger();
  const { worker, connection } = await createWorker({
    deps: { config, logger: workerLogger, db: services.db, sql: services.sql, redis: services.redis },
    taskQueue,
    workflowBundle: workflowBundle(),
    ...opts.workerOptions,
  });
  const running = opts.worker === false ? Promise.resolve() : worker.run();
  return {
    config,
    app,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    sandbox,
    sandboxUrl: `http://127.0.0.1:${sandboxPort}`,
    worker,
    taskQueue,
    async close() {
      if (opts.worker !== false) {
        worker.shutdown();
        await running;
      }
      await connection.close();
      await closeServer(apiServer.server);
      await sandbox.close();
      await closeServer(sandboxServer.server);
    },
  };
}

/** A JSON client for the API over real HTTP. */
export function apiClient(baseUrl: string) {
  return async function call<T = Record<string, any>>(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  };
}

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, every));
    last = await fn();
  }
  return last;
}

/** Runs the real worker process (`worker/main.ts`) with the given env, for tests that kill it. */
export async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn('npx', ['tsx', 'worker/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('worker polling')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', () => undefined);
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
  return child;
}

/** SIGKILL to the worker's whole process group (npx → tsx → node). */
export async function killHard(child: ChildProcess): Promise<void> {
  const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

/**
 * With RECORD_HISTORIES=1, writes a workflow's history to test/histories/<workflow type>/<name>.json for the
 * replay test (a type's folder keeps the histories of every path its code must go on replaying).
 */
export async function recordHistory(temporal: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
  const dir = new URL(`../histories/${type}`, import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${name}.json`, historyToJSON(history));
}
