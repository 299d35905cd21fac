/**
 * Redis Cluster, run for real: a 3-master cluster of this test's own (redis-server --cluster-enabled ×3 and
 * `redis-cli --cluster create`, on free ports in a temp dir, stopped after), reached through the app's one factory
 * (lib/redis.ts, redis.cluster = true). On it, the test runs the existing test files of the inventory facade
 * (holds, sales, releases, the rebuild races, seat locks, their concurrency tests), the rate limits and the SSE
 * fan-out (Redis pub/sub), unchanged, in a vitest run of their own (ALTIS_TEST_REDIS_CLUSTER_URL, test/env.ts),
 * and checks that the keys they wrote are spread over all three masters (so the cluster did route by slot).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type Redis } from '../../lib/redis';
import { availKey, holdsKey, settlesKey } from '../../services/inventory/keys';
import { testConfig } from '../support/services';
import { freePorts, run, startServer, tempDir, type Server } from '../support/servers';

const FILES = [
  'test/integration/inventory.test.ts',
  'test/integration/rate-limit.test.ts',
  'test/integration/seat-stream.test.ts',
];

const dir = tempDir('redis-cluster');
const servers: Server[] = [];
let ports: number[] = [];
let seedUrl = '';

/** Every node says the cluster is ok, and all agree about the slots (a client's first slot map is then right). */
async function clusterOk(port: number): Promise<boolean> {
  const info = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
  if (!info.includes('cluster_state:ok')) return false;
  const check = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${port}`]);
  return check.includes('All nodes agree about slots configuration') && check.includes('All 16384 slots covered');
}

beforeAll(async () => {
  try {
    const all = await freePorts(6);
    ports = all.slice(0, 3);
    for (const [n, port] of ports.entries()) {
      // prettier-ignore
      servers.push(await startServer('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-port', String(all[3 + n]), '--cluster-config-file', join(dir.path, `nodes-${port}.conf`),
        '--dir', dir.path, '--save', '', '--appendonly', 'no',
      ], { ready: async () => (await run('redis-cli', ['-p', String(port), 'ping'])).includes('PONG') }));
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports) {
      const deadline = Date.now() + 20_000;
      while (!(await clusterOk(port).catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`node :${port} never reported cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    seedUrl = `redis://127.0.0.1:${ports[0]}/0`;
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.stop()));
    dir.remove();
    throw err;
  }
});

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.stop()));
  dir.remove();
});

describe('Redis Cluster (3 masters of the test’s own)', () => {
  it('is what the app’s factory connects to with redis.cluster: a Cluster client over the three masters', async () => {
    const config = testConfig({ APP_REDIS__URL: seedUrl, APP_REDIS__CLUSTER: 'true' });
    const redis: Redis = createRedis(config.redis, { name: 'cluster-probe' });
    try {
      expect(redis.isCluster).toBe(true);
      await redis.set('probe:{a}', '1');
      const cluster = redis as unknown as { nodes(role: 'master'): Redis[] };
      expect(cluster.nodes('master')).toHaveLength(3);
      // A flight's index keys share one slot (the hash tag), so its Lua scripts may touch them together.
      const flight = '7d4c2a47-0f3b-4a61-9d2e-5b8f1c3e6a90';
      const slots = await Promise.all(
        [availKey(flight), holdsKey(flight), settlesKey(flight)].map((k) => redis.call('CLUSTER', 'KEYSLOT', k)),
      );
      expect(new Set(slots).size).toBe(1);
    } finally {
      redis.disconnect();
    }
  });

  it('runs the inventory (concurrency and rebuild races included), rate-limit and seat-stream test files on it', async () => {
    const report = join(dir.path, 'report.json');
    const child = spawn('npx', ['vitest', 'run', ...FILES, '--reporter=json', `--outputFile=${report}`], {
      // A run of its own: none of this worker's vitest variables (they would make the child think it is a worker).
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('APP_')),
        ),
        ALTIS_TEST_REDIS_CLUSTER_URL: seedUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    const [code] = (await once(child, 'exit')) as [number | null];
    const result = JSON.parse(readFileSync(report, 'utf8')) as {
      numTotalTests: number;
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      testResults: {
        name: string;
        status: string;
        assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
      }[];
    };
    const failures = result.testResults.flatMap((f) =>
      f.assertionResults
        .filter((t) => t.status === 'failed')
        .map((t) => `${t.fullName}: ${t.failureMessages.join('\n').slice(0, 2000)}`),
    );
    expect({ code, failures, output: code === 0 ? '' : output.slice(-3000) }).toEqual({
      code: 0,
      failures: [],
      output: '',
    });
    expect(result.testResults.map((f) => [f.name.replace(`${process.cwd()}/`, ''), f.status]).sort()).toEqual(
      FILES.map((f) => [f, 'passed']).sort(),
    );
    expect(result.numPendingTests).toBe(0);
    expect(result.numPassedTests).toBe(result.numTotalTests);
    expect(result.numTotalTests).toBeGreaterThanOrEqual(30);
    // What the files wrote (flight indexes, seat locks, rate-limit buckets, offers) landed on every master.
    const sizes = await Promise.all(
      ports.map(async (p) => Number(await run('redis-cli', ['-p', String(p), 'dbsize']))),
    );
    for (const size of sizes) expect(size).toBeGreaterThan(0);
  }, 300_000);
});
