import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { freePort } from './harness';
import { uniqueTaskQueue } from './services';

/**
 * The real processes of `npm start` that the end-to-end tests talk to over HTTP: the payment sandbox, the worker and
 * the API, each its own `tsx` process on ports and a task queue of the test's own. `E2E_LOG_DIR` keeps their output.
 */
export interface ProcessStack {
  apiUrl: string;
  /** The environment the processes run with (ports, task queue): an in-process API like theirs can reuse it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startProcessStack(name: string, extraEnv: Record<string, string> = {}): Promise<ProcessStack> {
  const processes: ChildProcess[] = [];
  const [apiPort, sandboxPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env: Record<string, string> = {
    APP_SERVER__PORT: String(apiPort),
    APP_SERVER__HOST: '127.0.0.1',
    APP_TEMPORAL__TASK_QUEUE: uniqueTaskQueue(name),
    APP_PAYMENTS__GATEWAY_URL: `http://127.0.0.1:${sandboxPort}`,
    ...extraEnv,
  };

  async function start(name: string, script: string, ready: string, own: Record<string, string>) {
    const child = spawn('npx', ['tsx', script], {
      env: { ...process.env, ...env, APP_LOG__LEVEL: 'info', ...own },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    processes.push(child);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (process.env.E2E_LOG_DIR) appendFileSync(`${process.env.E2E_LOG_DIR}/${name}.log`, chunk);
        if (output.includes(ready)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output.slice(-2000)}`)));
    });
  }

  const stop = async () => {
    for (const child of processes) {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        process.kill(-child.pid!, 'SIGTERM');
        await exited;
      }
    }
  };
  try {
    await Promise.all([
      start('gateway', 'payments-sandbox/main.ts', 'listening', {
        SANDBOX_WEBHOOK_URL: `${apiUrl}/v1/webhooks/payments`,
      }),
      start('worker', 'worker/main.ts', 'worker polling', {}),
      start('api', 'api/main.ts', 'listening', {}),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, env, stop };
}

/** A spawned process of a cluster: its child, and for a worker the identity Temporal records on its tasks. */
export interface ClusterProcess {
  name: string;
  child: ChildProcess;
  identity?: string;
}

export interface ClusterStack {
  apiUrls: string[];
  gatewayUrl: string;
  workers: ClusterProcess[];
  env: Record<string, string>;
  /** SIGKILL to one process's whole group (npx → tsx → node): no graceful shutdown. */
  kill(p: ClusterProcess): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Scale-out as in production: `apis` API processes and `workers` worker processes (each its own `tsx` process,
 * metrics servers off so they do not contend for ports) and one payment sandbox, on one task queue, against the
 * same Postgres, Redis, Kafka and Temporal. `E2E_LOG_DIR` keeps their output.
 */
export async function startCluster(
  name: string,
  opts: { apis: number; workers: number; env?: Record<string, string> },
): Promise<ClusterStack> {
  const processes: ClusterProcess[] = [];
  const sandboxPort = await freePort();
  const apiPorts = await Promise.all(Array.from({ length: opts.apis }, () => freePort()));
  const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
  const gatewayUrl = `http://127.0.0.1:${sandboxPort}`;
  const env: Record<string, string> = {
    APP_SERVER__HOST: '127.0.0.1',
    APP_TEMPORAL__TASK_QUEUE: uniqueTaskQueue(name),
    APP_PAYMENTS__GATEWAY_URL: gatewayUrl,
    APP_METRICS__WORKER_PORT: '0',
    APP_METRICS__TEMPORAL_PORT: '0',
    ...opts.env,
  };

  async function start(label: string, script: string, ready: string, own: Record<string, string>) {
    const child = spawn('npx', ['tsx', script], {
      env: { ...process.env, ...env, APP_LOG__LEVEL: 'info', ...own },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const p: ClusterProcess = { name: label, child };
    processes.push(p);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (process.env.E2E_LOG_DIR) appendFileSync(`${process.env.E2E_LOG_DIR}/${name}-${label}.log`, chunk);
        const line = output.split('\n').find((l) => l.includes(ready));
        if (line) {
          const identity = /"identity":"([^"]+)"/.exec(line)?.[1];
          if (identity) p.identity = identity;
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${label} exited with ${code}: ${output.slice(-2000)}`)));
    });
    return p;
  }

  const kill = async (p: ClusterProcess) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    const exited = once(p.child, 'exit');
    process.kill(-p.child.pid!, 'SIGKILL');
    await exited;
  };
  const stop = async () => {
    for (const { child } of processes) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        process.kill(-child.pid!, 'SIGTERM');
        await exited;
      }
    }
  };
  let workers: ClusterProcess[] = [];
  try {
    const started = await Promise.all([
      start('gateway', 'payments-sandbox/main.ts', 'listening', {
        SANDBOX_WEBHOOK_URL: `${apiUrls[0]}/v1/webhooks/payments`,
      }),
      ...Array.from({ length: opts.workers }, (_, i) =>
        start(`worker-${i + 1}`, 'worker/main.ts', 'worker polling', {}),
      ),
      ...apiPorts.map((port, i) =>
        start(`api-${i + 1}`, 'api/main.ts', 'listening', { APP_SERVER__PORT: String(port) }),
      ),
    ]);
    workers = started.filter((p) => p.name.startsWith('worker-'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrls, gatewayUrl, workers, env, kill, stop };
}
