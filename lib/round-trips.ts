/**
 * Round trips to Redis and Postgres, counted at the client's socket: each write a client makes is one flush of
 * commands that it then waits on (a pipeline or MULTI is one write, a single command is one, a postgres.js batch
 * of queries sent in one tick is one). On only when `metrics.count_round_trips` is set (the bench sets it): the
 * API exposes the counts as `altis_backend_round_trips_total{backend}` and the bench divides them by requests.
 */
import { Socket } from 'node:net';
import type { Redis } from 'ioredis';

export type Backend = 'redis' | 'postgres';

const counts: Record<Backend, number> = { redis: 0, postgres: 0 };

/** The round trips counted so far in this process. */
export const roundTrips = (): Readonly<Record<Backend, number>> => ({ ...counts });

function countWrites(socket: Socket, backend: Backend) {
  const write = socket.write.bind(socket);
  socket.write = ((...args: Parameters<Socket['write']>) => {
    counts[backend]++;
    return write(...args);
  }) as Socket['write'];
}

/** Counts the writes of this Redis client on every connection it makes (the stream is new after a reconnect). */
export function countRedisRoundTrips(redis: Redis): void {
  const hook = () => {
    const stream = (redis as unknown as { stream?: Socket & { altisCounted?: boolean } }).stream;
    if (!stream || stream.altisCounted) return;
    stream.altisCounted = true;
    countWrites(stream, 'redis');
  };
  hook();
  redis.on('connect', hook);
}

/** What postgres.js passes to its `socket` option: its parsed connection settings. */
interface PgSocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * A postgres.js `socket` factory that connects as postgres.js itself does (unix socket path, or the first host)
 * and counts the socket's writes (postgres.js starts talking at once: writes made while connecting are buffered;
 * it sets keep-alive itself). Only the first host of a multi-host URL.
 */
export function countingPgSocket(options: PgSocketOptions): Socket {
  const socket = new Socket();
  if (options.path) socket.connect(options.path);
  else socket.connect(options.port[0]!, options.host[0]!);
  countWrites(socket, 'postgres'); // after connect(), which puts back the prototype's write
  return socket;
}
