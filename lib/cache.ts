/**
 * In-process TTL caches, all on lru-cache: bounded in size, stale after their TTL, a concurrent miss shares one
 * load (lru-cache's `fetch`), and a failed load is not kept (the next call tries again).
 */
import { LRUCache } from 'lru-cache';

export { LRUCache };

/** A cache of `max` entries of at most `ttlMs` each (`get`/`set`, or `fetch` with a `fetchMethod`). */
export const ttlCache = <K extends NonNullable<unknown>, V extends NonNullable<unknown>>(ttlMs: number, max: number) =>
  new LRUCache<K, V>({ max, ttl: ttlMs });

/** One value read by `load`, kept for `ttlMs` after it arrives. */
export function cachedValue<T extends NonNullable<unknown>>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  const cache = new LRUCache<'value', T>({ max: 1, ttl: ttlMs, fetchMethod: () => load() });
  return async () => {
    const value = await cache.fetch('value');
    if (value === undefined) throw new Error('cachedValue: the load gave no value');
    return value;
  };
}
