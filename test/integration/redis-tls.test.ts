/**
 * Redis over TLS, through the app's factory (lib/redis.ts: redis.tls, tls_ca_file, tls_cert_file, tls_key_file):
 * a redis-server of this test's own (Debian's is built with TLS) with `--port 0 --tls-port <free>`, a server
 * certificate from a CA the test generates, and client certificates required (tls-auth-clients yes). The command
 * path is the inventory's seat-lock script and the offer store's MULTI, as the API runs them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config';
import { createRedis, redisTls, type Redis } from '../../lib/redis';
import { seatLockKey } from '../../services/inventory/keys';
import { withScripts } from '../../services/inventory/scripts';
import { freePorts, issueCert, makeCa, startServer, tempDir, type Pem, type Server } from '../support/servers';

const dir = tempDir('redis-tls');
let server: Server | undefined;
let port = 0;
let ca: Pem;
let otherCa: Pem;
let client: Pem;

function redisConfig(over: Partial<AppConfig['redis']>): AppConfig['redis'] {
  return {
    url: `redis://localhost:${port}/0`,
    cluster: false,
    cluster_nodes: [],
    auto_pipelining: true,
    tls: true,
    tls_ca_file: ca.certFile,
    tls_cert_file: client.certFile,
    tls_key_file: client.keyFile,
    ...over,
  };
}

/** Why a client's first command failed: its connection errors (or "answered" when it did not fail). */
async function refusal(redis: Redis): Promise<string> {
  const errors: string[] = [];
  redis.on('error', (err: Error) => errors.push(err.message));
  try {
    await redis.ping();
    return 'answered';
  } catch (err) {
    return [...errors, (err as Error).message].join('; ');
  } finally {
    redis.disconnect();
  }
}

beforeAll(async () => {
  ca = await makeCa(dir.path, 'altis-test-redis-ca');
  otherCa = await makeCa(dir.path, 'another-ca');
  const cert = await issueCert(dir.path, ca, 'redis-server', ['localhost', '127.0.0.1']);
  client = await issueCert(dir.path, ca, 'altis-client', ['altis-client']);
  port = (await freePorts(1))[0]!;
  // prettier-ignore
  server = await startServer('redis-server', [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert.certFile,
    '--tls-key-file', cert.keyFile, '--tls-ca-cert-file', ca.certFile, '--tls-auth-clients', 'yes',
    '--save', '', '--appendonly', 'no', '--dir', dir.path,
  ], {
    ready: async () => {
      const probe = createRedis(redisConfig({}), { name: 'probe' });
      try {
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe('Redis over TLS', () => {
  it('runs the inventory seat-lock script and a MULTI over TLS with a client certificate', async () => {
    const redis = withScripts(createRedis(redisConfig({}), { name: 'tls-test' }));
    try {
      const [flight, owner, other] = [randomUUID(), randomUUID(), randomUUID()];
      const key = seatLockKey(flight, '12C');
      expect(await redis.altisSeatLock(key, owner, 60_000)).toBe(1);
      expect(await redis.altisSeatLock(key, other, 60_000)).toBe(0);
      expect(await redis.get(key)).toBe(owner);
      const results = await redis.multi().set(`offer:${owner}`, 'x', 'EX', 60).get(`offer:${owner}`).exec();
      expect(results).toEqual([
        [null, 'OK'],
        [null, 'x'],
      ]);
      const tlsInfo = String(await redis.call('CONFIG', 'GET', 'tls-port'));
      expect(tlsInfo).toContain(String(port));
    } finally {
      redis.disconnect();
    }
  });

  it('is on for a rediss:// url without redis.tls', () => {
    expect(redisTls(redisConfig({ tls: false, url: `rediss://localhost:${port}/0` }))).toMatchObject({ ca: ca.cert });
    expect(redisTls(redisConfig({ tls: false }))).toBeUndefined();
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const redis = createRedis(redisConfig({ tls_ca_file: otherCa.certFile }), { name: 'tls-wrong-ca' });
    expect(await refusal(redis)).toMatch(/self-signed certificate in certificate chain/);
  });

  it('is refused by the server without a client certificate, and in plaintext', async () => {
    const noCert = createRedis(redisConfig({ tls_cert_file: '', tls_key_file: '' }), { name: 'tls-no-cert' });
    expect(await refusal(noCert)).toMatch(/ECONNRESET|certificate required|alert/);
    expect(await refusal(createRedis(redisConfig({ tls: false }), { name: 'plaintext' }))).toMatch(
      /ECONNRESET|Connection is closed/,
    );
  });
});
