import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { createRedis, type Redis } from '../../lib/redis';
import type { Services } from '../../lib/services';
import { openTestServices, silentLogger, testConfig } from '../support/services';

// A Redis of this test's own, so that stopping it does not disturb the other test files.
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

async function stop(child: ChildProcess) {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

const config = testConfig();
let services: Services;
let redisPort: number;
let redisProcess: ChildProcess;
let redis: Redis;

beforeAll(async () => {
  services = await openTestServices(config);
  redisPort = await freePort();
  redisProcess = await startRedis(redisPort);
  redis = createRedis(`redis://127.0.0.1:${redisPort}`);
  redis.on('error', () => undefined);
  await redis.ping();
});

afterAll(async () => {
  redis.disconnect();
  await stop(redisProcess);
  await services.close();
});

async function health(path = '/health') {
  const app = createApp({ config, logger: silentLogger(), ...services, redis });
  const res = await app.request(path);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; dependencies: Record<string, { status: string }> },
  };
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await fn();
  }
  return last;
}

describe('GET /health, /health/ready and /health/live', () => {
  it('is 200 with every dependency up, 503 naming Redis while it is stopped, and 200 again after', async () => {
    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('ok');
    expect(Object.keys(up.body.dependencies).sort()).toEqual(['kafka', 'postgres', 'redis', 'temporal']);
    expect(Object.values(up.body.dependencies).every((d) => d.status === 'up')).toBe(true);

    const ready = await health('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(await health('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });

    await stop(redisProcess);
    const down = await eventually(health, (h) => h.status === 503);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('degraded');
    expect(down.body.dependencies.redis!.status).toBe('down');
    expect(down.body.dependencies.postgres!.status).toBe('up');
    expect(down.body.dependencies.temporal!.status).toBe('up');
    expect(down.body.dependencies.kafka!.status).toBe('up');
    // Readiness follows the dependencies (the pod leaves the Service); liveness does not (no restart storm).
    const unready = await health('/health/ready');
    expect(unready.status).toBe(503);
    expect(unready.body.dependencies.redis!.status).toBe('down');
    expect(await health('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });

    redisProcess = await startRedis(redisPort);
    const back = await eventually(health, (h) => h.status === 200);
    expect(back.status).toBe(200);
    expect(back.body.dependencies.redis!.status).toBe('up');
  });
});
