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
