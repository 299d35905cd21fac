/**
 * Reads of one key that overlap share their work without answering from the past: with no read of the key in
 * flight, a call starts one; while one is in flight (it may have begun before the call), the call waits for it and
 * then shares the next one with every call that came meanwhile. So each answer comes from a read that began after
 * its own call did, and a key read by many at once costs at most two reads per read time, not one per call. A read
 * that fails fails the calls that share it (the next call starts another).
 */
export function readsAfterCall<K, V>(): (key: K, read: () => Promise<V>) => Promise<V> {
  const running = new Map<K, Promise<V>>();
  const queued = new Map<K, Promise<V>>();
  return (key, read) => {
    const start = () => {
      const reading: Promise<V> = read().finally(() => {
        if (running.get(key) === reading) running.delete(key);
      });
      running.set(key, reading);
      return reading;
    };
    const waiting = queued.get(key);
    if (waiting) return waiting;
    const inFlight = running.get(key);
    if (!inFlight) return start();
    const next = inFlight
      .catch(() => undefined)
      .then(() => {
        queued.delete(key);
        return start();
      });
    queued.set(key, next);
    return next;
  };
}
