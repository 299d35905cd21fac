import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import type { AppConfig } from '../config';
import { readPem } from './tls';

export type { Redis };

type RedisConfig = AppConfig['redis'];

/** Fail fast instead of queueing commands forever while the server is away. */
const BASE_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 2,
  enableOfflineQueue: true,
  retryStrategy: (times) => Math.min(times * 100, 1000),
};

/** The TLS options of redis.tls (or a rediss:// url); undefined when plaintext. */
export function redisTls(redis: RedisConfig): ConnectionOptions | undefined {
  if (!redis.tls && !redis.url.startsWith('rediss://')) return undefined;
  const ca = readPem(redis.tls_ca_file);
  const cert = readPem(redis.tls_cert_file);
  const key = readPem(redis.tls_key_file);
  return { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
}

/**
 * The one Redis client factory. A url alone is a plain standalone client (tests, tools); the `[redis]` config
 * adds TLS and Cluster mode. A Cluster client answers every command the app sends (each command's keys share a
 * slot: services/inventory/keys.ts hash-tags a flight's keys), so it is typed as Redis for the rooms that use it.
 */
export function createRedis(target: string | RedisConfig, opts: { name?: string } = {}): Redis {
  const connectionName = opts.name ?? 'altis';
  if (typeof target === 'string') return new Redis(target, { ...BASE_OPTIONS, connectionName });
  const tls = redisTls(target);
  if (!target.cluster) {
    return new Redis(target.url, {
      ...BASE_OPTIONS,
      connectionName,
      enableAutoPipelining: target.auto_pipelining,
      ...(tls ? { tls } : {}),
    });
  }
  const url = new URL(target.url);
  if (url.pathname !== '' && url.pathname !== '/' && url.pathname !== '/0') {
    throw new Error(`redis.url: a Redis Cluster has database 0 only, not ${url.pathname.slice(1)}`);
  }
  const seeds: ClusterNode[] = [`${url.hostname}:${url.port || '6379'}`, ...target.cluster_nodes].map((n) => {
    const [host, port] = n.split(':') as [string, string];
    return { host, port: Number(port) };
  });
  const cluster = new Cluster(seeds, {
    clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
    enableOfflineQueue: true,
    // Commands sent in the same tick go as one pipeline per node (services/inventory/scripts.ts relies on it).
    enableAutoPipelining: true,
    redisOptions: {
      ...BASE_OPTIONS,
      connectionName,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(tls ? { tls } : {}),
    },
    // TLS certificates name the hosts the seeds were given as; the nodes announce IPs.
    ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  });
  return cluster as unknown as Redis;
}
