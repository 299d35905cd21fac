import type { Redis } from 'ioredis';
import { seatChannel, type SeatEvent } from '../services/seat-events';

type Listener = (event: SeatEvent) => void;

/**
 * Fans Redis pub/sub seat events out to SSE clients of this API instance. One subscriber connection per
 * instance, opened with the first listener and closed with the last; a flight's channel is subscribed while it
 * has at least one listener. Nothing outlives its listeners.
 */
export class SeatStreamHub {
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly redis: Redis) {}

  /** Subscribes; the returned function unsubscribes (idempotent). */
  async listen(flightId: string, listener: Listener): Promise<() => Promise<void>> {
    const channel = seatChannel(flightId);
    if (!this.subscriber) {
      const sub = this.redis.duplicate();
      sub.on('error', () => undefined); // reconnects by itself; a stream just misses events meanwhile
      sub.on('message', (ch: string, message: string) => {
        for (const l of this.listeners.get(ch) ?? []) {
          try {
            l(JSON.parse(message) as SeatEvent);
          } catch {
            // a malformed message or a listener that failed: skip it
          }
        }
      });
      this.subscriber = sub;
    }
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        await this.subscriber?.unsubscribe(channel).catch(() => undefined);
      }
      if (this.listeners.size === 0 && this.subscriber) {
        const sub = this.subscriber;
        this.subscriber = null;
        await sub.quit().catch(() => sub.disconnect());
      }
    };
  }

  /** Listeners per flight channel, for tests and metrics. */
  get activeChannels(): number {
    return this.listeners.size;
  }

  get connected(): boolean {
    return this.subscriber !== null;
  }
}

const hubs = new WeakMap<Redis, SeatStreamHub>();
export function seatStreamHub(redis: Redis): SeatStreamHub {
  let hub = hubs.get(redis);
  if (!hub) {
    hub = new SeatStreamHub(redis);
    hubs.set(redis, hub);
  }
  return hub;
}
