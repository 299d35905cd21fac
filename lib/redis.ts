import { Redis } from 'ioredis';

export type { Redis };

/** A Redis client that fails fast instead of queueing commands forever while the server is away. */
export function createRedis(url: string, opts: { name?: string } = {}): Redis {
  return new Redis(url, {
    connectionName: opts.name ?? 'altis',
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
}
